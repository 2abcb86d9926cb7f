"""Figures: orbit diagrams rendered with datashader, period and Lyapunov charts, and the
two-parameter diagram with codimension-1 curves and codimension-2 points over a chart.

Needs the ``viz`` extra (matplotlib, datashader). Figures are drawn with matplotlib's Agg
backend, so PNG files are written without a display or browser. Colours: LP curves blue, PD red,
NS green (the neutral-saddle continuation of an NS curve, where ``|kappa| > 1``, dotted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from .branch import Branch

__all__ = [
    "CURVE_COLORS",
    "orbit_diagram_image",
    "plot_lyapunov_chart",
    "plot_orbit_diagram",
    "plot_period_chart",
    "plot_two_parameter",
]

CURVE_COLORS = {"LP": "tab:blue", "PD": "tab:red", "NS": "tab:green", "cycle": "black"}
MODE_COLORS = {"independent": "#222222", "forward": "#1f5fbf", "backward": "#d62728"}
_MARKERS = {"CP": "^", "GPD": "v", "CH": "D", "R1": "s", "R2": "s", "R3": "s", "R4": "s"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def orbit_diagram_image(
    ds: xr.Dataset,
    variable: str | None = None,
    *,
    width: int = 1000,
    height: int = 600,
    y_range: tuple[float, float] | None = None,
    how: str = "eq_hist",
    min_alpha: int = 140,
    spread: int = 0,
):
    """Rasterise the kept states of an orbit-diagram Dataset (:func:`.orbit.orbit_diagram`)
    with datashader, one colour per mode (forward blue, backward red, independent dark grey;
    where both sweeps land the colours mix); ``how`` and ``min_alpha`` as in datashader's
    ``shade``, ``spread`` pixels added around each point (for sparse diagrams). Returns
    ``(image, x_range, y_range)`` with ``image`` a datashader Image (``image.to_pil()``)."""
    import datashader as dsh
    import datashader.transfer_functions as tf
    import pandas as pd

    parameter = ds.attrs["parameter"]
    variable = variable or str(ds["state"].values[0])
    values = ds[variable]
    frames = []
    for mode in ds["mode"].values:
        v = values.sel(mode=mode).values
        p = np.broadcast_to(ds[parameter].values[:, None, None], v.shape)
        keep = np.isfinite(v)
        frames.append(pd.DataFrame({"p": p[keep], "v": v[keep], "mode": str(mode)}))
    frame = pd.concat(frames, ignore_index=True)
    frame["mode"] = frame["mode"].astype("category")
    x_range = (float(ds[parameter].min()), float(ds[parameter].max()))
    if y_range is None:
        lo, hi = (float(frame["v"].min()), float(frame["v"].max())) if len(frame) else (0, 1)
        pad = 0.02 * (hi - lo or 1.0)
        y_range = (lo - pad, hi + pad)
    canvas = dsh.Canvas(plot_width=width, plot_height=height, x_range=x_range, y_range=y_range)
    agg = canvas.points(frame, "p", "v", agg=dsh.count_cat("mode"))
    if spread:
        agg = agg.copy(data=_dilate(agg.values, spread))
    key = {m: MODE_COLORS.get(m, "#444444") for m in frame["mode"].cat.categories}
    shaded = tf.shade(agg, color_key=key, how=how, min_alpha=min_alpha)
    return _over_white(shaded, tf.Image), x_range, y_range


def _dilate(counts: np.ndarray, px: int) -> np.ndarray:
    """Each pixel's counts spread to the pixels within ``px`` (a square), per category: the
    maximum over the square (what datashader's ``spread`` does to the shaded image, done to the
    counts in numpy, without datashader's compositing kernels, which are compiled afresh in
    every process)."""
    from scipy.ndimage import maximum_filter

    return maximum_filter(counts, size=(2 * px + 1, 2 * px + 1, 1), mode="constant")


def _over_white(shaded, image_type):
    """The straight-alpha RGBA image ``shaded`` composited over white (``over``), opaque; the
    same as datashader's ``set_background(shaded, "white")`` to the rounding of one level."""
    rgba = shaded.data.view(np.uint8).reshape(*shaded.shape, 4).astype(np.float64)
    alpha = rgba[..., 3:] / 255.0
    out = np.full((*shaded.shape, 4), 255, dtype=np.uint8)
    out[..., :3] = np.rint(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha))
    return image_type(out.view(np.uint32)[..., 0], coords=shaded.coords, dims=shaded.dims)


