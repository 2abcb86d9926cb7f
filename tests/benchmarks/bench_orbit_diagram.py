"""Orbit-diagram workload: neurodyn's batched kernel against vectorised numpy, same run.

Chialvo map (a=0.89, b=0.6, c=0.28), 4096 values of k in [0, 0.2], 20 000 iterations from the
default state, keeping the last 200. Prints updates per second, the ratio to numpy on one
thread, and the speed-up from one to two threads. Targets (issue 2): >= 3x numpy on one thread,
>= 1.8x from 1 to 2 threads.

Run: python tests/benchmarks/bench_orbit_diagram.py [--repeats 3]
"""

from __future__ import annotations

import argparse

import numba
import numpy as np
from timing import best_time

from neurodyn.models import get_model
from neurodyn.sim import iterate_batch

N_K, STEPS, KEEP = 4096, 20_000, 200


def numpy_orbit_diagram(k: np.ndarray, a=0.89, b=0.6, c=0.28) -> np.ndarray:
    """The same loop written with whole-array numpy operations."""
    x = np.full_like(k, 0.5)
    y = np.full_like(k, 0.5)
    kept = np.empty((KEEP, k.size))
    for t in range(STEPS):
        x, y = x * x * np.exp(y - x) + k, a * y - b * x + c
        if t >= STEPS - KEEP:
            kept[t - (STEPS - KEEP)] = x
    return kept


def neurodyn_orbit_diagram(k: np.ndarray, threads: int) -> np.ndarray:
    model = get_model("chialvo")
    P = np.array([np.full_like(k, 0.89), np.full_like(k, 0.6), np.full_like(k, 0.28), k])
    X = np.tile(model.initial_state()[:, None], (1, k.size))
    result = iterate_batch(
        model, X, P, steps=KEEP, transient=STEPS - KEEP, keep=KEEP, threads=threads
    )
    return result.kept[:, 0, :]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    k = np.linspace(0.0, 0.2, N_K)
    updates = N_K * STEPS
    neurodyn_orbit_diagram(k[:8], 1)  # compile outside the timing

    t_numpy, kept_numpy = best_time(lambda: numpy_orbit_diagram(k), args.repeats)
    t_one, kept_one = best_time(lambda: neurodyn_orbit_diagram(k, 1), args.repeats)
    rates = {"numpy": updates / t_numpy, "neurodyn, 1 thread": updates / t_one}
    threads = min(2, numba.config.NUMBA_NUM_THREADS)
    t_two = None
    if threads == 2:
        t_two, kept_two = best_time(lambda: neurodyn_orbit_diagram(k, 2), args.repeats)
        rates["neurodyn, 2 threads"] = updates / t_two
        assert np.array_equal(kept_one, kept_two, equal_nan=True)
    # the two implementations differ by rounding only; compare where the orbit is not chaotic
    agree = np.isclose(kept_numpy, kept_one, rtol=1e-9, atol=1e-12).all(axis=0).mean()

    print(f"Chialvo orbit diagram: {N_K} values of k x {STEPS} iterations, keep last {KEEP}")
    for name, rate in rates.items():
        print(f"  {name:<22} {rate / 1e6:8.1f} M updates/s  ({1e9 / rate:5.2f} ns/update)")
    print(f"  ratio neurodyn (1 thread) / numpy:   {t_numpy / t_one:5.2f}x  (target >= 3)")
    if t_two is not None:
        print(f"  speed-up 1 -> 2 threads:             {t_one / t_two:5.2f}x  (target >= 1.8)")
    print(f"  columns agreeing with numpy to 1e-9: {agree:.1%} (the rest are chaotic orbits)")


if __name__ == "__main__":
    main()
