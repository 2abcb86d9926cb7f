"""Adaptive Dormand–Prince 5(4) integration of a flow, for accuracy checks.

The fixed-step integrators (euler, heun, rk4) are what sweeps and Lyapunov spectra use. To check
them -- and to produce reference trajectories -- :func:`dormand_prince` integrates a flow's
generated right-hand side with the embedded Runge–Kutta pair of Dormand & Prince (J. Comput.
Appl. Math. 6, 19-26 (1980)), fifth-order solution propagated (local extrapolation), FSAL.

Step control as in Hairer, Nørsett & Wanner, Solving ODEs I, sec. II.4 (and scipy's RK45): the
error of a step is ``sqrt(mean((e_r / (atol + rtol * max(|y_r|, |y'_r|)))**2))``; a step is
accepted when it is at most 1, and the next step is ``h * min(5, max(0.2, 0.9 * err**(-1/5)))``.
Steps are shortened to land exactly on the requested output times, so outputs are not
interpolated.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numba import njit

from .codegen import compile_model
from .model import Model, ModelError

__all__ = ["DORMAND_PRINCE", "dormand_prince"]

DORMAND_PRINCE = {
    "c": (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    "a": (
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    "b": (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
    "b_hat": (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40),
}


@cache
def _kernel(evaluate):
    A = np.zeros((7, 7))
    for j, row in enumerate(DORMAND_PRINCE["a"]):
        A[j, : len(row)] = row
    B = np.array(DORMAND_PRINCE["b"])
    E = B - np.array(DORMAND_PRINCE["b_hat"])

    @njit
    def integrate(y0, P, i, times, rtol, atol, max_steps, out):
        n = y0.shape[0]
        y = y0.copy()
        K = np.zeros((7, n))
        stage = np.empty(n)
        y_new = np.empty(n)
        evaluate(y, P, i, K[0])
        t = 0.0
        span = times[-1]
        h = 1e-3 * max(span, 1e-12)
        scale0 = 0.0
        for r in range(n):
            scale0 = max(scale0, abs(K[0, r]) / (atol + rtol * abs(y[r])))
        if scale0 > 0.0:
            h = min(h, 0.01 / scale0)
        steps = 0
        for k in range(times.shape[0]):
            target = times[k]
            while t < target:
                steps += 1
                if steps > max_steps:
                    return False
                last = t + h >= target
                step = target - t if last else h
                for j in range(1, 7):
                    for r in range(n):
                        acc = 0.0
                        for q in range(j):
                            acc += A[j, q] * K[q, r]
                        stage[r] = y[r] + step * acc
                    evaluate(stage, P, i, K[j])
                error = 0.0
                for r in range(n):
                    y_new[r] = stage[r]
                    e = 0.0
                    for q in range(7):
                        e += E[q] * K[q, r]
                    scale = atol + rtol * max(abs(y[r]), abs(y_new[r]))
                    error += (step * e / scale) ** 2
                error = np.sqrt(error / n)
                if error <= 1.0:
                    t = target if last else t + step
                    y[:] = y_new
                    K[0, :] = K[6, :]
                factor = 5.0 if error == 0.0 else min(5.0, max(0.2, 0.9 * error**-0.2))
                h = step * factor if error > 1.0 or not last else max(h, step * factor)
            out[k, :] = y
        return True

    return integrate


def dormand_prince(
    model: Model,
    initial: np.ndarray,
    parameters: dict[str, float] | None = None,
    times: np.ndarray | None = None,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    max_steps: int = 10_000_000,
) -> np.ndarray:
    """States of the flow ``model`` at ``times`` (increasing, > 0, in the model's time unit)
    from ``initial`` at t = 0, shape ``(len(times), n_state)``; ``parameters`` override the
    defaults (``dt`` is ignored). Raises ``RuntimeError`` past ``max_steps`` steps."""
    if model.kind != "flow":
        raise ModelError(f"{model.name!r} is a {model.kind}; Dormand-Prince integrates flows")
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or times[0] <= 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be a non-empty increasing 1-D array of positive times")
    y0 = np.asarray(initial, dtype=np.float64).reshape(-1)
    if y0.shape != (model.n_state,):
        raise ValueError(f"initial must hold {model.n_state} values")
    resolved = model.resolve_parameters(parameters or {})
    P = np.array([[float(resolved[p])] for p in model.parameter_names])
    out = np.empty((times.size, model.n_state))
    done = _kernel(compile_model(model).evaluate)(y0, P, 0, times, rtol, atol, max_steps, out)
    if not done:
        raise RuntimeError(f"Dormand-Prince needed more than {max_steps} steps")
    return out
