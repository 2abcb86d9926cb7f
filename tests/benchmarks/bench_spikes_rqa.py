"""Benchmark: per-point spike statistics against elephant, and RQA against pyunicorn.

Run: ``.venv/bin/python tests/benchmarks/bench_spikes_rqa.py`` (not a pytest test).

1. Spike statistics of every point of a Rulkov (2001) sweep over alpha (``--points`` series of
   ``--steps`` iterations, one batched simulation): neurodyn's ``spike_statistics`` (one numba
   pass over all series) against elephant's ``isi``, ``cv`` and ``mean_firing_rate`` on the
   ``neo.SpikeTrain`` of each point (the spike detection of both is the same threshold
   crossing, done by neurodyn's ``to_neo``; elephant's time excludes it). Values must agree.
2. RQA of a chaotic logistic series of ``--rqa-length`` samples (ε = 0.05, supremum norm):
   neurodyn's ``rqa`` against pyunicorn's ``RecurrencePlot`` (matrix, then RR, DET, L, ENTR,
   LAM, TT). pyunicorn 1.0 stores the series in float32, so neurodyn measures the same
   float32-rounded series (in float64); values must then agree to pyunicorn's 1e-10
   denominator guard (on the float64 series a few pairs at distance ~ε differ).
Each time is the best of ``--repeat`` runs after a warm-up call (numba compile or cache load).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from timing import best_time

from neurodyn.analysis.recurrence import rqa
from neurodyn.analysis.spikes import SPIKE_STATISTICS, spike_statistics, to_neo
from neurodyn.models import get_model
from neurodyn.sim import iterate_batch


def rulkov_sweep(points: int, steps: int) -> np.ndarray:
    model = get_model("rulkov2001")
    alpha = np.linspace(4.05, 4.6, points)
    parameters = np.array([[a, 0.001, -1.0] for a in alpha]).T
    initial = np.tile(np.array([[-1.0], [-3.0]]), (1, points))
    out = iterate_batch(model, initial, parameters, steps=steps, transient=1000, keep=steps)
    return np.ascontiguousarray(out.kept[:, 0, :].T)  # (points, steps)


def elephant_statistics(series: np.ndarray) -> np.ndarray:
    import quantities as pq
    from elephant.statistics import cv, isi, mean_firing_rate

    out = np.empty((series.shape[0], 4))
    for k, x in enumerate(series):
        (train,) = to_neo(x, threshold=0.0)
        intervals = isi(train).magnitude
        out[k] = (len(train), float(mean_firing_rate(train).rescale(1 / pq.ms).magnitude),
                  intervals.mean(), cv(intervals))
    return out


def logistic(n: int, r: float = 3.9, x0: float = 0.1) -> np.ndarray:
    """``n`` states of the logistic map from ``x0`` (a plain loop)."""
    x = np.empty(n)
    x[0] = x0
    for t in range(1, n):
        x[t] = r * x[t - 1] * (1 - x[t - 1])
    return x


def pyunicorn_rqa(x: np.ndarray, eps: float) -> tuple:
    from pyunicorn.timeseries import RecurrencePlot

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rp = RecurrencePlot(x[:, None], threshold=eps, metric="supremum", silence_level=3)
        return (rp.recurrence_rate(), rp.determinism(2), rp.average_diaglength(2),
                rp.diag_entropy(2), rp.laminarity(2), rp.trapping_time(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--rqa-length", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    series = rulkov_sweep(args.points, args.steps)
    print(f"Rulkov sweep: {args.points} points x {args.steps} iterations "
          f"({time.perf_counter() - start:.1f} s incl. compile)")
    spike_statistics(series[:2], 0.0)
    t_nd, ours = best_time(lambda: spike_statistics(series, 0.0), args.repeat)
    t_el, ref = best_time(lambda: elephant_statistics(series), 1)
    fields = [SPIKE_STATISTICS.index(f) for f in ("n_spikes", "rate", "isi_mean", "isi_cv")]
    equal = np.allclose(ours[:, fields], ref, rtol=1e-10, equal_nan=True)
    print(f"spike statistics, {args.points} trains: elephant {t_el:.3f} s, neurodyn "
          f"{t_nd:.4f} s, ratio {t_el / t_nd:.1f}x, equal: {equal}")

    x = logistic(args.rqa_length + 1000)[1000:].astype(np.float32).astype(np.float64)
    rqa(x[:100], 0.05)
    t_nd, r = best_time(lambda: rqa(x, float(np.float32(0.05))), args.repeat)
    t_pu, ref = best_time(lambda: pyunicorn_rqa(x, float(np.float32(0.05))), 1)
    ours = (r.RR, r.DET, r.L, r.ENTR, r.LAM, r.TT)
    equal = np.allclose(ours, ref, rtol=1e-8)
    print(f"RQA, N = {args.rqa_length}: pyunicorn {t_pu:.2f} s, neurodyn {t_nd:.3f} s, "
          f"ratio {t_pu / t_nd:.1f}x, equal: {equal}")
    print("  RR DET L ENTR LAM TT:", np.round(ours, 6))


if __name__ == "__main__":
    main()
