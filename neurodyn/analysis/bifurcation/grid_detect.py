"""Overview of codimension-1 and -2 bifurcations of fixed points or cycles over a parameter grid.

:func:`scan_test_functions` finds, at every point of a two-parameter grid, the period-k cycles
that Newton reaches from a fixed set of seeds and from the cycles found at the neighbouring
points (deduplicated, up to ``max_cycles`` per point), and evaluates on each the test functions
of one-parameter continuation: ``LP = det(M - I)``, ``PD = det(M + I)``,
``NS = det(M (.) M - I)`` (bialternate product), with ``M`` the monodromy matrix, and ``kappa``
(``cos theta`` of the argument of the complex multiplier pair closest to the unit circle).

:func:`detect_on_grid` compares neighbouring grid points: each cycle is matched with the nearest
cycle at the neighbour (within ``match_tol``); a sign change of a test function between matched
cycles marks both points (``LP``, ``PD``; ``NS`` only when a complex pair crosses the unit
circle, not at a neutral saddle), and so does a change in the number of cycles (a fold: cycles
appear or vanish in pairs; ``LP`` too, where the count drops by two or more and the unmatched
cycles include a pair with opposite signs of ``det(M - I)``, as the two cycles that meet at a
fold have). Codimension-2 *candidates* are points within one grid
step of two different codimension-1 marks on the same cycle: ``LPPD``; ``LP`` + ``NS``: ``R1``
when ``kappa`` is near 1 there, else ``LPNS``; ``PD`` + ``NS``: ``R2`` when ``kappa`` is near -1,
else ``PDNS``; and on ``NS`` marks the sign changes of ``kappa + 1/2`` (``R3``) and ``kappa``
(``R4``); ``NSNS`` where two complex pairs lie within ``unit_tol`` of the unit circle. Cusp,
generalised flip and Chenciner points need normal-form coefficients and are left to
:mod:`.codim2`; the grid locates nothing more precisely than its spacing.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr
from numba import prange

from ...models import Model
from ...models.jit import stable_jit
from ...provenance import provenance
from ...sim import grid_batch
from .derivatives import map_derivatives
from .fixed_points import orbit_composer
from .linalg import solve_small

__all__ = ["detect_on_grid", "scan_test_functions"]


@cache
def _grid_kernels(point_derivatives, n: int, m: int, parallel: bool):
    """``add_cycles`` (Newton from seeds at one grid point, keeping new cycles) and the two
    parallel drivers: ``seed_all`` (the same seeds everywhere) and ``sweep`` (along grid lines,
    each point seeded with the cycles of the previous one, which carries cycles across the grid
    as natural-parameter continuation would)."""
    compose = orbit_composer(point_derivatives, n)

    @stable_jit(point_derivatives, n, m, error_model="numpy")
    def add_cycles(
        seeds, count_seeds, p, period, tol, max_iter, bound, dedup, g, found, states, monodromies
    ):
        max_cycles = states.shape[1]
        x = np.empty(n)
        y = np.empty(n)
        F = np.empty(n)
        A = np.empty((n, n))
        FP = np.empty((n, m))
        M = np.empty((n, n))
        T = np.empty((n, n))
        G = np.empty((n, n))
        r = np.empty(n)
        dx = np.empty(n)
        orbit = np.empty((period, n))
        for s in range(count_seeds):
            if found[g] == max_cycles:
                return
            x[:] = seeds[s]
            converged = False
            size = 0.0
            for _ in range(max_iter):
                residual, size = compose(x, p, period, y, F, A, FP, M, T, r, orbit, True)
                if not np.isfinite(residual) or size > bound:
                    break
                if residual <= tol * (1.0 + size):
                    converged = True
                    break
                G[:, :] = M
                for i in range(n):
                    G[i, i] -= 1.0
                if not solve_small(G, r, dx):
                    break
                for i in range(n):
                    x[i] += dx[i]
            if not converged:
                continue
            lower = False  # least period: a proper divisor closes the orbit already
            for d in range(1, period):
                if period % d == 0:
                    gap = 0.0
                    for i in range(n):
                        gap = max(gap, abs(orbit[d, i] - orbit[0, i]))
                    if gap <= dedup * (1.0 + size):
                        lower = True
                        break
            if lower:
                continue
            best = 0  # canonical point: the lexicographically smallest of the orbit
            for j in range(1, period):
                for i in range(n):
                    if orbit[j, i] < orbit[best, i]:
                        best = j
                        break
                    if orbit[j, i] > orbit[best, i]:
                        break
            duplicate = False
            for c in range(found[g]):
                gap = 0.0
                for i in range(n):
                    gap = max(gap, abs(states[g, c, i] - orbit[best, i]))
                if gap <= dedup * (1.0 + size):
                    duplicate = True
                    break
            if duplicate:
                continue
            states[g, found[g], :] = orbit[best, :]
            monodromies[g, found[g], :, :] = M
            found[g] += 1

    @stable_jit(add_cycles, parallel, parallel=parallel, error_model="numpy")
    def seed_all(seeds, P, period, tol, max_iter, bound, dedup, found, states, monodromies):
        for g in prange(P.shape[1]):
            add_cycles(
                seeds,
                seeds.shape[0],
                P[:, g].copy(),
                period,
                tol,
                max_iter,
                bound,
                dedup,
                g,
                found,
                states,
                monodromies,
            )

    @stable_jit(add_cycles, parallel, parallel=parallel, error_model="numpy")
    def sweep(
        shape0,
        shape1,
        axis,
        reverse,
        P,
        period,
        tol,
        max_iter,
        bound,
        dedup,
        found,
        states,
        monodromies,
    ):
        lines = shape1 if axis == 0 else shape0
        length = shape0 if axis == 0 else shape1
        max_cycles = states.shape[1]
        for line in prange(lines):
            seeds = np.empty((max_cycles, n))
            for step in range(1, length):
                k = length - 1 - step if reverse else step
                prev = k + 1 if reverse else k - 1
                if axis == 0:
                    g, h = k * shape1 + line, prev * shape1 + line
                else:
                    g, h = line * shape1 + k, line * shape1 + prev
                for c in range(found[h]):
                    seeds[c] = states[h, c]
                add_cycles(
                    seeds,
                    found[h],
                    P[:, g].copy(),
                    period,
                    tol,
                    max_iter,
                    bound,
                    dedup,
                    g,
                    found,
                    states,
                    monodromies,
                )

    return seed_all, sweep


def _compound2_stack(M: np.ndarray) -> np.ndarray:
    n = M.shape[-1]
    i, j = np.tril_indices(n, -1)
    return M[..., i[:, None], i[None, :]] * M[..., j[:, None], j[None, :]] - (
        M[..., i[:, None], j[None, :]] * M[..., j[:, None], i[None, :]]
    )


def scan_test_functions(
    model: Model,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float] | None = None,
    *,
    period: int = 1,
    seeds: np.ndarray | None = None,
    n_seeds: int = 16,
    seed: int = 0,
    max_cycles: int = 4,
    tol: float = 1e-11,
    dedup_tol: float = 1e-6,
    max_iter: int = 40,
    sweeps: int = 1,
    threads: int | None = None,
    parallel: bool | None = None,
) -> xr.Dataset:
    """Cycles and test functions at every point of the grid over two parameters (module
    docstring). Seeds: ``seeds`` (n_seeds, n_state) or the model's initial state and
    ``n_seeds - 1`` points from the state boxes drawn with ``numpy.random.default_rng(seed)``
    (the same at every grid point), then ``sweeps`` rounds of sweeps along both grid axes in
    both directions, seeding each point with the cycles found at the previous point of its
    line. The result does not depend on the number of threads. ``parallel`` (default: grids of
    more than 4096 points) runs grid points (lines, in the sweeps) on numba's threads; the
    serial kernels compile several times faster.

    Returns a Dataset with dims ``(<p1>, <p2>, cycle)`` and variables ``found`` (cycles at the
    point), ``cycle_state`` (…, cycle, state; a point of each cycle), ``multipliers`` (complex),
    ``test_LP``, ``test_PD``, ``test_NS`` (n_state >= 2) and ``kappa``; NaN for missing cycles.
    """
    from ...sim.batch import thread_count

    if len(axes) != 2:
        raise ValueError(f"two swept parameters are needed, got {list(axes)}")
    axes = {k: np.asarray(v, dtype=np.float64) for k, v in axes.items()}
    deriv = map_derivatives(model)
    n = model.n_state
    if seeds is None:
        rng = np.random.default_rng(seed)
        low = np.array([v.low for v in model.state])
        high = np.array([v.high for v in model.state])
        seeds = np.vstack([model.initial_state(), rng.uniform(low, high, (n_seeds - 1, n))])
    seeds = np.ascontiguousarray(np.atleast_2d(seeds), dtype=np.float64)
    P = grid_batch(model, axes, dict(fixed or {}), 1)
    n_points = P.shape[1]
    found = np.zeros(n_points, dtype=np.int64)
    states = np.full((n_points, max_cycles, n), np.nan)
    monodromies = np.full((n_points, max_cycles, n, n), np.nan)
    if parallel is None:
        parallel = n_points > 4096
    seed_all, sweep = _grid_kernels(deriv.point_derivatives, n, deriv.m, bool(parallel))
    settings = (int(period), float(tol), int(max_iter), float(model.bound), float(dedup_tol))
    n0, n1 = (len(v) for v in axes.values())
    with thread_count(threads):
        seed_all(seeds, P, *settings, found, states, monodromies)
        for _ in range(sweeps):
            for axis, reverse in ((0, False), (0, True), (1, False), (1, True)):
                sweep(n0, n1, axis, reverse, P, *settings, found, states, monodromies)
    valid = np.isfinite(monodromies).all(axis=(-1, -2))
    safe = np.where(valid[..., None, None], monodromies, 0.0)
    mu = np.linalg.eigvals(safe).astype(np.complex128)
    order = np.argsort(-np.abs(mu), axis=-1, kind="stable")
    mu = np.take_along_axis(mu, order, axis=-1)
    eye = np.eye(n)
    test_lp = np.linalg.det(safe - eye)
    test_pd = np.linalg.det(safe + eye)
    shape = (*(len(v) for v in axes.values()), max_cycles)
    dims = (*axes, "cycle")
    data = {
        "found": (dims[:2], found.reshape(shape[:2])),
        "cycle_state": ((*dims, "state"), states.reshape(*shape, n)),
        "multipliers": (
            (*dims, "multiplier"),
            np.where(valid[..., None], mu, np.nan).reshape(*shape, n),
        ),
        "test_LP": (dims, np.where(valid, test_lp, np.nan).reshape(shape)),
        "test_PD": (dims, np.where(valid, test_pd, np.nan).reshape(shape)),
    }
    if n >= 2:
        C = _compound2_stack(safe)
        test_ns = np.linalg.det(C - np.eye(C.shape[-1]))
        data["test_NS"] = (dims, np.where(valid, test_ns, np.nan).reshape(shape))
        complex_pair = np.abs(mu.imag) > 1e-12
        gap = np.where(complex_pair, np.abs(np.abs(mu) - 1.0), np.inf)
        pick = np.argmin(gap, axis=-1)
        critical = np.take_along_axis(mu, pick[..., None], axis=-1)[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            kappa = critical.real / np.abs(critical)
        kappa = np.where(np.isfinite(np.min(gap, axis=-1)) & valid, kappa, np.nan)
        data["kappa"] = (dims, kappa.reshape(shape))
    coords = {name: (name, values) for name, values in axes.items()}
    coords |= {
        "cycle": np.arange(max_cycles),
        "state": list(model.state_names),
        "multiplier": np.arange(n),
    }
    resolved = model.resolve_parameters(dict(fixed or {}))
    attrs = {
        "model": model.name,
        "period": period,
        "fixed_parameters": {k: v for k, v in resolved.items() if k not in axes},
        "n_seeds": int(seeds.shape[0]),
        "sweeps": sweeps,
        "seed": seed,
        "convention": "test_LP = det(M - I), test_PD = det(M + I), test_NS = det(M(.)M - I); "
        "kappa: cos(arg) of the complex multiplier pair closest to the unit circle",
        **provenance(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _neighbours(shape):
    """Pairs of flat indices of horizontally and vertically adjacent grid points."""
    index = np.arange(shape[0] * shape[1]).reshape(shape)
    pairs = [
        (index[:-1, :].ravel(), index[1:, :].ravel()),
        (index[:, :-1].ravel(), index[:, 1:].ravel()),
    ]
    return np.concatenate([a for a, _ in pairs]), np.concatenate([b for _, b in pairs])


def _match(states: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float):
    """For each cycle at points ``a``: the nearest cycle at points ``b`` and whether it lies
    within ``tol`` (missing cycles never match)."""
    dist = np.linalg.norm(states[b][:, None, :, :] - states[a][:, :, None, :], axis=-1)
    dist = np.where(np.isfinite(dist), dist, np.inf)
    partner = np.argmin(dist, axis=2)
    best = np.take_along_axis(dist, partner[..., None], axis=2)[..., 0]
    return partner, best <= tol


def _crosses(va: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """Finite values on opposite sides of zero (zero counts as positive)."""
    return np.isfinite(va) & np.isfinite(vb) & ((va >= 0) != (vb >= 0))


def detect_on_grid(
    grid: xr.Dataset, *, match_tol: float | None = None, unit_tol: float = 0.05
) -> xr.Dataset:
    """Codimension-1 marks and codimension-2 candidates from a :func:`scan_test_functions`
    Dataset (module docstring). ``match_tol`` (default: 10 % of the state's spread over the
    grid) is the largest distance at which two cycles at neighbouring points are the same.

    Returns boolean maps over the two parameters: ``LP``, ``PD``, ``NS`` and the candidates
    ``LPPD``, ``LPNS``, ``PDNS``, ``NSNS``, ``R1``, ``R2``, ``R3``, ``R4``; attribute ``labels``
    lists which are non-empty.
    """
    dims = [d for d in grid["found"].dims]
    shape = grid["found"].shape
    n_cycles = grid.sizes["cycle"]
    states = grid["cycle_state"].values.reshape(-1, n_cycles, grid.sizes["state"])
    if match_tol is None:
        spread = np.nanmax(states, axis=(0, 1)) - np.nanmin(states, axis=(0, 1))
        match_tol = 0.1 * float(np.nanmax(spread)) if np.isfinite(spread).any() else 1.0
    tests = {
        name: grid[f"test_{name}"].values.reshape(-1, n_cycles)
        for name in ("LP", "PD", "NS")
        if f"test_{name}" in grid
    }
    kappa = grid["kappa"].values.reshape(-1, n_cycles) if "kappa" in grid else None
    mu = grid["multipliers"].values.reshape(-1, n_cycles, grid.sizes["multiplier"])
    a, b = _neighbours(shape)
    total = shape[0] * shape[1]
    marks = {name: np.zeros((total, n_cycles), dtype=bool) for name in ("LP", "PD", "NS")}
    res = {name: np.zeros((total, n_cycles), dtype=bool) for name in ("R3", "R4")}
    found = grid["found"].values.reshape(-1)
    partner_ab, matched_ab = _match(states, a, b, match_tol)
    partner_ba, matched_ba = _match(states, b, a, match_tol)
    lp_test = tests["LP"]
    fold = np.zeros(len(a), dtype=bool)
    for rich, poor, matched in ((a, b, matched_ab), (b, a, matched_ba)):
        gone = ~matched & np.isfinite(lp_test[rich])
        positive = (gone & (lp_test[rich] >= 0)).any(axis=1)
        negative = (gone & (lp_test[rich] < 0)).any(axis=1)
        fold |= (found[rich] >= found[poor] + 2) & positive & negative
    for c in range(n_cycles):
        partner, matched = partner_ab[:, c], matched_ab[:, c]
        for name, values in tests.items():
            change = matched & _crosses(values[a, c], values[b, partner])
            if name == "NS":
                change &= np.any(np.abs(mu[a, c].imag) > 1e-12, axis=-1) & np.any(
                    np.abs(mu[b, partner].imag) > 1e-12, axis=-1
                )
            marks[name][a[change], c] = True
            marks[name][b[change], partner[change]] = True
        if kappa is not None:
            for name, shift in (("R3", 0.5), ("R4", 0.0)):
                change = matched & _crosses(kappa[a, c] + shift, kappa[b, partner] + shift)
                res[name][a[change], c] = True
                res[name][b[change], partner[change]] = True
    lp = marks["LP"].any(axis=1)
    lp[a[fold]] = True
    lp[b[fold]] = True
    maps = {"LP": lp, "PD": marks["PD"].any(axis=1), "NS": marks["NS"].any(axis=1)}

    def near(mask2d):
        m = mask2d.reshape(*shape, n_cycles)
        out = m.copy()
        out[1:] |= m[:-1]
        out[:-1] |= m[1:]
        out[:, 1:] |= m[:, :-1]
        out[:, :-1] |= m[:, 1:]
        return out.reshape(total, n_cycles)

    lp_c = near(marks["LP"]) | near(
        np.repeat(lp[:, None], n_cycles, axis=1) & np.isfinite(states[..., 0])
    )
    pd_c, ns_c = near(marks["PD"]), near(marks["NS"])
    kap = kappa if kappa is not None else np.full((total, n_cycles), np.nan)
    n = grid.sizes["state"]
    near_one = near(np.abs(kap - 1) < 0.1) | (n < 3)  # with 2 states LP meets NS only at R1
    near_minus_one = near(np.abs(kap + 1) < 0.1) | (n < 3)  # and PD meets NS only at R2
    both = {
        "LPPD": (lp_c & pd_c).any(axis=1),
        "R1": (lp_c & ns_c & near_one).any(axis=1),
        "LPNS": (lp_c & ns_c & ~near_one).any(axis=1),
        "R2": (pd_c & ns_c & near_minus_one).any(axis=1),
        "PDNS": (pd_c & ns_c & ~near_minus_one).any(axis=1),
        "R3": (res["R3"] & ns_c).any(axis=1),
        "R4": (res["R4"] & ns_c).any(axis=1),
    }
    unit = np.abs(np.abs(mu) - 1.0) < unit_tol
    pairs_on_circle = (unit & (mu.imag > 1e-12)).sum(axis=-1)
    both["NSNS"] = ((pairs_on_circle >= 2) & ns_c).any(axis=1)
    out = {name: (dims, value.reshape(shape)) for name, value in {**maps, **both}.items()}
    labels = [name for name, (_, value) in out.items() if value.any()]
    attrs = dict(grid.attrs)
    attrs |= {"labels": labels, "match_tol": match_tol, "unit_tol": unit_tol}
    coords = {d: grid[d] for d in dims}
    return xr.Dataset(out, coords=coords, attrs=attrs)
