"""``sweep()`` against ``iterate_batch()`` on the same grid, same run.

Chialvo map (a=0.89, b=0.6, c=0.28), ``--points`` values of k in [0, 0.2], ``--steps``
iterations from the default state: ``iterate_batch`` with the reducers only (min, max, mean),
and ``sweep`` with its defaults (the reducers plus the distinct-value count over the last 512
iterations, and the Dataset). The two are timed ``--repeats`` times, interleaved, best of each
kept; the min/max/mean agree bit for bit (checked). Prints ns per update and the ratio
sweep / iterate_batch (target, issue 22: at most 1.2).

Run: python tests/benchmarks/bench_sweep.py [--points 65536] [--steps 4000] [--repeats 3]
[--threads 2]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from neurodyn.models import get_model
from neurodyn.sim import iterate_batch, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=65536)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    model = get_model("chialvo")
    k = np.linspace(0.0, 0.2, args.points)
    fixed = {"a": 0.89, "b": 0.6, "c": 0.28}
    P = np.array([np.full_like(k, fixed["a"]), np.full_like(k, fixed["b"]),
                  np.full_like(k, fixed["c"]), k])
    X = np.tile(model.initial_state()[:, None], (1, k.size))
    transient = args.steps // 2

    def direct():
        return iterate_batch(model, X, P, steps=args.steps - transient, transient=transient,
                             threads=args.threads)

    def swept():
        return sweep(model, {"k": k}, fixed, transient=transient, steps=args.steps - transient,
                     threads=args.threads)

    sweep(model, {"k": k[:8]}, fixed, transient=300, steps=300)  # compile outside the timing
    iterate_batch(model, X[:, :8], P[:, :8], steps=10)
    best = {"iterate_batch": math.inf, "sweep": math.inf}
    for _ in range(args.repeats):
        for name, run in (("iterate_batch", direct), ("sweep", swept)):
            start = time.perf_counter()
            value = run()
            best[name] = min(best[name], time.perf_counter() - start)
            if name == "iterate_batch":
                batch = value
            else:
                dataset = value
    np.testing.assert_array_equal(dataset["x_mean"].values.ravel(), batch.mean[0])
    np.testing.assert_array_equal(dataset["y_max"].values.ravel(), batch.maximum[1])
    updates = args.points * args.steps
    print(f"Chialvo, {args.points} points x {args.steps} iterations; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, seconds in best.items():
        print(f"  {name:<14} {seconds:7.3f} s  {seconds / updates * 1e9:6.2f} ns/update")
    print(f"  ratio sweep / iterate_batch: {best['sweep'] / best['iterate_batch']:.2f} "
          "(target <= 1.2)")
    counts = dataset["distinct"].values.ravel()
    print(f"  distinct counts: {np.bincount(np.clip(counts, 0, 65))[[1, 2, 4, 65]]} points "
          "with 1, 2, 4, > 64 values")


if __name__ == "__main__":
    main()
