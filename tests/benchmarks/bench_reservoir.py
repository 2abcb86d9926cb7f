"""Echo state network against reservoirpy, same hyper-parameters, same data, same run; prints
the time of each phase, the ratios and the errors.

Task: Mackey–Glass (tau = 17) one step ahead, the ANCHORS.md protocol (2000 samples from
``neurodyn.reservoir.mackey_glass_series``, the last 400 one-step pairs for testing, 100
warm-up rows), with spectral radius 1.25, leak rate 0.3, ridge 1e-5, connectivity 0.1 and input
connectivity 0.1 (both libraries' defaults), no bias, at N = 500 and N = 2000.

Both libraries do the same work, phase by phase:

* build: draw the recurrent and input matrices and scale the spectral radius (ARPACK in both;
  reservoirpy asks for one eigenvalue with 20 basis vectors, neurodyn for three with 64, which
  costs more per call but does not miss the largest eigenvalue, see
  ``neurodyn.reservoir.weights.spectral_radius``);
* harvest: drive the reservoir from the zero state through the 1599 training inputs;
* readout: ridge regression on the states after the warm-up (bias fitted, not penalised);
* predict: continue from the last training state through the 400 test inputs and read out
  (reservoirpy's ``fit`` then ``run``; neurodyn's ``fit`` then ``run(..., resume=True)``).

neurodyn's phases are the steps of ``ESN.fit`` and ``ESN.run`` called one by one; reservoirpy's
are its ``Reservoir`` and ``Ridge`` nodes called one by one (what its ``ESN`` does). "train +
predict" is harvest + readout + predict; "total" adds the build. Timing starts after a warm-up
call of both pipelines at N = 50, so numba's compilation (or loading from its disk cache) and
first-call overheads are excluded. Each size runs ``--repeats`` times with seeds 1, 2, ..., the
two libraries alternating seed by seed; the best time of each phase is printed and the RMSE on
the test rows is the median over the seeds. The random matrices differ between the libraries
(each draws its own from the seed), so the errors agree in size, not in digits.

Threads: the BLAS of both libraries (numpy/scipy's OpenBLAS) runs on ``--threads`` threads
(default 1; set through the environment before numpy is imported and checked with
threadpoolctl), and numba on the same number. neurodyn's reservoir kernels are sequential.

    .venv/bin/python tests/benchmarks/bench_reservoir.py [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _threads_from_argv() -> int:
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return int(sys.argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return 1


_THREADS = _threads_from_argv()
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = str(_THREADS)

import numba  # noqa: E402
import numpy as np  # noqa: E402
from reservoirpy.nodes import Reservoir, Ridge  # noqa: E402
from threadpoolctl import threadpool_info  # noqa: E402

from neurodyn.reservoir import ESN, forecasting_pairs, mackey_glass_series  # noqa: E402
from neurodyn.reservoir.readout import ridge_regression  # noqa: E402

SPECTRAL_RADIUS, LEAK_RATE, RIDGE, WARMUP = 1.25, 0.3, 1e-5, 100
PHASES = ("build", "harvest", "readout", "predict")


def neurodyn_phases(units: int, seed: int, data: tuple) -> tuple[list[float], np.ndarray]:
    """Seconds per phase and the test predictions (the steps of ``fit`` and ``run``)."""
    x_train, y_train, x_test = data
    clock = [time.perf_counter()]
    esn = ESN(units=units, spectral_radius=SPECTRAL_RADIUS, leak_rate=LEAK_RATE, ridge=RIDGE,
              seed=seed)
    esn._prepare(x_train.shape[1], y_train.shape[1])
    clock.append(time.perf_counter())
    states = esn.states(x_train)
    clock.append(time.perf_counter())
    features = esn._feature_matrix(states[WARMUP:], x_train[WARMUP:])
    esn.w_out, esn.b_out = ridge_regression(features, y_train[WARMUP:], RIDGE,
                                            overwrite_features=True)
    clock.append(time.perf_counter())
    prediction = esn.run(x_test, resume=True)
    clock.append(time.perf_counter())
    return list(np.diff(clock)), prediction


def reservoirpy_phases(units: int, seed: int, data: tuple) -> tuple[list[float], np.ndarray]:
    """Seconds per phase and the test predictions (the steps of reservoirpy's ``ESN``)."""
    x_train, y_train, x_test = data
    clock = [time.perf_counter()]
    reservoir = Reservoir(units=units, sr=SPECTRAL_RADIUS, lr=LEAK_RATE, seed=seed)
    readout = Ridge(ridge=RIDGE)
    reservoir.initialize(x_train)
    clock.append(time.perf_counter())
    states = reservoir.run(x_train)
    clock.append(time.perf_counter())
    readout.fit(states[WARMUP:], y_train[WARMUP:])
    clock.append(time.perf_counter())
    prediction = readout.run(reservoir.run(x_test))
    clock.append(time.perf_counter())
    return list(np.diff(clock)), prediction


def measure(units: int, repeats: int, data: tuple, truth: np.ndarray) -> dict:
    """Per library: best seconds per phase over ``repeats`` seeds and the median test RMSE.
    The libraries alternate seed by seed, so that a change in the machine's load between
    repeats falls on both."""
    runs: dict = {"neurodyn": ([], []), "reservoirpy": ([], [])}
    for seed in range(1, repeats + 1):
        for name, function in (("neurodyn", neurodyn_phases),
                               ("reservoirpy", reservoirpy_phases)):
            seconds, prediction = function(units, seed, data)
            runs[name][0].append(seconds)
            runs[name][1].append(float(np.sqrt(np.mean((prediction - truth) ** 2))))
    return {name: (np.min(times, axis=0), float(np.median(errors)))
            for name, (times, errors) in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and numba threads for both libraries")
    args = parser.parse_args()
    numba.set_num_threads(args.threads)
    blas = [f"{p['internal_api']} {p['num_threads']} thread(s)"
            for p in threadpool_info() if p["user_api"] == "blas"]
    series = mackey_glass_series(2000)
    inputs, targets = forecasting_pairs(series)
    n_test = 400
    data = (inputs[:-n_test], targets[:-n_test], inputs[-n_test:])
    truth = targets[-n_test:]
    for function in (neurodyn_phases, reservoirpy_phases):  # compile and first-call warm-up
        function(50, 0, data)
    print(f"Mackey-Glass one step ahead, {len(data[0])} training and {n_test} test rows; "
          f"BLAS: {', '.join(blas)}; numba: {numba.get_num_threads()} thread(s)")
    print(f"best of {args.repeats} seeds per phase (s), RMSE median over seeds")
    for units in (500, 2000):
        results = measure(units, args.repeats, data, truth)
        for name, (t, error) in results.items():
            split = "  ".join(f"{p} {s:6.3f}" for p, s in zip(PHASES, t, strict=True))
            print(f"N={units:5d}  {name:11s}  {split}  total {t.sum():6.3f}  RMSE {error:.2e}")
        ours, peer = results["neurodyn"][0], results["reservoirpy"][0]
        print(f"N={units:5d}  ratio reservoirpy/neurodyn: train+predict "
              f"{peer[1:].sum() / ours[1:].sum():4.1f}x  total (with build) "
              f"{peer.sum() / ours.sum():4.1f}x")


if __name__ == "__main__":
    main()
