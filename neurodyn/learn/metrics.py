"""Dynamical-systems-reconstruction measures: state-space divergence and power-spectrum
distance, on series ``(T, d)``.

Both standardise the two series by the **truth's** per-variable mean and standard deviation
(ddof 0), so a generated series of the wrong amplitude is penalised.

* :func:`state_space_divergence` ``D_stsp``: Kullback-Leibler divergence
  ``KL(p_true || p_gen)`` of the occupation densities (in nats). ``method="binned"``
  (Brenner et al., ICML 2022; Hess et al., ICML 2023): ``bins`` equal bins per variable over the
  truth's range widened by 10 % on each side, points outside clipped into the edge bins (so a
  diverging series is counted, not dropped), probabilities ``(count + 1e-6 N / K) / (N (1 +
  1e-6))`` for ``K`` bins. ``method="gmm"`` (Koppe et al., PLoS Comput. Biol. 2019): each
  series is a mixture of isotropic Gaussians of width ``sigma`` centred on (at most
  ``max_centres`` of) its points; the KL is a Monte Carlo average over ``n_samples`` draws from
  the truth's mixture. ``"auto"``: binned for ``d <= 3``, GMM above.
* :func:`power_spectrum_distance` ``D_H`` (Mikhaeil et al., NeurIPS 2022): per variable, the
  power spectrum ``|FFT|^2`` of the standardised series without its mean, smoothed by a
  Gaussian of ``smoothing`` frequency bins (standard deviation), normalised to sum 1; the
  Hellinger distance ``sqrt(1 - sum sqrt(p q))`` in [0, 1], averaged over the variables.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.special import logsumexp

__all__ = ["power_spectrum_distance", "state_space_divergence"]


def _standardised_pair(generated: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gen = np.asarray(generated, dtype=np.float64)
    true = np.asarray(truth, dtype=np.float64)
    gen, true = (gen[:, None], true[:, None]) if gen.ndim == 1 else (gen, true)
    if gen.ndim != 2 or gen.shape[1] != true.shape[1]:
        raise ValueError(f"series must be (T, d) with the same d, got {gen.shape}, {true.shape}")
    mean, scale = true.mean(axis=0), true.std(axis=0)
    if np.any(scale == 0):
        raise ValueError("a variable of the truth is constant: it cannot standardise")
    gen = np.where(np.isfinite(gen), gen, np.sign(np.nan_to_num(gen)) * 1e6 + 1e6)
    return (gen - mean) / scale, (true - mean) / scale


def state_space_divergence(
    generated: np.ndarray,
    truth: np.ndarray,
    method: str = "auto",
    bins: int = 30,
    sigma: float = 1.0,
    n_samples: int = 2000,
    max_centres: int = 2000,
    seed: int = 0,
) -> float:
    """``D_stsp = KL(p_true || p_gen)`` in nats (see the module docstring for the methods)."""
    gen, true = _standardised_pair(generated, truth)
    if method == "auto":
        method = "binned" if true.shape[1] <= 3 else "gmm"
    if method == "binned":
        return _binned_kl(gen, true, int(bins))
    if method == "gmm":
        return _gmm_kl(gen, true, float(sigma), int(n_samples), int(max_centres), seed)
    raise ValueError(f"method must be 'auto', 'binned' or 'gmm', got {method!r}")


def _binned_kl(gen: np.ndarray, true: np.ndarray, bins: int) -> float:
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    lo, hi = true.min(axis=0), true.max(axis=0)
    pad = 0.1 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    shape = (bins,) * true.shape[1]

    def histogram(x: np.ndarray) -> np.ndarray:
        index = np.clip(((x - lo) / (hi - lo) * bins).astype(np.int64), 0, bins - 1)
        flat = np.ravel_multi_index(index.T, shape)
        counts = np.bincount(flat, minlength=int(np.prod(shape))).astype(np.float64)
        eps = 1e-6 * len(x) / counts.size
        return (counts + eps) / (len(x) + eps * counts.size)

    p, q = histogram(true), histogram(gen)
    return float(np.sum(p * np.log(p / q)))


def _gmm_kl(
    gen: np.ndarray, true: np.ndarray, sigma: float, n_samples: int, max_centres: int, seed: int
) -> float:
    rng = np.random.default_rng(seed)

    def centres(x: np.ndarray) -> np.ndarray:
        return x[np.linspace(0, len(x) - 1, min(len(x), max_centres)).astype(np.int64)]

    c_true, c_gen = centres(true), centres(gen)
    draws = c_true[rng.integers(0, len(c_true), n_samples)]
    draws = draws + sigma * rng.standard_normal(draws.shape)

    def log_density(x: np.ndarray, c: np.ndarray) -> np.ndarray:
        sq = (x**2).sum(1)[:, None] + (c**2).sum(1)[None] - 2.0 * x @ c.T
        return logsumexp(-0.5 * np.maximum(sq, 0.0) / sigma**2, axis=1) - np.log(len(c))

    return float(np.mean(log_density(draws, c_true) - log_density(draws, c_gen)))


def power_spectrum_distance(
    generated: np.ndarray, truth: np.ndarray, smoothing: float = 20.0
) -> float:
    """``D_H``: mean over variables of the Hellinger distance of the smoothed, normalised power
    spectra (see the module docstring). Needs series of the same length."""
    gen, true = _standardised_pair(generated, truth)
    if gen.shape != true.shape:
        raise ValueError(f"series must have the same length, got {gen.shape}, {true.shape}")

    def spectrum(x: np.ndarray) -> np.ndarray:
        power = np.abs(np.fft.rfft(x - x.mean(axis=0), axis=0)) ** 2
        if smoothing > 0:
            power = gaussian_filter1d(power, smoothing, axis=0, mode="nearest")
        total = power.sum(axis=0)
        return power / np.where(total > 0, total, 1.0)

    p, q = spectrum(true), spectrum(gen)
    overlap = np.sqrt(p * q).sum(axis=0)
    return float(np.mean(np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0))))
