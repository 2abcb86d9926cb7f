"""Parameter sweeps of map models (and networks of maps) into labelled xarray Datasets, with
noise and input amplitudes as axes of the grid like parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..models import Model
from ..models.drive import drive_axis, drive_spec_attrs, make_drive
from ..provenance import provenance
from ..run_lengths import sweep_window
from .batch import iterate_batch
from .grid import check_memory, grid_batch, grid_columns
from .schedule import check_schedule

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["initial_states", "sweep", "sweep_bytes"]


def initial_states(
    model: Model, n_initial: int = 1, seed: int = 0, initial: np.ndarray | None = None
) -> np.ndarray:
    """Initial states, shape ``(n_initial, n_state)``, the same for every parameter point.

    ``initial`` given: used as is. Otherwise one initial state is the model's default state, and
    several are drawn uniformly from each state variable's box with ``numpy.random.default_rng(
    seed)`` -- so they do not depend on how a sweep is split into chunks or jobs.
    """
    if initial is not None:
        states = np.atleast_2d(np.asarray(initial, dtype=np.float64))
        if states.ndim != 2 or states.shape[1] != model.n_state:
            raise ValueError(
                f"initial states need {model.n_state} columns "
                f"({', '.join(model.state_names)}), got shape {states.shape}"
            )
        bad = np.argwhere(~np.isfinite(states))
        if bad.size:
            row, column = bad[0]
            raise ValueError(
                f"initial state {row} has {model.state_names[column]} = {states[row, column]}; "
                "initial states must be finite"
            )
        return states
    if n_initial < 1:
        raise ValueError(f"n_initial must be at least 1, not {n_initial}")
    if n_initial == 1:
        return model.initial_state()[None, :]
    rng = np.random.default_rng(seed)
    low = np.array([v.low for v in model.state])
    high = np.array([v.high for v in model.state])
    return rng.uniform(low, high, size=(n_initial, model.n_state))


def sweep(
    model: Model,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float] | None = None,
    *,
    steps: int,
    transient: int | None = None,
    keep: int = 0,
    every: int = 1,
    n_initial: int = 1,
    initial: np.ndarray | None = None,
    seed: int = 0,
    distinct_window: int | None = None,
    distinct_tol: float = 1e-6,
    max_distinct: int = 64,
    bound: float | None = None,
    threads: int | None = None,
    chunk_size: int | None = None,
    progress: bool = False,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
    noise: dict[str, object] | None = None,
    inputs: dict[str, object] | None = None,
    point_index: np.ndarray | None = None,
    ic_index: np.ndarray | None = None,
) -> xr.Dataset:
    """Iterate ``model`` on the full grid over ``axes`` (with ``fixed`` values for the rest).

    Each point runs ``transient`` iterations, then ``steps`` more (:mod:`neurodyn.run_lengths`);
    min, max and mean are taken over the ``steps``, and the last ``keep`` states at stride
    ``every`` are kept. Distinct values of the first state variable are counted over the last
    ``distinct_window`` iterations (default: ``min(512, steps)``). Without ``transient``,
    ``steps`` is read as the total as before (transient ``steps - keep * every``, or half of
    ``steps`` when nothing is kept), with a deprecation warning; ``transient`` will be needed.

    Returns a Dataset with one coordinate per swept parameter, ``ic`` (initial state index) and
    ``iteration`` (of the kept states), and variables ``<v>`` (kept states), ``<v>_min``,
    ``<v>_max``, ``<v>_mean``, ``<v>_final``, ``<v>_initial``, ``distinct`` and ``diverged``.

    ``backend`` (numba, torch), ``device`` (auto, cpu, cuda) and ``dtype`` (float64, float32;
    torch only) choose what computes it (:mod:`neurodyn.backends`); the Dataset is the same
    whatever the choice, with ``backend``, ``device`` and ``dtype`` in its attrs (float32 values
    are stored as float64 and flagged by ``dtype`` and ``precision``).

    Noise and input (maps): ``noise`` and ``inputs`` as :mod:`neurodyn.models.drive` says
    (``X' = f(X; P + h ξ_P) + g ξ_X + A u_n``); an axis ``noise_<name>`` sweeps a noise
    amplitude, ``input_<name>`` an input amplitude. The normals of grid point ``k`` and initial
    state ``j`` come from the counter-based stream of ``(seed, point_index[k], ic_index[j],
    iteration, channel)``: ``point_index`` (default ``0, 1, ...`` in C order over the axes) and
    ``ic_index`` (default ``0, 1, ...``; also the ``ic`` coordinate) are the global indices
    when this sweep is one block of a larger grid, so a point's numbers do not depend on the
    chunks, threads, jobs or backend. A sweep of one axis with one initial state equals
    ``trajectory()`` of the same points as a batch (same seed).
    """
    fixed = dict(fixed or {})
    check_schedule(steps=steps, transient=transient or 0, keep=keep, every=every, bound=bound)
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    transient, recorded = sweep_window(steps, transient, keep, every, where="sweep()")
    if keep * every > recorded:
        raise ValueError(
            f"keep={keep} states at stride every={every} need steps >= {keep * every} after "
            f"the transient, not steps={recorded}"
        )
    end = transient + recorded
    if distinct_window is None:
        distinct_window = min(512, recorded)
    ics = initial_states(model, n_initial, seed, initial)
    n_ic = ics.shape[0]
    axes = {name: np.asarray(values, dtype=np.float64) for name, values in axes.items()}
    n_points = int(np.prod([len(v) for v in axes.values()], dtype=object))
    check_memory(
        sweep_bytes(model, n_points * n_ic, keep, max_distinct),
        f"a sweep of {n_points} grid points x {n_ic} initial states keeping {keep} states",
    )
    drive_names = tuple(name for name in axes if drive_axis(model, name))
    P = grid_batch(model, axes, fixed, n_ic, drive_names)
    X = np.tile(ics.T, (1, n_points))
    point_index = _indices("point_index", point_index, n_points)
    ic_index = _indices("ic_index", ic_index, n_ic)
    drive = None
    if noise or inputs or drive_names:
        columns = grid_columns(axes, n_ic)
        drive = make_drive(
            model,
            noise,
            inputs,
            {name: columns[name] for name in drive_names},
            transient + recorded,
            seed,
            np.repeat(point_index, n_ic),
            np.tile(ic_index, n_points),
        )
    result = iterate_batch(
        model,
        X,
        P,
        steps=recorded,
        transient=transient,
        every=every,
        keep=keep,
        distinct_window=distinct_window,
        max_distinct=max_distinct,
        distinct_tol=distinct_tol,
        bound=bound,
        threads=threads,
        chunk_size=chunk_size,
        progress=progress,
        backend=backend,
        device=device,
        dtype=dtype,
        drive=drive,
    )
    grid_shape = (*(len(v) for v in axes.values()), n_ic)
    dims = (*axes, "ic")
    data_vars: dict[str, tuple] = {}
    for r, name in enumerate(model.state_names):
        if keep:
            kept = result.kept[:, r, :].T.reshape(*grid_shape, keep)
            data_vars[name] = ((*dims, "iteration"), kept, {"long_name": f"{name} (kept states)"})
        for stat, array in (
            ("min", result.minimum),
            ("max", result.maximum),
            ("mean", result.mean),
        ):
            data_vars[f"{name}_{stat}"] = (
                dims,
                array[r].reshape(grid_shape),
                {"long_name": f"{stat} of {name} over iterations {transient + 1}..{end}"},
            )
        data_vars[f"{name}_final"] = (dims, result.final[r].reshape(grid_shape))
        data_vars[f"{name}_initial"] = (("ic",), ics[:, r])
    data_vars["distinct"] = (
        dims,
        result.distinct.reshape(grid_shape),
        {
            "long_name": f"number of distinct values of {model.state_names[0]}",
            "window": distinct_window,
            "tolerance": distinct_tol,
            "convention": "values within tolerance*max(1,|v|) count once; "
            f"{max_distinct + 1} means more than {max_distinct}; -1 for diverged points",
        },
    )
    data_vars["diverged"] = (
        dims,
        result.diverged.reshape(grid_shape),
        {"long_name": "state became non-finite or left [-bound, bound]; its values are NaN"},
    )
    from ..store.attrs import IC_ATTRS, ITERATION_ATTRS  # the store package imports xarray

    coords = {name: (name, values, _axis_attrs(model, name)) for name, values in axes.items()}
    coords["ic"] = ("ic", ic_index.astype(np.int64), IC_ATTRS)
    if keep:
        coords["iteration"] = ("iteration", result.kept_iterations, ITERATION_ATTRS)
    resolved = model.resolve_parameters(fixed)
    attrs = {
        "model": model.name,
        "model_kind": model.kind,
        "model_source": model.source,
        "equations": dict(zip(model.state_names, model.equations, strict=True)),
        "fixed_parameters": {k: v for k, v in resolved.items() if k not in axes},
        "swept_parameters": list(axes),
        "seed": seed,
        "steps": recorded,
        "transient": transient,
        "keep": keep,
        "every": every,
        "bound": result.schedule.bound,
        "time_unit": "iteration",
        **result.backend.attrs(),
        **(drive_spec_attrs(noise, inputs, drive_names) if drive is not None else {}),
        **provenance(),
    }
    import xarray as xr  # imported when a Dataset is made: it takes longer than the rest

    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def sweep_bytes(model: Model, runs: int, keep: int, max_distinct: int = 64) -> int:
    """About the memory a sweep of ``runs`` (grid points x initial states) needs, in bytes:
    parameters, states, statistics, distinct values and kept states as float64, the kept states
    and statistics once more while the Dataset is built."""
    per_run = len(model.parameters) + model.n_state * (2 * keep + 9) + max_distinct + 2
    return 8 * runs * per_run


def _indices(what: str, values: np.ndarray | None, n: int) -> np.ndarray:
    """``values`` (default ``0 .. n - 1``) as ``n`` distinct non-negative integers (uint64)."""
    if values is None:
        return np.arange(n, dtype=np.uint64)
    array = np.asarray(values)
    if (
        array.shape != (n,)
        or not np.issubdtype(array.dtype, np.integer)
        or np.any(array < 0)
        or np.unique(array).size != n
    ):
        raise ValueError(f"{what} must be {n} distinct non-negative integers, not {values!r}")
    return array.astype(np.uint64)


def _axis_attrs(model: Model, name: str) -> dict[str, object]:
    drive = drive_axis(model, name)
    if drive is not None:
        kind, target = drive
        if kind == "noise":
            what = "additive noise on" if target in model.state_names else "noise on parameter"
            return {"long_name": f"amplitude of {what} {target}", "valid_min": 0.0}
        return {"long_name": f"amplitude of the input to {target}"}
    p = model.parameter(name)
    return {"units": p.unit, "long_name": p.description or name, "valid_range": [p.low, p.high]}
