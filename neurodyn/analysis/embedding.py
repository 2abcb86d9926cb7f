"""Time-delay embedding of a scalar series and the estimates built on it.

- :func:`delay_embed`: vectors (x_i, x_{i+τ}, ..., x_{i+(m-1)τ}), i = 0..N-(m-1)τ-1 (Takens);
  the layout of pyunicorn's ``embed_time_series``.
- :func:`return_map`: the pairs (x_n, x_{n+lag}).
- :func:`auto_mutual_information` and :func:`mutual_information_delay`: the delay τ at the first
  local minimum of the time-delayed mutual information (Fraser & Swinney, Phys. Rev. A 33,
  1134 (1986)), estimated from a 2-D histogram of equal-width bins, in nats.
- :func:`false_nearest_neighbours` and :func:`embedding_dimension`: the fraction of false
  nearest neighbours against the dimension (Kennel, Brown & Abarbanel, Phys. Rev. A 45, 3403
  (1992), criteria R_tol = 15 and A_tol = 2) and the first dimension where it falls below a
  tolerance.
- :func:`correlation_sum` and :func:`correlation_dimension`: C(r), the fraction of pairs closer
  than r (supremum norm) among pairs at least ``theiler`` samples apart, and the slope of
  log C against log r fitted over a range of r (Grassberger & Procaccia, Phys. Rev. Lett. 50,
  346 (1983)).

Delays and lags are in samples (iterations for maps).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np
import scipy.spatial

__all__ = [
    "CorrelationDimension",
    "auto_mutual_information",
    "correlation_dimension",
    "correlation_sum",
    "delay_embed",
    "embedding_dimension",
    "false_nearest_neighbours",
    "mutual_information_delay",
    "return_map",
]


def _series(x: np.ndarray, name: str = "x", minimum: int = 2) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D series, got shape {arr.shape}")
    if arr.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} samples, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf (first at index "
                         f"{int(np.flatnonzero(~np.isfinite(arr))[0])})")
    return arr


def _positive_int(name: str, value: int) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def delay_embed(x: np.ndarray, dim: int, delay: int = 1) -> np.ndarray:
    """Delay vectors of ``x``, shape ``(N - (dim - 1) * delay, dim)``; row i is
    ``(x[i], x[i + delay], ..., x[i + (dim - 1) * delay])``."""
    dim, delay = _positive_int("dim", dim), _positive_int("delay", delay)
    arr = _series(x)
    n = arr.size - (dim - 1) * delay
    if n < 1:
        raise ValueError(f"a series of {arr.size} samples is too short for dim={dim}, "
                         f"delay={delay}")
    return np.stack([arr[k * delay : k * delay + n] for k in range(dim)], axis=1)


def return_map(x: np.ndarray, lag: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The return map of ``x``: the pairs ``(x[n], x[n + lag])`` as two arrays."""
    lag = _positive_int("lag", lag)
    arr = _series(x, minimum=lag + 1)
    return arr[:-lag], arr[lag:]


def auto_mutual_information(x: np.ndarray, max_lag: int, bins: int = 16) -> np.ndarray:
    """I(τ) for τ = 0..max_lag, in nats, from ``bins`` × ``bins`` equal-width histograms."""
    max_lag, bins = _positive_int("max_lag", max_lag), _positive_int("bins", bins)
    arr = _series(x, minimum=max_lag + 2)
    lo, hi = arr.min(), arr.max()
    if hi == lo:
        return np.zeros(max_lag + 1)
    codes = np.minimum(((arr - lo) / (hi - lo) * bins).astype(np.int64), bins - 1)
    out = np.empty(max_lag + 1)
    for lag in range(max_lag + 1):
        a, b = codes[: arr.size - lag], codes[lag:]
        joint = np.bincount(a * bins + b, minlength=bins * bins).reshape(bins, bins)
        p = joint / a.size
        pa, pb = p.sum(axis=1), p.sum(axis=0)
        nz = p > 0
        out[lag] = float((p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz])).sum())
    return out


def mutual_information_delay(x: np.ndarray, max_lag: int = 100, bins: int = 16) -> int:
    """Delay at the first local minimum of :func:`auto_mutual_information` (``max_lag`` if
    I(τ) decreases throughout)."""
    mi = auto_mutual_information(x, max_lag, bins)
    for lag in range(1, max_lag):
        if mi[lag] <= mi[lag - 1] and mi[lag] < mi[lag + 1]:
            return lag
    return max_lag


