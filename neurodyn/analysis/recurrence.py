"""Recurrence plots and recurrence quantification analysis (RQA).

A recurrence plot of a series of states v_1..v_N (a scalar series is first delay-embedded,
:func:`~neurodyn.analysis.embedding.delay_embed`) is the matrix

    R_ij = 1  if ||v_i - v_j|| < ε,  else 0,

with a strict ``<`` and the supremum (default), Euclidean or Manhattan norm, as in pyunicorn's
``RecurrencePlot`` (Marwan, Romano, Thiel & Kurths, Phys. Rep. 438, 237 (2007)).
The measures follow pyunicorn's conventions, so values agree with it exactly (pyunicorn 1.0
rounds the series to float32 first; neurodyn computes in float64, so give it the rounded series
to compare):

- ``RR``: recurrence rate, Σ R_ij / N² (the line of identity included);
- diagonal lines: maximal runs of ones along the diagonals k ≠ 0 (the line of identity excluded,
  both triangles counted); ``DET`` the fraction of those diagonal recurrence points on lines of
  length ≥ ``l_min``, ``L`` the mean length of such lines, ``L_max`` the longest, ``ENTR`` the
  Shannon entropy (nats) of the length distribution of lines of length ≥ ``l_min``;
- vertical lines: maximal runs of ones in each column of the whole matrix (identity included);
  ``LAM`` the fraction of recurrence points on vertical lines of length ≥ ``v_min``, ``TT``
  (trapping time) the mean length of such lines, ``V_max`` the longest.

The line histograms are counted in one pass over pairs without storing the N × N matrix
(memory O(N), time O(N² · dim)), in parallel over diagonals and columns with integer counts, so
the result does not depend on the thread count. :func:`recurrence_matrix` gives the matrix itself
for plotting.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from .embedding import delay_embed

__all__ = ["METRICS", "RQAResult", "recurrence_matrix", "rqa", "rqa_from_histograms"]

METRICS = {"supremum": 0, "euclidean": 1, "manhattan": 2}
"""Norms accepted by ``metric`` (the code passed to the kernels)."""


class RQAResult(NamedTuple):
    """Recurrence quantification measures (see the module docstring for the conventions).

    ``RR``, ``DET``, ``LAM`` are fractions in [0, 1]; ``L``, ``TT``, ``L_max``, ``V_max`` are
    lengths in samples; ``ENTR`` is in nats. A measure whose denominator is zero (no diagonal
    recurrence, no line of the minimal length) is NaN.
    """

    RR: float
    DET: float
    L: float
    L_max: int
    ENTR: float
    LAM: float
    TT: float
    V_max: int


@numba.njit(cache=True, inline="always")
def _distance(v, i, j, metric):
    d = 0.0
    for c in range(v.shape[1]):
        diff = abs(v[i, c] - v[j, c])
        if metric == 0:
            d = max(d, diff)
        elif metric == 1:
            d += diff * diff
        else:
            d += diff
    return math.sqrt(d) if metric == 1 else d


_LANES = 64
"""Interleaved work lanes of the parallel loops, each with its own integer histogram: the
sums do not depend on the thread count."""


@numba.njit(cache=True, parallel=True)
def _line_histograms(v, eps, metric):
    """Histograms (index = length - 1) of diagonal (k ≠ 0, both triangles) and vertical lines,
    and the number of recurrence points."""
    n = v.shape[0]
    diag = np.zeros((_LANES, n), dtype=np.int64)
    vert = np.zeros((_LANES, n), dtype=np.int64)
    rec = np.zeros(_LANES, dtype=np.int64)
    for lane in numba.prange(_LANES):
        # Diagonals k = 1..n-1 of the upper triangle; the lower triangle mirrors them.
        for k in range(1 + lane, n, _LANES):
            run = 0
            for i in range(n - k):
                if _distance(v, i, i + k, metric) < eps:
                    run += 1
                elif run > 0:
                    diag[lane, run - 1] += 2
                    run = 0
            if run > 0:
                diag[lane, run - 1] += 2
        for j in range(lane, n, _LANES):
            run = 0
            for i in range(n):
                if i == j or _distance(v, i, j, metric) < eps:
                    run += 1
                    rec[lane] += 1
                elif run > 0:
                    vert[lane, run - 1] += 1
                    run = 0
            if run > 0:
                vert[lane, run - 1] += 1
    return diag.sum(axis=0), vert.sum(axis=0), rec.sum()


@numba.njit(cache=True, parallel=True)
def _matrix(v, eps, metric):
    n = v.shape[0]
    out = np.zeros((n, n), dtype=np.uint8)
    for i in numba.prange(n):
        for j in range(n):
            if i == j or _distance(v, i, j, metric) < eps:
                out[i, j] = 1
    return out


def _states(x: np.ndarray, dim: int, delay: int) -> np.ndarray:
    """The state vectors, shape ``(N, d)``: a scalar series delay-embedded, a 2-D one as is."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        v = delay_embed(arr, dim, delay)
    elif arr.ndim == 2:
        if dim != 1:
            raise ValueError(f"dim={dim} applies to a scalar series; x has shape {arr.shape}")
        v = arr
    else:
        raise ValueError(f"x must be a series (N,) or states (N, d), got shape {arr.shape}")
    if v.shape[0] < 2:
        raise ValueError(f"need at least 2 state vectors, got {v.shape[0]}")
    if not np.all(np.isfinite(v)):
        raise ValueError("x contains NaN or inf")
    return np.ascontiguousarray(v)


