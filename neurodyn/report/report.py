"""Writing a report: read the stores, draw the figures, write the HTML page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xarray as xr
from PIL import Image

from ..analysis.measures.registry import figure_outputs
from ..store import open_dataset
from ..store.attrs import attr_value
from ..workflow.continuation import branches_from_dataset
from .config import ReportConfig
from .continuation import branch_table, orbit_branches, parameters_text, phenomena_list
from .figures import (
    coexistence_figure,
    curve_from_dataset,
    measures_figure,
    orbit_figure,
    phase_portrait_figure,
    two_parameter_figure,
)
from .html import RenderedFigure, render_html
from .study import (
    MEASURES,
    choose_points,
    missing_measures,
    node_variables,
    normalise_sweep,
    swept_parameters,
)

__all__ = ["MEASURE_FIGURES", "write_report"]

#: The figures of measures against the swept parameters; their rows are the registered outputs
#: naming them (:func:`neurodyn.analysis.measures.registry.figure_outputs`).
MEASURE_FIGURES = ("synchrony", "complexity")


def _rendered(key: str, path: Path | None, out: Path) -> RenderedFigure | None:
    if path is None:
        return None
    with Image.open(path) as image:
        size = image.size
    return RenderedFigure(key, path.relative_to(out).as_posix(), size)


_FIXED_FIGURES = ("orbit_diagram", "two_parameter", "coexistence", "synchrony", "complexity")


def _clear_old_figures(figures: Path) -> None:
    """Remove PNGs an earlier report left in ``figures`` (points may have changed)."""
    for path in figures.glob("*.png"):
        if path.stem in _FIXED_FIGURES or path.stem.startswith("phase_"):
            path.unlink()


def write_report(
    sweep_store: str | os.PathLike[str],
    orbit_store: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    *,
    config: dict[str, Any] | None = None,
    continuation_store: str | os.PathLike[str] | None = None,
    reconstruct_store: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``out_dir/report.html`` and its figures ``out_dir/figures/*.png``; return the
    path of the HTML file.

    ``sweep_store``: a two-parameter :func:`neurodyn.sim.sweep` store with the measures of
    :data:`~.study.MEASURES` added (any may be missing: the report says which, and its panels
    say so). ``orbit_store``: an :func:`~neurodyn.analysis.bifurcation.orbit_diagram` store, or
    None. ``config``: the settings of :class:`~.config.ReportConfig`.
    ``continuation_store``: a :mod:`neurodyn.workflow.continuation` store, or None: its
    cycle branches are drawn over the orbit diagram, its curves over the two-parameter charts,
    and its bifurcations are listed with their locations. ``reconstruct_store``: a
    :func:`neurodyn.learn.reconstruct_regimes` store, or None: its table of true against
    reconstructed map.

    Figures: ``orbit_diagram.png``, ``two_parameter.png``, ``synchrony.png``,
    ``complexity.png`` and ``phase_<point>.png`` per point shown in detail; their captions are
    those of :data:`~.captions.FIGURES`.
    """
    settings = ReportConfig.from_dict(config)
    out = Path(out_dir)
    figures_dir = out / "figures"
    figures_dir.mkdir(parents=True, exist_ok=True)
    _clear_old_figures(figures_dir)
    ds = normalise_sweep(open_dataset(sweep_store))
    orbit = open_dataset(orbit_store) if orbit_store is not None else None
    points = choose_points(ds, settings.points or None)
    curves = [curve_from_dataset(open_dataset(path)) for path in settings.curves]
    branches, notes = [], []
    if continuation_store is not None:
        stored = open_dataset(continuation_store).load()
        branches = branches_from_dataset(stored)
        notes = attr_value(stored.attrs.get("notes", []))
        curves += [b for _, b in branches if b.kind != "cycle"]
    notices = _notices(ds, orbit, settings, has_curves=bool(curves))
    fixed = attr_value(ds.attrs.get("fixed_parameters", {}))

    figures: list[RenderedFigure | None] = []
    if orbit is not None:
        path = orbit_figure(
            orbit,
            figures_dir / "orbit_diagram.png",
            settings.orbit_variable,
            orbit_branches(branches, orbit),
        )
        figure = _rendered("orbit_diagram", path, out)
        held = attr_value(orbit.attrs.get("fixed_parameters", {}))
        swept = orbit[orbit.attrs["parameter"]]
        figure.detail = (
            f"Parameters: {swept.name} from {float(swept.min()):.6g} to {float(swept.max()):.6g}; "
            f"{parameters_text(held)}; variable "
            f"{settings.orbit_variable or str(orbit['state'].values[0])}."
        )
        figures.append(figure)
    chart = two_parameter_figure(
        ds,
        figures_dir / "two_parameter.png",
        curves=curves,
        points=points,
        ic=settings.ic,
        title=f"{ds.attrs.get('model', '')}: period and largest Lyapunov exponent "
        f"(ic {settings.ic})",
    )
    figure = _rendered("two_parameter", chart, out)
    if figure is not None:
        figure.detail = f"Fixed parameters: {parameters_text(fixed) or 'model defaults'}."
    figures.append(figure)
    path = coexistence_figure(ds, figures_dir / "coexistence.png", curves=curves)
    figure = _rendered("coexistence", path, out)
    if figure is not None:
        figure.detail = (
            f"Fixed parameters: {parameters_text(fixed) or 'model defaults'}; "
            f"{ds.sizes.get('ic', 1)} initial states per point."
        )
        figures.append(figure)
    for key in MEASURE_FIGURES:
        names = [output.name for output in figure_outputs(key)]
        path = measures_figure(ds, names, figures_dir / f"{key}.png", n_slices=settings.slices)
        figures.append(_rendered(key, path, out))
    portraits = {}
    for k, point in enumerate(points, start=1):
        path = phase_portrait_figure(ds, point, figures_dir / f"phase_{point.slug}.png")
        figure = _rendered("phase_portrait", path, out)
        if figure is not None:
            figure.title = f"Phase portraits at point {k} ({point.label})"
            portraits[point.slug] = figure

    stores = {"sweep": str(sweep_store)}
    if orbit_store is not None:
        stores["orbit"] = str(orbit_store)
    stores.update({f"curve {k}": str(p) for k, p in enumerate(settings.curves, start=1)})
    if continuation_store is not None:
        stores["continuation"] = str(continuation_store)
    if reconstruct_store is not None:
        from .reconstruction import reconstruction_table

        stores["reconstruct"] = str(reconstruct_store)
    page = render_html(
        title=settings.title or f"{ds.attrs.get('model', 'Sweep')}: bifurcations and synchrony",
        ds=ds,
        orbit=orbit,
        points=points,
        figures=[f for f in figures if f is not None],
        portraits=portraits,
        notices=notices,
        stores=stores,
        sections=(
            phenomena_list(ds, branches),
            *((branch_table(branches, notes),) if continuation_store is not None else ()),
            *(
                (reconstruction_table(open_dataset(reconstruct_store).load()),)
                if reconstruct_store is not None
                else ()
            ),
        ),
    )
    report = out / "report.html"
    report.write_text(page, encoding="utf-8")
    return report


