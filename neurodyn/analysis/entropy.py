"""Sample entropy and permutation entropy of a measured 1-D series.

Both measures are dimensionless. Sample entropy is in nats (natural logarithm), permutation
entropy in bits (log base 2) or, normalised, as a fraction of its maximum log2(order!).

Conventions (sample entropy, Richman & Moorman 2000, Am. J. Physiol. 278, H2039):

- tolerance: ``r`` is relative to the standard deviation of ``x`` with ``ddof=0`` (as antropy),
  so the absolute tolerance is ``r * np.std(x)``;
- distance: Chebyshev (maximum absolute coordinate difference) between templates;
- templates: the same ``N - m`` templates ``x[i : i + m]`` and ``x[i : i + m + 1]``,
  ``i = 0 .. N - m - 1``, are used for both lengths, self-matches excluded, each unordered pair
  counted once; ``SampEn = -ln(A / B)`` with ``B`` the number of pairs within tolerance over ``m``
  points and ``A`` the number within tolerance over ``m + 1`` points;
- tie rule: one rule at every N, ``"<="`` (a distance equal to the tolerance is a match, the
  default) or ``"<"``. antropy 0.2.3 uses ``"<"`` below 5000 samples and ``"<="`` from 5000 on.
"""

from __future__ import annotations

import math
from typing import Literal

import numba
import numpy as np

__all__ = ["permutation_entropy", "sample_entropy"]


def _finite_series(x: np.ndarray, name: str = "x") -> np.ndarray:
    """Return ``x`` as a contiguous 1-D float64 array, or raise ValueError if it is not finite."""
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D series, got an array of shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"{name} contains NaN or inf (first at index {bad})")
    return arr


_LEAF_SIZE = 16


