"""Spike trains of map neurons: detection, inter-spike intervals, rates, bursts, synchrony.

Conventions (time in samples, i.e. iterations for maps, unless ``dt`` is given):

- A spike is an upward threshold crossing: sample t with ``x[t-1] < threshold <= x[t]``
  (:func:`spike_indices`); a series that starts above threshold has no spike at t = 0. For the
  Rulkov maps, whose spikes are single iterations of large ``x`` followed by the map's reset,
  the crossing marks the iteration of the spike itself.
- ISI: differences of consecutive spike times. CV = std(ISI) / mean(ISI) with ddof = 0
  (elephant's ``cv``, i.e. ``scipy.stats.variation``); NaN with fewer than two intervals.
- Firing rate: spikes per unit time over the whole observation window ``[0, T·dt)``
  (elephant's ``mean_firing_rate`` with ``t_start = 0``, ``t_stop = T·dt``).
- Bursts: maximal runs of at least ``min_spikes`` spikes whose consecutive ISIs are all
  ≤ ``max_isi`` (the ISI-threshold method). Burst length is its number of spikes, its duration
  last minus first spike time.
- Spike-time tiling coefficient (STTC, Cutts & Eglen, J. Neurosci. 34, 14288 (2014)) of two
  trains with window ``dt_window``; the same value as elephant's
  ``spike_time_tiling_coefficient`` (see :func:`spike_time_tiling_coefficient`).

:func:`spike_statistics` measures many series at once (one numba pass per series, in
parallel, no per-series heap memory), the path a sweep uses for every grid point.
:func:`padded_spike_trains` detects the trains of many series at once in the padded layout a
sweep store keeps them in (a count per series and the spike indices padded with
:data:`SPIKE_PAD`). :func:`to_neo` turns spike times into ``neo.SpikeTrain`` objects for
elephant's tools.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

__all__ = [
    "SPIKE_PAD",
    "SPIKE_STATISTICS",
    "Bursts",
    "bursts",
    "padded_spike_trains",
    "spike_indices",
    "spike_statistics",
    "spike_time_tiling_coefficient",
    "to_neo",
]

SPIKE_STATISTICS = (
    "n_spikes",
    "rate",
    "isi_mean",
    "isi_cv",
    "n_bursts",
    "burst_length",
    "burst_duration",
)
"""Fields of :func:`spike_statistics`, in its output order: spike count, rate (spikes per
sample), ISI mean (samples) and CV, burst count, mean spikes per burst, mean burst duration
(samples)."""


SPIKE_PAD = -1
"""Value of the unused slots of padded spike trains (:func:`padded_spike_trains`): never a
spike index, and an integer, so that nothing missing reads back as NaN."""


def spike_indices(x: np.ndarray, threshold: float) -> np.ndarray:
    """Sample indices t with ``x[t - 1] < threshold <= x[t]`` (upward crossings) of a 1-D
    series."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"x must be a 1-D series, got shape {arr.shape}")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    return np.flatnonzero((arr[:-1] < threshold) & (arr[1:] >= threshold)) + 1


@numba.njit(cache=True, parallel=True)
def _count_crossings(x, threshold, counts):
    for s in numba.prange(x.shape[0]):
        n = 0
        for t in range(1, x.shape[1]):
            if x[s, t - 1] < threshold <= x[s, t]:
                n += 1
        counts[s] = n


@numba.njit(cache=True, parallel=True)
def _fill_crossings(x, threshold, times):
    for s in numba.prange(x.shape[0]):
        n = 0
        for t in range(1, x.shape[1]):
            if x[s, t - 1] < threshold <= x[s, t]:
                times[s, n] = t
                n += 1


