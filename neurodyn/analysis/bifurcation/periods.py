"""Period detection and two-parameter period (isoperiodic) and Lyapunov charts.

Convention (the same in :func:`detect_period` and :func:`period_chart`): after the transient a
window of ``2 * max_period`` iterations is recorded; the period is the smallest
``p <= max_period`` with ``|x_{t+p} - x_t| <= tol * max(1, |x_t|)`` for every state variable and
every ``t`` of the window for which ``t + p`` lies in it. ``0`` means no period up to
``max_period`` (quasi-periodic, chaotic, longer period, or not settled after the transient);
``-1`` marks a diverged point (non-finite or beyond the model's bound). Periods count
iterations. The charts run the batched, vectorised simulation kernel of the model
(:func:`neurodyn.models.compile_model`'s ``advance``), in parallel over blocks of points.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr
from numba import prange

from ...models import Model, compile_model
from ...models.jit import stable_jit
from ...provenance import provenance
from ...sim import grid_batch, initial_states, thread_count
from ...sim.kernels import BLOCK
from ...store.attrs import EXPONENT_ATTRS, IC_ATTRS
from ..lyapunov import lyapunov_spectrum

__all__ = ["detect_period", "lyapunov_chart", "period_chart"]

PERIOD_CONVENTION = (
    "smallest p <= max_period with |x_{t+p} - x_t| <= tol*max(1,|x_t|) for all state variables "
    "and all t of a window of 2*max_period iterations after the transient; 0: none found "
    "(quasi-periodic, chaotic or longer); -1: diverged"
)


def detect_period(
    trajectory: np.ndarray,
    *,
    max_period: int = 32,
    tol: float = 1e-6,
    time_axis: int = -1,
    state_axis: int | None = None,
) -> np.ndarray:
    """Periods of trajectories by the module's convention, from their last ``2 * max_period``
    states along ``time_axis``; ``state_axis`` (if any) holds the state variables, which must
    all repeat. Trajectories with non-finite values give -1.

    >>> detect_period(np.array([0.2, 0.5, 0.8] * 30))
    array(3)
    """
    x = np.asarray(trajectory, dtype=np.float64)
    if state_axis is None:
        x = np.moveaxis(x, time_axis, -1)[..., None]
    else:
        x = np.moveaxis(x, (time_axis, state_axis), (-2, -1))
    window = 2 * max_period
    if x.shape[-2] < window:
        raise ValueError(f"need at least 2*max_period = {window} states, got {x.shape[-2]}")
    x = x[..., -window:, :]
    period = np.zeros(x.shape[:-2], dtype=np.int64)
    undecided = np.ones(x.shape[:-2], dtype=bool)
    with np.errstate(invalid="ignore"):
        for p in range(1, max_period + 1):
            gap = np.abs(x[..., p:, :] - x[..., :-p, :])
            scale = tol * np.maximum(1.0, np.abs(x[..., :-p, :]))
            match = np.all(gap <= scale, axis=(-1, -2)) & undecided
            period[match] = p
            undecided &= ~match
    period[~np.all(np.isfinite(x), axis=(-1, -2))] = -1
    return period


@cache
def _period_kernel(advance, n_state: int):
    @stable_jit(advance, n_state, parallel=True)
    def kernel(X, P, transient, max_period, tol, bound, ok, period):
        batch = X.shape[1]
        window = 2 * max_period
        n_blocks = (batch + BLOCK - 1) // BLOCK
        for b in prange(n_blocks):
            lo = b * BLOCK
            hi = min(lo + BLOCK, batch)
            advance(X, P, lo, hi, transient, bound, ok)
            buf = np.empty((hi - lo, window, n_state))
            for t in range(window):
                advance(X, P, lo, hi, 1, bound, ok)
                for v in range(n_state):
                    for i in range(hi - lo):
                        buf[i, t, v] = X[v, lo + i]
            for i in range(hi - lo):
                if not ok[lo + i]:
                    period[lo + i] = -1
                    continue
                found = 0
                for p in range(1, max_period + 1):
                    good = True
                    for t in range(window - p):
                        for v in range(n_state):
                            ref = buf[i, t, v]
                            if abs(buf[i, t + p, v] - ref) > tol * max(1.0, abs(ref)):
                                good = False
                                break
                        if not good:
                            break
                    if good:
                        found = p
                        break
                period[lo + i] = found

    return kernel


def _grid(model, axes, fixed, n_initial, seed, initial):
    axes = {name: np.asarray(values, dtype=np.float64) for name, values in axes.items()}
    ics = initial_states(model, n_initial, seed, initial)
    P = grid_batch(model, axes, dict(fixed or {}), ics.shape[0])
    X = np.tile(ics.T, (1, P.shape[1] // ics.shape[0]))
    shape = (*(len(v) for v in axes.values()), ics.shape[0])
    coords = {}
    for name, values in axes.items():
        p = model.parameter(name)
        coords[name] = (name, values, {"units": p.unit, "long_name": p.description or name})
    coords["ic"] = ("ic", np.arange(ics.shape[0]), IC_ATTRS)
    return axes, ics, P, X, shape, coords


def _attrs(model, axes, fixed, **extra):
    resolved = model.resolve_parameters(dict(fixed or {}))
    return {
        "model": model.name,
        "swept_parameters": list(axes),
        "fixed_parameters": {k: v for k, v in resolved.items() if k not in axes},
        "time_unit": "iteration",
        **extra,
        **provenance(),
    }


def period_chart(
    model: Model,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float] | None = None,
    *,
    transient: int = 2000,
    max_period: int = 32,
    tol: float = 1e-6,
    n_initial: int = 1,
    initial: np.ndarray | None = None,
    seed: int = 0,
    bound: float | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """Period of the attractor reached from each initial state at every point of the grid
    over ``axes`` (module docstring for the convention).

    Initial states as :func:`neurodyn.sim.initial_states` (the model's default state, or
    ``n_initial`` drawn from the state boxes with ``seed``). Returns a Dataset with coordinates
    for the swept parameters and ``ic``, and the variables ``period`` (int) and ``x_final``
    (the last state, dims ``..., state``).
    """
    axes, ics, P, X, shape, coords = _grid(model, axes, fixed, n_initial, seed, initial)
    X = np.ascontiguousarray(X)
    ok = np.ones(X.shape[1], dtype=np.bool_)
    period = np.empty(X.shape[1], dtype=np.int64)
    kernel = _period_kernel(compile_model(model).advance, model.n_state)
    with thread_count(threads):
        kernel(
            X,
            P,
            int(transient),
            int(max_period),
            float(tol),
            float(model.bound if bound is None else bound),
            ok,
            period,
        )
    X[:, ~ok] = np.nan
    dims = (*axes, "ic")
    coords["state"] = ("state", list(model.state_names))
    return xr.Dataset(
        {
            "period": (dims, period.reshape(shape), {"convention": PERIOD_CONVENTION}),
            "final_state": ((*dims, "state"), X.T.reshape(*shape, model.n_state)),
            "initial_state": (("ic", "state"), ics),
        },
        coords=coords,
        attrs=_attrs(
            model, axes, fixed, transient=transient, max_period=max_period, tol=tol, seed=seed
        ),
    )


def lyapunov_chart(
    model: Model,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float] | None = None,
    *,
    steps: int = 2000,
    transient: int = 1000,
    n_exponents: int = 1,
    n_initial: int = 1,
    initial: np.ndarray | None = None,
    seed: int = 0,
    threads: int | None = None,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
    progress: bool = False,
) -> xr.Dataset:
    """Largest ``n_exponents`` Lyapunov exponents (per iteration) over the grid of ``axes``, by
    :func:`neurodyn.analysis.lyapunov.lyapunov_spectrum` (QR with the generated Jacobian), on
    ``backend``/``device``/``dtype`` (:mod:`neurodyn.backends`; recorded in the attrs).
    ``progress``: announce the kernel's compilation and show a progress bar.

    Returns ``lyapunov`` (..., ic, exponent) and ``lyapunov_stderr``; NaN where diverged."""
    axes, ics, P, X, shape, coords = _grid(model, axes, fixed, n_initial, seed, initial)
    result = lyapunov_spectrum(
        model,
        X,
        P,
        steps=steps,
        transient=transient,
        n_exponents=n_exponents,
        threads=threads,
        backend=backend,
        device=device,
        dtype=dtype,
        progress=progress,
    )
    dims = (*axes, "ic", "exponent")
    # per iteration for maps, per unit of the model's time for flows (lyapunov_spectrum)
    time_unit = "iteration" if model.kind == "map" else model.parameter("dt").unit
    units = "1" if time_unit == "1" else f"1/{time_unit}"
    coords["exponent"] = ("exponent", np.arange(1, n_exponents + 1), EXPONENT_ATTRS)
    return xr.Dataset(
        {
            "lyapunov": (
                dims,
                result.exponents.T.reshape(*shape, n_exponents),
                {"units": units, "long_name": "Lyapunov exponents, decreasing"},
            ),
            "lyapunov_stderr": (
                dims,
                result.stderr.T.reshape(*shape, n_exponents),
                {
                    "units": units,
                    "long_name": "standard error of the Lyapunov exponents over the segments",
                },
            ),
        },
        coords=coords,
        attrs=_attrs(
            model,
            axes,
            fixed,
            steps=steps,
            transient=transient,
            seed=seed,
            **result.backend.attrs(),
        ),
    )