def plot_orbit_diagram(
    ds: xr.Dataset,
    variable: str | None = None,
    *,
    path: str | Path | None = None,
    width: int = 1000,
    height: int = 600,
    title: str | None = None,
    dpi: int = 100,
    spread: int = 0,
):
    """Orbit diagram as a matplotlib figure (datashader raster with axes and a legend of the
    sweep modes); written to ``path`` (PNG) when given. Returns the figure."""
    from matplotlib.patches import Patch

    plt = _pyplot()
    variable = variable or str(ds["state"].values[0])
    image, x_range, y_range = orbit_diagram_image(
        ds, variable, width=width, height=height, spread=spread
    )
    fig, ax = plt.subplots(figsize=(width / dpi + 1.2, height / dpi + 1.0), dpi=dpi)
    ax.imshow(
        np.asarray(image.to_pil().convert("RGB")),
        extent=(*x_range, *y_range),
        aspect="auto",
        origin="upper",
        interpolation="nearest",
    )
    parameter = ds.attrs["parameter"]
    ax.set_xlabel(parameter)
    ax.set_ylabel(variable)
    ax.set_title(title or f"{ds.attrs.get('model', '')}: orbit diagram over {parameter}")
    handles = [
        Patch(color=MODE_COLORS.get(str(m), "#444444"), label=f"{m} ({ds.sizes['ic']} ICs)")
        for m in ds["mode"].values
    ]
    ax.legend(handles=handles, loc="best", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig


def _chart_axes(ds: xr.Dataset, variable: str) -> tuple[str, str]:
    dims = [d for d in ds[variable].dims if d not in ("ic", "exponent", "state")]
    if len(dims) != 2:
        raise ValueError(f"a two-parameter chart is needed, {variable} has dims {dims}")
    return dims[0], dims[1]


def plot_period_chart(ds: xr.Dataset, ax=None, *, ic: int = 0, max_period: int | None = None):
    """Period chart (:func:`.periods.period_chart`) as a categorical image: one colour per
    period 1..max_period, black for none found (chaotic, quasi-periodic or longer), white for
    diverged. First swept parameter on the x axis."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5.5))
    xname, yname = _chart_axes(ds, "period")
    period = ds["period"].isel(ic=ic).transpose(yname, xname).values
    max_period = int(max_period or ds.attrs.get("max_period", max(period.max(), 1)))
    base = plt.get_cmap("tab20")(np.linspace(0, 1, 20))
    colors = [(1, 1, 1, 1), (0, 0, 0, 1)] + [base[i % 20] for i in range(max_period)]
    cmap = ListedColormap(colors)
    norm = BoundaryNorm(np.arange(-1.5, max_period + 1), cmap.N)
    mesh = ax.pcolormesh(
        ds[xname].values,
        ds[yname].values,
        period,
        cmap=cmap,
        norm=norm,
        shading="nearest",
        rasterized=True,
    )
    ticks = [-1, 0] + list(range(1, max_period + 1, max(1, max_period // 8)))
    bar = ax.figure.colorbar(mesh, ax=ax, ticks=ticks)
    bar.set_label("period (0: none ≤ max, -1: diverged)")
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    return ax


def plot_lyapunov_chart(ds: xr.Dataset, ax=None, *, ic: int = 0, exponent: int = 1):
    """Largest Lyapunov exponent chart (:func:`.periods.lyapunov_chart`), per iteration, on a
    diverging colour map centred at zero with the same scale on both sides (so a slightly
    negative exponent next to large positive ones stays pale, not deep blue); the colour bar
    spans the values' real range."""
    from matplotlib.colors import Normalize

    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 5.5))
    xname, yname = _chart_axes(ds, "lyapunov")
    lam = ds["lyapunov"].isel(ic=ic).sel(exponent=exponent).transpose(yname, xname).values
    finite = lam[np.isfinite(lam)]
    lo = min(float(finite.min()) if finite.size else -1.0, -1e-3)
    hi = max(float(finite.max()) if finite.size else 1.0, 1e-3)
    mesh = ax.pcolormesh(
        ds[xname].values,
        ds[yname].values,
        lam,
        cmap="RdBu_r",
        norm=Normalize(-max(-lo, hi), max(-lo, hi)),
        shading="nearest",
        rasterized=True,
    )
    bar = ax.figure.colorbar(mesh, ax=ax)
    bar.ax.set_ylim(lo, hi)
    bar.set_label("largest Lyapunov exponent (1/iteration)")
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    return ax


