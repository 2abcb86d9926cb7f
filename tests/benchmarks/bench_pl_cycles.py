"""Cycles of a 20-unit PLRNN up to period 8: the region search (SCYFI) against random-start
Newton on the exported map, time to the same set of cycles, same run.

neurodyn: :func:`neurodyn.learn.pl_cycles` with ``method="scyfi"`` (``N_STARTS`` chains of at
most ``MAX_INNER`` region updates) on the network's linear form.

Peer: :func:`neurodyn.analysis.bifurcation.find_cycles` (Newton on ``f^k(x) = x`` from random
seeds, numba, the generated derivatives) on the exported model
(:func:`neurodyn.learn.to_model`), seeds drawn uniformly from the bounding box of the cycles
found, widened by 20 % (so Newton is given where the cycles lie). The seed count doubles from
``FIRST_SEEDS`` until Newton's set contains every cycle the region search found, or
``MAX_SEEDS``; its time is that of the last run (the one that reached the set). Compilation is
excluded for both (a warm-up call).

Checks: every cycle Newton finds is one the region search found (points within 1e-8); the
ratio printed is Newton's time to the same set over the region search's time.

Run: python tests/benchmarks/bench_pl_cycles.py
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from timing import best_time

from neurodyn.analysis.bifurcation import find_cycles
from neurodyn.learn import PLRNN, pl_cycles, to_model

LATENT, MAX_PERIOD = 20, 8
N_STARTS, MAX_INNER = 4000, 50
FIRST_SEEDS, MAX_SEEDS = 256, 1 << 14


def network() -> PLRNN:
    torch.manual_seed(4)
    net = PLRNN(2, latent=LATENT, a_init=0.0, w_scale=1.5).double()
    with torch.no_grad():
        net.h.copy_(0.5 * torch.randn(LATENT))
    return net


def _contains(big: np.ndarray, small: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """For each orbit of ``small``: is it one of ``big``'s (any rotation)?"""
    out = np.zeros(len(small), dtype=bool)
    for i, orbit in enumerate(small):
        for other in big:
            gap = min(np.abs(np.roll(other, s, axis=0) - orbit).max() for s in range(len(orbit)))
            if gap <= tol * (1 + np.abs(orbit).max()):
                out[i] = True
                break
    return out


def main() -> None:
    net = network()
    model = to_model(net)
    pl_cycles(net, 2, method="scyfi", n_starts=10)
    print(f"PLRNN with {LATENT} units; SCYFI {N_STARTS} starts x {MAX_INNER} updates")
    print(" k  cycles  stable  scyfi [s]  newton seeds  newton [s]  newton/scyfi")
    for k in range(1, MAX_PERIOD + 1):
        t_scyfi, exact = best_time(
            lambda k=k: pl_cycles(net, k, method="scyfi", n_starts=N_STARTS, max_inner=MAX_INNER),
            1,
        )
        orbits = exact.orbit.values
        if not len(orbits):
            print(f"{k:2d}  {0:6d}  (no cycle: Newton not run)  scyfi {t_scyfi:.2f} s")
            continue
        low, high = orbits.min(axis=(0, 1)), orbits.max(axis=(0, 1))
        pad = 0.2 * (high - low) + 1e-3
        boxed = dataclasses.replace(
            model,
            state=tuple(
                dataclasses.replace(v, low=float(lo), high=float(hi))
                for v, lo, hi in zip(model.state, low - pad, high + pad, strict=True)
            ),
        )
        find_cycles(boxed, period=k, n_seeds=2)
        n_seeds, found = FIRST_SEEDS, None
        while True:
            t_newton, newton = best_time(
                lambda m=boxed, k=k, n=n_seeds: find_cycles(m, period=k, n_seeds=n, seed=k), 1
            )
            found = _contains(newton.orbit.values, orbits)
            if found.all() or n_seeds >= MAX_SEEDS:
                break
            n_seeds *= 2
        extra = ~_contains(orbits, newton.orbit.values)
        assert not extra.any(), f"Newton found {extra.sum()} cycles of period {k} SCYFI missed"
        reached = "" if found.all() else f" (reached {found.sum()}/{len(orbits)})"
        n_stable = int((exact.stability.values == "stable").sum())
        print(
            f"{k:2d}  {len(orbits):6d}  {n_stable:6d}  {t_scyfi:9.2f}  {n_seeds:12d}  "
            f"{t_newton:10.2f}  {t_newton / t_scyfi:12.1f}{reached}"
        )


if __name__ == "__main__":
    main()
