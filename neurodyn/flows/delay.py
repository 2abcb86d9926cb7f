"""Delay differential equations with ring buffers: Mackey–Glass and any flow whose equations
read delayed values of its state.

A :class:`DelayedFlow` is a flow :class:`~neurodyn.models.Model` whose equations use extra
names for delayed values (``x_tau`` for ``x(t - tau)``); those names are declared as
parameters of the model so that the equations parse and compile like any other, and the
integrator writes their values before every evaluation. The model alone is therefore not to
be iterated by the ordinary (delay-free) kernels; :func:`delay_trajectory` integrates it.

Integration: an explicit Runge–Kutta tableau (euler, heun, rk4) with step ``dt``. The state and
its derivative at the past grid points are kept in a ring buffer; a delayed value at a stage
time ``t_k + c dt - tau`` is the stored value when that time is a grid point, and otherwise the
cubic Hermite interpolant of the two neighbouring grid points (values and derivatives), which
is fourth-order accurate and keeps RK4 fourth order (tested). Delays must be at least one
step. Before t = 0 the history is constant, equal to the initial state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numba import njit

from ..models import Model, Parameter, StateVariable, compile_model
from ..models.integrators import TABLEAUS
from ..models.jit import stable_jit
from ..provenance import provenance
from ..run_lengths import time_window

__all__ = ["DelayedFlow", "delay_trajectory", "mackey_glass"]

MACKEY_GLASS_1977 = (
    "M. C. Mackey, L. Glass, Oscillation and chaos in physiological control systems, Science "
    "197, 287-289 (1977)"
)


@dataclass(frozen=True)
class DelayedFlow:
    """A flow ``model`` whose parameters listed in ``delayed`` hold delayed state values:
    ``delayed = ((name, state_variable, lag_parameter), ...)`` means ``name`` is
    ``state_variable(t - lag)`` with ``lag`` the value of parameter ``lag_parameter``."""

    model: Model
    delayed: tuple[tuple[str, str, str], ...]

    def __post_init__(self):
        for name, variable, lag in self.delayed:
            self.model.parameter(name)
            self.model.parameter(lag)
            if variable not in self.model.state_names:
                raise ValueError(f"delayed value {name!r} of unknown state variable {variable!r}")


def mackey_glass(
    beta: float = 0.2, gamma: float = 0.1, n: float = 10.0, tau: float = 17.0, *, dt: float = 0.1
) -> DelayedFlow:
    """Mackey–Glass: ``dx/dt = beta x(t - tau) / (1 + x(t - tau)**n) - gamma x`` (Mackey &
    Glass 1977); chaotic for tau = 17 with the defaults (the reservoir-computing benchmark;
    initial state 1.2 as in reservoirpy)."""
    model = Model(
        name="mackey_glass",
        kind="flow",
        state=(StateVariable("x", 1.2, 0.5, 1.3, "concentration"),),
        parameters=(
            Parameter("beta", beta, 0.0, 100.0, "1 per time unit", "production rate"),
            Parameter("gamma", gamma, 0.0, 100.0, "1 per time unit", "decay rate"),
            Parameter("n", n, 0.0, 100.0, "1", "Hill exponent"),
            Parameter("tau", tau, 0.0, 1e4, "time unit", "delay"),
            Parameter("x_tau", 1.2, -1e6, 1e6, "1", "x(t - tau), written by the integrator"),
            Parameter("dt", dt, 1e-12, 1e3, "time unit", "integration time step"),
        ),
        equations=("beta * x_tau / (1 + x_tau**n) - gamma * x",),
        description="Mackey-Glass delay differential equation",
        source=MACKEY_GLASS_1977,
        notes="x_tau is x(t - tau); integrate with neurodyn.flows.delay_trajectory",
        integrator="rk4",
    )
    return DelayedFlow(model, (("x_tau", "x", "tau"),))


@njit(inline="always", cache=True)
def _delayed_value(xs, fs, ring, k, s, row, history, dt):
    """Value of state ``row`` at (fractional) step ``s`` <= k from the ring buffers."""
    if s <= 0.0:
        return history[row]
    j = math.floor(s)
    theta = s - j
    a = xs[row, j % ring]
    if theta == 0.0:
        return a
    b = xs[row, (j + 1) % ring]
    fa = fs[row, j % ring]
    fb = fs[row, (j + 1) % ring]
    t2 = theta * theta
    t3 = t2 * theta
    return (
        (2.0 * t3 - 3.0 * t2 + 1.0) * a
        + (t3 - 2.0 * t2 + theta) * dt * fa
        + (-2.0 * t3 + 3.0 * t2) * b
        + (t3 - t2) * dt * fb
    )


def _make_kernel(evaluate, tableau):
    stages = len(tableau.b)
    A = np.zeros((stages, stages))
    for j, row in enumerate(tableau.a):
        A[j, : len(row)] = row
    B = np.array(tableau.b)
    C = A.sum(axis=1)

    @stable_jit(evaluate, tableau)
    def kernel(x0, P, delayed_rows, delayed_vars, lags, dt_row, steps, every, skip, out, ring):
        n = x0.shape[0]
        dt = P[dt_row, 0]
        xs = np.zeros((n, ring))
        fs = np.zeros((n, ring))
        history = x0.copy()
        x = x0.copy()
        K = np.zeros((stages, n))
        U = np.empty(n)
        slot = 0
        for k in range(steps):
            xs[:, k % ring] = x
            for j in range(stages):
                for q in range(delayed_rows.shape[0]):
                    s = k + C[j] - lags[q] / dt
                    P[delayed_rows[q], 0] = _delayed_value(
                        xs, fs, ring, k, s, delayed_vars[q], history, dt
                    )
                for r in range(n):
                    acc = 0.0
                    for q in range(j):
                        acc += A[j, q] * K[q, r]
                    U[r] = x[r] + dt * acc
                evaluate(U, P, 0, K[j])
                if j == 0:
                    fs[:, k % ring] = K[0]
            for r in range(n):
                acc = 0.0
                for j in range(stages):
                    acc += B[j] * K[j, r]
                x[r] = x[r] + dt * acc
            done = k + 1
            if done > skip and (done - skip) % every == 0:
                out[slot, :] = x
                slot += 1

    return kernel


_KERNELS: dict = {}


def delay_trajectory(
    flow: DelayedFlow,
    *,
    duration: float,
    parameters: dict[str, float] | None = None,
    initial: np.ndarray | None = None,
    dt: float | None = None,
    integrator: str | None = None,
    transient: float | None = None,
    transient_time: float = 0.0,
    every: int = 1,
) -> xr.Dataset:
    """Integrate the delayed flow for ``transient_time`` then ``duration`` time units (only the
    latter recorded; :mod:`neurodyn.run_lengths`) from a constant history equal to
    ``initial`` (default the model's initial state); see the module docstring. Returns one
    variable per state variable over ``time`` with dt, integrator, lags and transient in attrs.
    """
    transient, duration = time_window(
        duration, transient, transient_time, where="delay_trajectory()"
    )
    model = flow.model
    integrator = integrator or model.integrator
    tableau = TABLEAUS[integrator]
    values = dict(parameters or {})
    if dt is not None:
        values["dt"] = dt
    resolved = model.resolve_parameters(values)
    step = float(resolved["dt"])
    lags = np.array([float(resolved[lag]) for _, _, lag in flow.delayed])
    if np.any(lags < step * (1 - 1e-12)):
        raise ValueError(f"delays must be at least one step dt={step}, not {lags.min()}")
    total = int(round(duration / step))
    skip = int(round(transient / step))
    if total < 1 or not 0 <= skip < total or every < 1:
        raise ValueError("need duration >= dt, 0 <= transient < duration and every >= 1")
    n_out = (total - skip) // every
    x0 = model.initial_state() if initial is None else np.asarray(initial, dtype=np.float64)
    x0 = np.array(x0, dtype=np.float64).reshape(model.n_state)
    P = np.array([[float(resolved[p])] for p in model.parameter_names])
    key = (compile_model(model).evaluate, integrator)
    if key not in _KERNELS:
        _KERNELS[key] = _make_kernel(key[0], tableau)
    out = np.full((n_out, model.n_state), np.nan)
    ring = int(math.ceil(lags.max() / step)) + 3
    _KERNELS[key](
        x0,
        P,
        np.array([model.parameter_names.index(d[0]) for d in flow.delayed], dtype=np.int64),
        np.array([model.state_names.index(d[1]) for d in flow.delayed], dtype=np.int64),
        lags,
        model.parameter_names.index("dt"),
        skip + n_out * every,
        every,
        skip,
        out,
        ring,
    )
    time = (skip + every * np.arange(1, n_out + 1)) * step
    unit = model.parameter("dt").unit
    data = {v: (("time",), out[:, r]) for r, v in enumerate(model.state_names)}
    attrs = {
        "model": model.name,
        "model_source": model.source,
        "equations": dict(zip(model.state_names, model.equations, strict=True)),
        "delays": {n: f"{v}(t - {lag})" for n, v, lag in flow.delayed},
        "parameters": {k: float(v) for k, v in resolved.items()},
        "dt": step,
        "time_unit": unit,
        "integrator": integrator,
        "interpolation": "cubic Hermite between grid points for off-grid delayed times",
        "history": "constant, equal to the initial state",
        "transient": skip * step,
        "every": int(every),
        **provenance(),
    }
    return xr.Dataset(data, coords={"time": ("time", time, {"units": unit})}, attrs=attrs)
