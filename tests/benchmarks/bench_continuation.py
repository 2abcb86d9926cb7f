"""Continuation of the logistic map's period-doubling cascade to period 64: time and Feigenbaum's
delta, neurodyn against a simulation-based numpy peer, same run.

neurodyn: :func:`neurodyn.analysis.bifurcation.period_doubling_cascade` from the fixed point at
r = 2.5, switching branch at every flip (multiple shooting, pseudo-arclength, flips located by
det(M + I) = 0) until the 64-cycle's own flip r7 is located.

Peer (what one does without continuation): vectorised numpy simulation of ``GRID`` values of r
at once, ``STEPS`` iterations, period detection on the last states, and the first r whose orbit
has settled on period 2^n bracketed and refined ``ROUNDS`` times per doubling. Its error is set
by the slow convergence near a flip (the multiplier is close to -1), not by the grid.

Reference values r_n: Briggs, Math. Comp. 57, 435-439 (1991); delta = 4.669201609...

Run: python tests/benchmarks/bench_continuation.py
"""

from __future__ import annotations

import time

import numpy as np

from neurodyn.analysis.bifurcation import period_doubling_cascade
from neurodyn.models import get_model

REFERENCE = [
    3.0,
    3.449489742783178,
    3.544090359551922,
    3.564407266095432,
    3.568759419544919,
    3.569691609801396,
    3.569891259378841,
]
DELTA = 4.669201609102990
GRID, STEPS, ROUNDS, TOL = 1024, 20000, 3, 1e-6


def _periods(r: np.ndarray, max_period: int) -> np.ndarray:
    x = np.full_like(r, 0.5)
    for _ in range(STEPS):
        x = r * x * (1 - x)
    window = 2 * max_period
    states = np.empty((window, r.size))
    for t in range(window):
        x = r * x * (1 - x)
        states[t] = x
    period = np.zeros(r.size, dtype=np.int64)
    undecided = np.ones(r.size, dtype=bool)
    for p in range(1, max_period + 1):
        match = np.all(np.abs(states[p:] - states[:-p]) <= TOL, axis=0) & undecided
        period[match] = p
        undecided &= ~match
    return period


def numpy_doublings(n_doublings: int) -> np.ndarray:
    """Bracket each flip by simulation: the first r at which the orbit has settled on period
    2^n (undecided points, period 0, are skipped: near a flip convergence is slow)."""
    found = []
    lo = 2.9
    for n in range(1, n_doublings + 1):
        a, b = lo, 3.5699457  # the accumulation point bounds the cascade
        for _ in range(ROUNDS):
            r = np.linspace(a, b, GRID)
            period = _periods(r, 2**n)
            above = np.nonzero(period == 2**n)[0]
            i = above[0] if above.size else GRID - 1
            a, b = r[max(i - 1, 0)], r[i]
        found.append(0.5 * (a + b))
        lo = found[-1]
    return np.array(found)


def deltas(r: np.ndarray) -> np.ndarray:
    return (r[1:-1] - r[:-2]) / (r[2:] - r[1:-1])


def main() -> None:
    model = get_model("logistic")
    period_doubling_cascade(model, "r", [0.6], {"r": 2.5}, max_period=2)  # compile outside
    start = time.perf_counter()
    cascade = period_doubling_cascade(
        model, "r", [0.6], {"r": 2.5}, max_period=64, step=0.02, h_max=0.05
    )
    t_neurodyn = time.perf_counter() - start
    r_neurodyn = cascade.values
    start = time.perf_counter()
    r_numpy = numpy_doublings(len(r_neurodyn))
    t_numpy = time.perf_counter() - start
    ref = np.array(REFERENCE[: len(r_neurodyn)])

    steps = sum(len(b.values) for b in cascade.branches)
    print("Logistic map period-doubling cascade, periods 1 -> 64 (7 flips, r1..r7)")
    print(
        f"  neurodyn continuation   {t_neurodyn:7.2f} s  ({len(cascade.branches)} branches, "
        f"{steps} points)"
    )
    print(
        f"  numpy simulation peer   {t_numpy:7.2f} s  ({GRID} r values x {STEPS} iterations "
        f"x {ROUNDS} rounds per flip)"
    )
    print(f"  ratio numpy / neurodyn: {t_numpy / t_neurodyn:7.1f}x")
    print("   n  period      r_n neurodyn     |error|      r_n numpy        |error|")
    for n, (a, b, c) in enumerate(zip(r_neurodyn, r_numpy, ref, strict=True), start=1):
        print(
            f"  {n:2d}  {2 ** (n - 1):3d}->{2**n:<4d} {a:.12f}  {abs(a - c):9.1e}   "
            f"{b:.12f}  {abs(b - c):9.1e}"
        )
    print("   n  delta neurodyn   delta numpy   (delta = 4.669201609...)")
    for n, (a, b) in enumerate(zip(deltas(r_neurodyn), deltas(r_numpy), strict=True), start=1):
        print(f"  {n:2d}  {a:13.6f}  {b:12.6f}")
    print(
        f"  last delta: neurodyn {deltas(r_neurodyn)[-1]:.6f} "
        f"(error {abs(deltas(r_neurodyn)[-1] - DELTA):.1e}), "
        f"numpy {deltas(r_numpy)[-1]:.6f} (error {abs(deltas(r_numpy)[-1] - DELTA):.1e})"
    )


if __name__ == "__main__":
    main()
