"""The report's figures, drawn with matplotlib's Agg backend into PNG files.

The orbit diagram and the two-parameter charts are those of
:mod:`neurodyn.analysis.bifurcation.plot`; this module adds the measures against coupling (one
column per swept parameter, one line per slice of the other parameter) and phase portraits from
the kept states of a sweep store (for a network of more than :data:`MAX_PORTRAIT_NODES` nodes, a
space-time plot instead). Every figure has a fixed size in pixels (``figsize * DPI``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import xarray as xr

from ..analysis.bifurcation import Branch, SpecialPoint, plot_orbit_diagram, plot_two_parameter
from ..store.attrs import attr_value
from .study import MEASURES, Point, node_variables, swept_parameters

__all__ = [
    "DPI",
    "basins_figure",
    "coexistence_figure",
    "curve_from_dataset",
    "draw_measures",
    "draw_phase_portraits",
    "draw_space_time",
    "measures_figure",
    "orbit_figure",
    "phase_portrait_figure",
    "two_parameter_figure",
]

#: Networks with more nodes get a space-time plot in place of phase portraits.
MAX_PORTRAIT_NODES = 4
#: Resolution of every figure the report writes (pixels per inch).
DPI = 100
#: Size of the orbit diagram's raster in pixels (the figure adds margins for the axes).
ORBIT_RASTER = (900, 480)


def _pyplot():
    """pyplot, on the Agg backend unless pyplot was set up before (a notebook's inline
    backend is kept)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    _pyplot().close(fig)
    return path


def orbit_figure(
    orbit: xr.Dataset, path: Path, variable: str | None = None, branches: list[Branch] = ()
) -> Path:
    """The one-parameter orbit diagram (:func:`~neurodyn.analysis.bifurcation.plot_orbit_diagram`,
    datashader raster, forward and backward sweeps in two colours) of ``variable`` (default the
    first state variable) written to ``path``, with the continued cycle ``branches`` drawn over
    it (:func:`~.continuation.draw_branches`)."""
    if variable is not None and variable not in orbit:
        raise ValueError(
            f"orbit_variable {variable!r} is not in the orbit store; it holds "
            f"{', '.join(map(str, orbit['state'].values))}"
        )
    width, height = ORBIT_RASTER
    fig = plot_orbit_diagram(orbit, variable, width=width, height=height, dpi=DPI, spread=1)
    if branches:
        from .continuation import draw_branches

        ax = fig.axes[0]
        xlim, ylim = ax.get_xlim(), ax.get_ylim()
        states = [str(s) for s in orbit["state"].values]
        draw_branches(ax, branches, orbit.attrs["parameter"], states.index(variable or states[0]))
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    return _save(fig, path)


def curve_from_dataset(ds: xr.Dataset) -> Branch:
    """A two-parameter bifurcation curve read back from its stored form
    (:meth:`Branch.to_dataset`), for drawing over the charts. The model is not stored, so the
    branch's ``model`` is None; unknowns and tangents are not stored either and are empty."""
    free = tuple(attr_value(ds.attrs["free_parameters"]))
    n_special = ds.sizes.get("special", 0)
    special = [
        SpecialPoint(
            label=str(ds["special_label"].values[k]),
            index=int(ds["special_index"].values[k]),
            parameters={p: float(ds[f"special_{p}"].values[k]) for p in free},
            orbit=ds["special_orbit"].values[k],
            multipliers=ds["special_multipliers"].values[k],
            coefficients={
                c: float(ds[f"special_{c}"].values[k])
                for c in ("a", "c", "d", "theta", "kappa")
                if f"special_{c}" in ds and np.isfinite(ds[f"special_{c}"].values[k])
            },
        )
        for k in range(n_special)
    ]
    n_points = ds.sizes["point"]
    return Branch(
        model=None,
        kind=str(ds.attrs["kind"]),
        period=int(ds.attrs["period"]),
        free=free,
        fixed=dict(attr_value(ds.attrs.get("fixed_parameters", {}))),
        orbits=ds["orbit"].values,
        values=np.column_stack([ds[p].values for p in free]),
        multipliers=ds["multipliers"].values,
        tests={str(v)[5:]: ds[v].values for v in ds.data_vars if str(v).startswith("test_")},
        special=special,
        stop_reason=str(ds.attrs.get("stop_reason", "")),
        u=np.empty((n_points, 0)),
        tangents=np.empty((n_points, 0)),
        coefficients={
            str(v)[12:]: ds[v].values for v in ds.data_vars if str(v).startswith("coefficient_")
        },
    )


