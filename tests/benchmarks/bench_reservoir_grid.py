"""Reservoir hyper-parameter grid: neurodyn's batched ``ridge_grid`` against reservoirpy running
the same grid point by point, same data, same run; prints both times, the ratio and the errors.

Task and protocol: Mackey–Glass (tau = 17) one step ahead, ``--train`` training pairs (the
first 100 as warm-up) and 400 test pairs, teacher forced, continuing from the training state
(reservoirpy: ``Reservoir.run`` on the training inputs, ``Ridge.fit`` after the warm-up,
``Ridge.run(Reservoir.run(test inputs))``). Grid: spectral radius x leak rate x input scaling
x ridge (``--grid small`` 2 x 2 x 2 x 3, ``default`` 4 x 3 x 3 x 4 = 144 points), ``--units``
units, connectivity and input connectivity 0.1 (both libraries' defaults), no bias, seed 1.

reservoirpy runs the grid as a user would: a loop over all points, each building its reservoir,
harvesting, fitting and predicting. neurodyn harvests every (spectral radius, leak, input
scaling) reservoir once, all together, and solves all ridge values from one Gram matrix per
reservoir (:mod:`neurodyn.reservoir.grid`). The random matrices differ between the libraries
(each draws its own from the seed), so the errors agree in size, not in digits: the median
and best NRMSE over the grid are printed for both, and the NRMSE of each grid point side by
side summarised by the median ratio. A warm-up on a tiny grid runs first (compilation,
first-call overheads). Threads: BLAS and numba both on ``--threads`` (default 2).

Run: python tests/benchmarks/bench_reservoir_grid.py [--grid default] [--units 500]
[--threads 2]
Target (issue 22): neurodyn at least 10 times as fast at equal error.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time


def _threads_from_argv() -> int:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
    return 2


for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = str(_threads_from_argv())

import numba  # noqa: E402
import numpy as np  # noqa: E402
from reservoirpy.nodes import Reservoir, Ridge  # noqa: E402

from neurodyn.forecasting import nrmse  # noqa: E402
from neurodyn.reservoir import forecasting_pairs, mackey_glass_series, ridge_grid  # noqa: E402

GRIDS = {
    "small": ([0.9, 1.25], [0.3, 1.0], [0.5, 1.0], [1e-8, 1e-6, 1e-4]),
    "default": ([0.6, 0.9, 1.1, 1.25], [0.1, 0.3, 1.0], [0.2, 0.5, 1.0],
                [1e-9, 1e-7, 1e-5, 1e-3]),
}
WARMUP, N_TEST, SEED = 100, 400, 1


def reservoirpy_grid(axes, units: int, n_train: int) -> np.ndarray:
    """NRMSE per grid point, point by point."""
    inputs, targets = forecasting_pairs(mackey_glass_series(n_train + 1 + N_TEST))
    x_train, y_train = inputs[:n_train], targets[:n_train]
    x_test, truth = inputs[n_train:], targets[n_train:]
    error = []
    for rho, leak, scaling, ridge in itertools.product(*axes):
        reservoir = Reservoir(units=units, sr=rho, lr=leak, input_scaling=scaling, seed=SEED)
        readout = Ridge(ridge=ridge)
        states = reservoir.run(x_train)
        readout.fit(states[WARMUP:], y_train[WARMUP:])
        error.append(nrmse(readout.run(reservoir.run(x_test)), truth))
    return np.array(error)


def neurodyn_grid(axes, units: int, n_train: int) -> np.ndarray:
    grid = ridge_grid(*axes, units=units, seed=SEED, n_train=n_train, n_test=N_TEST,
                      transient=WARMUP)
    return grid.nrmse.values.ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="default")
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--train", type=int, default=1600)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    axes = GRIDS[args.grid]
    tiny = ([1.0], [0.5], [1.0], [1e-6])
    neurodyn_grid(tiny, 50, 300)
    reservoirpy_grid(tiny, 50, 300)
    times, errors = {}, {}
    for name, run in (("reservoirpy", reservoirpy_grid), ("neurodyn", neurodyn_grid)):
        start = time.perf_counter()
        errors[name] = run(axes, args.units, args.train)
        times[name] = time.perf_counter() - start
    n_points = errors["neurodyn"].size
    print(f"Mackey-Glass one step ahead, {args.train} training / {N_TEST} test pairs, "
          f"{args.units} units, grid {' x '.join(str(len(a)) for a in axes)} = {n_points} "
          f"points; {args.threads} threads; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for name in times:
        e = errors[name]
        print(f"  {name:<12} {times[name]:8.2f} s  {times[name] / n_points * 1e3:7.1f} ms/point  "
              f"NRMSE median {np.median(e):.3e}  best {e.min():.3e}")
    ratio = errors["reservoirpy"] / errors["neurodyn"]
    print(f"  ratio reservoirpy / neurodyn time: {times['reservoirpy'] / times['neurodyn']:.1f}x "
          "(target >= 10)")
    print(f"  NRMSE reservoirpy / neurodyn per point: median {np.median(ratio):.2f}, "
          f"middle half {np.quantile(ratio, 0.25):.2f}-{np.quantile(ratio, 0.75):.2f}")


if __name__ == "__main__":
    main()
