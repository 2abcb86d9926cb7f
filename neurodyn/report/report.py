"""Writing a report: read the stores, draw the figures, write the HTML page."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr
from PIL import Image

from ..analysis.measures.registry import figure_outputs
from ..store import open_dataset
from ..store.attrs import attr_value
from ..workflow.continuation import branches_from_dataset
from .captions import FIGURES
from .config import ReportConfig
from .continuation import branch_table, orbit_branches, parameters_text, phenomena_list
from .figures import (
    _pyplot,
    basins_figure,
    coexistence_figure,
    curve_from_dataset,
    measures_figure,
    orbit_figure,
    phase_portrait_figure,
    two_parameter_figure,
)
from .html import RenderedFigure, render_html
from .parallel import draw_all
from .reconstruction import reconstruction_table
from .study import (
    MEASURES,
    Point,
    _slug,
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


_FIXED_FIGURES = (
    "orbit_diagram",
    "two_parameter",
    "coexistence",
    "synchrony",
    "complexity",
    "basins",
)


def _clear_old_figures(figures: Path) -> None:
    """Remove PNGs an earlier report left in ``figures`` (points may have changed)."""
    for path in figures.glob("*.png"):
        if path.stem in _FIXED_FIGURES or path.stem.startswith(("phase_", "portrait_")):
            path.unlink()


def write_report(
    sweep_store: str | os.PathLike[str],
    orbit_store: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    *,
    config: dict[str, Any] | None = None,
    continuation_store: str | os.PathLike[str] | None = None,
    portraits_store: str | os.PathLike[str] | None = None,
    basins_store: str | os.PathLike[str] | None = None,
    reconstruct_store: str | os.PathLike[str] | None = None,
    workers: int = 1,
) -> Path:
    """Write ``out_dir/report.html`` and its figures ``out_dir/figures/*.png``; return the
    path of the HTML file.

    ``sweep_store``: a two-parameter :func:`neurodyn.sim.sweep` store with the measures of
    :data:`~.study.MEASURES` added (any may be missing: the report says which, and its panels
    say so). ``orbit_store``: an :func:`~neurodyn.analysis.bifurcation.orbit_diagram` store, or
    None. ``config``: the settings of :class:`~.config.ReportConfig`.
    ``continuation_store``: a :mod:`neurodyn.workflow.continuation` store, or None: its
    cycle branches are drawn over the orbit diagram, its curves over the two-parameter charts,
    and its bifurcations are listed with their locations. ``portraits_store``: a
    :func:`~neurodyn.workflow.portraits.compute_phase_portraits` store, drawn as
    ``portrait_<k>_<label>.png`` per point; ``basins_store``: a
    :func:`~neurodyn.analysis.basins.basins` store, drawn as ``basins.png``; each caption
    states the parameters used. ``reconstruct_store``: a
    :func:`neurodyn.learn.reconstruct_regimes` store, or None: its table of true against
    reconstructed map. ``workers``: processes drawing the figures (see
    :func:`~.parallel.draw_all`; the files are the same for any number).

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
        swept = set(attr_value(stored.attrs["swept_parameters"]))
        # curves of the further planes are listed (table, phenomena), not drawn over the charts
        curves += [b for _, b in branches if b.kind != "cycle" and set(b.free) == swept]
    notices = _notices(ds, orbit, settings, has_curves=bool(curves))
    fixed = attr_value(ds.attrs.get("fixed_parameters", {}))

    # every figure is drawn first (in `workers` processes), then described in the page
    calls: dict[str, Callable[[], Path | None]] = {}
    if orbit is not None:
        calls["orbit_diagram"] = functools.partial(
            orbit_figure,
            orbit,
            figures_dir / "orbit_diagram.png",
            settings.orbit_variable,
            orbit_branches(branches, orbit),
        )
    calls["two_parameter"] = functools.partial(
        two_parameter_figure,
        ds,
        figures_dir / "two_parameter.png",
        curves=curves,
        points=points,
        ic=settings.ic,
        title=f"{ds.attrs.get('model', '')}: period and largest Lyapunov exponent "
        f"(ic {settings.ic})",
    )
    calls["coexistence"] = functools.partial(
        coexistence_figure, ds, figures_dir / "coexistence.png", curves=curves
    )
    for key in MEASURE_FIGURES:
        names = [output.name for output in figure_outputs(key)]
        calls[key] = functools.partial(
            measures_figure, ds, names, figures_dir / f"{key}.png", n_slices=settings.slices
        )
    for point in points:
        calls[f"phase_{point.slug}"] = functools.partial(
            phase_portrait_figure, ds, point, figures_dir / f"phase_{point.slug}.png"
        )
    section_portraits = (
        _portrait_calls(open_dataset(portraits_store).load(), figures_dir)
        if portraits_store is not None
        else []
    )
    for key, call, _ in section_portraits:
        calls[key] = call
    basins_stored = open_dataset(basins_store).load() if basins_store is not None else None
    if basins_stored is not None:
        calls["basins"] = functools.partial(
            basins_figure, basins_stored, figures_dir / "basins.png"
        )
    _pyplot()  # matplotlib imported here once, not by each drawing process
    drawn = dict(zip(calls, draw_all(list(calls.values()), workers), strict=True))

    figures: list[RenderedFigure | None] = []
    if orbit is not None:
        figure = _rendered("orbit_diagram", drawn["orbit_diagram"], out)
        held = attr_value(orbit.attrs.get("fixed_parameters", {}))
        swept = orbit[orbit.attrs["parameter"]]
        figure.detail = (
            f"Parameters: {swept.name} from {float(swept.min()):.6g} to {float(swept.max()):.6g}; "
            f"{parameters_text(held)}; variable "
            f"{settings.orbit_variable or str(orbit['state'].values[0])}."
        )
        figures.append(figure)
    figure = _rendered("two_parameter", drawn["two_parameter"], out)
    if figure is not None:
        figure.detail = f"Fixed parameters: {parameters_text(fixed) or 'model defaults'}."
    figures.append(figure)
    figure = _rendered("coexistence", drawn["coexistence"], out)
    if figure is not None:
        figure.detail = (
            f"Fixed parameters: {parameters_text(fixed) or 'model defaults'}; "
            f"{ds.sizes.get('ic', 1)} initial states per point."
        )
        figures.append(figure)
    for key in MEASURE_FIGURES:
        figures.append(_rendered(key, drawn[key], out))
    for key, _, describe in section_portraits:
        figure = _rendered("portraits", drawn[key], out)
        if figure is not None:
            describe(figure)
            figures.append(figure)
    if basins_stored is not None:
        figure = _rendered("basins", drawn["basins"], out)
        xname, yname = attr_value(basins_stored.attrs["grid_variables"])
        where = attr_value(basins_stored.attrs.get("point", basins_stored.attrs["parameters"]))
        figure.detail = (
            f"Parameters: {parameters_text(where)} "
            f"({basins_stored.attrs.get('reason', 'given')}); grid {basins_stored.sizes[xname]} x "
            f"{basins_stored.sizes[yname]} over {xname} and {yname}, other variables at "
            f"{parameters_text(attr_value(basins_stored.attrs['base_state']), (xname, yname))}; "
            f"transient {basins_stored.attrs['transient']} iterations, then "
            f"{basins_stored.attrs['samples']} compared."
        )
        figures.append(figure)
    portraits = {}
    for k, point in enumerate(points, start=1):
        figure = _rendered("phase_portrait", drawn[f"phase_{point.slug}"], out)
        if figure is not None:
            figure.title = f"Phase portraits at point {k} ({point.label})"
            portraits[point.slug] = figure

    stores = {"sweep": str(sweep_store)}
    if orbit_store is not None:
        stores["orbit"] = str(orbit_store)
    stores.update({f"curve {k}": str(p) for k, p in enumerate(settings.curves, start=1)})
    if continuation_store is not None:
        stores["continuation"] = str(continuation_store)
    if portraits_store is not None:
        stores["phase portraits"] = str(portraits_store)
    if basins_store is not None:
        stores["basins"] = str(basins_store)
    if reconstruct_store is not None:
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


def _portrait_calls(
    stored: xr.Dataset, figures_dir: Path
) -> list[tuple[str, Callable[[], Path | None], Callable[[RenderedFigure], None]]]:
    """The figures of a phase-portrait store, one per point with its initial states overlaid
    (:func:`~.figures.phase_portrait_figure` on the variables the section names), each as
    ``(key, draw, describe)``: ``draw()`` writes ``portrait_<k>_<label>.png``,
    ``describe(figure)`` sets the rendered figure's title and parameter caption."""
    shown = attr_value(stored.attrs["variables"])
    shared = attr_value(stored.attrs["parameters"])
    varying = attr_value(stored.attrs["varying_parameters"])
    calls = []
    for k in range(stored.sizes["point"]):
        here = stored.isel(point=k)
        view = here["trajectory"].sel(state=shown).to_dataset("state")
        view.attrs["model"] = stored.attrs["model"]
        values = {**shared, **{name: float(here[name]) for name in varying}}
        label = str(here["label"].values)
        point = Point(label, {}, 0, _slug(label))
        where = parameters_text({name: values[name] for name in varying} or values)
        draw = functools.partial(
            phase_portrait_figure,
            view,
            point,
            figures_dir / f"portrait_{k + 1}_{point.slug}.png",
            ics=[int(i) for i in stored["ic"].values],
            title=f"{label}: {where}",
        )
        periods = ", ".join(str(int(p)) for p in here["period"].values)
        title = f"{FIGURES['portraits'].title}: point {k + 1} ({label})"
        detail = (
            f"Parameters: {parameters_text(values)} ({here['reason'].values}); "
            f"{stored.sizes['ic']} initial states, transient {stored.attrs['transient']} "
            f"iterations, then {stored.attrs['steps']} (every {stored.attrs['every']}); "
            f"periods found per initial state: {periods} (0: none up to the maximum)."
        )

        def describe(figure: RenderedFigure, title: str = title, detail: str = detail) -> None:
            figure.title = title
            figure.detail = detail

        calls.append((f"portrait_{k + 1}", draw, describe))
    return calls


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