def two_parameter_figure(
    ds: xr.Dataset,
    path: Path,
    *,
    curves: list[Branch] = (),
    points: list[Point] = (),
    ic: int = 0,
    title: str | None = None,
) -> Path | None:
    """Period chart and largest-Lyapunov-exponent chart side by side
    (:func:`~neurodyn.analysis.bifurcation.plot_two_parameter`), for initial state ``ic``, with
    the bifurcation ``curves`` over them and the report's ``points`` marked. Only the charts
    whose variable (``period``, ``lyapunov``) the store holds; None when it holds neither or
    the sweep is not over two parameters."""
    if len(swept_parameters(ds)) != 2:
        return None
    period = ds[["period"]] if "period" in ds else None
    lyapunov = None
    if "lyapunov" in ds:
        lam = ds["lyapunov"]
        if "exponent" in lam.dims:
            lam = lam.isel(exponent=[0]).assign_coords(exponent=[1])
        else:
            lam = lam.expand_dims(exponent=[1], axis=-1)
        lyapunov = lam.to_dataset(name="lyapunov")
    if period is None and lyapunov is None:
        return None
    fig = plot_two_parameter(period, lyapunov, list(curves), title=title, ic=ic)
    xname, yname = swept_parameters(ds)[:2]
    for ax in fig.axes:
        if ax.get_xlabel() != xname:
            continue
        for k, point in enumerate(points, start=1):
            px, py = point.parameters[xname], point.parameters[yname]
            ax.plot(px, py, "o", ms=9, mfc="none", mec="magenta", mew=2, zorder=6)
            ax.annotate(
                str(k),
                (px, py),
                xytext=(5, -11),
                textcoords="offset points",
                color="magenta",
                fontsize=9,
                fontweight="bold",
            )
    return _save(fig, path)


