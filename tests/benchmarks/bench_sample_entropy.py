"""Benchmark: neurodyn.analysis.entropy.sample_entropy against antropy.sample_entropy.

Run: ``.venv/bin/python tests/benchmarks/bench_sample_entropy.py`` (not a pytest test).

Both run in this process on the same data: i.i.d. Gaussian noise (seeded) and the chaotic
logistic map r = 3.9, N = 2e4 and 1e5, m = 2, r = 0.2 SD. antropy 0.2.3 uses sklearn's KDTree
(distance <= r) from 5000 samples on, so neurodyn runs with its default tie rule '<=' and the
results must agree to rounding. Each time is the best of ``--repeat`` runs, after one warm-up
call that compiles (or loads from cache) neurodyn's numba kernels. neurodyn's kernel runs on one
thread, like antropy's KDTree queries.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import best_time

from neurodyn.analysis.entropy import sample_entropy


def logistic(n: int, r: float = 3.9, x0: float = 0.1, transient: int = 1000) -> np.ndarray:
    x = np.empty(n)
    v = x0
    for t in range(n + transient):
        v = r * v * (1.0 - v)
        if t >= transient:
            x[t - transient] = v
    return x



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per case (best kept)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import antropy  # imported here: it compiles its own numba functions on import

    start = time.perf_counter()
    sample_entropy(np.random.default_rng(args.seed).standard_normal(1000))
    print(f"neurodyn warm-up (numba compile or cache load): {time.perf_counter() - start:.2f} s")
    print(f"antropy {antropy.__version__}, numpy {np.__version__}")
    header = (
        f"{'data':<10} {'N':>7} {'antropy s':>10} {'neurodyn s':>11} {'ratio':>7} "
        f"{'equal':>6}  SampEn"
    )
    print(header)
    rng = np.random.default_rng(args.seed)
    for n in (20_000, 100_000):
        for name, x in (("noise", rng.standard_normal(n)), ("logistic", logistic(n))):
            t_ant, v_ant = best_time(lambda x=x: antropy.sample_entropy(x, order=2), args.repeat)
            t_nd, v_nd = best_time(lambda x=x: sample_entropy(x, 2, 0.2), args.repeat)
            equal = bool(np.isclose(v_nd, v_ant, rtol=1e-12, atol=0.0))
            print(
                f"{name:<10} {n:>7} {t_ant:>10.4f} {t_nd:>11.4f} {t_ant / t_nd:>6.1f}x "
                f"{str(equal):>6}  {v_nd:.12f} (antropy {v_ant:.12f})"
            )


if __name__ == "__main__":
    main()
