"""Orbit diagrams over one parameter from many initial states, with forward/backward sweeps.

Modes (each gives one slice of the ``mode`` dimension of the result):

``independent``
    every parameter value starts from the initial states and runs ``transient`` iterations.
``forward`` / ``backward``
    the parameter values are visited in increasing / decreasing order; the first starts from
    the initial states and runs ``transient`` iterations, every later one continues from the
    state the previous value ended in and runs ``settle`` iterations. An attractor is then
    followed until it disappears, so the two sweeps differ where attractors coexist
    (hysteresis, e.g. a period-4 orbit beside a chaotic attractor).

After the transient (or settling) ``keep`` states are kept at stride ``every``. A point whose
state diverges (non-finite or beyond the model's bound) is flagged in ``diverged`` for that
parameter value, its kept states are NaN, and a sweep restarts it from its initial state at the
next value. The batched kernel of the model (:func:`neurodyn.models.compile_model`) advances all
initial states together, in parallel over blocks of them.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr
from numba import prange

from ...models import Model, compile_model
from ...models.jit import stable_jit
from ...provenance import provenance
from ...sim import initial_states, thread_count
from ...sim.kernels import BLOCK
from ...store.attrs import IC_ATTRS, ITERATION_ATTRS
from .fixed_points import parameter_vector

__all__ = ["MODES", "orbit_diagram"]

MODES = ("independent", "forward", "backward")


@cache
def _orbit_kernel(advance, n_state: int):
    @stable_jit(advance, n_state, parallel=True)
    def kernel(X0, P0, row, values, transient, settle, keep, every, bound, sweep, out, diverged):
        n_ic = X0.shape[1]
        n_blocks = (n_ic + BLOCK - 1) // BLOCK
        for b in prange(n_blocks):
            lo = b * BLOCK
            hi = min(lo + BLOCK, n_ic)
            m = hi - lo
            X = X0[:, lo:hi].copy()
            P = P0[:, lo:hi].copy()
            ok = np.ones(m, dtype=np.bool_)
            for j in range(values.shape[0]):
                for i in range(m):
                    P[row, i] = values[j]
                n = settle
                if j == 0 or not sweep:
                    n = transient
                    X[:, :] = X0[:, lo:hi]
                    ok[:] = True
                advance(X, P, 0, m, n, bound, ok)
                for s in range(keep):
                    advance(X, P, 0, m, every, bound, ok)
                    for v in range(n_state):
                        for i in range(m):
                            out[j, s, v, lo + i] = X[v, i] if ok[i] else np.nan
                for i in range(m):
                    diverged[j, lo + i] = not ok[i]
                    if not ok[i]:
                        X[:, i] = X0[:, lo + i]
                        ok[i] = True

    return kernel


def orbit_diagram(
    model: Model,
    parameter: str,
    values: np.ndarray,
    fixed: dict[str, float] | None = None,
    *,
    modes: tuple[str, ...] | str = ("forward", "backward"),
    n_initial: int = 1,
    initial: np.ndarray | None = None,
    seed: int = 0,
    transient: int = 1000,
    settle: int | None = None,
    keep: int = 200,
    every: int = 1,
    bound: float | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """Orbit diagram of ``model`` over ``parameter`` (module docstring for ``modes``).

    ``values``: the parameter values (any order; the result's coordinate is sorted). Initial
    states: :func:`neurodyn.sim.initial_states` (``n_initial`` drawn from the state boxes with
    ``seed``, or ``initial`` (n, n_state)). ``settle`` defaults to ``transient // 4``.

    Returns a Dataset with dims ``(mode, <parameter>, ic, iteration)``: one variable per state
    variable (kept states), ``diverged`` (mode, <parameter>, ic) and ``initial_state``.
    """
    if isinstance(modes, str):
        modes = (modes,)
    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"unknown orbit-diagram mode(s) {sorted(unknown)}; choose from {MODES}")
    for name, count in (("transient", transient), ("keep", keep), ("every", every)):
        if int(count) != count or count < (1 if name == "every" else 0):
            raise ValueError(f"{name} must be a non-negative integer, not {count!r}")
    settle = transient // 4 if settle is None else int(settle)
    values = np.sort(np.asarray(values, dtype=np.float64).ravel())
    model.resolve_parameters({parameter: values})
    p = parameter_vector(model, {k: v for k, v in (fixed or {}).items() if k != parameter})
    ics = initial_states(model, n_initial, seed, initial)
    n_ic = ics.shape[0]
    X0 = np.array(ics.T, order="C")
    P0 = np.ascontiguousarray(np.repeat(p[:, None], n_ic, axis=1))
    row = model.parameter_names.index(parameter)
    kernel = _orbit_kernel(compile_model(model).advance, model.n_state)
    data = np.empty((len(modes), len(values), keep, model.n_state, n_ic))
    diverged = np.empty((len(modes), len(values), n_ic), dtype=np.bool_)
    with thread_count(threads):
        for k, mode in enumerate(modes):
            order = values[::-1] if mode == "backward" else values
            out = np.empty((len(values), keep, model.n_state, n_ic))
            flags = np.empty((len(values), n_ic), dtype=np.bool_)
            kernel(
                X0,
                P0,
                row,
                np.ascontiguousarray(order),
                int(transient),
                settle,
                int(keep),
                int(every),
                float(model.bound if bound is None else bound),
                mode != "independent",
                out,
                flags,
            )
            if mode == "backward":
                out, flags = out[::-1], flags[::-1]
            data[k], diverged[k] = out, flags
    dims = ("mode", parameter, "ic", "iteration")
    data_vars = {
        name: (
            dims,
            data[:, :, :, r, :].transpose(0, 1, 3, 2),
            {"long_name": f"{name} ({var.description or 'state'}), kept states", "units": "1"},
        )
        for r, (name, var) in enumerate(zip(model.state_names, model.state, strict=True))
    }
    data_vars["diverged"] = (
        dims[:3],
        diverged,
        {"long_name": "state became non-finite or left [-bound, bound]", "units": "1"},
    )
    data_vars["initial_state"] = (
        ("ic", "state"),
        ics,
        {"long_name": "initial state of the independent runs and of each sweep", "units": "1"},
    )
    info = model.parameter(parameter)
    coords = {
        "mode": ("mode", list(modes), {"long_name": "how the parameter is swept", "units": "1"}),
        parameter: (
            parameter,
            values,
            {"units": info.unit, "long_name": info.description or parameter},
        ),
        "ic": ("ic", np.arange(n_ic), IC_ATTRS),
        "iteration": (
            "iteration",
            np.arange(1, keep + 1) * every,
            {**ITERATION_ATTRS, "long_name": "iterations after the transient (or settling)"},
        ),
        "state": ("state", list(model.state_names), {"long_name": "state variable", "units": "1"}),
    }
    attrs = {
        "model": model.name,
        "parameter": parameter,
        "fixed_parameters": {
            k: v for k, v in zip(model.parameter_names, p.tolist(), strict=True) if k != parameter
        },
        "transient": transient,
        "settle": settle,
        "keep": keep,
        "every": every,
        "seed": seed,
        "time_unit": "iteration",
        "convention": "iteration counts from the end of the transient (or settling) at each "
        "parameter value; forward/backward sweeps continue the state between values",
        **provenance(),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
