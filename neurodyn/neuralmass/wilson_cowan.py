"""Steady states, their stability, and oscillation sweeps of neural-mass nodes.

:func:`steady_states` finds every fixed point of a low-dimensional flow (a Wilson–Cowan node,
or a small network from :func:`neurodyn.models.families.flow_network`) by Newton's method from
a grid of starting points, with the analytic Jacobian generated from the equations, and
classifies each by the eigenvalues of that Jacobian (stable when all real parts are negative).
Residuals are the max-norm of the right-hand side at the returned point.

:func:`oscillation_sweep` runs a node over a parameter grid (batched, all cores) and reports per
point the steady state or the oscillation: mean, minimum, maximum, peak-to-peak amplitude and
frequency of a variable over the recorded window. Frequencies are in cycles per time unit
times ``frequency_scale`` (1000 for ms, giving Hz).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np
import xarray as xr

from ..analysis.bifurcation.linalg import solve_small
from ..models import Model, compile_model, get_model
from ..models.jit import stable_jit
from ..provenance import provenance
from ..run_lengths import time_window
from ..sim import iterate_batch
from ..sim.grid import grid_batch

__all__ = ["SteadyState", "oscillation_frequency", "oscillation_sweep", "steady_states"]


@dataclass(frozen=True)
class SteadyState:
    """A fixed point ``state`` with ``residual`` (max |f|), Jacobian ``eigenvalues`` and
    ``stable`` (all real parts < 0)."""

    state: np.ndarray
    residual: float
    eigenvalues: np.ndarray
    stable: bool

    @property
    def kind(self) -> str:
        re = self.eigenvalues.real
        if np.all(re < 0):
            return "stable focus" if np.any(self.eigenvalues.imag != 0) else "stable node"
        if np.all(re > 0):
            return "unstable focus" if np.any(self.eigenvalues.imag != 0) else "unstable node"
        return "saddle"


@cache
def _newton(evaluate, evaluate_jacobian):
    @stable_jit(evaluate, evaluate_jacobian)
    def solve(starts, P, iterations, tol, out, residual):
        n = starts.shape[1]
        f = np.empty(n)
        J = np.empty((n, n))
        for s in range(starts.shape[0]):
            x = starts[s].copy()
            for _ in range(iterations):
                evaluate(x, P, 0, f)
                if not np.max(np.abs(f)) > tol:
                    break
                evaluate_jacobian(x, P, 0, J)
                if not solve_small(J, f, f):
                    break
                x -= f
                if not np.all(np.isfinite(x)):
                    break
            evaluate(x, P, 0, f)
            out[s] = x
            residual[s] = np.max(np.abs(f)) if np.all(np.isfinite(f)) else np.inf

    return solve


def steady_states(
    model: Model | str,
    parameters: dict[str, float] | None = None,
    *,
    box: list[tuple[float, float]] | None = None,
    starts_per_axis: int = 21,
    tol: float = 1e-13,
    merge: float = 1e-8,
) -> list[SteadyState]:
    """All fixed points of the flow ``model`` found by Newton's method from a regular grid of
    ``starts_per_axis**n_state`` starting points in ``box`` (default each state variable's
    box), sorted by the first state variable. Points closer than ``merge`` (max-norm) are one.
    Only points with residual below ``1e3 * tol`` are returned.
    """
    model = get_model(model) if isinstance(model, str) else model
    compiled = compile_model(model)
    resolved = model.resolve_parameters(parameters or {})
    P = np.array([[float(resolved[p])] for p in model.parameter_names])
    bounds = box or [(v.low, v.high) for v in model.state]
    axes = [np.linspace(lo, hi, starts_per_axis) for lo, hi in bounds]
    starts = np.array(list(itertools.product(*axes)), dtype=np.float64)
    out = np.empty_like(starts)
    residual = np.empty(starts.shape[0])
    _newton(compiled.evaluate, compiled.evaluate_jacobian)(starts, P, 100, tol, out, residual)
    found: list[np.ndarray] = []
    for x, r in sorted(zip(out, residual, strict=True), key=lambda pair: pair[1]):
        if r <= 1e3 * tol and not any(np.max(np.abs(x - y)) < merge for y in found):
            found.append(x)
    result = []
    J = np.empty((model.n_state, model.n_state))
    f = np.empty(model.n_state)
    for x in sorted(found, key=lambda s: tuple(s)):
        compiled.evaluate_jacobian(x, P, 0, J)
        compiled.evaluate(x, P, 0, f)
        eigenvalues = np.linalg.eigvals(J)
        result.append(
            SteadyState(
                state=x,
                residual=float(np.max(np.abs(f))),
                eigenvalues=eigenvalues,
                stable=bool(np.all(eigenvalues.real < 0)),
            )
        )
    return result


def oscillation_frequency(signal: np.ndarray, dt: float) -> np.ndarray:
    """Frequency (cycles per time unit) of each row of ``signal`` (points, samples) from its
    upward crossings of the mid-level ``(max + min) / 2``, located by linear interpolation:
    ``(crossings - 1) / (last - first crossing time)``; NaN with fewer than two crossings."""
    x = np.atleast_2d(np.asarray(signal, dtype=np.float64))
    mid = 0.5 * (x.max(axis=1, keepdims=True) + x.min(axis=1, keepdims=True))
    y = x - mid
    up = (y[:, :-1] < 0) & (y[:, 1:] >= 0)
    freq = np.full(x.shape[0], np.nan)
    for p in np.flatnonzero(up.sum(axis=1) >= 2):
        k = np.flatnonzero(up[p])
        times = (k + y[p, k] / (y[p, k] - y[p, k + 1])) * dt
        freq[p] = (len(k) - 1) / (times[-1] - times[0])
    return freq


def oscillation_sweep(
    model: Model | str,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float] | None = None,
    *,
    duration: float,
    transient: float | None = None,
    transient_time: float = 0.0,
    variable: str | None = None,
    sample_every: int = 10,
    initial: np.ndarray | None = None,
    amplitude_threshold: float = 1e-6,
    frequency_scale: float | None = None,
    chunk_size: int = 2048,
    threads: int | None = None,
) -> xr.Dataset:
    """Steady state or oscillation of ``variable`` (default the first) on the grid ``axes``.

    Each point runs from ``initial`` (default the model's initial state) for ``transient_time``
    time units, then ``duration`` more, sampled every ``sample_every`` steps (the old
    ``transient``, counted inside ``duration``, keeps that meaning for one release). Returns
    a Dataset over the axes with ``mean``, ``minimum``, ``maximum``, ``amplitude`` (max - min),
    ``oscillating`` (amplitude > ``amplitude_threshold``), ``frequency`` (NaN where not
    oscillating; times ``frequency_scale``: 1000 / time unit ms gives Hz) and ``diverged``.
    """
    transient, duration = time_window(
        duration, transient, transient_time, where="oscillation_sweep()"
    )
    model = get_model(model) if isinstance(model, str) else model
    variable = variable or model.state_names[0]
    row = model.state_names.index(variable)
    fixed = dict(fixed or {})
    P = grid_batch(model, axes, fixed, 1)
    dt_values = P[model.parameter_names.index("dt")]
    if np.ptp(dt_values) != 0:
        raise ValueError("dt must not be swept")
    dt = float(dt_values[0])
    unit = model.parameter("dt").unit
    if frequency_scale is None:
        frequency_scale = 1000.0 if unit == "ms" else 1.0
    steps = int(round(duration / dt))
    skip = int(round(transient / dt))
    n_samples = (steps - skip) // sample_every
    if n_samples < 3:
        raise ValueError("the recorded window holds fewer than 3 samples")
    x0 = model.initial_state() if initial is None else np.asarray(initial, dtype=np.float64)
    n_points = P.shape[1]
    stats = {k: np.empty(n_points) for k in ("mean", "minimum", "maximum", "frequency")}
    diverged = np.empty(n_points, dtype=bool)
    for start in range(0, n_points, chunk_size):
        part = slice(start, min(start + chunk_size, n_points))
        X = np.tile(x0[:, None], (1, part.stop - part.start))
        result = iterate_batch(
            model,
            X,
            P[:, part],
            steps=n_samples * sample_every,
            transient=skip,
            every=sample_every,
            keep=n_samples,
            threads=threads,
        )
        signal = result.kept[:, row, :].T
        stats["mean"][part] = result.mean[row]
        stats["minimum"][part] = result.minimum[row]
        stats["maximum"][part] = result.maximum[row]
        stats["frequency"][part] = oscillation_frequency(signal, dt * sample_every)
        diverged[part] = result.diverged
    amplitude = stats["maximum"] - stats["minimum"]
    oscillating = amplitude > amplitude_threshold
    frequency = np.where(oscillating, stats["frequency"] * frequency_scale, np.nan)
    shape = tuple(len(v) for v in axes.values())
    dims = tuple(axes)
    freq_unit = "Hz" if unit == "ms" and frequency_scale == 1000.0 else f"1/{unit} x scale"
    data = {
        "mean": (dims, stats["mean"].reshape(shape)),
        "minimum": (dims, stats["minimum"].reshape(shape)),
        "maximum": (dims, stats["maximum"].reshape(shape)),
        "amplitude": (dims, amplitude.reshape(shape), {"long_name": "max - min"}),
        "oscillating": (dims, oscillating.reshape(shape)),
        "frequency": (dims, frequency.reshape(shape), {"units": freq_unit}),
        "diverged": (dims, diverged.reshape(shape)),
    }
    coords = {
        name: (name, np.asarray(values, dtype=np.float64), {"units": model.parameter(name).unit})
        for name, values in axes.items()
    }
    attrs = {
        "model": model.name,
        "variable": variable,
        "fixed_parameters": {
            k: float(v) for k, v in model.resolve_parameters(fixed).items() if k not in axes
        },
        "dt": dt,
        "time_unit": unit,
        "integrator": model.integrator,
        "duration": duration,
        "transient": skip * dt,
        "sample_every": sample_every,
        "amplitude_threshold": amplitude_threshold,
        "frequency_convention": "upward crossings of (max+min)/2, linearly interpolated",
        **provenance(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