def _notices(
    ds: xr.Dataset, orbit: xr.Dataset | None, settings: ReportConfig, has_curves: bool = False
) -> list[tuple[str, str]]:
    """What the report cannot show, each as ``(key, text)``."""
    notices = [
        (
            name,
            f"The sweep store holds no '{name}' ({MEASURES[name].description}): its panels say "
            "so and the tables leave it out.",
        )
        for name in missing_measures(ds)
    ]
    swept = swept_parameters(ds)
    if len(swept) != 2:
        notices.append(
            ("two_parameter", f"No two-parameter charts: the sweep is over {', '.join(swept)}.")
        )
    elif "period" not in ds and "lyapunov" not in ds:
        notices.append(("two_parameter", "No period or Lyapunov chart: neither is stored."))
    if orbit is None:
        notices.append(("orbit", "No orbit-diagram store was given: no orbit diagram."))
    if not node_variables(ds):
        notices.append(("phase_portrait", "The sweep kept no states (keep=0): no phase portraits."))
    if not has_curves:
        notices.append(
            (
                "curves",
                "No bifurcation curves were given (setting 'curves' or a 'continuation' "
                "section): the two-parameter charts show the grid only.",
            )
        )
    if "diverged" in ds:
        n = int(ds["diverged"].values.sum())
        if n:
            notices.append(
                ("diverged", f"{n} of {ds['diverged'].size} trajectories diverged (NaN).")
            )
    return notices
