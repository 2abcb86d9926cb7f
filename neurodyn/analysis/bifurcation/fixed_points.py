"""Fixed points and period-k cycles of maps: Newton from many seeds, deduplicated, classified.

A period-k cycle is a solution of ``f^k(x) = x`` whose least period is k. Newton's method on
``f^k(x) - x`` (single shooting, Jacobian ``M - I`` with the monodromy matrix
``M = Df(x_{k-1}) ... Df(x_0)``) runs from every seed in parallel (numba, one seed per task).
Converged solutions are expanded to their orbits, solutions of a lower period dividing k are
dropped, orbits that share a point (within ``dedup_tol``) are the same cycle, and a cycle whose
monodromy matrix overflows (not finite) is dropped.

Multipliers are the eigenvalues of ``M`` (the same for every point of the orbit), sorted by
decreasing modulus. Stability (maps): ``stable`` when every ``|mu| < 1``, ``repeller`` when every
``|mu| > 1``, ``saddle`` otherwise, ``non-hyperbolic`` when some ``|mu|`` is within
``hyperbolic_tol`` of 1.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr
from numba import prange

from ...models import Model
from ...models.jit import stable_jit
from ...models.vecmath import small_matmul
from ...provenance import provenance
from ...sim.batch import thread_count
from .derivatives import map_derivatives, monodromy, orbit_derivatives
from .linalg import solve_small

__all__ = [
    "canonical_orbit",
    "classify_multipliers",
    "cycle_multipliers",
    "cycles_dataset",
    "find_cycles",
    "newton_cycles",
    "parameter_vector",
]


def parameter_vector(model: Model, parameters: dict[str, float] | None = None) -> np.ndarray:
    """All of ``model``'s parameters as a float vector (defaults overridden by ``parameters``,
    each checked against its range)."""
    resolved = model.resolve_parameters(parameters or {})
    values = [resolved[name] for name in model.parameter_names]
    if any(np.ndim(v) for v in values):
        raise ValueError("parameters must be scalars here (one parameter point)")
    return np.array(values, dtype=np.float64)


@cache
def orbit_composer(point_derivatives, n: int):
    """``compose(x, p, period, y, F, A, FP, M, T, r, orbit, record) -> (residual, size)``.

    Iterates ``x`` ``period`` times with parameters ``p``: ``y = f^period(x)``, ``M`` its
    Jacobian (the product of the point Jacobians along the orbit), ``r = x - y``; the orbit's
    points go into the rows of ``orbit`` when ``record``. Returns ``max |r|`` and ``max |x|``.
    ``F, A, FP, T`` are work arrays of :func:`.derivatives.map_derivatives`' shapes. The
    Newton step of a period-``period`` cycle is then ``(M - I) dx = r``.
    """

    @stable_jit(point_derivatives, n, inline="always", error_model="numpy")
    def compose(x, p, period, y, F, A, FP, M, T, r, orbit, record):
        y[:] = x
        M[:, :] = 0.0
        for i in range(n):
            M[i, i] = 1.0
        for j in range(period):
            if record:
                orbit[j, :] = y
            point_derivatives(y, p, F, A, FP)
            y[:] = F
            small_matmul(A, M, T)
            M[:, :] = T
        residual = 0.0
        size = 0.0
        for i in range(n):
            r[i] = x[i] - y[i]
            residual = max(residual, abs(r[i]))
            size = max(size, abs(x[i]))
        return residual, size

    return compose


@cache
def _newton_kernel(point_derivatives, n: int, m: int, parallel: bool):
    compose = orbit_composer(point_derivatives, n)

    @stable_jit(compose, m, parallel, parallel=parallel, error_model="numpy")
    def kernel(X0, P, period, tol, max_iter, bound, X, status):
        batch = X0.shape[1]
        for b in prange(batch):
            x = X0[:, b].copy()
            p = P[:, b].copy()
            y = np.empty(n)
            F = np.empty(n)
            A = np.empty((n, n))
            FP = np.empty((n, m))
            M = np.empty((n, n))
            T = np.empty((n, n))
            r = np.empty(n)
            dx = np.empty(n)
            orbit = np.empty((0, n))
            state = 0
            for _ in range(max_iter):
                residual, size = compose(x, p, period, y, F, A, FP, M, T, r, orbit, False)
                if not np.isfinite(residual) or size > bound:
                    state = -1
                    break
                if residual <= tol * (1.0 + size):
                    state = 1
                    break
                for i in range(n):
                    M[i, i] -= 1.0
                if not solve_small(M, r, dx):
                    state = -2
                    break
                for i in range(n):
                    x[i] += dx[i]
            X[:, b] = x
            status[b] = state

    return kernel


def newton_cycles(
    model: Model,
    seeds: np.ndarray,
    parameters: np.ndarray,
    *,
    period: int = 1,
    tol: float = 1e-12,
    max_iter: int = 60,
    threads: int | None = None,
    parallel: bool | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Newton on ``f^period(x) = x`` from each column of ``seeds`` (n_state, batch) with the
    parameters ``parameters`` (n_param, batch), in parallel.

    Returns ``(X, status)``: the final iterates (n_state, batch) and per column 1 (converged:
    ``max|f^k(x) - x| <= tol (1 + max|x|)``), 0 (not converged in ``max_iter``), -1 (diverged:
    non-finite or beyond ``model.bound``), -2 (``M - I`` singular). ``parallel`` (default:
    batches of more than 4096 columns) runs the columns on numba's threads; the serial kernel
    compiles several times faster.
    """
    if period < 1:
        raise ValueError(f"period must be a positive integer, not {period}")
    deriv = map_derivatives(model)
    seeds = np.ascontiguousarray(seeds, dtype=np.float64)
    P = np.ascontiguousarray(parameters, dtype=np.float64)
    if seeds.ndim != 2 or seeds.shape[0] != model.n_state or P.shape != (deriv.m, seeds.shape[1]):
        raise ValueError(
            f"seeds must be ({model.n_state}, batch) and parameters ({deriv.m}, batch), "
            f"not {seeds.shape} and {P.shape}"
        )
    X = np.empty_like(seeds)
    status = np.zeros(seeds.shape[1], dtype=np.int64)
    if parallel is None:
        parallel = seeds.shape[1] > 4096
    kernel = _newton_kernel(deriv.point_derivatives, deriv.n, deriv.m, bool(parallel))
    with thread_count(threads):
        kernel(seeds, P, int(period), float(tol), int(max_iter), float(model.bound), X, status)
    return X, status


