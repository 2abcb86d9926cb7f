"""0-1 test for chaos: ANCHORS.md values on the logistic map, the formulas, the warnings."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import logistic

from neurodyn.analysis.chaos01 import first_autocorrelation_minimum, zero_one_test


def direct_k_c(phi: np.ndarray, c: float, n_cut: int) -> float:
    """Gottwald & Melbourne (2009) K_c written out with explicit sums (no FFT)."""
    j = np.arange(1, phi.size + 1)
    p = np.cumsum(phi * np.cos(j * c))
    q = np.cumsum(phi * np.sin(j * c))
    steps = np.arange(1, n_cut + 1)
    msd = np.array([np.mean((p[s:] - p[:-s]) ** 2 + (q[s:] - q[:-s]) ** 2) for s in steps])
    v_osc = phi.mean() ** 2 * (1 - np.cos(steps * c)) / (1 - np.cos(c))
    return float(np.corrcoef(steps, msd - v_osc)[0, 1])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_chaotic_r397_gives_k_near_one(seed):
    # ANCHORS.md: logistic map, N = 5000, correlation method, median over c in (pi/5, 4pi/5):
    # K ~ 1 at r = 3.97.
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not oversampled: no warning
        result = zero_one_test(logistic(5000, 3.97), seed=seed)
    assert result.K > 0.9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_logistic_periodic_r355_gives_k_near_zero(seed):
    # ANCHORS.md: K ~ 0 at r = 3.55 (period-8 orbit).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = zero_one_test(logistic(5000, 3.55), seed=seed)
    assert abs(result.K) < 0.1


def test_quasiperiodic_signal_gives_k_near_zero():
    # Two incommensurate frequencies (quasiperiodic): K = 0 with probability one (GM 2009).
    n = np.arange(5000)
    x = np.sin(0.5 * n) + np.sin(0.5 * math.sqrt(2) * n)
    assert abs(zero_one_test(x).K) < 0.1


def test_result_holds_median_and_per_c_values_that_match_the_formulas():
    x = logistic(2000, 3.9)
    result = zero_one_test(x, n_c=7, seed=42)
    assert result.n_cut == 200
    assert result.c.shape == result.K_c.shape == (7,)
    assert np.all((result.c > math.pi / 5) & (result.c < 4 * math.pi / 5))
    assert result.c == pytest.approx(
        np.random.default_rng(42).uniform(math.pi / 5, 4 * math.pi / 5, 7)
    )
    assert result.K == np.median(result.K_c)
    for c, k_c in zip(result.c, result.K_c, strict=True):
        assert k_c == pytest.approx(direct_k_c(x, c, 200), abs=1e-9)
    again = zero_one_test(x, n_c=7, seed=42)
    assert np.array_equal(again.K_c, result.K_c)  # same seed, same numbers


def test_oversampled_flow_like_signal_warns():
    t = np.arange(5000) * 0.01  # a period of 2 pi is sampled ~628 times
    x = np.sin(t) + 0.5 * np.sin(math.sqrt(2) * t)
    assert first_autocorrelation_minimum(x) > 10
    with pytest.warns(UserWarning, match="oversampled"):
        zero_one_test(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero_one_test(x, oversampling_lag=None)


def test_first_autocorrelation_minimum_of_a_sampled_sine_is_half_a_period():
    x = np.cos(2 * np.pi * np.arange(4000) / 40)  # period 40 samples
    assert first_autocorrelation_minimum(x) == 20


def test_bad_input_messages():
    x = logistic(500, 3.97)
    y = x.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="NaN or inf.*index 3"):
        zero_one_test(y)
    with pytest.raises(ValueError, match="too short.*at least 100"):
        zero_one_test(x[:99])
    with pytest.raises(ValueError, match="constant"):
        zero_one_test(np.full(500, 0.3))
    with pytest.raises(ValueError, match="c_range"):
        zero_one_test(x, c_range=(0.0, 1.0))
    with pytest.raises(ValueError, match="n_c"):
        zero_one_test(x, n_c=0)
    with pytest.raises(ValueError, match="1-D"):
        zero_one_test(x.reshape(50, 10))