def _check(threshold: float, metric: str) -> int:
    if not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a finite number > 0, got {threshold!r}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)}")
    return METRICS[metric]


def recurrence_matrix(
    x: np.ndarray, threshold: float, *, dim: int = 1, delay: int = 1, metric: str = "supremum"
) -> np.ndarray:
    """The recurrence matrix R (uint8, shape ``(N, N)``, ones on the diagonal) of ``x``.

    ``x`` is a scalar series (embedded with ``dim``, ``delay``) or states ``(N, d)``;
    ``threshold`` is ε in the units of ``x``.
    """
    code = _check(threshold, metric)
    return _matrix(_states(x, dim, delay), float(threshold), code)


def _entropy(counts: np.ndarray) -> float:
    counts = counts[counts > 0]
    if counts.size == 0:
        return math.nan
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def rqa_from_histograms(
    diag: np.ndarray, vert: np.ndarray, n_recurrences: int, n: int, l_min: int, v_min: int
) -> RQAResult:
    """RQA measures from line-length histograms (index = length - 1) of an ``n``-point plot."""
    lengths = np.arange(1, n + 1)

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else math.nan

    det = ratio(lengths[l_min - 1 :] @ diag[l_min - 1 :], lengths @ diag)
    mean_l = ratio(lengths[l_min - 1 :] @ diag[l_min - 1 :], diag[l_min - 1 :].sum())
    lam = ratio(lengths[v_min - 1 :] @ vert[v_min - 1 :], lengths @ vert)
    tt = ratio(lengths[v_min - 1 :] @ vert[v_min - 1 :], vert[v_min - 1 :].sum())
    l_max = int(np.flatnonzero(diag).max(initial=-1) + 1)
    v_max = int(np.flatnonzero(vert).max(initial=-1) + 1)
    return RQAResult(
        RR=n_recurrences / n**2,
        DET=float(det),
        L=float(mean_l),
        L_max=l_max,
        ENTR=_entropy(diag[l_min - 1 :]),
        LAM=float(lam),
        TT=float(tt),
        V_max=v_max,
    )


def rqa(
    x: np.ndarray,
    threshold: float,
    *,
    dim: int = 1,
    delay: int = 1,
    metric: str = "supremum",
    l_min: int = 2,
    v_min: int = 2,
) -> RQAResult:
    """Recurrence quantification of ``x`` at recurrence threshold ε = ``threshold``.

    Parameters
    ----------
    x
        A scalar series ``(N,)`` (delay-embedded with ``dim`` and ``delay``, in samples) or
        states ``(N, d)``; finite.
    threshold
        ε, in the units of ``x`` (a pair recurs when its distance is strictly below ε).
    metric
        ``"supremum"`` (default), ``"euclidean"`` or ``"manhattan"``.
    l_min, v_min
        Shortest diagonal and vertical lines counted by DET, L, ENTR and LAM, TT (≥ 1).
    """
    code = _check(threshold, metric)
    for name, value in (("l_min", l_min), ("v_min", v_min)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    v = _states(x, dim, delay)
    diag, vert, n_rec = _line_histograms(v, float(threshold), code)
    return rqa_from_histograms(diag, vert, int(n_rec), v.shape[0], int(l_min), int(v_min))