def orbit_of(model: Model, x0: np.ndarray, p: np.ndarray, period: int) -> np.ndarray:
    """The ``period`` points ``x0, f(x0), ...`` as an array (period, n_state)."""
    deriv = map_derivatives(model)
    orbit = np.empty((period, model.n_state))
    orbit[0] = x0
    for j in range(1, period):
        orbit[j] = deriv.value(orbit[j - 1], p)
    return orbit


def cycle_multipliers(
    model: Model, orbit: np.ndarray, parameters: dict[str, float] | np.ndarray | None = None
) -> np.ndarray:
    """Multipliers (eigenvalues of the monodromy matrix) of the cycle ``orbit`` (k, n_state),
    sorted by decreasing modulus."""
    p = parameters if isinstance(parameters, np.ndarray) else parameter_vector(model, parameters)
    A = orbit_derivatives(map_derivatives(model), np.atleast_2d(orbit), p)[1]
    return sorted_eigenvalues(monodromy(A))


def sorted_eigenvalues(M: np.ndarray) -> np.ndarray:
    """Eigenvalues of ``M`` as complex numbers sorted by decreasing modulus (then by angle)."""
    mu = np.linalg.eigvals(M).astype(np.complex128)
    order = np.lexsort((-mu.imag, -np.abs(mu)))
    return mu[order]


def classify_multipliers(mu: np.ndarray, hyperbolic_tol: float = 1e-7) -> str:
    """``stable``, ``saddle``, ``repeller`` or ``non-hyperbolic`` (see the module docstring)."""
    modulus = np.abs(np.asarray(mu))
    if np.any(np.abs(modulus - 1.0) <= hyperbolic_tol):
        return "non-hyperbolic"
    if np.all(modulus < 1.0):
        return "stable"
    if np.all(modulus > 1.0):
        return "repeller"
    return "saddle"


def _divisors(k: int) -> list[int]:
    return [d for d in range(1, k) if k % d == 0]


def canonical_orbit(orbit: np.ndarray) -> np.ndarray:
    """The orbit rotated to start at its lexicographically smallest point."""
    start = np.lexsort(orbit.T[::-1])[0]
    return np.roll(orbit, -start, axis=0)


