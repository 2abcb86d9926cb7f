"""Rosenstein's largest Lyapunov exponent: ANCHORS.md values for the logistic and Hénon maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import henon_x, logistic

from neurodyn.analysis.rosenstein import rosenstein_lyapunov


def test_logistic_map_r4_gives_ln2():
    # ANCHORS.md: logistic map r = 4, lambda = ln 2 per iteration (conjugacy with the tent map).
    # Nearest neighbours of 2000 points start ~1e-4 apart and saturate after ~10 steps; fit 0..7.
    result = rosenstein_lyapunov(
        logistic(2000, 4.0), emb_dim=2, lag=1, min_tsep=10, trajectory_len=15, fit_range=(0, 8)
    )
    assert result.exponent == pytest.approx(math.log(2), rel=0.10)
    # the divergence curve itself grows by ln 2 per step before saturation
    assert np.diff(result.divergence[:6]) == pytest.approx(np.full(5, math.log(2)), rel=0.05)
    assert result.times == pytest.approx(np.arange(15.0))
    assert result.divergence[-1] - result.divergence[-2] < 0.2  # saturated
    assert result.n_pairs == 2000 - 1 - 15 + 1


def test_henon_map_gives_0419():
    # ANCHORS.md: Henon (a = 1.4, b = 0.3), lambda_1 ~ 0.419 per iteration; x embedded in 2-D.
    result = rosenstein_lyapunov(
        henon_x(3000), emb_dim=2, lag=1, min_tsep=10, trajectory_len=20, fit_range=(1, 10)
    )
    assert result.exponent == pytest.approx(0.419, rel=0.10)


def test_exponent_is_per_unit_of_dt():
    x = logistic(1500, 4.0)
    kwargs = dict(emb_dim=2, lag=1, min_tsep=10, trajectory_len=12, fit_range=(0, 6))
    per_step = rosenstein_lyapunov(x, **kwargs)
    per_time = rosenstein_lyapunov(x, dt=0.5, **kwargs)
    assert per_time.exponent == pytest.approx(2.0 * per_step.exponent, rel=1e-12)
    assert per_time.times == pytest.approx(0.5 * np.arange(12))
    assert np.array_equal(per_time.divergence, per_step.divergence)


def test_periodic_series_gives_zero_exponent():
    # Period 2: every nearest neighbour (distance sqrt 2 in 2-D) keeps its distance for ever.
    x = np.tile([0.0, 1.0], 200)
    result = rosenstein_lyapunov(x, emb_dim=2, lag=1, min_tsep=2, trajectory_len=8)
    assert result.divergence == pytest.approx(np.full(8, 0.5 * math.log(2.0)), abs=1e-15)
    assert result.exponent == pytest.approx(0.0, abs=1e-12)


def test_bad_input_messages():
    x = logistic(300, 4.0)
    kwargs = dict(emb_dim=2, lag=1, min_tsep=5, trajectory_len=10)
    y = x.copy()
    y[4] = np.inf
    with pytest.raises(ValueError, match="NaN or inf.*index 4"):
        rosenstein_lyapunov(y, **kwargs)
    with pytest.raises(ValueError, match="constant"):
        rosenstein_lyapunov(np.full(300, 0.5), **kwargs)
    with pytest.raises(ValueError, match="too short"):
        rosenstein_lyapunov(x[:20], **kwargs)
    with pytest.raises(ValueError, match="fit_range"):
        rosenstein_lyapunov(x, fit_range=(3, 4), **kwargs)
    with pytest.raises(ValueError, match="emb_dim"):
        rosenstein_lyapunov(x, emb_dim=0, lag=1, min_tsep=5, trajectory_len=10)
    with pytest.raises(ValueError, match="dt"):
        rosenstein_lyapunov(x, dt=0.0, **kwargs)
