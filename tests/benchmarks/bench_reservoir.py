"""Echo state network against reservoirpy, same hyper-parameters, same data, same run; prints
times, ratios and errors.

Task: Mackey–Glass (tau = 17) one step ahead, the ANCHORS.md protocol (2000 samples from
``neurodyn.reservoir.mackey_glass_series``, last 20 % for testing, 100 warm-up rows), with
spectral radius 1.25, leak rate 0.3, ridge 1e-5, connectivity 0.1, input connectivity 0.1 at
N = 500 and N = 2000. Timed: building the reservoir (drawing the matrices and scaling the
spectral radius), harvesting the training states, the ridge readout, and the open-loop
prediction of the test rows. Both are run once to compile, then ``--repeats`` times with fresh
seeds; the best times are compared. The errors (RMSE on the test rows) are printed beside them.

    .venv/bin/python tests/benchmarks/bench_reservoir.py [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from reservoirpy import ESN as PeerESN

from neurodyn.forecasting import rollout
from neurodyn.reservoir import ESN, forecasting_pairs, mackey_glass_series

HYPER = dict(spectral_radius=1.25, leak_rate=0.3, ridge=1e-5)


def neurodyn_run(units, seed, series, x_train, y_train, y_test):
    esn = ESN(units=units, **HYPER, seed=seed).fit(x_train, y_train, warmup=100)
    return rollout(esn, series[: len(x_train) + 1], len(y_test), drive=y_test)


def peer_run(units, seed, series, x_train, y_train, y_test):
    esn = PeerESN(units=units, sr=1.25, lr=0.3, ridge=1e-5, seed=seed)
    esn.fit(x_train, y_train, warmup=100)
    return esn.run(series[len(x_train) : -1])


def best_of(function, repeats, *args):
    times, errors = [], []
    for seed in range(repeats):
        start = time.perf_counter()
        prediction = function(*args[:1], seed + 1, *args[1:])
        times.append(time.perf_counter() - start)
        errors.append(float(np.sqrt(np.mean((prediction - args[-1]) ** 2))))
    return min(times), float(np.median(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    series = mackey_glass_series(2000)
    inputs, targets = forecasting_pairs(series)
    n_test = 400
    data = (series, inputs[:-n_test], targets[:-n_test], targets[-n_test:])
    neurodyn_run(50, 0, *data)  # compile
    print("Mackey-Glass one step, train+predict (best of", args.repeats, "seeds), RMSE median")
    for units in (500, 2000):
        ours, our_error = best_of(neurodyn_run, args.repeats, units, *data)
        peer, peer_error = best_of(peer_run, args.repeats, units, *data)
        print(
            f"N={units:5d}  neurodyn {ours:7.3f} s (RMSE {our_error:.2e})  "
            f"reservoirpy {peer:7.3f} s (RMSE {peer_error:.2e})  ratio {peer / ours:5.1f}x"
        )


if __name__ == "__main__":
    main()
