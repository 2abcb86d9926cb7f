"""Measures over sweeps: add chaos, complexity and synchrony measures to a sweep Dataset.

:func:`add_measures` takes a Dataset written by :func:`neurodyn.sim.sweep` (or the path of its
Zarr store) and adds one variable per measure, with the grid dimensions of the sweep (the swept
parameters and ``ic``). Every point is measured on its own, from its own states, so a Dataset
measured whole and one measured in chunks along a parameter axis, then merged, hold the same
numbers; measures that draw random numbers (the 0-1 test) use one seed for every point.

Variables written (all float64 unless said otherwise):

=======================  ========================================================================
measure                  variables
=======================  ========================================================================
``lyapunov``             ``lyapunov`` (grid dims + ``exponent``, descending), ``lyapunov_stderr``
``period``               ``period`` (int64; 0 none up to ``max_period``, -1 diverged)
``chaos01``              ``chaos01_K``
``sample_entropy``       ``sample_entropy`` (nats)
``permutation_entropy``  ``permutation_entropy`` (normalised, in [0, 1])
``cross_correlation``    ``cross_correlation`` (networks)
``kuramoto``             ``kuramoto_R``, ``kuramoto_R_std`` (networks)
=======================  ========================================================================

Where the states come from:

- Lyapunov spectra start from the sweep's final states ``<v>_final`` and run the QR method with
  the model's analytic Jacobian (:func:`~neurodyn.analysis.lyapunov.lyapunov_spectrum`), all grid
  points in one batched call.
- Series measures (0-1 test, entropies, synchrony) use the kept states of the sweep when it kept
  them (the variables ``<v>`` with an ``iteration`` dimension), otherwise they continue the
  simulation from ``<v>_final`` for ``steps`` iterations with the batched kernel
  (:func:`~neurodyn.sim.iterate_batch`: deterministic, the same numbers for any thread count or
  chunking). The periods use the kept states when at least ``2 * max_period`` consecutive ones
  were kept, otherwise ``2 * max_period`` iterations continued from ``<v>_final``.
- The scalar series of the 0-1 test and the entropies is the state variable ``variable``
  (default: the first state variable of a single model; for a network the average over nodes of
  ``node_variable``, the mean field). The synchrony measures use each node's ``node_variable``
  (default ``x``).

Points that diverged in the sweep (or while continuing) get NaN (period -1). A measure that is
undefined at a point gets NaN there: the 0-1 test and sample entropy of a constant series (a
fixed point), the cross-correlation of a network with a constant node, the Kuramoto order
parameter where no time has a phase for every node (fewer than two spikes of some node). Every
variable's attrs state the convention, its parameters and where its series came from.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from ..models import Model, ModelError, get_model
from ..networks import chialvo_ring_star, chialvo_rulkov_chain, node_rows
from ..sim import iterate_batch
from ..store import open_dataset, write_dataset
from ..store.attrs import EXPONENT_ATTRS, attr_value
from .bifurcation.periods import PERIOD_CONVENTION, detect_period
from .chaos01 import zero_one_test
from .entropy import permutation_entropy, sample_entropy
from .lyapunov import lyapunov_spectrum
from .sync import (
    cross_correlation_coefficient,
    hilbert_phases,
    kuramoto_order_parameter,
    spike_phases,
)

__all__ = ["DEFAULT_STEPS", "MEASURES", "SPIKE_THRESHOLD", "add_measures"]

MEASURES = (
    "lyapunov",
    "period",
    "chaos01",
    "sample_entropy",
    "permutation_entropy",
    "cross_correlation",
    "kuramoto",
)
"""Names accepted by :func:`add_measures`, in the order their variables are added."""

NETWORK_MEASURES = ("cross_correlation", "kuramoto")
SCALAR_SERIES_MEASURES = ("chaos01", "sample_entropy", "permutation_entropy")

DEFAULT_STEPS = 2000
"""Iterations continued from the final states when the sweep kept no trajectories."""

SPIKE_THRESHOLD = 0.5
"""Default spike threshold on ``x`` for phases of maps: above a Chialvo neuron's resting ``x``
(about k = 0.03 at the classic set) and below its spike peaks (1.2 and up), and crossed upward
once per spike inside the bursts of the chaotic Rulkov (2001) map (spike peaks about 0.5-1.6,
silent phase below -1)."""

_BLOCK_VALUES = 1 << 24  # float64 values of continued states held at once (128 MiB)


@dataclasses.dataclass(frozen=True)
class _Options:
    """Options of the measures (``**options`` of :func:`add_measures`)."""

    n_exponents: int | None = None
    lyapunov_steps: int | None = None
    segments: int = 10
    max_period: int = 32
    period_tol: float = 1e-6
    n_c: int = 100
    m: int = 2
    r: float = 0.2
    tie: str = "<="
    order: int = 3
    delay: int = 1
    threshold: float = SPIKE_THRESHOLD
    phase: str | None = None
    every: int = 1


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
    """Add ``measures`` (names from :data:`MEASURES`) as variables to a sweep Dataset.

    Parameters
    ----------
    data
        A Dataset from :func:`neurodyn.sim.sweep` (dims: swept parameters and ``ic``; variables
        ``<v>_final`` and ``diverged``; attrs ``model``, ``fixed_parameters``), or the path of its
        Zarr store: the store is read, measured and written back atomically
        (:func:`neurodyn.store.write_dataset`).
    measures
        Names from :data:`MEASURES`; variables already in the Dataset under the same names are
        replaced.
    model
        The swept model. Default: rebuilt by the Dataset's ``model`` attribute from the registry
        (:func:`neurodyn.models.get_model`) or, for the network presets (``chialvo_rulkov_chain``,
        ``chialvo_ring_star_<n>``), by their builders; the rebuilt model's equations must equal
        the Dataset's ``equations`` attribute.
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
        ``n_exponents`` (default: all state variables, at most 6), ``lyapunov_steps`` (default
        ``steps``), ``segments`` (10, convergence segments of the Lyapunov run);
        ``max_period`` (32), ``period_tol`` (1e-6); ``n_c`` (100 frequencies of the 0-1 test);
        ``m`` (2), ``r`` (0.2, relative to the standard deviation), ``tie`` (``"<="``) of the
        sample entropy; ``order`` (3), ``delay`` (1) of the permutation entropy; ``phase``
        (``"spike"`` for maps, ``"hilbert"`` for flows) and ``threshold``
        (:data:`SPIKE_THRESHOLD`) of the Kuramoto phases; ``every`` (1), the sampling stride of
        continued series, in iterations.

    Returns
    -------
    xarray.Dataset
        A copy of the Dataset with the measures' variables (see the module docstring).

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
    names = _check_measures(measures)
    opts = _parse_options(options)
    model = _model_of(data, model)
    grid = _Grid.of(data, model)
    steps = DEFAULT_STEPS if steps is None else _positive("steps", steps)
    seed = int(data.attrs.get("seed", 0)) if seed is None else int(seed)
    node_variable = "x" if node_variable is None else node_variable
    new: dict[str, xr.Variable] = {}
    coords: dict[str, np.ndarray] = {}
    if "lyapunov" in names:
        new.update(
            _lyapunov(model, grid, opts, opts.lyapunov_steps or steps, threads, progress)
        )
        coords["exponent"] = (
            "exponent",
            np.arange(1, new["lyapunov"].shape[-1] + 1),
            EXPONENT_ATTRS,
        )
    if "period" in names:
        new.update(_period(data, model, grid, opts, threads))
    series_measures = [n for n in names if n in SCALAR_SERIES_MEASURES + NETWORK_MEASURES]
    if series_measures:
        source = _SeriesSource.of(data, model, grid, steps, opts.every, threads)
        new.update(
            _series_measures(
                series_measures, model, grid, source, variable, node_variable, seed, opts, progress
            )
        )
    return data.drop_vars([n for n in new if n in data]).assign_coords(coords).assign(new)


