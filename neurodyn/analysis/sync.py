"""Synchronization measures for a network's activity, an array of shape ``(time, node)``.

- :func:`cross_correlation_coefficient`: the cross-correlation coefficient Γ used in the
  map-network literature (e.g. ring-star networks of Chialvo neurons, Nair et al. 2024; chains of
  heterogeneous map neurons, Ghosh et al. 2024): the average over node pairs of the correlation
  coefficient of the deviations from each node's time mean.
- :func:`kuramoto_order_parameter`: R(t) = |(1/N) Σ_j exp(i φ_j(t))| (Kuramoto 1984), its time
  average and fluctuation.
- :func:`spike_phases`: phases from spike timing (phase grows by 2π per inter-spike interval).
- :func:`hilbert_phases`: phases of the analytic signal of each mean-removed node series.

All measures are dimensionless; phases are in radians. Time is the first axis throughout.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np

from .spikes import spike_indices

__all__ = [
    "CrossCorrelationResult",
    "KuramotoResult",
    "cross_correlation_coefficient",
    "hilbert_phases",
    "kuramoto_order_parameter",
    "spike_phases",
]


class CrossCorrelationResult(NamedTuple):
    """Result of :func:`cross_correlation_coefficient`.

    Attributes
    ----------
    gamma
        Γ, the mean of ``pairwise`` over all pairs i ≠ j, in [-1, 1] (NaN if a pair is NaN).
    pairwise
        Γ_ij, shape ``(N, N)``, symmetric, ones on the diagonal.
    """

    gamma: float
    pairwise: np.ndarray


class KuramotoResult(NamedTuple):
    """Result of :func:`kuramoto_order_parameter`.

    Attributes
    ----------
    R
        R(t), shape ``(T,)``, in [0, 1]; NaN where some node's phase is NaN.
    mean
        Time average of R(t) over the times where it is defined.
    std
        Standard deviation (ddof=0) of R(t) over the same times: its fluctuation.
    """

    R: np.ndarray
    mean: float
    std: float


def _time_by_node(x: np.ndarray, name: str, *, allow_nan: bool = False) -> np.ndarray:
    """``x`` as a float64 ``(time, node)`` array (a 1-D series is one node)."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (time, node), got an array of shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least 2 time points and 1 node, got shape {arr.shape}")
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if np.any(bad):
        t, node = np.argwhere(bad)[0]
        what = "inf" if allow_nan else "NaN or inf"
        raise ValueError(f"{name} contains {what} (first at time {t}, node {node})")
    return arr


def _constant_nodes(arr: np.ndarray) -> np.ndarray:
    """Indices of the columns whose values are all equal."""
    return np.flatnonzero(np.all(arr == arr[0], axis=0))


def cross_correlation_coefficient(
    X: np.ndarray,
    *,
    on_constant: Literal["raise", "nan"] = "raise",
) -> CrossCorrelationResult:
    """Cross-correlation coefficient Γ of a network's activity.

    With x̃_i(t) = x_i(t) - <x_i>_t the deviation of node i from its time average,

        Γ_ij = <x̃_i x̃_j>_t / sqrt(<x̃_i²>_t <x̃_j²>_t),
        Γ = (1 / (N (N - 1))) Σ_{i≠j} Γ_ij,

    the Pearson correlation of every pair of nodes over time, averaged over pairs. Γ = 1 for
    complete (in-phase) synchronization, ≈ 0 for independent nodes. This is the measure of the
    ring-star Chialvo network (Nair et al. 2024) and heterogeneous chain (Ghosh et al. 2024)
    papers; Γ_ij equals ``np.corrcoef(X.T)[i, j]``.

    Parameters
    ----------
    X
        Activity, shape ``(T, N)``: T >= 2 time points, N >= 2 nodes, finite.
    on_constant
        What to do when a node is constant in time (its correlation is undefined, e.g. a
        network at a fixed point): ``"raise"`` (default) a ValueError naming the nodes, or
        ``"nan"``: its Γ_ij (i ≠ j) and Γ are NaN.

    Returns
    -------
    CrossCorrelationResult
        ``gamma`` (Γ) and ``pairwise`` (Γ_ij, shape ``(N, N)``).
    """
    arr = _time_by_node(X, "X")
    n_nodes = arr.shape[1]
    if n_nodes < 2:
        raise ValueError(f"X needs at least 2 nodes for a cross-correlation, got {n_nodes}")
    if on_constant not in ("raise", "nan"):
        raise ValueError(f"on_constant must be 'raise' or 'nan', got {on_constant!r}")
    constant = _constant_nodes(arr)
    if constant.size and on_constant == "raise":
        raise ValueError(
            f"X has constant nodes {constant.tolist()} (zero variance in time): their "
            "correlation is undefined; pass on_constant='nan' to get NaN instead"
        )
    dev = arr - arr.mean(axis=0)
    cov = dev.T @ dev / arr.shape[0]
    var = np.diag(cov).copy()
    var[constant] = np.nan
    scale = np.sqrt(var)
    pairwise = np.clip(cov / scale[:, None] / scale[None, :], -1.0, 1.0)
    np.fill_diagonal(pairwise, 1.0)
    off_diagonal = ~np.eye(n_nodes, dtype=bool)
    gamma = float(pairwise[off_diagonal].mean())
    return CrossCorrelationResult(gamma=gamma, pairwise=pairwise)


