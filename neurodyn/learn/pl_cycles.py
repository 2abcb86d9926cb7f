"""Exact fixed points and k-cycles of piecewise-linear RNNs, region by region.

A PLRNN, shPLRNN or AL-RNN is affine within each linear region (:class:`.export.LinearForm`):
with the ReLU pattern ``d`` the map is ``z -> J_d z + c_d``. A period-k cycle visiting the
regions ``d_1 .. d_k`` solves the linear system

    ``(I - M) z_1 = sum_j J_{d_k} ... J_{d_{j+1}} c_{d_j}``,  ``M = J_{d_k} ... J_{d_1}``,

and is a true cycle when its points ``z_{j+1} = J_{d_j} z_j + c_{d_j}`` lie in the regions
assumed (self-consistency). Its multipliers are the eigenvalues of ``M``.

* ``method="scyfi"``: the search of Eisenmann, Monfared, Göring, Durstewitz, *Bifurcations and
  loss jumps in RNN training*, NeurIPS 2023 ("SCYFI"): from random region sequences, solve,
  replace the assumed regions by those of the computed points, and repeat until
  self-consistent (a cycle) or ``max_inner`` iterations (a restart). Heuristic: it finds what
  its ``n_starts`` chains reach.
* ``method="exhaustive"``: every one of the ``2^(p k)`` region sequences (``p`` ReLUs); complete
  except for cycles with a multiplier exactly 1 (``I - M`` singular, counted in
  ``n_singular``), which are not isolated.
* ``method="auto"``: exhaustive up to ``max_exhaustive`` sequences, SCYFI above.

Cycles are deduplicated by their region sequence up to rotation (each sequence has one
solution when ``I - M`` is invertible) and returned as the Dataset of
:func:`~neurodyn.analysis.bifurcation.find_cycles` (orbit, multipliers, residual, stability,
n_unstable) with the region ``code`` of each point (:func:`.plrnn.symbolic_code`'s bits).
Points lying exactly on a region boundary (a ReLU argument exactly 0) count as inactive.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..analysis.bifurcation.fixed_points import canonical_orbit, cycles_dataset, sorted_eigenvalues
from .export import LinearForm, linear_form

__all__ = ["pl_cycles", "solve_regions"]


def solve_regions(
    form: LinearForm, patterns: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The candidate cycles of region sequences ``patterns`` (boolean ``(B, k, p)``).

    Returns ``orbits`` ``(B, k, n)`` (``z_1 .. z_k``), the products ``M`` ``(B, n, n)`` and
    ``solvable`` ``(B,)``: False where ``I - M`` is singular (a zero pivot of its LU
    factorisation), whose orbits are meaningless.
    """
    patterns = np.asarray(patterns, dtype=bool)
    batch, k, _ = patterns.shape
    n = form.n
    J, c = form.region(patterns)
    product = np.broadcast_to(np.eye(n), (batch, n, n)).copy()
    offset = np.zeros((batch, n))
    for j in range(k):
        product = J[:, j] @ product
        offset = np.einsum("bij,bj->bi", J[:, j], offset) + c[:, j]
    G = np.eye(n) - product
    sign, log_det = np.linalg.slogdet(G)
    solvable = (sign != 0) & np.isfinite(log_det)
    G[~solvable] = np.eye(n)
    orbits = np.empty((batch, k, n))
    orbits[:, 0] = np.linalg.solve(G, offset[..., None])[..., 0]
    for j in range(k - 1):
        orbits[:, j + 1] = np.einsum("bij,bj->bi", J[:, j], orbits[:, j]) + c[:, j]
    return orbits, product, solvable


class _Collector:
    """Self-consistent solutions, deduplicated by region sequence up to rotation."""

    def __init__(self, form: LinearForm, period: int, dedup_tol: float):
        self.form, self.k, self.tol = form, period, dedup_tol
        self.bits = np.left_shift(np.int64(1), np.arange(form.n_relu, dtype=np.int64))
        self.cycles: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def add(self, orbits: np.ndarray, products: np.ndarray) -> None:
        codes = self.form.active(orbits).astype(np.int64) @ self.bits
        for orbit, product, code in zip(orbits, products, codes, strict=True):
            key = min(tuple(np.roll(code, -s)) for s in range(self.k))
            if key in self.cycles:
                continue
            scale = self.tol * (1.0 + np.max(np.abs(orbit)))
            if any(
                np.max(np.abs(orbit[d] - orbit[0])) <= scale
                for d in range(1, self.k)
                if self.k % d == 0
            ):
                continue  # a cycle of lower period
            self.cycles[key] = (canonical_orbit(orbit), product)


