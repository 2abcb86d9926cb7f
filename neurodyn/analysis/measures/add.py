"""Adding measures to a sweep: :func:`add_measures` reads the registry and runs each measure."""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ...models import Model, ModelError, node_rows
from ...models.builders import rebuild_candidates
from ...store import open_dataset, write_dataset
from ...store.attrs import EXPONENT_ATTRS, attr_value
from .context import Context, Grid, SeriesSource
from .registry import MEASURES, Measure, Option, positive

COORD_ATTRS = {"exponent": EXPONENT_ATTRS}
"""Attributes of the coordinates of measures' extra dimensions."""

__all__ = ["COMMON_OPTIONS", "DEFAULT_STEPS", "add_measures"]

DEFAULT_STEPS = 2000
"""Iterations continued from the final states when the sweep kept no trajectories."""

COMMON_OPTIONS = (
    Option("every", 1, "sampling stride of continued series, in iterations", positive),
)
"""Options of every series measure (where their states come from)."""


def add_measures(
    data: xr.Dataset | str | os.PathLike[str],
    measures: Sequence[str],
    model: Model | None = None,
    *,
    variable: str | None = None,
    node_variable: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    threads: int | None = None,
    progress: bool = False,
    **options: Any,
) -> xr.Dataset:
    """Add ``measures`` (names of :data:`~.registry.MEASURES`) as variables to a sweep Dataset.

    Parameters
    ----------
    data
        A Dataset from :func:`neurodyn.sim.sweep` (dims: swept parameters and ``ic``; variables
        ``<v>_final`` and ``diverged``; attrs ``model``, ``fixed_parameters``), or the path of its
        Zarr store: the store is read, measured and written back atomically
        (:func:`neurodyn.store.write_dataset`).
    measures
        Names of registered measures; variables already in the Dataset under the same names are
        replaced.
    model
        The swept model. Default: rebuilt by the Dataset's ``model`` attribute from the
        catalogue or the presets (:func:`neurodyn.models.builders.rebuild_candidates`, e.g.
        ``chialvo_ring_star_<n>``); the rebuilt model's equations must equal the Dataset's
        ``equations`` attribute.
    variable
        State variable of the scalar series (0-1 test, entropies); for a network also a node
        variable (``"x"``), meaning its average over nodes. Default: the first state variable,
        or for a network the node average of ``node_variable``.
    node_variable
        Node variable of the synchrony measures and of the default network series (default
        ``"x"``).
    steps
        Iterations continued from ``<v>_final`` when the sweep kept no states (default
        :data:`DEFAULT_STEPS`), and the Lyapunov run length (unless ``lyapunov_steps``).
    seed
        Seed of the 0-1 test's random frequencies, the same for every point (default: the
        Dataset's ``seed`` attribute, else 0).
    threads
        numba threads of the simulation and Lyapunov kernels (None: numba's current setting).
        Results do not depend on it.
    progress
        Announce the compilation of the Lyapunov kernel and show progress bars over the
        Lyapunov chunks and the points of the series measures (on stderr).
    **options
        The registered measures' options (listed with their defaults in the package
        docstring) and ``every`` (1), the sampling stride of continued series.

    Returns
    -------
    xarray.Dataset
        A copy of the Dataset with the measures' variables (see the package docstring).

    Raises
    ------
    ValueError
        For an unknown measure or option, a network measure on a model that is not a network,
        a Dataset that is not a sweep of the model, or series too short for a measure.
    """
    if isinstance(data, (str, os.PathLike)):
        measured = add_measures(
            open_dataset(data).load(),
            measures,
            model,
            variable=variable,
            node_variable=node_variable,
            steps=steps,
            seed=seed,
            threads=threads,
            progress=progress,
            **options,
        )
        write_dataset(measured, data)
        return measured
    selected = _check_measures(measures)
    opts = _parse_options(options)
    model = _model_of(data, model)
    grid = Grid.of(data, model)
    deterministic = [m.name for m in selected if not m.reads_states]
    if grid.driven and deterministic:
        raise ValueError(
            f"measures {deterministic} compute from the map without its noise and input; the "
            "sweep ran with them (measures that read its kept states apply)"
        )
    ctx = Context(
        data=data,
        model=model,
        grid=grid,
        options=opts,
        steps=DEFAULT_STEPS if steps is None else positive("steps", steps),
        seed=int(data.attrs.get("seed", 0)) if seed is None else int(seed),
        threads=threads,
        node_variable="x" if node_variable is None else node_variable,
        progress=progress,
    )
    new: dict[str, xr.Variable] = {}
    coords: dict[str, np.ndarray] = {}
    for measure in selected:
        if measure.kind == "grid":
            values, run_attrs = measure.function(ctx)
            for out in measure.outputs:
                attrs = {"long_name": out.long_name, "units": out.units, **out.attrs(ctx)}
                new[out.name] = grid.variable(values[out.name], {**attrs, **run_attrs}, out.dims)
    series = [m for m in selected if m.kind != "grid"]
    if series:
        _prepare_series(ctx, series, variable, opts.every)
        new.update(_series_measures(ctx, series))
    for var in new.values():
        for dim in var.dims[len(grid.dims) :]:
            coords[dim] = (dim, np.arange(1, var.sizes[dim] + 1), COORD_ATTRS.get(dim, {}))
    ordered = {o.name: new[o.name] for m in selected for o in m.outputs}
    result = data.drop_vars([n for n in ordered if n in data]).assign_coords(coords)
    result = result.assign(ordered)
    for stores in dict.fromkeys(m.stores for m in selected if m.stores is not None):
        stored = stores(ctx)
        if stored is not None:
            names = [n for n in stored.variables if n in result and n not in grid.dims]
            result = result.drop_vars(names).merge(stored)
    return result


