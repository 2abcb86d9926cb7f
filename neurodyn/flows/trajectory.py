"""Trajectories of flows (and maps) as labelled Datasets: fixed-step, or stochastic with
seeded additive noise.

``trajectory(model, duration=...)`` integrates a catalogued or generated model with its
integrator (or the one given) at its ``dt`` (or the one given), discards ``transient`` time
units, records every ``every``-th step, and returns an ``xarray.Dataset`` whose attrs say the
model, parameters, dt, integrator, transient, every, noise and seed. Deterministic runs call
the model's generated ``advance`` (vectorised over the points) between recordings -- the same
step as sweeps, without compiling a parallel kernel for each model; with ``noise`` the
stochastic Euler–Maruyama or Heun step of :mod:`neurodyn.models.noise` with counter-based
normals keyed by (seed, step, point), so point ``k`` of a batch gets the same noise whether it
runs alone or with others. A point whose state leaves ``[-bound, bound]`` or becomes non-finite
is flagged ``diverged`` and its states are NaN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..models import Model, compile_model, get_model
from ..models.drive import input_series, noise_amplitudes, per_point, pulse_train
from ..models.noise import sde_kernel, seed64
from ..provenance import provenance
from ..run_lengths import warn_deprecated

__all__ = ["parameter_batch", "pulse_train", "trajectory"]


def parameter_batch(
    model: Model, parameters: Mapping[str, object] | None, n_points: int
) -> np.ndarray:
    """``(n_param, n_points)`` from defaults overridden by ``parameters`` (scalars or one
    value per point), each checked against its range."""
    resolved = model.resolve_parameters(dict(parameters or {}))
    P = np.empty((len(model.parameters), n_points))
    for r, name in enumerate(model.parameter_names):
        P[r] = per_point(f"parameter {name!r}", resolved[name], n_points)
    return P


def trajectory(
    model: Model | str,
    *,
    duration: float | None = None,
    steps: int | None = None,
    initial: np.ndarray | None = None,
    parameters: Mapping[str, object] | None = None,
    dt: float | None = None,
    integrator: str | None = None,
    transient: float | None = None,
    transient_time: float = 0.0,
    transient_steps: int = 0,
    every: int = 1,
    noise: Mapping[str, object] | None = None,
    inputs: Mapping[str, object] | None = None,
    seed: int = 0,
) -> xr.Dataset:
    """Integrate ``model`` for ``duration`` time units (flows) or ``steps`` steps, after a
    transient of ``transient_time`` time units or ``transient_steps`` steps that is not recorded
    (:mod:`neurodyn.run_lengths`; the old ``transient``, in time units and counted inside
    ``duration``/``steps``, keeps that meaning for one release with a deprecation warning).

    ``initial``: ``(n_state,)`` for one run, or ``(n_points, n_state)`` for a batch (a ``point``
    dimension); default the model's initial state. ``parameters``: numbers, or one value per
    point. ``noise``: additive noise amplitude per state variable (``dX = f dt + g dW``,
    amplitude ``g`` per square root of the time unit); needs the euler (Euler–Maruyama) or
    heun (stochastic Heun) integrator. For a map, ``X' = f(X; P + h ξ_P) + g ξ_X + u_n``: a
    ``noise`` entry on a state variable is its ``g``, one on a parameter its ``h`` (noise on the
    parameter, redrawn every iteration), each a number or one value per point (so noise
    amplitudes sweep like parameters); ``inputs`` maps state variables to an external input
    ``u_n`` added at iteration n = 1..transient + steps: a number, or a series of that many
    values (or ``(n_points, that many)``), e.g. from :func:`pulse_train`.

    Returns one variable per state variable with dims ``(time,)`` or ``(point, time)``;
    ``time`` counts from the start in the model's time unit (iterations for maps), the first
    recorded state being the one after the transient plus ``every`` steps.
    """
    model = get_model(model) if isinstance(model, str) else model
    if integrator is not None and model.kind == "flow":
        model = dataclasses.replace(model, integrator=integrator)
    flow = model.kind == "flow"
    overrides = dict(parameters or {})
    if flow and dt is not None:
        overrides["dt"] = dt
    step = float(model.resolve_parameters(overrides)["dt"]) if flow else 1.0
    if np.ndim(step) != 0:
        raise ValueError("dt must be the same for all points of a trajectory batch")
    if (duration is None) == (steps is None):
        raise ValueError("give exactly one of duration and steps")
    if transient_time and transient_steps:
        raise ValueError("give at most one of transient_time and transient_steps")
    length = int(steps) if steps is not None else int(round(duration / step))
    if transient is None:
        skip = int(transient_steps) or int(round(transient_time / step))
        total = skip + length
    else:
        if transient_time or transient_steps:
            raise TypeError("trajectory() got both transient= (the old name) and its new name")
        given = f"steps={steps}" if duration is None else f"duration={duration}"
        warn_deprecated(
            f"trajectory(): transient={transient} in time units, counted inside {given}, is "
            f"deprecated: say transient_time={transient} (or transient_steps=) and {given} minus "
            "it (the run after the transient)"
        )
        skip, total = int(round(transient / step)), length
    if total < 1 or not 0 <= skip < total or every < 1:
        raise ValueError("need at least one step after the transient, and every >= 1")
    single = initial is None or np.ndim(initial) == 1
    X0 = np.atleast_2d(model.initial_state() if initial is None else np.asarray(initial, float))
    if X0.shape[1] != model.n_state:
        raise ValueError(f"initial states need {model.n_state} values ({model.state_names})")
    n_points = X0.shape[0]
    P = parameter_batch(model, overrides, n_points)
    n_out = (total - skip) // every
    requested, total = total, skip + n_out * every  # the last recorded step is the last step
    kept = np.full((n_out, model.n_state, n_points), np.nan)
    ok = np.ones(n_points, dtype=np.bool_)
    X = np.array(X0.T, order="C")  # a copy: the kernels write the final states here
    compiled = compile_model(model)
    bound = float(model.bound)
    if noise or inputs:
        G, H = noise_amplitudes(model, noise or {}, n_points)
        U = input_series(model, inputs or {}, n_points, requested)[:total]
        kernel = sde_kernel(compiled.rhs, model.integrator if flow else "map")
        dt_row = model.parameter_names.index("dt") if flow else -1
        key, stream = seed64(seed), np.uint64(0)
        kernel(X, P, G, H, U, key, stream, 0, total, every, skip, dt_row, 0, kept, bound, ok)
    else:
        compiled.advance(X, P, 0, n_points, skip, bound, ok)
        for slot in range(n_out):
            compiled.advance(X, P, 0, n_points, every, bound, ok)
            kept[slot] = X
    kept[:, :, ~ok] = np.nan
    times = (skip + every * np.arange(1, n_out + 1)) * step
    unit = model.parameter("dt").unit if flow else "iteration"
    dims = ("time",) if single else ("point", "time")
    data = {}
    for r, v in enumerate(model.state_names):
        values = kept[:, r, 0] if single else kept[:, r, :].T
        data[v] = (dims, values, {"long_name": model.state[r].description or v})
    data["diverged"] = (
        dims[:-1],
        ~ok[0] if single else ~ok,
        {"long_name": "state became non-finite or left [-bound, bound]; its values are NaN"},
    )
    resolved = model.resolve_parameters(overrides)
    attrs = {
        "model": model.name,
        "model_kind": model.kind,
        "model_source": model.source,
        "equations": dict(zip(model.state_names, model.equations, strict=True)),
        "parameters": {k: np.asarray(v).tolist() for k, v in resolved.items()},
        "dt": step,
        "time_unit": unit,
        "integrator": model.integrator if flow else "map",
        "transient": float(skip * step),
        "every": int(every),
        "noise": {k: np.asarray(v).tolist() for k, v in (noise or {}).items()},
        "inputs": sorted(inputs or {}),
        "noise_convention": (
            "additive: dX = f(X) dt + g dW" if flow else "X' = f(X; P + h xi_P) + g xi_X + u_n"
        )
        + "; Philox4x64 normals keyed by (seed, step, point, channel block, ic 0)",
        "seed": int(seed),
        **provenance(),
    }
    coords = {"time": ("time", times, {"units": unit})}
    if not single:
        coords["point"] = ("point", np.arange(n_points))
    return xr.Dataset(data, coords=coords, attrs=attrs)