@numba.njit(cache=True, nogil=True)
def _select(idx: np.ndarray, points: np.ndarray, dim: int, lo: int, hi: int, k: int) -> None:
    """Reorder ``idx[lo:hi]`` so that no key left of position k exceeds a key right of it.

    Keys are ``points[idx, dim]``; quickselect with Hoare partitioning and a median-of-three
    pivot (runs of equal keys split evenly).
    """
    while hi - lo > 2:
        a = points[idx[lo], dim]
        b = points[idx[(lo + hi) // 2], dim]
        c = points[idx[hi - 1], dim]
        pivot = max(min(a, b), min(max(a, b), c))
        i = lo
        j = hi - 1
        while i <= j:
            while points[idx[i], dim] < pivot:
                i += 1
            while points[idx[j], dim] > pivot:
                j -= 1
            if i <= j:
                idx[i], idx[j] = idx[j], idx[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j + 1
        elif k >= i:
            lo = i
        else:
            return
    if hi - lo == 2 and points[idx[lo], dim] > points[idx[lo + 1], dim]:
        idx[lo], idx[lo + 1] = idx[lo + 1], idx[lo]


@numba.njit(cache=True, nogil=True)
def _build_kdtree(points: np.ndarray, leaf_size: int):
    """Balanced k-d tree over the first m coordinates of ``points`` (shape ``(n, m + 1)``).

    Heap layout: the children of node k are 2k + 1 and 2k + 2; each node is split at its
    median along its widest coordinate until leaves hold at most ``leaf_size`` points.
    Returns the points reordered in tree order as columns ``cols`` (``(m + 1, n)``), each node's
    range ``[start, end)`` in that order, its exact bounding box ``lo, hi`` over the first m
    coordinates (``(n_nodes, m)``), the index of the first leaf, and ``sorted_last``
    (``(n_levels, n)``): at each level, the last coordinate sorted within each node's range.
    """
    n, d = points.shape
    m = d - 1
    n_levels = 1
    while (n >> (n_levels - 1)) > leaf_size:
        n_levels += 1
    n_nodes = 2**n_levels - 1
    first_leaf = 2 ** (n_levels - 1) - 1
    start = np.empty(n_nodes, dtype=np.int64)
    end = np.empty(n_nodes, dtype=np.int64)
    lo = np.empty((n_nodes, m))
    hi = np.empty((n_nodes, m))
    idx = np.arange(n)
    start[0], end[0] = 0, n
    for node in range(n_nodes):
        s, e = start[node], end[node]
        for k in range(m):
            lo[node, k] = np.inf
            hi[node, k] = -np.inf
        for p in range(s, e):
            for k in range(m):
                v = points[idx[p], k]
                lo[node, k] = min(lo[node, k], v)
                hi[node, k] = max(hi[node, k], v)
        if node < first_leaf:
            dim = 0
            for k in range(1, m):
                if hi[node, k] - lo[node, k] > hi[node, dim] - lo[node, dim]:
                    dim = k
            mid = (s + e) // 2
            _select(idx, points, dim, s, e, mid)
            start[2 * node + 1], end[2 * node + 1] = s, mid
            start[2 * node + 2], end[2 * node + 2] = mid, e
    cols = np.empty((d, n))
    for p in range(n):
        for k in range(d):
            cols[k, p] = points[idx[p], k]
    sorted_last = np.empty((n_levels, n))
    for node in range(first_leaf, n_nodes):
        s, e = start[node], end[node]
        sorted_last[n_levels - 1, s:e] = np.sort(cols[m, s:e])
    for level in range(n_levels - 2, -1, -1):
        for node in range(2**level - 1, 2 ** (level + 1) - 1):
            _merge(
                sorted_last[level + 1],
                start[node],
                end[2 * node + 1],
                end[node],
                sorted_last[level],
            )
    return cols, start, end, lo, hi, first_leaf, sorted_last


@numba.njit(cache=True, nogil=True)
def _merge(src: np.ndarray, s: int, mid: int, e: int, dst: np.ndarray) -> None:
    """Merge the sorted runs ``src[s:mid]`` and ``src[mid:e]`` into ``dst[s:e]``."""
    i, j = s, mid
    for p in range(s, e):
        if j >= e or (i < mid and src[i] <= src[j]):
            dst[p] = src[i]
            i += 1
        else:
            dst[p] = src[j]
            j += 1


@numba.njit(cache=True, nogil=True)
def _close_pairs_1d(a: np.ndarray, b: np.ndarray, same: bool, tol: float) -> int:
    """Pairs (x in a, y in b) with ``|y - x| <= tol``; a and b sorted ascending.

    With ``same`` (a is b), unordered pairs of distinct positions. A moving window, exact
    because floating-point subtraction is monotone and ``fl(x - y) == -fl(y - x)``.
    """
    total = 0
    lo = 0
    hi = 0
    for i in range(a.size):
        x = a[i]
        if same:
            hi = max(hi, i + 1)
            while hi < b.size and b[hi] - x <= tol:
                hi += 1
            total += hi - i - 1
        else:
            while lo < b.size and x - b[lo] > tol:
                lo += 1
            hi = max(hi, lo)
            while hi < b.size and b[hi] - x <= tol:
                hi += 1
            total += hi - lo
    return total


@numba.njit(cache=True, nogil=True)
def _leaf_pair_counts(cols, s1, e1, s2, e2, same, tol, box_lo, box_hi, match):
    """Brute-force counts of pairs between leaves [s1, e1) and [s2, e2) (j > i if same leaf).

    Returns ``(B, A)``: pairs within ``tol`` on the first m coordinates and on all m + 1.
    A point of the first leaf farther than ``tol`` from the second leaf's box (``box_lo``,
    ``box_hi``) is skipped. ``match`` is scratch space of at least ``e2 - s2`` booleans; the
    loops over j are branch-free so that LLVM vectorises them.
    """
    m = cols.shape[0] - 1
    last = cols[m]
    count_m = 0
    count_m1 = 0
    for i in range(s1, e1):
        apart = False
        for k in range(m):
            a = cols[k, i]
            if a - box_hi[k] > tol or box_lo[k] - a > tol:
                apart = True
        if apart:
            continue
        j0 = i + 1 if same else s2
        width = e2 - j0
        for j in range(width):
            match[j] = True
        for k in range(m):
            row = cols[k]
            a = row[i]
            for j in range(width):
                match[j] = match[j] & (abs(row[j0 + j] - a) <= tol)
        a = last[i]
        for j in range(width):
            count_m += match[j]
            count_m1 += match[j] & (abs(last[j0 + j] - a) <= tol)
    return count_m, count_m1


@numba.njit(cache=True, nogil=True)
def _count_template_pairs(points: np.ndarray, tol: float, leaf_size: int) -> tuple[int, int]:
    """Count unordered template pairs within ``tol`` (Chebyshev, ``<=``) over m and m + 1 points.

    ``points`` has shape ``(n, m + 1)``, one template per row. Dual-tree pair counting
    (Gray & Moore 2001) on a k-d tree over the first m coordinates: a pair of nodes whose
    boxes are farther apart than ``tol`` in some coordinate is skipped; a pair whose boxes lie
    within ``tol`` in every coordinate adds all its point pairs to B at once, and to A the pairs
    whose last coordinates are within ``tol`` (a merge over the nodes' sorted last coordinates);
    otherwise the larger node is split, down to brute force between leaves. The box tests are
    exact: floating-point subtraction is monotone, so ``hi_q - lo_p <= tol`` bounds
    ``b - a`` as computed for every a in p, b in q. Returns ``(B, A)``.
    """
    cols, start, end, lo, hi, first_leaf, sorted_last = _build_kdtree(points, leaf_size)
    m = points.shape[1] - 1
    n_levels = sorted_last.shape[0]
    level = np.empty(end.size, dtype=np.int64)  # depth of each node in the tree
    for depth in range(n_levels):
        level[2**depth - 1 : 2 ** (depth + 1) - 1] = depth
    # depth-first: at most 2 (n_levels - 1) splits deep, each adding at most 2 net entries
    stack = np.empty((4 * n_levels + 4, 2), dtype=np.int64)
    stack[0] = 0
    top = 1
    match = np.empty(leaf_size + 1, dtype=np.bool_)  # leaves hold at most leaf_size + 1 points
    count_m = 0
    count_m1 = 0
    while top > 0:
        top -= 1
        p, q = stack[top, 0], stack[top, 1]
        apart = False
        inside = True
        for k in range(m):
            if lo[q, k] - hi[p, k] > tol or lo[p, k] - hi[q, k] > tol:
                apart = True
                break
            if hi[q, k] - lo[p, k] > tol or hi[p, k] - lo[q, k] > tol:
                inside = False
        if apart:
            continue
        n_p = end[p] - start[p]
        n_q = end[q] - start[q]
        if inside:
            count_m += n_p * (n_p - 1) // 2 if p == q else n_p * n_q
            count_m1 += _close_pairs_1d(
                sorted_last[level[p], start[p] : end[p]],
                sorted_last[level[q], start[q] : end[q]],
                p == q,
                tol,
            )
            continue
        p_leaf = p >= first_leaf
        q_leaf = q >= first_leaf
        if p_leaf and q_leaf:
            c_m, c_m1 = _leaf_pair_counts(
                cols, start[p], end[p], start[q], end[q], p == q, tol, lo[q], hi[q], match
            )
            count_m += c_m
            count_m1 += c_m1
        elif p == q:  # children (c, c), (c, c + 1), (c + 1, c + 1)
            c = 2 * p + 1
            stack[top, 0], stack[top, 1] = c, c
            stack[top + 1, 0], stack[top + 1, 1] = c, c + 1
            stack[top + 2, 0], stack[top + 2, 1] = c + 1, c + 1
            top += 3
        elif q_leaf or (not p_leaf and n_p >= n_q):  # split p
            stack[top, 0], stack[top, 1] = 2 * p + 1, q
            stack[top + 1, 0], stack[top + 1, 1] = 2 * p + 2, q
            top += 2
        else:  # split q
            stack[top, 0], stack[top, 1] = p, 2 * q + 1
            stack[top + 1, 0], stack[top + 1, 1] = p, 2 * q + 2
            top += 2
    return count_m, count_m1


def sample_entropy(
    x: np.ndarray,
    m: int = 2,
    r: float = 0.2,
    *,
    tie: Literal["<=", "<"] = "<=",
) -> float:
    """Sample entropy SampEn(m, r) of a 1-D series, in nats.

    Parameters
    ----------
    x
        The series, shape ``(N,)``, finite and not constant.
    m
        Template length (embedding dimension), ``m >= 1``.
    r
        Tolerance relative to the standard deviation of ``x`` (``ddof=0``): two templates
        match when their Chebyshev distance is within ``r * np.std(x)``. ``r > 0``.
    tie
        ``"<="`` (default): a distance equal to the tolerance is a match; ``"<"``: it is not.
        The same rule is used at every N.

    Returns
    -------
    float
        ``-ln(A / B)`` (Richman & Moorman 2000), counting over the same ``N - m`` templates for
        lengths m and m + 1, self-matches excluded. ``nan`` when no pair of templates matches
        over m points (``B = 0``: undefined); ``inf`` when pairs match over m points but none
        over m + 1 (``A = 0``), as antropy does.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D, contains NaN or inf, is constant (standard deviation 0), or has
        fewer than ``m + 2`` samples; if ``m < 1``, ``r`` is not a positive finite number, or
        ``tie`` is not ``"<="`` or ``"<"``.

    Notes
    -----
    The pair counts are exact integers, obtained by dual-tree pair counting (Gray & Moore
    2001) on a k-d tree of the templates: node pairs entirely within (or beyond) the tolerance
    are counted (or skipped) at once, so dense matches, as on low-dimensional attractors, cost
    far fewer than N²/2 comparisons. Memory O(N log N). The strict rule ``d < tol`` is
    evaluated as ``d <= nextafter(tol, 0)``, exactly equivalent for floating-point ``d``.
    On series where no distance equals the tolerance exactly (any continuous-valued data), the
    result equals antropy 0.2.3's ``sample_entropy(x, order=m)`` at every N (to rounding in the
    last digits, antropy's KDTree path averaging per-template ratios).
    """
    arr = _finite_series(x)
    if not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"m (template length) must be an integer >= 1, got {m!r}")
    if not (np.isfinite(r) and r > 0):
        raise ValueError(f"r (tolerance relative to the standard deviation) must be > 0, got {r!r}")
    if tie not in ("<=", "<"):
        raise ValueError(f"tie must be '<=' or '<', got {tie!r}")
    n_samples = arr.size
    if n_samples < m + 2:
        raise ValueError(
            f"x is too short for m={m}: sample entropy needs at least m + 2 = {m + 2} samples, "
            f"got {n_samples}"
        )
    if np.all(arr == arr[0]):
        raise ValueError("x is constant (standard deviation 0): the tolerance r * SD would be 0")

    tol = float(r * np.std(arr, ddof=0))
    if not (math.isfinite(tol) and tol > 0.0):
        raise ValueError(f"the tolerance r * SD = {tol!r} is not a positive finite number")
    if tie == "<":
        tol = float(np.nextafter(tol, 0.0))
    n_templates = n_samples - m
    templates = np.lib.stride_tricks.sliding_window_view(arr, m + 1)[:n_templates]
    count_m, count_m1 = _count_template_pairs(np.ascontiguousarray(templates), tol, _LEAF_SIZE)
    if count_m == 0:
        return math.nan
    if count_m1 == 0:
        return math.inf
    return 0.0 - math.log(count_m1 / count_m)  # 0.0 - ln 1 is +0.0, not -0.0


@numba.njit(cache=True, nogil=True)
def _ordinal_codes(x: np.ndarray, order: int, delay: int) -> np.ndarray:
    """Lehmer code in ``[0, order!)`` of the ordinal pattern of each delay vector.

    Ties are broken by position (the earlier sample ranks lower), as a stable argsort does.
    The code of the window w is sum_a L_a (order - 1 - a)!, with L_a = #{b > a : w_b < w_a}.
    """
    n = x.size - (order - 1) * delay
    weights = np.empty(order, dtype=np.int64)
    f = 1
    for a in range(order - 1, -1, -1):
        weights[a] = f
        f *= order - a
    codes = np.empty(n, dtype=np.int64)
    for i in range(n):
        code = 0
        for a in range(order - 1):
            wa = x[i + a * delay]
            smaller = 0
            for b in range(a + 1, order):
                smaller += x[i + b * delay] < wa
            code += smaller * weights[a]
        codes[i] = code
    return codes


def permutation_entropy(
    x: np.ndarray,
    order: int = 3,
    delay: int = 1,
    normalize: bool = True,
) -> float:
    """Permutation entropy of a 1-D series (Bandt & Pompe 2002, PRL 88, 174102).

    Parameters
    ----------
    x
        The series, shape ``(N,)``, finite.
    order
        Length of the ordinal patterns, ``2 <= order <= 20``.
    delay
        Lag between the samples of a pattern, in samples, ``>= 1``.
    normalize
        If True (default), divide by log2(order!) so the result lies in [0, 1].

    Returns
    -------
    float
        ``-sum_pi p(pi) log2 p(pi)`` in bits over the ``N - (order - 1) * delay`` delay vectors,
        or that divided by log2(order!). Ties within a window are ranked by position (earlier
        sample lower, like a stable argsort, as antropy does), so a constant series has entropy 0.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D or contains NaN or inf, if ``order`` or ``delay`` is out of range,
        or if ``x`` is shorter than ``(order - 1) * delay + 1`` samples.
    """
    arr = _finite_series(x)
    if not isinstance(order, (int, np.integer)) or not 2 <= order <= 20:
        raise ValueError(f"order must be an integer in [2, 20], got {order!r}")
    if not isinstance(delay, (int, np.integer)) or delay < 1:
        raise ValueError(f"delay must be an integer >= 1, got {delay!r}")
    span = (order - 1) * delay + 1
    if arr.size < span:
        raise ValueError(
            f"x is too short for order={order}, delay={delay}: needs at least "
            f"(order - 1) * delay + 1 = {span} samples, got {arr.size}"
        )
    codes = _ordinal_codes(arr, int(order), int(delay))
    if order <= 8:
        counts = np.bincount(codes, minlength=math.factorial(order))
        counts = counts[counts > 0]
    else:
        counts = np.unique(codes, return_counts=True)[1]
    p = counts / codes.size
    h = 0.0 - float((p * np.log2(p)).sum())
    if normalize:
        h = min(max(h / math.log2(math.factorial(order)), 0.0), 1.0)
    return h