# ----------------------------------------------------------------------------- input checks


def _check_measures(measures: Sequence[str]) -> list[Measure]:
    if isinstance(measures, str):
        measures = [measures]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown} (available: {', '.join(MEASURES)})")
    return [m for name, m in MEASURES.items() if name in measures]


def _options() -> dict[str, Option]:
    """Every registered option by name (the measures' and :data:`COMMON_OPTIONS`)."""
    known = {o.name: o for o in COMMON_OPTIONS}
    for measure in MEASURES.values():
        known.update({o.name: o for o in measure.options})
    return known


def _parse_options(options: dict[str, Any]) -> SimpleNamespace:
    known = _options()
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} of add_measures (known: {', '.join(known)})")
    values = {name: options.get(name, option.default) for name, option in known.items()}
    for name, option in known.items():
        if option.check is not None:
            option.check(name, values[name])
    return SimpleNamespace(**values)


def _recorded_equations(ds: xr.Dataset) -> dict[str, str] | None:
    return attr_value(ds.attrs.get("equations"))


def _model_of(ds: xr.Dataset, model: Model | None) -> Model:
    """``model``, checked against the Dataset, or the model rebuilt from its attributes."""
    if model is None:
        name = ds.attrs.get("model")
        if not name:
            raise ValueError("the Dataset has no 'model' attribute: pass the model")
        recorded = _recorded_equations(ds)
        for candidate in rebuild_candidates(str(name)):
            equations = dict(zip(candidate.state_names, candidate.equations, strict=True))
            if recorded is None or equations == recorded:
                model = candidate
                break
        else:
            raise ValueError(
                f"cannot rebuild model {name!r} from the registry with the equations the "
                "Dataset was computed with: pass the model"
            )
    missing = [f"{v}_final" for v in model.state_names if f"{v}_final" not in ds]
    if missing or "diverged" not in ds:
        raise ValueError(
            f"the Dataset is not a sweep of model {model.name!r}: it lacks "
            f"{missing + ([] if 'diverged' in ds else ['diverged'])}"
        )
    return model


# ----------------------------------------------------------------------------- series measures


def _series_rows(
    model: Model, variable: str | None, node_variable: str, network: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """State rows averaged into the scalar series, and a description of it."""
    if variable is None:
        if network is not None:
            return network, f"average over the nodes of {node_variable}"
        return np.array([0]), f"{model.state_names[0]}"
    if variable in model.state_names:
        return np.array([model.state_names.index(variable)]), variable
    try:
        return node_rows(model, variable), f"average over the nodes of {variable}"
    except ModelError:
        raise ValueError(
            f"variable {variable!r} is not a state variable of model {model.name!r} "
            f"({', '.join(model.state_names)}) nor a node variable of it"
        ) from None


def _network_rows(model: Model, node_variable: str) -> np.ndarray | None:
    try:
        rows = node_rows(model, node_variable)
    except ModelError:
        return None
    return rows if rows.size >= 2 else None


def _prepare_series(
    ctx: Context, measures: list[Measure], variable: str | None, every: int
) -> None:
    """Fill the series part of ``ctx``: where the series come from, the scalar series' rows
    and the network's node rows."""
    model = ctx.model
    ctx.source = SeriesSource.of(ctx.data, model, ctx.grid, ctx.steps, every, ctx.threads)
    ctx.network = _network_rows(model, ctx.node_variable)
    wanted = [m.name for m in measures if m.kind == "network"]
    if ctx.network is None and wanted:
        raise ValueError(
            f"{' and '.join(wanted)} need(s) a network: model {model.name!r} has no node "
            f"variable {ctx.node_variable!r} on two or more nodes (state variables: "
            f"{', '.join(model.state_names)})"
        )
    ctx.rows, ctx.series = _series_rows(model, variable, ctx.node_variable, ctx.network)


def _series_measures(ctx: Context, measures: list[Measure]) -> dict[str, xr.Variable]:
    grid, source = ctx.grid, ctx.source
    outputs = {o.name: np.full(grid.diverged.size, np.nan) for m in measures for o in m.outputs}
    bar = tqdm(
        total=grid.diverged.size,
        desc=", ".join(m.name for m in measures),
        unit="point",
        disable=not ctx.progress,
    )
    for points, states in source.blocks():
        for measure in measures:
            if states.shape[0] < measure.min_samples:
                raise ValueError(
                    f"{measure.name} needs series of at least {measure.min_samples} samples; "
                    f"{source.description} give {states.shape[0]}"
                )
        for column, point in enumerate(points):
            trajectory = states[:, :, column]
            if grid.diverged[point] or not np.all(np.isfinite(trajectory)):
                continue
            for measure in measures:
                try:
                    values = measure.function(ctx, trajectory)
                except ValueError as err:
                    raise ValueError(f"{measure.name} at point {point} of the grid: {err}") from err
                for out, value in zip(measure.outputs, values, strict=True):
                    outputs[out.name][point] = value
        bar.update(len(points))
    bar.close()
    nodes = f"{ctx.node_variable} of each node"
    new = {}
    for measure in measures:
        for out in measure.outputs:
            attrs = {
                "source": source.description,
                "diverged": "NaN",
                "series": nodes if measure.kind == "network" else ctx.series,
                "long_name": out.long_name,
                "units": out.units,
                **out.attrs(ctx),
            }
            new[out.name] = grid.variable(outputs[out.name], attrs, out.dims)
    return new