def _exhaustive(form: LinearForm, k: int, collector: _Collector, chunk: int) -> int:
    p = form.n_relu
    total = 1 << (p * k)
    shifts = np.arange(p * k, dtype=np.int64)
    n_singular = 0
    for start in range(0, total, chunk):
        index = np.arange(start, min(start + chunk, total), dtype=np.int64)
        patterns = ((index[:, None] >> shifts) & 1).astype(bool).reshape(-1, k, p)
        orbits, products, solvable = solve_regions(form, patterns)
        consistent = solvable & np.all(form.active(orbits) == patterns, axis=(1, 2))
        n_singular += int(np.sum(~solvable))
        collector.add(orbits[consistent], products[consistent])
    return n_singular


def _scyfi(
    form: LinearForm,
    k: int,
    collector: _Collector,
    n_starts: int,
    max_inner: int,
    seed: int,
    chunk: int,
) -> int:
    rng = np.random.default_rng(seed)
    n_singular = 0
    for start in range(0, n_starts, chunk):
        patterns = rng.random((min(chunk, n_starts - start), k, form.n_relu)) < 0.5
        alive = np.arange(len(patterns))
        for _ in range(max_inner):
            orbits, products, solvable = solve_regions(form, patterns[alive])
            active = form.active(orbits)
            consistent = solvable & np.all(active == patterns[alive], axis=(1, 2))
            collector.add(orbits[consistent], products[consistent])
            n_singular += int(np.sum(~solvable))
            moving = solvable & ~consistent
            patterns[alive[moving]] = active[moving]
            alive = alive[moving]
            if not len(alive):
                break
    return n_singular


def pl_cycles(
    system: object,
    period: int = 1,
    *,
    gain: float = 1.0,
    method: str = "auto",
    n_starts: int = 2000,
    max_inner: int = 50,
    max_exhaustive: int = 1 << 16,
    seed: int = 0,
    dedup_tol: float = 1e-9,
    hyperbolic_tol: float = 1e-7,
    chunk: int = 4096,
) -> xr.Dataset:
    """All period-``period`` cycles (fixed points for 1) of a piecewise-linear RNN that the
    region search finds (module docstring), as the Dataset of
    :func:`~neurodyn.analysis.bifurcation.find_cycles` plus ``code`` (cycle, phase).

    ``system``: a :class:`.export.LinearForm` or a PLRNN, shPLRNN or AL-RNN (its recurrent
    weights times ``gain``). States are the model's normalised latent variables. SCYFI runs
    ``n_starts`` chains of at most ``max_inner`` region updates each, seeded by ``seed``.
    Attributes: ``method`` used, ``complete`` (exhaustive with no singular sequence),
    ``n_singular``.
    """
    form = system if isinstance(system, LinearForm) else linear_form(system, gain)
    k = int(period)
    if k < 1:
        raise ValueError(f"period must be a positive integer, not {period}")
    if method not in ("auto", "scyfi", "exhaustive"):
        raise ValueError(f"method must be 'auto', 'scyfi' or 'exhaustive', got {method!r}")
    if min(n_starts, max_inner, chunk) < 1:
        raise ValueError("n_starts, max_inner and chunk must be positive")
    n_sequences = 2 ** (form.n_relu * k)
    if method == "auto":
        method = "exhaustive" if n_sequences <= max_exhaustive else "scyfi"
    collector = _Collector(form, k, dedup_tol)
    if method == "exhaustive":
        if n_sequences > max_exhaustive:
            raise ValueError(
                f"exhaustive search over {n_sequences} region sequences exceeds "
                f"max_exhaustive = {max_exhaustive}"
            )
        n_singular = _exhaustive(form, k, collector, chunk)
    else:
        n_singular = _scyfi(form, k, collector, int(n_starts), int(max_inner), seed, chunk)
    cycles = [orbit for orbit, _ in collector.cycles.values()]
    products = [product for _, product in collector.cycles.values()]
    residual = [float(np.max(np.abs(form.step(c[-1]) - c[0]))) for c in cycles]
    codes = [form.active(c).astype(np.int64) @ collector.bits for c in cycles]
    attrs = {
        "model": "piecewise-linear RNN",
        "method": method,
        "complete": int(method == "exhaustive" and n_singular == 0),
        "n_singular": n_singular,
        "n_starts": int(n_starts) if method == "scyfi" else n_sequences,
        "seed": seed,
        "gain": float(gain),
    }
    names = tuple(f"z_{i}" for i in range(form.n))
    return cycles_dataset(
        names,
        k,
        cycles,
        [sorted_eigenvalues(m) for m in products],
        residual,
        attrs,
        hyperbolic_tol,
        extra={"code": codes},
    )