def draw_curves(ax, curves: list[Branch], xname: str, yname: str, *, labels: bool = True) -> None:
    """Draw bifurcation curves (two-parameter branches) and their codimension-2 points."""
    seen = set()
    for curve in curves:
        if xname not in curve.free or yname not in curve.free:
            raise ValueError(f"curve {curve!r} is not in the parameters ({xname}, {yname})")
        x, y = curve.parameter(xname), curve.parameter(yname)
        color = CURVE_COLORS.get(curve.kind, "black")
        label = None if curve.kind in seen else f"{curve.kind} (period {curve.period})"
        seen.add(curve.kind)
        if curve.kind == "NS" and "kappa" in curve.coefficients:
            genuine = np.abs(curve.coefficients["kappa"]) <= 1.0
            ax.plot(
                np.where(genuine, x, np.nan),
                np.where(genuine, y, np.nan),
                color=color,
                lw=1.8,
                label=label,
            )
            ax.plot(
                np.where(~genuine, x, np.nan),
                np.where(~genuine, y, np.nan),
                color=color,
                lw=1.0,
                ls=":",
            )
        else:
            ax.plot(x, y, color=color, lw=1.8, label=label)
        for point in curve.special:
            if point.label in ("EP",):
                continue
            px, py = point.parameters[xname], point.parameters[yname]
            ax.plot(
                px,
                py,
                marker=_MARKERS.get(point.label, "o"),
                color="yellow",
                markeredgecolor="black",
                markersize=7,
                zorder=5,
                ls="none",
            )
            if labels:
                ax.annotate(
                    point.label,
                    (px, py),
                    xytext=(4, 4),
                    textcoords="offset points",
                    fontsize=8,
                    fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7},
                )


def plot_two_parameter(
    period: xr.Dataset | None = None,
    lyapunov: xr.Dataset | None = None,
    curves: list[Branch] = (),
    *,
    path: str | Path | None = None,
    title: str | None = None,
    ic: int = 0,
    limits: bool = True,
):
    """The two-parameter figure: the period chart and/or the Lyapunov chart (side by side),
    with the codimension-1 curves and codimension-2 points of ``curves`` drawn over each.
    Written to ``path`` (PNG) when given; returns the figure."""
    plt = _pyplot()
    charts = [
        (d, kind) for d, kind in ((period, "period"), (lyapunov, "lyapunov")) if d is not None
    ]
    if not charts and not curves:
        raise ValueError("nothing to draw: give a chart or curves")
    n = max(len(charts), 1)
    fig, axes = plt.subplots(1, n, figsize=(7.2 * n, 5.8), squeeze=False)
    if charts:
        xname, yname = _chart_axes(charts[0][0], charts[0][1])
    else:
        xname, yname = curves[0].free
    for ax, (data, kind) in zip(axes[0], charts or [(None, None)], strict=True):
        if kind == "period":
            plot_period_chart(data, ax, ic=ic)
        elif kind == "lyapunov":
            plot_lyapunov_chart(data, ax, ic=ic)
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        draw_curves(ax, list(curves), xname, yname)
        if data is not None and limits:
            ax.set_xlim(xlim)
            ax.set_ylim(ylim)
        ax.set_xlabel(xname)
        ax.set_ylabel(yname)
        if curves:
            ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    fig.suptitle(title or "two-parameter bifurcation diagram")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