def find_cycles(
    model: Model,
    parameters: dict[str, float] | None = None,
    *,
    period: int = 1,
    seeds: np.ndarray | None = None,
    n_seeds: int = 200,
    seed: int = 0,
    tol: float = 1e-12,
    dedup_tol: float = 1e-7,
    max_iter: int = 60,
    hyperbolic_tol: float = 1e-7,
    threads: int | None = None,
) -> xr.Dataset:
    """All period-``period`` cycles that Newton finds from the seeds, as a Dataset.

    ``seeds`` (n_seeds, n_state) or, by default, the model's initial state and ``n_seeds - 1``
    points drawn uniformly from the state variables' boxes with ``numpy.random.default_rng(seed)``.

    Returns variables ``orbit`` (cycle, phase, state) starting at the lexicographically smallest
    point, ``multipliers`` (cycle, multiplier; complex, decreasing modulus), ``residual``
    (cycle; ``max|f^k(x_0) - x_0|``), ``stability`` (cycle; see the module docstring),
    ``n_unstable`` (cycle; number of ``|mu| > 1``). Cycles are sorted by stability then by their
    first point. Units: states in the model's units; multipliers are dimensionless.
    """
    p = parameter_vector(model, parameters)
    if seeds is None:
        rng = np.random.default_rng(seed)
        low = np.array([v.low for v in model.state])
        high = np.array([v.high for v in model.state])
        seeds = np.vstack(
            [model.initial_state(), rng.uniform(low, high, (max(n_seeds - 1, 0), model.n_state))]
        )
    seeds = np.atleast_2d(np.asarray(seeds, dtype=np.float64))
    X, status = newton_cycles(
        model,
        seeds.T,
        np.repeat(p[:, None], seeds.shape[0], axis=1),
        period=period,
        tol=tol,
        max_iter=max_iter,
        threads=threads,
    )
    cycles: list[np.ndarray] = []
    for x0 in X[:, status == 1].T:
        orbit = orbit_of(model, x0, p, period)
        scale = 1.0 + np.max(np.abs(orbit))
        lower = [d for d in _divisors(period) if np.max(np.abs(orbit[d] - x0)) <= dedup_tol * scale]
        if lower:
            continue
        if any(np.min(np.max(np.abs(c - x0), axis=1)) <= dedup_tol * scale for c in cycles):
            continue
        cycles.append(canonical_orbit(orbit))
    deriv = map_derivatives(model)
    with np.errstate(all="ignore"):  # an orbit whose monodromy overflows is no usable cycle
        monodromies = [monodromy(orbit_derivatives(deriv, c, p)[1]) for c in cycles]
    cycles = [c for c, M in zip(cycles, monodromies, strict=True) if np.all(np.isfinite(M))]
    multipliers = [sorted_eigenvalues(M) for M in monodromies if np.all(np.isfinite(M))]
    residual = [np.max(np.abs(orbit_of(model, c[-1], p, 2)[1] - c[0])) for c in cycles]
    attrs = {
        "model": model.name,
        "parameters": dict(zip(model.parameter_names, p.tolist(), strict=True)),
        "n_seeds": int(seeds.shape[0]),
        "seed": seed,
        "newton_tol": tol,
        "dedup_tol": dedup_tol,
    }
    return cycles_dataset(
        model.state_names, period, cycles, multipliers, residual, attrs, hyperbolic_tol
    )


def cycles_dataset(
    state_names: tuple[str, ...],
    period: int,
    cycles: list[np.ndarray],
    multipliers: list[np.ndarray],
    residual: list[float],
    attrs: dict[str, object],
    hyperbolic_tol: float = 1e-7,
    extra: dict[str, list[np.ndarray]] | None = None,
) -> xr.Dataset:
    """The Dataset :func:`find_cycles` returns, from canonical ``cycles`` (period, n_state)
    with their ``multipliers`` and ``residual``; ``extra`` holds more per-point variables
    (name: one (period,) array per cycle, on dims (cycle, phase)). Sorted by stability, then by
    first point; ``attrs`` gain the period, the conventions and the provenance."""
    labels = [classify_multipliers(mu, hyperbolic_tol) for mu in multipliers]
    rank = {"stable": 0, "non-hyperbolic": 1, "saddle": 2, "repeller": 3}
    order = sorted(range(len(cycles)), key=lambda i: (rank[labels[i]], *cycles[i][0]))
    n = len(state_names)
    orbits = np.array([cycles[i] for i in order]).reshape(len(order), period, n)
    mus = np.array([multipliers[i] for i in order], dtype=np.complex128).reshape(len(order), n)
    data_vars = {
        "orbit": (("cycle", "phase", "state"), orbits, {"long_name": "points of the cycle"}),
        "multipliers": (
            ("cycle", "multiplier"),
            mus,
            {"long_name": "eigenvalues of the monodromy matrix", "units": "1"},
        ),
        "residual": (
            ("cycle",),
            np.array([residual[i] for i in order], dtype=np.float64),
            {"long_name": "max |f(x_{k-1}) - x_0|"},
        ),
        "stability": (("cycle",), np.array([labels[i] for i in order], dtype=str).reshape(-1)),
        "n_unstable": (("cycle",), (np.abs(mus) > 1.0).sum(axis=1).astype(np.int64)),
    }
    for name, values in (extra or {}).items():
        data_vars[name] = (
            ("cycle", "phase"),
            np.array([values[i] for i in order]).reshape(-1, period),
        )
    attrs = {
        **attrs,
        "period": period,
        "convention": "multipliers sorted by decreasing modulus; stability: stable if all "
        f"|mu|<1, repeller if all |mu|>1, non-hyperbolic if some ||mu|-1|<={hyperbolic_tol}",
        **provenance(),
    }
    coords = {
        "cycle": np.arange(len(order)),
        "phase": np.arange(period),
        "state": list(state_names),
        "multiplier": np.arange(n),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)
