"""Period chart of the Chialvo map (b vs k, 512 x 512): neurodyn against vectorised numpy.

Both run the same algorithm in the same process: from x = y = 0.5 (the catalogue's initial
state), ``TRANSIENT`` iterations, then a window of ``2 * MAX_PERIOD`` states, and the smallest
period p <= MAX_PERIOD with |x_{t+p} - x_t| <= tol max(1, |x_t|) for both variables over the
window (neurodyn.analysis.bifurcation.periods). a = 0.89, c = 0.28 (Chialvo 1995). Prints the
wall time of each, the ratio numpy / neurodyn on one thread, the speed-up on two threads, and
the fraction of grid points where the two agree (they differ by rounding only: numpy's exp vs
neurodyn's vectorisable exp, so chaotic points may land on other orbits; periods agree).

Run: python tests/benchmarks/bench_period_chart.py [--size 512] [--repeats 1]
"""

from __future__ import annotations

import argparse

import numba
import numpy as np
from timing import best_time

from neurodyn.analysis.bifurcation.periods import period_chart
from neurodyn.models import get_model

TRANSIENT, MAX_PERIOD, TOL = 1000, 32, 1e-6
A, C = 0.89, 0.28


def numpy_period_chart(b: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The same computation with whole-array numpy operations over the grid."""
    B, K = np.meshgrid(b, k, indexing="ij")
    x = np.full(B.shape, 0.5)
    y = np.full(B.shape, 0.5)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(TRANSIENT):
            x, y = x * x * np.exp(y - x) + K, A * y - B * x + C
        window = 2 * MAX_PERIOD
        states = np.empty((window, 2, *B.shape))
        for t in range(window):
            x, y = x * x * np.exp(y - x) + K, A * y - B * x + C
            states[t, 0], states[t, 1] = x, y
        period = np.zeros(B.shape, dtype=np.int64)
        undecided = np.ones(B.shape, dtype=bool)
        for p in range(1, MAX_PERIOD + 1):
            gap = np.abs(states[p:] - states[:-p])
            match = np.all(gap <= TOL * np.maximum(1.0, np.abs(states[:-p])), axis=(0, 1))
            period[match & undecided] = p
            undecided &= ~match
        period[~np.all(np.isfinite(states) & (np.abs(states) <= 1e6), axis=(0, 1))] = -1
    return period


def neurodyn_period_chart(b: np.ndarray, k: np.ndarray, threads: int) -> np.ndarray:
    ds = period_chart(
        get_model("chialvo"),
        {"b": b, "k": k},
        transient=TRANSIENT,
        max_period=MAX_PERIOD,
        tol=TOL,
        threads=threads,
    )
    return ds["period"].values[..., 0]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    b = np.linspace(0.05, 1.0, args.size)
    k = np.linspace(-0.1, 0.2, args.size)
    neurodyn_period_chart(b[:4], k[:4], 1)  # compile outside the timing

    t_numpy, p_numpy = best_time(lambda: numpy_period_chart(b, k), args.repeats)
    t_one, p_one = best_time(lambda: neurodyn_period_chart(b, k, 1), args.repeats)
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    t_two = None
    if threads == 2:
        t_two, p_two = best_time(lambda: neurodyn_period_chart(b, k, 2), args.repeats)
        assert np.array_equal(p_one, p_two), "results depend on the thread count"
    n = args.size**2
    updates = n * (TRANSIENT + 2 * MAX_PERIOD)
    print(
        f"Chialvo period chart: {args.size} x {args.size} (b, k), transient {TRANSIENT}, "
        f"periods up to {MAX_PERIOD}"
    )
    print(f"  numpy (vectorised)     {t_numpy:8.2f} s  ({1e9 * t_numpy / updates:5.2f} ns/update)")
    print(f"  neurodyn, 1 thread     {t_one:8.2f} s  ({1e9 * t_one / updates:5.2f} ns/update)")
    if t_two is not None:
        print(f"  neurodyn, 2 threads    {t_two:8.2f} s  ({1e9 * t_two / updates:5.2f} ns/update)")
    print(f"  ratio numpy / neurodyn (1 thread): {t_numpy / t_one:6.2f}x")
    if t_two is not None:
        print(f"  speed-up 1 -> 2 threads:           {t_one / t_two:6.2f}x")
    print(f"  points with the same period:       {np.mean(p_numpy == p_one):6.1%}")
    values, counts = np.unique(p_one, return_counts=True)
    top = sorted(zip(counts, values, strict=True), reverse=True)[:6]
    print("  most frequent periods (neurodyn):  " + ", ".join(f"{v}: {c / n:.1%}" for c, v in top))


if __name__ == "__main__":
    main()