def coexistence_figure(
    ds: xr.Dataset, path: Path, *, curves: list[Branch] = (), title: str | None = None
) -> Path | None:
    """The coexistence map: the number of distinct attractors reached from the initial states
    (``n_attractors``, :mod:`neurodyn.analysis.measures.coexistence`) at every grid point, one
    colour per count from 1 to the largest found, with the bifurcation ``curves`` over it.
    None when the store holds no ``n_attractors`` or the sweep is not over two parameters."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    from ..analysis.bifurcation.plot import draw_curves

    if "n_attractors" not in ds or len(swept_parameters(ds)) != 2:
        return None
    plt = _pyplot()
    xname, yname = swept_parameters(ds)[:2]
    count = ds["n_attractors"].max("ic") if "ic" in ds["n_attractors"].dims else ds["n_attractors"]
    values = count.transpose(yname, xname).values
    top = max(int(values.max()), 1)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 1.0, top + 1))
    cmap = ListedColormap(colours)
    fig, ax = plt.subplots(figsize=(7.2, 5.8))
    mesh = ax.pcolormesh(
        ds[xname].values,
        ds[yname].values,
        values,
        cmap=cmap,
        norm=BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N),
        shading="nearest",
        rasterized=True,
    )
    bar = fig.colorbar(mesh, ax=ax, ticks=range(0, top + 1))
    bar.set_label(f"distinct attractors from {ds.sizes.get('ic', 1)} initial states")
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    drawn = [c for c in curves if xname in c.free and yname in c.free]
    draw_curves(ax, drawn, xname, yname)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(xname)
    ax.set_ylabel(yname)
    if drawn:
        ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    ax.set_title(title or "coexisting attractors")
    fig.tight_layout()
    return _save(fig, path)


def _absent(ax, name: str) -> None:
    ax.text(
        0.5,
        0.5,
        f"{name}: not in the store",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.35",
    )
    ax.set_xticks([])
    ax.set_yticks([])


def _slices(ds: xr.Dataset, axis: str, n_slices: int) -> list[tuple[str, dict[str, int]]]:
    """(label, indexers) for up to ``n_slices`` values of the first swept parameter other than
    ``axis``; further parameters at their middle grid value."""
    others = [p for p in swept_parameters(ds) if p != axis]
    rest = {p: ds.sizes[p] // 2 for p in others[1:]}
    if not others:
        return [("", rest)]
    other = others[0]
    picks = np.unique(np.linspace(0, ds.sizes[other] - 1, n_slices).round().astype(int))
    return [(f"{other} = {ds[other].values[i]:.4g}", {other: int(i), **rest}) for i in picks]


def _by_axis(var: xr.DataArray, axis: str, where: dict[str, int]) -> np.ndarray:
    """Values of ``var`` at ``where`` as an array (len(axis), rest), e.g. one column per IC."""
    part = var.isel(where).transpose(axis, ...)
    return np.asarray(part.values, dtype=np.float64).reshape(part.sizes[axis], -1)


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of each row over its finite entries; NaN for a row with none."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _measure(ds: xr.Dataset, name: str) -> xr.DataArray:
    var = ds[name]
    return var.isel(exponent=0) if "exponent" in var.dims else var


def measures_figure(
    ds: xr.Dataset, names: list[str], path: Path, *, n_slices: int = 4, title: str = ""
) -> Path:
    """:func:`draw_measures` written to ``path``."""
    return _save(draw_measures(ds, names, n_slices=n_slices, title=title), path)


def draw_measures(ds: xr.Dataset, names: list[str], *, n_slices: int = 4, title: str = ""):
    """Measures ``names`` (rows) against each swept parameter (columns): one line per slice
    of the other parameter, the mean over initial states, with each initial state as a dot.
    An output with an ``exponent`` dimension (``lyapunov``) shows the largest exponent; one
    with a ``band`` (``kuramoto_R``) gets a band of ± that output (``kuramoto_R_std``, its
    fluctuation in time) where it is stored, one with a ``reference`` a dashed line there. A
    measure the store lacks gets a panel that says so. Returns the matplotlib figure."""
    plt = _pyplot()
    axes_names = swept_parameters(ds)
    rows, cols = len(names), len(axes_names)
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 2.7 * rows + 0.6), squeeze=False)
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, n_slices))
    for r, name in enumerate(names):
        measure = MEASURES[name]
        for c, axis in enumerate(axes_names):
            ax = axes[r, c]
            ax.set_xlabel(axis)
            if name not in ds:
                _absent(ax, name)
                continue
            var = _measure(ds, name)
            spread = _measure(ds, measure.band) if measure.band and measure.band in ds else None
            x = ds[axis].values
            for k, (label, where) in enumerate(_slices(ds, axis, n_slices)):
                values = _by_axis(var, axis, where)
                mean = _row_mean(values)
                colour = colours[k % len(colours)]
                ax.plot(x, mean, "-", color=colour, lw=1.6, label=label or None)
                ax.plot(
                    np.repeat(x, values.shape[1]),
                    values.ravel(),
                    ".",
                    color=colour,
                    ms=3,
                    alpha=0.5,
                )
                if spread is not None:
                    std = _row_mean(_by_axis(spread, axis, where))
                    ax.fill_between(x, mean - std, mean + std, color=colour, alpha=0.15, lw=0)
            if measure.reference is not None:
                ax.axhline(measure.reference, color="0.5", lw=0.8, ls="--")
            ax.set_ylabel(f"{measure.label}1" if "exponent" in measure.dims else measure.label)
            if r == 0 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def phase_portrait_figure(
    ds: xr.Dataset, point: Point, path: Path, *, ics: list[int] | None = None, title: str = ""
) -> Path | None:
    """:func:`draw_phase_portraits` written to ``path``; None when the store kept no states."""
    fig = draw_phase_portraits(ds, point, ics=ics, title=title)
    return None if fig is None else _save(fig, path)


def draw_phase_portraits(
    ds: xr.Dataset, point: Point, *, ics: list[int] | None = None, title: str = ""
):
    """Phase portraits at ``point`` from the kept states: top row each node's first against
    second variable (``x_i`` vs ``y_i``), bottom row the nodes' first variables pairwise
    (``x_i`` vs ``x_j``); dots coloured by iteration, or, with ``ics``, those initial states
    overlaid in one colour each (``point.ic`` then unused). Returns the matplotlib figure, or
    None when the store kept no states. A network of more than :data:`MAX_PORTRAIT_NODES` nodes
    gets :func:`draw_space_time` instead (of ``point.ic``, or the first of ``ics``). ``title``
    replaces the default one (the point's label and parameters)."""
    groups = node_variables(ds)
    if not groups:
        return None
    if len(groups) > MAX_PORTRAIT_NODES:
        if ics:
            point = Point(point.label, point.parameters, ics[0], point.slug)
        return draw_space_time(ds, point, title=title)
    plt = _pyplot()
    nodes = [names for names in groups.values()]
    top = [(v[0], v[1]) for v in nodes if len(v) >= 2]
    firsts = [v[0] for v in nodes]
    bottom = [(a, b) for i, a in enumerate(firsts) for b in firsts[i + 1 :]]
    if len(nodes) == 1:
        names = nodes[0]
        top, bottom = [(names[0], n) for n in names[1:]], []
    rows = [row for row in (top, bottom) if row]
    cols = max(len(row) for row in rows)
    fig, axes = plt.subplots(
        len(rows), cols, figsize=(3.6 * cols, 3.4 * len(rows) + 0.5), squeeze=False
    )
    runs = [point.ic] if ics is None else list(ics)
    colours = plt.get_cmap("tab10")(np.arange(len(runs)) % 10)
    time = ds["iteration"].values
    for r, row in enumerate(rows):
        for c in range(cols):
            ax = axes[r, c]
            if c >= len(row):
                ax.set_axis_off()
                continue
            a, b = row[c]
            drawn = False
            for ic, colour in zip(runs, colours, strict=True):
                state = ds.sel({**point.parameters, "ic": ic})
                xa, xb = state[a].values, state[b].values
                if not np.isfinite(xa).any():
                    continue
                if ics is None:
                    ax.scatter(xa, xb, c=time, cmap="plasma", s=4, linewidths=0)
                else:
                    ax.scatter(xa, xb, color=colour, s=3, linewidths=0, label=f"ic {ic}")
                drawn = True
            if not drawn:
                _absent(ax, f"{a} (diverged)")
                continue
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            if ics is not None and r == 0 and c == 0:
                ax.legend(fontsize=7, markerscale=3, loc="best")
    where = ", ".join(f"{k} = {v:.4g}" for k, v in point.parameters.items())
    fig.suptitle(title or f"{point.label}: {where}, ic {point.ic}")
    fig.tight_layout()
    return fig


def draw_space_time(ds: xr.Dataset, point: Point, *, title: str = ""):
    """Space-time plot at ``point`` from the kept states: the first variable of every node
    (``x_i``; columns in node order, i.e. ring or lattice position) against iteration (rows),
    as an image. Returns the matplotlib figure, or None when the store kept no states."""
    groups = node_variables(ds)
    if not groups:
        return None
    plt = _pyplot()
    state = ds.sel(point.selection())
    firsts = [names[0] for names in groups.values()]
    image = np.stack([state[name].values for name in firsts], axis=1)
    time = ds["iteration"].values
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
    shown = ax.imshow(
        image,
        aspect="auto",
        origin="lower",
        interpolation="nearest",
        cmap="viridis",
        extent=(-0.5, len(firsts) - 0.5, time[0], time[-1]),
    )
    variable = firsts[0].rsplit("_", 1)[0]
    fig.colorbar(shown, ax=ax, label=variable)
    ax.set_xlabel("node")
    ax.set_ylabel("iteration")
    where = ", ".join(f"{k} = {v:.4g}" for k, v in point.parameters.items())
    ax.set_title(title or f"{point.label}: {where}, ic {point.ic}")
    fig.tight_layout()
    return fig


def basins_figure(ds: xr.Dataset, path: Path, *, title: str = "") -> Path:
    """The basins of attraction of a :func:`neurodyn.analysis.basins.basins` store: every
    cell coloured by the attractor its initial state reached (white: diverged), the periodic
    attractors' points drawn as black-edged markers in their colour, and a legend naming each
    attractor (kind and share of the cells) beside the image."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    plt = _pyplot()
    xname, yname = attr_value(ds.attrs["grid_variables"])
    labels = ds["basin"].transpose(yname, xname).values
    n = ds.sizes["attractor"]
    palette = plt.get_cmap("tab10" if n <= 10 else "tab20")
    colours = [(1.0, 1.0, 1.0, 1.0), *[palette(k % palette.N) for k in range(n)]]
    cmap = ListedColormap(colours)
    fig, ax = plt.subplots(figsize=(10.0, 6.0))
    ax.pcolormesh(
        ds[xname].values,
        ds[yname].values,
        labels,
        cmap=cmap,
        norm=BoundaryNorm(np.arange(-1.5, n + 0.5), cmap.N),
        shading="nearest",
        rasterized=True,
    )
    states = list(ds["state"].values)
    cycle = ds["cycle"].values
    handles = []
    for k in range(n):
        kind = str(ds["attractor_kind"].values[k])
        share = float(ds["attractor_fraction"].values[k])
        handles.append(Patch(color=colours[k + 1], label=f"A{k}: {kind}, {share:.1%} of cells"))
        points = cycle[k][np.isfinite(cycle[k, :, 0])]
        if len(points):
            ax.plot(
                points[:, states.index(xname)],
                points[:, states.index(yname)],
                "o",
                color=colours[k + 1],
                mec="black",
                ms=6,
            )
    diverged = float(ds.attrs.get("diverged_fraction", 0.0))
    if diverged:
        handles.append(Patch(facecolor="white", edgecolor="0.5", label=f"diverged, {diverged:.1%}"))
    ax.set_xlim(ds[xname].values.min(), ds[xname].values.max())
    ax.set_ylim(ds[yname].values.min(), ds[yname].values.max())
    ax.set_xlabel(f"initial {xname}")
    ax.set_ylabel(f"initial {yname}")
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.set_title(title or f"{ds.attrs.get('model', '')}: basins of attraction")
    fig.tight_layout()
    return _save(fig, path)