def false_nearest_neighbours(
    x: np.ndarray, max_dim: int, delay: int = 1, *, rtol: float = 15.0, atol: float = 2.0
) -> np.ndarray:
    """Fraction of false nearest neighbours for dimensions 1..``max_dim`` (Kennel et al. 1992).

    For each delay vector in dimension d, its nearest neighbour (Euclidean, distance R_d > 0)
    is false when adding the next delay coordinate separates them by more than ``rtol`` · R_d,
    or when the distance in d + 1 dimensions exceeds ``atol`` times the series' standard
    deviation. Vectors whose neighbour is at distance 0 are skipped.
    """
    max_dim = _positive_int("max_dim", max_dim)
    delay = _positive_int("delay", delay)
    arr = _series(x)
    sd = float(arr.std())
    out = np.empty(max_dim)
    for d in range(1, max_dim + 1):
        n = arr.size - d * delay
        if n < 2:
            raise ValueError(f"a series of {arr.size} samples is too short for dimension {d + 1}")
        v = delay_embed(arr, d, delay)[:n]
        dist, idx = scipy.spatial.cKDTree(v).query(v, k=2)
        r, nb = dist[:, 1], idx[:, 1]
        ok = r > 0
        extra = np.abs(arr[np.arange(n) + d * delay] - arr[nb + d * delay])
        false = (extra[ok] / r[ok] > rtol) | (np.sqrt(r[ok] ** 2 + extra[ok] ** 2) / sd > atol)
        out[d - 1] = float(false.mean()) if ok.any() else math.nan
    return out


def embedding_dimension(
    x: np.ndarray, max_dim: int = 10, delay: int = 1, tol: float = 0.01
) -> int:
    """The first dimension whose false-nearest-neighbour fraction is below ``tol``
    (``max_dim`` when none is)."""
    fnn = false_nearest_neighbours(x, max_dim, delay)
    below = np.flatnonzero(fnn < tol)
    return int(below[0] + 1) if below.size else max_dim


_LANES = 64
"""Interleaved work lanes of :func:`_pair_distance_counts`, each with its own counts."""


@numba.njit(cache=True, parallel=True)
def _pair_distance_counts(v, radii, theiler):
    """Number of pairs (i < j, j - i >= theiler) with supremum distance < each radius."""
    n = v.shape[0]
    counts = np.zeros((_LANES, radii.size), dtype=np.int64)
    for lane in numba.prange(_LANES):
        for i in range(lane, n, _LANES):
            for j in range(i + theiler, n):
                d = 0.0
                for c in range(v.shape[1]):
                    d = max(d, abs(v[i, c] - v[j, c]))
                # radii ascend: a pair counts for every radius above d
                k = np.searchsorted(radii, d, side="right")
                if k < radii.size:
                    counts[lane, k] += 1
    return np.cumsum(counts.sum(axis=0))


def correlation_sum(
    x: np.ndarray, radii: np.ndarray, *, dim: int = 1, delay: int = 1, theiler: int = 1
) -> np.ndarray:
    """C(r) for each r in ``radii`` (ascending, > 0): the fraction of pairs (i, j),
    j - i ≥ ``theiler``, of delay vectors with supremum distance < r."""
    theiler = _positive_int("theiler", theiler)
    r = np.asarray(radii, dtype=np.float64)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)) or np.any(r <= 0) \
            or np.any(np.diff(r) <= 0):
        raise ValueError("radii must be a non-empty, strictly ascending array of numbers > 0")
    arr = np.asarray(x, dtype=np.float64)
    v = delay_embed(arr, dim, delay) if arr.ndim == 1 else np.asarray(arr, dtype=np.float64)
    n = v.shape[0]
    n_pairs = (n - theiler) * (n - theiler + 1) // 2
    if n_pairs <= 0:
        raise ValueError(f"{n} vectors have no pairs at least theiler={theiler} apart")
    counts = _pair_distance_counts(np.ascontiguousarray(v), r, theiler)
    return counts / n_pairs


class CorrelationDimension(NamedTuple):
    """Result of :func:`correlation_dimension`: the slope ``D2`` of log C(r) against log r over
    ``radii``, with the sums ``C``."""

    D2: float
    radii: np.ndarray
    C: np.ndarray


def correlation_dimension(
    x: np.ndarray,
    *,
    dim: int = 2,
    delay: int = 1,
    theiler: int = 1,
    r_range: tuple[float, float] | None = None,
    n_radii: int = 12,
) -> CorrelationDimension:
    """Correlation dimension D2 by a least-squares fit of log C(r) on log r.

    ``r_range`` (in the units of ``x``) is the scaling range; by default from 1 % to 10 % of the
    embedded attractor's extent (largest supremum-norm span of a coordinate), log-spaced.
    """
    arr = _series(x) if np.ndim(x) == 1 else np.asarray(x, dtype=np.float64)
    v = delay_embed(arr, dim, delay) if arr.ndim == 1 else arr
    if r_range is None:
        extent = float((v.max(axis=0) - v.min(axis=0)).max())
        r_range = (0.01 * extent, 0.1 * extent)
    lo, hi = r_range
    if not (0 < lo < hi):
        raise ValueError(f"r_range must satisfy 0 < low < high, got {r_range!r}")
    radii = np.geomspace(lo, hi, _positive_int("n_radii", n_radii))
    c = correlation_sum(v, radii, theiler=theiler)
    if np.any(c <= 0):
        raise ValueError(f"no pairs closer than {lo:g}: widen r_range or use a longer series")
    slope = np.polyfit(np.log(radii), np.log(c), 1)[0]
    return CorrelationDimension(D2=float(slope), radii=radii, C=c)