# ----------------------------------------------------------------------------- input checks


def _check_measures(measures: Sequence[str]) -> list[str]:
    if isinstance(measures, str):
        measures = [measures]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise ValueError(f"unknown measure(s) {unknown} (available: {', '.join(MEASURES)})")
    return [m for m in MEASURES if m in measures]


def _parse_options(options: dict[str, Any]) -> _Options:
    known = [f.name for f in dataclasses.fields(_Options)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} of add_measures (known: {', '.join(known)})")
    opts = _Options(**options)
    for name in ("segments", "max_period", "n_c", "every"):
        _positive(name, getattr(opts, name))
    if opts.phase not in (None, "spike", "hilbert"):
        raise ValueError(f"phase must be 'spike' or 'hilbert', got {opts.phase!r}")
    return opts


def _positive(name: str, value: Any) -> int:
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _recorded_equations(ds: xr.Dataset) -> dict[str, str] | None:
    return attr_value(ds.attrs.get("equations"))


def _candidates(name: str) -> Iterator[Model]:
    """Models that may be called ``name``: the registry's, then the network presets'."""
    try:
        yield get_model(name)
    except ModelError:
        pass
    if name == "chialvo_rulkov_chain":
        for rulkov in ("rulkov2001", "rulkov2002", "rulkov2002_simple"):
            yield chialvo_rulkov_chain(rulkov=rulkov)
    ring_star = re.fullmatch(r"chialvo_ring_star_(\d+)", name)
    if ring_star:
        yield chialvo_ring_star(int(ring_star.group(1)))