def padded_spike_trains(x: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The spike trains of every series of ``x`` (shape ``(..., T)``, time last) as a count and
    padded sample indices: ``counts`` (int64, shape ``(...)``) and ``times`` (int64, shape
    ``(..., K)`` with ``K`` the largest count), where ``times[..., :counts]`` are the upward
    crossings of :func:`spike_indices` and the rest is :data:`SPIKE_PAD`. A series with a
    non-finite value has no train: count -1, every slot :data:`SPIKE_PAD`."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 1 or arr.shape[-1] < 2:
        raise ValueError(f"x needs a time axis (last) of at least 2 samples, got {arr.shape}")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    flat = np.ascontiguousarray(arr.reshape(-1, arr.shape[-1]))
    finite = np.all(np.isfinite(flat), axis=1)
    counts = np.empty(flat.shape[0], dtype=np.int64)
    _count_crossings(flat, float(threshold), counts)
    counts[~finite] = 0
    times = np.full((flat.shape[0], int(counts.max(initial=0))), SPIKE_PAD, dtype=np.int64)
    rows = times[finite]  # a copy: the finite series' rows, filled and put back
    _fill_crossings(flat[finite], float(threshold), rows)
    times[finite] = rows
    counts[~finite] = -1
    return counts.reshape(arr.shape[:-1]), times.reshape(*arr.shape[:-1], times.shape[1])


class Bursts(NamedTuple):
    """Bursts of a spike train: index of the first spike of each burst in the train, its
    number of spikes, and its start and end times (first and last spike)."""

    first: np.ndarray
    n_spikes: np.ndarray
    start: np.ndarray
    end: np.ndarray


def bursts(times: np.ndarray, max_isi: float, min_spikes: int = 2) -> Bursts:
    """Bursts of a sorted spike train by the ISI-threshold method (see the module docstring)."""
    t = np.asarray(times, dtype=np.float64)
    if t.ndim != 1 or np.any(np.diff(t) <= 0):
        raise ValueError("times must be a strictly increasing 1-D array")
    if not (math.isfinite(max_isi) and max_isi > 0):
        raise ValueError(f"max_isi must be a finite number > 0, got {max_isi!r}")
    if int(min_spikes) != min_spikes or min_spikes < 2:
        raise ValueError(f"min_spikes must be an integer >= 2, got {min_spikes!r}")
    close = np.diff(t) <= max_isi
    # runs of True in `close` of length >= min_spikes - 1 are bursts
    edges = np.diff(np.concatenate([[0], close.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    n = ends - starts + 1
    keep = n >= min_spikes
    first, n = starts[keep], n[keep]
    return Bursts(first=first, n_spikes=n, start=t[first], end=t[first + n - 1])


@numba.njit(cache=True, parallel=True)
def _statistics(x, threshold, max_isi, min_spikes, out):
    n_series, n_times = x.shape
    for s in numba.prange(n_series):
        count = 0
        last_t = -1
        isi_sum = 0.0
        isi_sq = 0.0
        n_bursts = 0
        burst_spikes = 0
        burst_time = 0.0
        run = 1  # spikes in the current run of close spikes
        run_start = -1
        finite = True
        for t in range(n_times):
            if not math.isfinite(x[s, t]):
                finite = False
                break
            if t == 0 or not (x[s, t - 1] < threshold <= x[s, t]):
                continue
            if count > 0:
                isi = t - last_t
                isi_sum += isi
                isi_sq += isi * isi
                if isi <= max_isi:
                    run += 1
                else:
                    if run >= min_spikes:
                        n_bursts += 1
                        burst_spikes += run
                        burst_time += last_t - run_start
                    run = 1
                    run_start = t
            else:
                run_start = t
            count += 1
            last_t = t
        if not finite:
            for k in range(out.shape[1]):
                out[s, k] = np.nan
            continue
        if count > 0 and run >= min_spikes:
            n_bursts += 1
            burst_spikes += run
            burst_time += last_t - run_start
        n_isi = count - 1
        out[s, 0] = count
        out[s, 1] = count / n_times
        if n_isi >= 1:
            mean = isi_sum / n_isi
            out[s, 2] = mean
            var = max(isi_sq / n_isi - mean * mean, 0.0)
            out[s, 3] = math.sqrt(var) / mean if n_isi >= 2 else np.nan
        else:
            out[s, 2] = np.nan
            out[s, 3] = np.nan
        out[s, 4] = n_bursts
        out[s, 5] = burst_spikes / n_bursts if n_bursts > 0 else np.nan
        out[s, 6] = burst_time / n_bursts if n_bursts > 0 else np.nan


def spike_statistics(
    x: np.ndarray, threshold: float, *, max_isi: float = math.inf, min_spikes: int = 2
) -> np.ndarray:
    """Spike statistics of each series of ``x`` (shape ``(..., T)``, time last).

    Returns an array of shape ``(..., 7)`` with the fields of :data:`SPIKE_STATISTICS`, per
    sample (multiply rates by, and divide times by, the sampling step to change units). A
    series with a non-finite value gets NaN in every field; fields undefined for a train
    (ISI of fewer than two spikes, CV of fewer than three, burst means without bursts) are NaN.
    ``max_isi`` = inf (default) puts all spikes of a train in one burst; set it between the
    intra-burst and inter-burst intervals to count bursts.
    """
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim < 1 or arr.shape[-1] < 2:
        raise ValueError(f"x needs a time axis (last) of at least 2 samples, got {arr.shape}")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    if math.isnan(max_isi) or max_isi <= 0:
        raise ValueError(f"max_isi must be > 0, got {max_isi!r}")
    if int(min_spikes) != min_spikes or min_spikes < 2:
        raise ValueError(f"min_spikes must be an integer >= 2, got {min_spikes!r}")
    flat = np.ascontiguousarray(arr.reshape(-1, arr.shape[-1]))
    out = np.empty((flat.shape[0], len(SPIKE_STATISTICS)))
    _statistics(flat, float(threshold), float(max_isi), int(min_spikes), out)
    return out.reshape(*arr.shape[:-1], len(SPIKE_STATISTICS))


def _tile_fraction(times: np.ndarray, dt: float, t_start: float, t_stop: float) -> float:
    """Fraction of [t_start, t_stop] within ±dt of a spike (the union of the windows)."""
    if times.size == 0:
        return 0.0
    lo = np.maximum(times - dt, t_start)
    hi = np.minimum(times + dt, t_stop)
    covered, end = 0.0, -math.inf
    for a, b in zip(lo, hi, strict=True):
        a = max(a, end)
        if b > a:
            covered += b - a
            end = b
    return covered / (t_stop - t_start)


def _fraction_near(a: np.ndarray, b: np.ndarray, dt: float) -> float:
    """Fraction of spikes of ``a`` within ±dt of some spike of ``b`` (both sorted)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    k = np.searchsorted(b, a)
    left = np.abs(a - b[np.maximum(k - 1, 0)])
    right = np.abs(b[np.minimum(k, b.size - 1)] - a)
    return float(np.mean(np.minimum(left, right) <= dt))


def spike_time_tiling_coefficient(
    a: np.ndarray, b: np.ndarray, dt_window: float, t_start: float, t_stop: float
) -> float:
    """STTC of spike trains ``a`` and ``b`` (sorted times in [t_start, t_stop]) with window
    ±``dt_window``: ½[(P_A − T_B)/(1 − P_A T_B) + (P_B − T_A)/(1 − P_B T_A)], where P_A is the
    fraction of spikes of A within the window of a spike of B and T_A the fraction of time
    within the window of a spike of A. In [-1, 1]; NaN if a train is empty."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not (math.isfinite(dt_window) and dt_window > 0):
        raise ValueError(f"dt_window must be a finite number > 0, got {dt_window!r}")
    if not t_stop > t_start:
        raise ValueError(f"t_stop ({t_stop}) must exceed t_start ({t_start})")
    if a.size == 0 or b.size == 0:
        return math.nan
    ta = _tile_fraction(a, dt_window, t_start, t_stop)
    tb = _tile_fraction(b, dt_window, t_start, t_stop)
    pa, pb = _fraction_near(a, b, dt_window), _fraction_near(b, a, dt_window)
    return 0.5 * ((pa - tb) / (1 - pa * tb) + (pb - ta) / (1 - pb * ta))


def to_neo(x: np.ndarray, threshold: float, *, dt: float = 1.0, units: str = "ms") -> list:
    """``neo.SpikeTrain`` objects, one per node of ``x`` (shape ``(T,)`` or ``(T, N)``).

    Spike times are ``index · dt`` in ``units`` (one iteration of a map is ``dt`` of them);
    ``t_stop`` is ``T · dt``, so elephant's rates use the whole window.
    """
    import neo
    import quantities as pq

    arr = np.asarray(x, dtype=np.float64)
    nodes = arr[:, None] if arr.ndim == 1 else arr
    unit = pq.Quantity(1.0, units)
    return [
        neo.SpikeTrain(
            spike_indices(nodes[:, j], threshold) * dt * unit,
            t_start=0.0 * unit,
            t_stop=nodes.shape[0] * dt * unit,
        )
        for j in range(nodes.shape[1])
    ]
