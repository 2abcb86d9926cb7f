"""Largest Lyapunov exponent from a measured series (Rosenstein, Collins & De Luca 1993).

Source: M. T. Rosenstein, J. J. Collins and C. J. De Luca, "A practical method for calculating
largest Lyapunov exponents from small data sets", Physica D 65 (1993) 117.

Method: delay-embed the series, Y_i = (x_i, x_{i+lag}, ..., x_{i+(emb_dim-1) lag}); pair each
reference vector with its nearest neighbour (Euclidean distance) among the vectors more than
``min_tsep`` samples away in time; follow each pair for ``trajectory_len`` steps and average the
logarithm of their distance, y(k) = <ln d_j(k)>_j; the slope of y against time k * dt over the
linear (pre-saturation) range is the largest exponent λ₁.

Units: λ₁ is per unit of ``dt``: per iteration for a map sampled every iteration (dt = 1), per
unit time for a flow sampled every dt time units. Distances are in the units of ``x``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

__all__ = ["RosensteinResult", "rosenstein_lyapunov"]


class RosensteinResult(NamedTuple):
    """Result of :func:`rosenstein_lyapunov`.

    Attributes
    ----------
    exponent
        Largest Lyapunov exponent, per unit of ``dt`` (per iteration when dt = 1).
    times
        ``k * dt`` for k = 0 .. trajectory_len - 1, shape ``(trajectory_len,)``.
    divergence
        Mean log distance y(k) = <ln d_j(k)>_j (natural log of distances in units of x),
        shape ``(trajectory_len,)``; NaN where no pair had a nonzero distance.
    fit_range
        ``(start, stop)``: the steps k in ``[start, stop)`` used for the least-squares fit.
    intercept
        Intercept of the fitted line ``y = intercept + exponent * t``.
    n_pairs
        Number of reference vectors that found a nearest neighbour.
    """

    exponent: float
    times: np.ndarray
    divergence: np.ndarray
    fit_range: tuple[int, int]
    intercept: float
    n_pairs: int


@numba.njit(cache=True, parallel=True)
def _nearest_neighbours(x: np.ndarray, n_ref: int, emb_dim: int, lag: int, min_tsep: int):
    """Index of the nearest neighbour (squared Euclidean, nonzero distance) of each of the first
    ``n_ref`` delay vectors among themselves, excluding |i - j| <= min_tsep; -1 if none."""
    neighbour = np.full(n_ref, -1, dtype=np.int64)
    for i in numba.prange(n_ref):
        best = np.inf
        for j in range(n_ref):
            if abs(i - j) <= min_tsep:
                continue
            d2 = 0.0
            for k in range(emb_dim):
                diff = x[i + k * lag] - x[j + k * lag]
                d2 += diff * diff
            if 0.0 < d2 < best:
                best = d2
                neighbour[i] = j
    return neighbour


@numba.njit(cache=True)
def _mean_log_divergence(x, neighbour, emb_dim, lag, trajectory_len):
    """y(k) = mean over pairs of ln(distance after k steps), zero distances left out."""
    divergence = np.full(trajectory_len, np.nan)
    for step in range(trajectory_len):
        total = 0.0
        count = 0
        for i in range(neighbour.size):
            j = neighbour[i]
            if j < 0:
                continue
            d2 = 0.0
            for k in range(emb_dim):
                diff = x[i + step + k * lag] - x[j + step + k * lag]
                d2 += diff * diff
            if d2 > 0.0:
                total += 0.5 * math.log(d2)
                count += 1
        if count > 0:
            divergence[step] = total / count
    return divergence


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def rosenstein_lyapunov(
    x: np.ndarray,
    *,
    emb_dim: int,
    lag: int,
    min_tsep: int,
    trajectory_len: int,
    fit_range: tuple[int, int] | None = None,
    dt: float = 1.0,
) -> RosensteinResult:
    """Largest Lyapunov exponent of a series by Rosenstein's method.

    Parameters
    ----------
    x
        The series, shape ``(N,)``, finite, not constant, sampled every ``dt``.
    emb_dim
        Embedding dimension (>= 1).
    lag
        Embedding delay in samples (>= 1).
    min_tsep
        Temporal separation in samples: neighbours j of reference i must have
        ``|i - j| > min_tsep`` (Rosenstein use about one mean period). ``>= 0``.
    trajectory_len
        Number of steps k = 0 .. trajectory_len - 1 each pair is followed (>= 2). Only the
        first ``N - (emb_dim - 1) * lag - trajectory_len + 1`` delay vectors serve as
        references and neighbours, so that every pair can be followed that far.
    fit_range
        ``(start, stop)``: fit the line over steps ``start <= k < stop`` (at least two). Choose
        the linear part of ``divergence`` before it saturates at the attractor size. Default:
        all steps.
    dt
        Sampling interval in the time unit wanted for the exponent (> 0).

    Returns
    -------
    RosensteinResult
        ``exponent`` (per unit of dt), ``times``, ``divergence``, ``fit_range``,
        ``intercept``, ``n_pairs``.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D, contains NaN or inf, is constant or too short for the embedding,
        separation and trajectory length; if a parameter is out of range; or if no pair has a
        nonzero distance over the fit range.

    Notes
    -----
    Neighbours at distance 0 (repeated states) are skipped, and zero distances along a
    trajectory are left out of the mean, as they carry no information about divergence.
    The neighbour search is brute force, O(M² emb_dim) for M delay vectors, run in parallel
    on numba's threads (set with ``numba.set_num_threads``).
    """
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"x must be a 1-D series, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"x contains NaN or inf (first at index {int(np.flatnonzero(~np.isfinite(arr))[0])})"
        )
    emb_dim = _check_int("emb_dim", emb_dim, 1)
    lag = _check_int("lag", lag, 1)
    min_tsep = _check_int("min_tsep", min_tsep, 0)
    trajectory_len = _check_int("trajectory_len", trajectory_len, 2)
    if not (math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive number, got {dt!r}")
    start, stop = (0, trajectory_len) if fit_range is None else (int(v) for v in fit_range)
    if not 0 <= start < stop - 1 < trajectory_len:
        raise ValueError(
            f"fit_range must satisfy 0 <= start, start + 2 <= stop <= trajectory_len="
            f"{trajectory_len}, got {fit_range!r}"
        )
    n_ref = arr.size - (emb_dim - 1) * lag - trajectory_len + 1
    if n_ref < 2 * min_tsep + 2:
        raise ValueError(
            f"x is too short: {arr.size} samples leave {max(n_ref, 0)} reference vectors for "
            f"emb_dim={emb_dim}, lag={lag}, trajectory_len={trajectory_len}, but "
            f"min_tsep={min_tsep} needs at least 2 * min_tsep + 2 = {2 * min_tsep + 2}"
        )
    if np.all(arr == arr[0]):
        raise ValueError("x is constant: every distance is 0 and no divergence can be measured")

    neighbour = _nearest_neighbours(arr, n_ref, emb_dim, lag, min_tsep)
    divergence = _mean_log_divergence(arr, neighbour, emb_dim, lag, trajectory_len)
    times = np.arange(trajectory_len) * float(dt)
    t_fit = times[start:stop]
    y_fit = divergence[start:stop]
    if not np.all(np.isfinite(y_fit)):
        raise ValueError(
            "no pair of neighbours has a nonzero distance at some step of fit_range "
            f"{(start, stop)}: the series may be periodic or too coarsely quantised"
        )
    slope, intercept = np.polyfit(t_fit, y_fit, 1)
    return RosensteinResult(
        exponent=float(slope),
        times=times,
        divergence=divergence,
        fit_range=(start, stop),
        intercept=float(intercept),
        n_pairs=int(np.count_nonzero(neighbour >= 0)),
    )