def _model_of(ds: xr.Dataset, model: Model | None) -> Model:
    """``model``, checked against the Dataset, or the model rebuilt from its attributes."""
    if model is None:
        name = ds.attrs.get("model")
        if not name:
            raise ValueError("the Dataset has no 'model' attribute: pass the model")
        recorded = _recorded_equations(ds)
        for candidate in _candidates(str(name)):
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


# ----------------------------------------------------------------------------- the grid


@dataclasses.dataclass
class _Grid:
    """The sweep's points, flattened in C order over ``dims``: final states (n_state, points),
    parameters (n_param, points) and the divergence flags (points,)."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    final: np.ndarray
    parameters: np.ndarray
    diverged: np.ndarray

    @classmethod
    def of(cls, ds: xr.Dataset, model: Model) -> _Grid:
        dims = tuple(str(d) for d in ds["diverged"].dims)
        shape = tuple(ds.sizes[d] for d in dims)
        for d in dims:
            if d != "ic" and d not in model.parameter_names:
                raise ValueError(
                    f"dimension {d!r} of the Dataset is neither 'ic' nor a parameter of model "
                    f"{model.name!r} ({', '.join(model.parameter_names)})"
                )
        final = np.stack(
            [ds[f"{v}_final"].transpose(*dims).values.reshape(-1) for v in model.state_names]
        ).astype(np.float64)
        diverged = ds["diverged"].values.reshape(-1).astype(bool)
        diverged |= ~np.all(np.isfinite(final), axis=0)
        fixed = dict(attr_value(ds.attrs.get("fixed_parameters", {})))
        parameters = np.empty((len(model.parameters), final.shape[1]))
        for row, p in enumerate(model.parameters):
            if p.name in dims:
                axis = [-1 if d == p.name else 1 for d in dims]
                values = ds[p.name].values.astype(np.float64).reshape(axis)
                parameters[row] = np.broadcast_to(values, shape).reshape(-1)
            elif p.name in ds.coords and ds[p.name].ndim == 0:  # a swept axis selected away
                parameters[row] = float(ds[p.name])
            else:
                parameters[row] = float(fixed.get(p.name, p.default))
        return cls(dims, shape, final, parameters, diverged)

    def variable(self, values: np.ndarray, attrs: dict[str, Any], extra: str = "") -> xr.Variable:
        """A flat per-point array (points, ...) as a Variable with the grid's dims."""
        dims = (*self.dims, extra) if extra else self.dims
        return xr.Variable(dims, values.reshape(*self.shape, *values.shape[1:]), attrs)


# ----------------------------------------------------------------------------- lyapunov, period


def _lyapunov(
    model: Model, grid: _Grid, opts: _Options, steps: int, threads: int | None, progress: bool
) -> dict[str, xr.Variable]:
    n_exponents = opts.n_exponents or min(model.n_state, 6)
    ok = ~grid.diverged
    exponents = np.full((ok.size, n_exponents), np.nan)
    stderr = np.full((ok.size, n_exponents), np.nan)
    unit = "per iteration" if model.kind == "map" else "per unit time"
    if ok.any():
        result = lyapunov_spectrum(
            model,
            grid.final[:, ok],
            grid.parameters[:, ok],
            steps=steps,
            transient=0,
            n_exponents=n_exponents,
            segments=opts.segments,
            threads=threads,
            progress=progress,
        )
        exponents[ok], stderr[ok] = _segment_statistics(result.segments)
        unit = result.unit
    attrs = {
        "units": unit,
        "unit": unit,
        "method": "QR (Benettin) with the analytic Jacobian of the model's equations, tangent "
        "vectors re-orthonormalised every iteration (modified Gram-Schmidt)",
        "start": "the sweep's final states <v>_final, tangent vectors the identity",
        "steps": steps,
        "segments": opts.segments,
        "order": "descending along 'exponent' (1 = largest)",
        "diverged": "NaN",
    }
    stderr_attrs = {
        **attrs,
        "long_name": "standard error of the Lyapunov exponents",
        "convention": "standard deviation over the segments' estimates / sqrt(segments)",
    }
    return {
        "lyapunov": grid.variable(
            exponents, {"long_name": "Lyapunov exponents", **attrs}, "exponent"
        ),
        "lyapunov_stderr": grid.variable(stderr, stderr_attrs, "exponent"),
    }


