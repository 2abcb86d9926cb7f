"""The 0-1 test for chaos (Gottwald & Melbourne), correlation method.

Sources: G. A. Gottwald and I. Melbourne, "A new test for chaos in deterministic systems",
Proc. R. Soc. A 460 (2004) 603; "On the implementation of the 0-1 test for chaos",
SIAM J. Appl. Dyn. Syst. 8 (2009) 129 (arXiv:0906.1418), whose recipe is followed here:

- for each of ``n_c`` frequencies c drawn uniformly from ``c_range`` (default (π/5, 4π/5), which
  avoids the resonances at c = 0 and c = π), translate the observable φ(j), j = 1..N, into
  p_c(n) = Σ_{j≤n} φ(j) cos(jc), q_c(n) = Σ_{j≤n} φ(j) sin(jc);
- mean-square displacement M_c(n) = (1/(N - n)) Σ_{j=1}^{N-n} |z_c(j + n) - z_c(j)|²,
  z = p + i q, for n = 1..n_cut with n_cut = N // 10 (the average runs over the N - n
  available displacements, as in P. Matthews' reference implementation z1test.m, 2009);
- modified mean-square displacement D_c(n) = M_c(n) - V_osc(c, n), with the oscillatory term
  V_osc(c, n) = (E φ)² (1 - cos nc) / (1 - cos c), E φ the sample mean of φ;
- K_c = corr(ξ, Δ), the Pearson correlation of ξ = (1..n_cut) with Δ = (D_c(1..n_cut));
- K = median over c of K_c. K ≈ 1 for chaotic, K ≈ 0 for regular (periodic, quasiperiodic)
  dynamics.

The test assumes the samples are not oversampled: Gottwald & Melbourne (2009) show that chaotic
data from a flow sampled too finely can give K near 0; a common remedy is to subsample at about
the first minimum of the autocorrelation function. :func:`zero_one_test` warns by that heuristic
(see its ``oversampling_lag``), not by z1test.m's two crude checks.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
import scipy.fft

__all__ = ["ZeroOneResult", "first_autocorrelation_minimum", "zero_one_test"]


class ZeroOneResult(NamedTuple):
    """Result of :func:`zero_one_test` (all dimensionless).

    Attributes
    ----------
    K
        Median of ``K_c`` over the frequencies (NaN entries ignored).
    K_c
        Correlation K_c for each frequency, shape ``(n_c,)``.
    c
        The frequencies c (radians per sample), shape ``(n_c,)``, in the order of ``K_c``.
    n_cut
        Largest displacement n used (N // 10).
    """

    K: float
    K_c: np.ndarray
    c: np.ndarray
    n_cut: int


def first_autocorrelation_minimum(x: np.ndarray) -> int:
    """Lag (in samples) of the first local minimum of the sample autocorrelation of ``x``.

    The autocorrelation is that of the mean-removed series, estimated with the biased
    (1/N) normalisation via FFT for lags 0..N//2; the first lag k >= 1 with
    ``acf[k] <= acf[k + 1]`` is returned, or N//2 if the autocorrelation falls monotonically
    over the whole range.
    """
    arr = np.asarray(x, dtype=np.float64)
    y = arr - arr.mean()
    n = y.size
    size = scipy.fft.next_fast_len(2 * n)
    f = scipy.fft.rfft(y, size)
    acf = scipy.fft.irfft(f * np.conj(f), size)[: n // 2 + 1]
    rising = np.flatnonzero(acf[2:] >= acf[1:-1])
    return int(rising[0] + 1) if rising.size else n // 2


def _k_correlations(phi: np.ndarray, c: np.ndarray, n_cut: int) -> np.ndarray:
    """K_c for each frequency in ``c`` (see the module docstring for the formulas)."""
    n = phi.size
    j = np.arange(1, n + 1)
    steps = np.arange(1, n_cut + 1)
    size = scipy.fft.next_fast_len(2 * n)
    mean_sq = phi.mean() ** 2
    k_c = np.empty(c.size)
    for i, ci in enumerate(c):
        z = np.cumsum(phi * np.exp(1j * ci * j))
        power = np.abs(z) ** 2
        cum = np.concatenate(([0.0], np.cumsum(power)))
        # sum_{j=1}^{N-s} |z(j+s)|^2 + |z(j)|^2 - 2 Re z(j+s) conj(z(j)), cross term by FFT
        f = scipy.fft.fft(z, size)
        cross = scipy.fft.ifft(f * np.conj(f))[1 : n_cut + 1].real
        squares = (cum[n] - cum[steps]) + cum[n - steps]
        msd = (squares - 2.0 * cross) / (n - steps)
        d_c = msd - mean_sq * (1.0 - np.cos(steps * ci)) / (1.0 - math.cos(ci))
        if np.ptp(d_c) == 0.0:
            k_c[i] = math.nan
        else:
            k_c[i] = np.corrcoef(steps, d_c)[0, 1]
    return k_c


def zero_one_test(
    x: np.ndarray,
    *,
    n_c: int = 100,
    seed: int | np.random.Generator = 0,
    c_range: tuple[float, float] = (math.pi / 5, 4 * math.pi / 5),
    oversampling_lag: int | None = 10,
) -> ZeroOneResult:
    """Gottwald–Melbourne 0-1 test for chaos, correlation method (2009 implementation).

    Parameters
    ----------
    x
        The observable φ(j) sampled at equal steps, shape ``(N,)``, finite, not constant,
        ``N >= 100`` (``n_cut = N // 10 >= 10``). Gottwald & Melbourne use N of a few thousand.
    n_c
        Number of random frequencies c.
    seed
        Seed or Generator for drawing c uniformly from ``c_range``; the same seed gives the
        same K.
    c_range
        Interval of c in radians per sample, ``0 < low < high < π``.
    oversampling_lag
        Heuristic oversampling warning: a ``UserWarning`` is issued when the first local
        minimum of the autocorrelation of ``x`` (:func:`first_autocorrelation_minimum`) lies
        beyond this many samples, i.e. when long runs of consecutive samples are strongly
        correlated, as for a flow sampled much finer than its characteristic time; subsample
        by about that lag. ``None`` disables the check.

    Returns
    -------
    ZeroOneResult
        ``K`` (median of K_c, ≈ 1 chaotic, ≈ 0 regular), ``K_c``, ``c`` and ``n_cut``.

    Raises
    ------
    ValueError
        If ``x`` is not 1-D, contains NaN or inf, is constant, or has fewer than 100 samples;
        if ``n_c < 1`` or ``c_range`` is not inside (0, π).
    """
    phi = np.asarray(x, dtype=np.float64)
    if phi.ndim != 1:
        raise ValueError(f"x must be a 1-D series, got an array of shape {phi.shape}")
    if not np.all(np.isfinite(phi)):
        raise ValueError(
            f"x contains NaN or inf (first at index {int(np.flatnonzero(~np.isfinite(phi))[0])})"
        )
    if phi.size < 100:
        raise ValueError(
            f"x is too short for the 0-1 test: needs at least 100 samples "
            f"(n_cut = N // 10 >= 10), got {phi.size}"
        )
    if np.all(phi == phi[0]):
        raise ValueError("x is constant: the 0-1 test is undefined for a constant series")
    if not isinstance(n_c, (int, np.integer)) or n_c < 1:
        raise ValueError(f"n_c (number of frequencies) must be an integer >= 1, got {n_c!r}")
    low, high = (float(v) for v in c_range)
    if not 0.0 < low < high < math.pi:
        raise ValueError(f"c_range must satisfy 0 < low < high < pi, got {c_range!r}")
    if oversampling_lag is not None:
        lag = first_autocorrelation_minimum(phi)
        if lag > oversampling_lag:
            warnings.warn(
                f"x looks oversampled: the first minimum of its autocorrelation is at lag {lag} "
                f"> {oversampling_lag} samples; the 0-1 test can return K near 0 for chaotic "
                f"data sampled this finely (Gottwald & Melbourne 2009). Subsample x by about "
                f"{lag} (e.g. x[::{lag}]).",
                UserWarning,
                stacklevel=2,
            )
    rng = np.random.default_rng(seed)
    c = rng.uniform(low, high, n_c)
    n_cut = phi.size // 10
    k_c = _k_correlations(phi, c, n_cut)
    k = float(np.nanmedian(k_c)) if np.any(np.isfinite(k_c)) else math.nan
    return ZeroOneResult(K=k, K_c=k_c, c=c, n_cut=n_cut)
