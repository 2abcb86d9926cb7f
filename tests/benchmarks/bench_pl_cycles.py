"""Cycles of a 20-unit PLRNN up to period 8: the region search (SCYFI) against random-start
Newton on the exported map, time to the same set of cycles, same run.

neurodyn: :func:`neurodyn.learn.pl_cycles` with ``method="scyfi"`` (chains of at most
``MAX_INNER`` region updates) on the network's linear form.

Peer: :func:`neurodyn.analysis.bifurcation.find_cycles` (Newton on ``f^k(x) = x`` from random
seeds, numba, the generated derivatives) on the exported model
(:func:`neurodyn.learn.to_model`), seeds drawn uniformly from the bounding box of the cycles
found at any period, widened by 20 % (so Newton is given where the cycles lie).

The target set of each period is what either method finds with its largest budget (SCYFI
``MAX_STARTS`` chains, Newton ``MAX_SEEDS`` seeds). Each method's budget then doubles from
its first value until its set contains the target; its time is that of the run that reached
it (or of the largest budget, marked, if none did). Compilation is excluded (warm-up calls).
The cycles found by both methods agree (points within 1e-8: that is how they are matched);
the table counts the target set, the union of both.

Run: python tests/benchmarks/bench_pl_cycles.py
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from timing import best_time

from neurodyn.analysis.bifurcation import find_cycles
from neurodyn.learn import PLRNN, pl_cycles, to_model

LATENT, MAX_PERIOD, MAX_INNER = 20, 8, 50
FIRST_STARTS, MAX_STARTS = 16, 4096
FIRST_SEEDS, MAX_SEEDS = 64, 1 << 14


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


def _to_target(run, first: int, largest: int, target: np.ndarray) -> tuple[int, float, bool]:
    """Double the budget from ``first`` until ``run(budget)`` finds every cycle of
    ``target``: ``(budget, seconds, reached)``."""
    budget = first
    while True:
        seconds, ds = best_time(lambda b=budget: run(b), 1)
        reached = bool(_contains(ds.orbit.values, target).all())
        if reached or budget >= largest:
            return budget, seconds, reached
        budget *= 2


def _boxed(model, orbits: np.ndarray):
    """``model`` with its state box the cycles' bounding box widened by 20 %."""
    low, high = orbits.min(axis=(0, 1)), orbits.max(axis=(0, 1))
    pad = 0.2 * (high - low) + 1e-3
    state = tuple(
        dataclasses.replace(v, low=float(lo), high=float(hi))
        for v, lo, hi in zip(model.state, low - pad, high + pad, strict=True)
    )
    return dataclasses.replace(model, state=state)


def main() -> None:
    net = network()

    def scyfi(n: int, k: int):
        return pl_cycles(net, k, method="scyfi", n_starts=n, max_inner=MAX_INNER)

    scyfi(10, 2)
    largest = {k: scyfi(MAX_STARTS, k) for k in range(1, MAX_PERIOD + 1)}
    points = np.concatenate([ds.orbit.values.reshape(-1, 1, LATENT) for ds in largest.values()])
    model = _boxed(to_model(net), points) if len(points) else to_model(net)

    def newton(n: int, k: int):
        return find_cycles(model, period=k, n_seeds=n, seed=k)

    newton(2, 1)
    newton(4097, 1)  # numba's parallel Newton kernel, used above 4096 seeds
    print(f"PLRNN with {LATENT} units; times to the target set (* = not reached)")
    print(" k  cycles  stable  scyfi starts  scyfi [s]  newton seeds  newton [s]  newton/scyfi")
    for k in range(1, MAX_PERIOD + 1):
        exact = largest[k].orbit.values
        found = newton(MAX_SEEDS, k).orbit.values
        target = np.concatenate([exact, found[~_contains(exact, found)]])
        if not len(target):
            print(f"{k:2d}  {0:6d}  (no cycle found by either method)")
            continue
        s_budget, s_time, s_ok = _to_target(
            lambda n, k=k: scyfi(n, k), FIRST_STARTS, MAX_STARTS, target
        )
        n_budget, n_time, n_ok = _to_target(
            lambda n, k=k: newton(n, k), FIRST_SEEDS, MAX_SEEDS, target
        )
        n_stable = int((largest[k].stability.values == "stable").sum())
        print(
            f"{k:2d}  {len(target):6d}  {n_stable:6d}  {s_budget:11d}{' *'[not s_ok]}  "
            f"{s_time:9.3f}  {n_budget:11d}{' *'[not n_ok]}  {n_time:10.3f}  "
            f"{n_time / s_time:12.1f}"
        )


if __name__ == "__main__":
    main()