def kuramoto_order_parameter(phases: np.ndarray) -> KuramotoResult:
    """Kuramoto order parameter R(t) = |(1/N) Σ_j exp(i φ_j(t))| of a ``(time, node)`` array.

    R = 1 when all phases are equal, and for N independent uniform phases
    E[R²] = 1/N exactly (R ≈ 1/√N). Phases in radians, any branch (they enter through
    exp(iφ)). Times at which some phase is NaN (e.g. from :func:`spike_phases` before a node's
    first or after its last spike) get R(t) = NaN and are left out of ``mean`` and ``std``.

    Raises
    ------
    ValueError
        If ``phases`` is not 1-D or 2-D, contains inf, has fewer than 2 time points, or has no
        time at which every phase is defined.
    """
    arr = _time_by_node(phases, "phases", allow_nan=True)
    r = np.abs(np.exp(1j * arr).mean(axis=1))
    defined = np.isfinite(r)
    if not np.any(defined):
        raise ValueError("phases has no time point at which every node's phase is defined")
    return KuramotoResult(R=r, mean=float(r[defined].mean()), std=float(r[defined].std()))


def spike_phases(
    X: np.ndarray,
    threshold: float,
    *,
    times: np.ndarray | None = None,
) -> np.ndarray:
    """Phases from spike timing, for each node of a ``(time, node)`` array (or a 1-D series).

    A spike of node j is an upward crossing of ``threshold``: sample t with
    ``x_j[t - 1] < threshold <= x_j[t]``; its time t_k is ``times[t]`` (so a series that starts
    above threshold has no spike at t = 0). Between spikes the phase
    grows linearly by 2π per inter-spike interval,

        φ_j(t) = 2π k + 2π (t - t_k) / (t_{k+1} - t_k),   t_k <= t < t_{k+1},

    with k = 0 at the node's first spike; at the last spike φ = 2π (K - 1) for K spikes.
    The phase is undefined (NaN) before the first and after the last spike, and everywhere for a
    node with fewer than two spikes.

    Parameters
    ----------
    X
        Activity, shape ``(T, N)`` or ``(T,)``, finite.
    threshold
        Spike threshold in the units of X.
    times
        Sample times, shape ``(T,)``, strictly increasing; default ``0, 1, ..., T - 1``.

    Returns
    -------
    numpy.ndarray
        Phases in radians (unwrapped: 2π k counts the spikes), same shape as ``X``.
    """
    arr = _time_by_node(X, "X")
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    n_times = arr.shape[0]
    if times is None:
        t = np.arange(n_times, dtype=np.float64)
    else:
        t = np.asarray(times, dtype=np.float64)
        if t.shape != (n_times,) or not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            raise ValueError(
                f"times must be a finite, strictly increasing array of shape ({n_times},)"
            )
    phases = np.full(arr.shape, np.nan)
    for node in range(arr.shape[1]):
        spikes = spike_indices(arr[:, node], threshold)
        if spikes.size < 2:
            continue
        first, last = spikes[0], spikes[-1]
        k = np.searchsorted(spikes, np.arange(first, last + 1), side="right") - 1
        k = np.minimum(k, spikes.size - 2)  # the last spike closes interval K - 2
        t_k = t[spikes[k]]
        t_next = t[spikes[k + 1]]
        span = t[first : last + 1]
        phases[first : last + 1, node] = 2 * np.pi * (k + (span - t_k) / (t_next - t_k))
    return phases if np.ndim(X) == 2 else phases[:, 0]


def hilbert_phases(X: np.ndarray, *, unwrap: bool = False) -> np.ndarray:
    """Phases of the analytic signal of each mean-removed node series (Gabor 1946).

    φ_j(t) = arg(x̃_j(t) + i H[x̃_j](t)), x̃_j = x_j - <x_j>_t, H the Hilbert transform computed
    by ``scipy.signal.hilbert`` (FFT, so the series is treated as periodic: expect edge
    effects over a few periods at both ends unless the window holds whole periods). Meaningful
    for narrow-band, oscillatory signals.

    Parameters
    ----------
    X
        Activity, shape ``(T, N)`` or ``(T,)``, finite, no constant node.
    unwrap
        If True, unwrap the phases in time (``np.unwrap``); otherwise they lie in (-π, π].

    Returns
    -------
    numpy.ndarray
        Phases in radians, same shape as ``X``.
    """
    arr = _time_by_node(X, "X")
    constant = _constant_nodes(arr)
    if constant.size:
        raise ValueError(
            f"X has constant nodes {constant.tolist()}: their Hilbert phase is undefined"
        )
    import scipy.signal  # here, not at the top: it costs 0.4 s, paid by every workflow job

    analytic = scipy.signal.hilbert(arr - arr.mean(axis=0), axis=0)
    phases = np.angle(analytic)
    if unwrap:
        phases = np.unwrap(phases, axis=0)
    return phases if np.ndim(X) == 2 else phases[:, 0]