def _segment_statistics(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the segments' estimates (segments, n_exponents, points),
    as (points, n_exponents) arrays, summed segment by segment in order: unlike numpy's
    reductions, whose summation order depends on the array's layout, this gives the same bits
    for a point whatever the batch it was computed in."""
    n = segments.shape[0]
    total = np.zeros(segments.shape[1:])
    for estimate in segments:
        total += estimate
    mean = total / n
    squares = np.zeros(segments.shape[1:])
    for estimate in segments:
        squares += (estimate - mean) ** 2
    stderr = np.sqrt(squares / (n - 1)) / math.sqrt(n) if n > 1 else np.full(mean.shape, np.nan)
    return mean.T, stderr.T


def _kept_states(ds: xr.Dataset, names: Sequence[str], dims: tuple[str, ...]) -> np.ndarray | None:
    """Kept states of ``names`` as (samples, variables, points), or None if not all were kept."""
    if not all(v in ds and "iteration" in ds[v].dims for v in names):
        return None
    arrays = [ds[v].transpose(*dims, "iteration").values for v in names]
    return np.stack([a.reshape(-1, a.shape[-1]).T for a in arrays], axis=1).astype(np.float64)


def _period(
    ds: xr.Dataset, model: Model, grid: _Grid, opts: _Options, threads: int | None
) -> dict[str, xr.Variable]:
    window = 2 * opts.max_period
    kept = _kept_states(ds, model.state_names, grid.dims)
    consecutive = kept is not None and np.all(np.diff(ds["iteration"].values) == 1)
    if consecutive and kept.shape[0] >= window:
        states = kept
        source = f"the last {window} kept states of the sweep"
    else:
        states = _continue(model, grid, window, 1, threads)
        source = f"{window} iterations continued from the final states <v>_final"
    period = detect_period(
        states, max_period=opts.max_period, tol=opts.period_tol, time_axis=0, state_axis=1
    )
    period[grid.diverged] = -1
    attrs = {
        "long_name": "period of the attractor",
        "units": "iterations",
        "convention": PERIOD_CONVENTION,
        "max_period": opts.max_period,
        "tol": opts.period_tol,
        "source": source,
    }
    return {"period": grid.variable(period.astype(np.int64), attrs)}


def _continue(
    model: Model,
    grid: _Grid,
    steps: int,
    every: int,
    threads: int | None,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """States (samples, n_state, points) of ``steps`` iterations continued from the final
    states, sampled every ``every`` iterations; NaN for points that diverge (or had)."""
    points = np.arange(grid.diverged.size) if points is None else points
    samples = steps // every
    out = np.full((samples, model.n_state, points.size), np.nan)
    ok = ~grid.diverged[points]
    if ok.any():
        result = iterate_batch(
            model,
            grid.final[:, points[ok]],
            grid.parameters[:, points[ok]],
            steps=samples * every,
            every=every,
            keep=samples,
            threads=threads,
        )
        out[:, :, ok] = result.kept
    return out


# ----------------------------------------------------------------------------- series measures


@dataclasses.dataclass
class _SeriesSource:
    """Where the series of every point come from: kept states, or a continued simulation."""

    model: Model
    grid: _Grid
    kept: np.ndarray | None
    steps: int
    every: int
    threads: int | None
    description: str

    @classmethod
    def of(
        cls,
        ds: xr.Dataset,
        model: Model,
        grid: _Grid,
        steps: int,
        every: int,
        threads: int | None,
    ) -> _SeriesSource:
        kept = _kept_states(ds, model.state_names, grid.dims)
        if kept is not None:
            iterations = ds["iteration"].values
            stride = np.unique(np.diff(iterations))
            description = (
                f"the {kept.shape[0]} kept states of the sweep (iterations {iterations[0]}.."
                f"{iterations[-1]}, stride {', '.join(map(str, stride)) or 1})"
            )
        else:
            description = (
                f"{steps // every} states continued from the final states <v>_final over "
                f"{steps} iterations at stride {every}"
            )
        return cls(model, grid, kept, steps, every, threads, description)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(points, states (samples, n_state, len(points))) in blocks of bounded memory."""
        n_points = self.grid.diverged.size
        if self.kept is not None:
            yield np.arange(n_points), self.kept
            return
        per_point = max(1, (self.steps // self.every) * self.model.n_state)
        size = max(1, _BLOCK_VALUES // per_point)
        for start in range(0, n_points, size):
            points = np.arange(start, min(start + size, n_points))
            yield (
                points,
                _continue(self.model, self.grid, self.steps, self.every, self.threads, points),
            )


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


def _series_measures(
    names: list[str],
    model: Model,
    grid: _Grid,
    source: _SeriesSource,
    variable: str | None,
    node_variable: str,
    seed: int,
    opts: _Options,
    progress: bool = False,
) -> dict[str, xr.Variable]:
    network = _network_rows(model, node_variable)
    wanted = [n for n in names if n in NETWORK_MEASURES]
    if network is None and wanted:
        raise ValueError(
            f"{' and '.join(wanted)} need(s) a network: model {model.name!r} has no node "
            f"variable {node_variable!r} on two or more nodes (state variables: "
            f"{', '.join(model.state_names)})"
        )
    rows, series = _series_rows(model, variable, node_variable, network)
    phase = opts.phase or ("spike" if model.kind == "map" else "hilbert")
    measures = _PointMeasures(rows, network, seed, opts, phase)
    functions = {name: getattr(measures, name) for name in names}
    outputs = {out: np.full(grid.diverged.size, np.nan) for n in names for out in _OUTPUTS[n]}
    bar = tqdm(total=grid.diverged.size, desc=", ".join(names), unit="point", disable=not progress)
    for points, states in source.blocks():
        if "chaos01" in names and states.shape[0] < 100:
            raise ValueError(
                f"chaos01 needs series of at least 100 samples; {source.description} "
                f"give {states.shape[0]}"
            )
        for column, point in enumerate(points):
            trajectory = states[:, :, column]
            if grid.diverged[point] or not np.all(np.isfinite(trajectory)):
                continue
            for name, function in functions.items():
                try:
                    values = function(trajectory)
                except ValueError as err:
                    raise ValueError(f"{name} at point {point} of the grid: {err}") from err
                for out, value in zip(_OUTPUTS[name], values, strict=True):
                    outputs[out][point] = value
        bar.update(len(points))
    bar.close()
    attrs = _series_attrs(source.description, series, node_variable, seed, opts, phase)
    return {out: grid.variable(values, attrs[out]) for out, values in outputs.items()}


_OUTPUTS = {
    "chaos01": ("chaos01_K",),
    "sample_entropy": ("sample_entropy",),
    "permutation_entropy": ("permutation_entropy",),
    "cross_correlation": ("cross_correlation",),
    "kuramoto": ("kuramoto_R", "kuramoto_R_std"),
}


def _constant(x: np.ndarray) -> bool:
    """True where every column of ``x`` (samples, ...) is constant in time, for any column."""
    return bool(np.any(np.all(x == x[0], axis=0)))


@dataclasses.dataclass
class _PointMeasures:
    """The series measures of one point, each a function of its states (samples, n_state)
    returning the values of the measure's outputs (:data:`_OUTPUTS`)."""

    rows: np.ndarray
    network: np.ndarray | None
    seed: int
    opts: _Options
    phase: str

    def scalar(self, states: np.ndarray) -> np.ndarray:
        if self.rows.size == 1:
            return states[:, self.rows[0]]
        return states[:, self.rows].mean(axis=1)

    def chaos01(self, states: np.ndarray) -> tuple[float]:
        x = self.scalar(states)
        if _constant(x):
            return (math.nan,)
        return (zero_one_test(x, n_c=self.opts.n_c, seed=self.seed, oversampling_lag=None).K,)

    def sample_entropy(self, states: np.ndarray) -> tuple[float]:
        x = self.scalar(states)
        if _constant(x):
            return (math.nan,)
        return (sample_entropy(x, self.opts.m, self.opts.r, tie=self.opts.tie),)

    def permutation_entropy(self, states: np.ndarray) -> tuple[float]:
        return (permutation_entropy(self.scalar(states), self.opts.order, self.opts.delay),)

    def cross_correlation(self, states: np.ndarray) -> tuple[float]:
        return (cross_correlation_coefficient(states[:, self.network], on_constant="nan").gamma,)

    def kuramoto(self, states: np.ndarray) -> tuple[float, float]:
        nodes = states[:, self.network]
        if self.phase == "spike":
            phases = spike_phases(nodes, self.opts.threshold)
        elif _constant(nodes):
            return math.nan, math.nan
        else:
            phases = hilbert_phases(nodes)
        if not np.any(np.all(np.isfinite(phases), axis=1)):
            return math.nan, math.nan
        result = kuramoto_order_parameter(phases)
        return result.mean, result.std


def _series_attrs(
    source: str, series: str, node_variable: str, seed: int, opts: _Options, phase: str
) -> dict[str, dict[str, Any]]:
    """The attrs of every series measure's variable: its convention and where its series came
    from."""
    common = {"source": source, "diverged": "NaN"}
    scalar = {**common, "series": series}
    nodes = {**common, "series": f"{node_variable} of each node"}
    if phase == "spike":
        phases = {
            "phase": "spike timing: a spike is an upward crossing x[t-1] < threshold <= x[t]; "
            "the phase grows linearly by 2 pi between successive spikes",
            "threshold": opts.threshold,
        }
    else:
        phases = {
            "phase": "Hilbert transform of each mean-removed node series (scipy.signal."
            "hilbert, FFT, edge effects at both ends)"
        }
    kuramoto = {
        **nodes,
        **phases,
        "undefined": "NaN where no time has a phase for every node (fewer than two spikes of "
        "some node, or a constant node)",
    }
    return {
        "chaos01_K": {
            **scalar,
            "long_name": "0-1 test for chaos, K (about 1 chaotic, about 0 regular)",
            "units": "1",
            "method": "Gottwald-Melbourne correlation method (2009): K = median over c of "
            "corr(n, D_c(n)), n = 1..N//10, D_c the mean-square displacement less its "
            "oscillatory term",
            "n_c": opts.n_c,
            "c_range": [math.pi / 5, 4 * math.pi / 5],
            "seed": seed,
            "seed_convention": "frequencies c drawn with numpy.random.default_rng(seed), the same "
            "for every point",
            "undefined": "NaN for a constant series (fixed point)",
        },
        "sample_entropy": {
            **scalar,
            "long_name": "sample entropy SampEn(m, r)",
            "units": "nats",
            "m": opts.m,
            "r": opts.r,
            "tolerance": "r * std(series, ddof=0)",
            "tie": opts.tie,
            "tie_convention": f"templates match when their Chebyshev distance {opts.tie} the "
            "tolerance, at every series length",
            "convention": "-ln(A/B) over the same N - m templates for lengths m and m + 1, "
            "self-matches excluded (Richman & Moorman 2000); inf when A = 0",
            "undefined": "NaN for a constant series (fixed point) or when B = 0",
        },
        "permutation_entropy": {
            **scalar,
            "long_name": "permutation entropy (normalised)",
            "units": "1",
            "order": opts.order,
            "delay": opts.delay,
            "normalize": True,
            "convention": "Shannon entropy in bits of the ordinal patterns divided by "
            "log2(order!) (Bandt & Pompe 2002); ties ranked by position (earlier sample lower)",
        },
        "cross_correlation": {
            **nodes,
            "long_name": "cross-correlation coefficient of the network",
            "units": "1",
            "convention": "mean over node pairs i != j of the Pearson correlation in time of the "
            "deviations from each node's time mean (Nair et al. 2024; Ghosh et al. 2024)",
            "undefined": "NaN when a node is constant in time",
        },
        "kuramoto_R": {
            **kuramoto,
            "long_name": "Kuramoto order parameter R, time average",
            "units": "1",
            "convention": "R(t) = |mean over nodes of exp(i phi_j(t))|, averaged over the times "
            "at which every node has a phase",
        },
        "kuramoto_R_std": {
            **kuramoto,
            "long_name": "fluctuation of the Kuramoto order parameter",
            "units": "1",
            "convention": "standard deviation (ddof=0) of R(t) over the times at which every "
            "node has a phase",
        },
    }
