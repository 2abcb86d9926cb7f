"""Synchronization measures: exact identities and statistically justified tolerances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurodyn.analysis.sync import (
    cross_correlation_coefficient,
    hilbert_phases,
    kuramoto_order_parameter,
    spike_phases,
)

# --- cross-correlation coefficient ------------------------------------------------------------


def test_identical_nodes_give_gamma_one():
    x = np.random.default_rng(0).standard_normal(1000)
    gamma, pairwise = cross_correlation_coefficient(np.tile(x[:, None], (1, 6)))
    assert gamma == pytest.approx(1.0, abs=1e-12)
    assert pairwise == pytest.approx(np.ones((6, 6)), abs=1e-12)


def test_gamma_is_invariant_to_offset_and_positive_scale_and_flips_for_antiphase():
    x = np.random.default_rng(1).standard_normal(1000)
    X = np.stack([x, 3.0 * x + 2.0, 0.5 * x - 7.0], axis=1)
    assert cross_correlation_coefficient(X).gamma == pytest.approx(1.0, abs=1e-12)
    gamma, pairwise = cross_correlation_coefficient(np.stack([x, -x], axis=1))
    assert gamma == pytest.approx(-1.0, abs=1e-12)
    assert pairwise[0, 1] == pairwise[1, 0] == pytest.approx(-1.0, abs=1e-12)


def test_independent_noise_gives_gamma_near_zero():
    # For independent series each Gamma_ij has standard deviation ~ 1 / sqrt(T), and distinct
    # pairs are uncorrelated, so Gamma (mean of N(N-1)/2 pairs) has SD ~ 1/sqrt(T N (N-1)/2).
    t_len, n = 10_000, 10
    gamma, pairwise = cross_correlation_coefficient(
        np.random.default_rng(2).standard_normal((t_len, n))
    )
    assert abs(gamma) < 5.0 / math.sqrt(t_len * n * (n - 1) / 2)
    off = pairwise[~np.eye(n, dtype=bool)]
    assert np.max(np.abs(off)) < 5.0 / math.sqrt(t_len)


def test_gamma_equals_numpy_corrcoef_average():
    rng = np.random.default_rng(3)
    common = rng.standard_normal((500, 1))
    X = common * rng.uniform(0.2, 2.0, 8) + rng.standard_normal((500, 8))
    gamma, pairwise = cross_correlation_coefficient(X)
    reference = np.corrcoef(X.T)
    assert pairwise == pytest.approx(reference, abs=1e-12)
    assert gamma == pytest.approx(reference[~np.eye(8, dtype=bool)].mean(), abs=1e-12)
    assert 0.2 < gamma < 0.9  # genuinely partial correlation, not a trivial case


def test_constant_node_raises_or_gives_nan():
    X = np.random.default_rng(4).standard_normal((100, 3))
    X[:, 1] = 0.1
    with pytest.raises(ValueError, match=r"constant nodes \[1\]"):
        cross_correlation_coefficient(X)
    gamma, pairwise = cross_correlation_coefficient(X, on_constant="nan")
    assert math.isnan(gamma)
    assert math.isnan(pairwise[0, 1]) and math.isnan(pairwise[2, 1])
    assert np.isfinite(pairwise[0, 2])


def test_cross_correlation_bad_input():
    X = np.random.default_rng(5).standard_normal((100, 3))
    X[10, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf.*time 10, node 2"):
        cross_correlation_coefficient(X)
    with pytest.raises(ValueError, match="at least 2 nodes"):
        cross_correlation_coefficient(np.zeros((100, 1)) + np.arange(100.0)[:, None])


# --- Kuramoto order parameter -----------------------------------------------------------------


def test_identical_phases_give_r_one():
    phases = np.tile(np.linspace(0, 50, 200)[:, None], (1, 7))
    result = kuramoto_order_parameter(phases)
    assert result.R == pytest.approx(np.ones(200), abs=1e-12)
    assert result.mean == pytest.approx(1.0, abs=1e-12)
    assert result.std == pytest.approx(0.0, abs=1e-12)


def test_two_antiphase_clusters_give_r_zero():
    phases = np.zeros((50, 6)) + np.linspace(0, 10, 50)[:, None]
    phases[:, 3:] += np.pi
    assert kuramoto_order_parameter(phases).R == pytest.approx(np.zeros(50), abs=1e-12)


def test_uniform_random_phases_give_r_of_order_one_over_sqrt_n():
    # For N i.i.d. uniform phases, |sum exp(i phi)|^2 = N + sum_{j != k} cos(phi_j - phi_k), so
    # E[N R^2] = 1 exactly and Var[N R^2] = 1 - 1/N. Averaged over T independent times the
    # standard error of mean(N R^2) is sqrt((1 - 1/N) / T); allow 5 standard errors.
    n, t_len = 50, 20_000
    phases = np.random.default_rng(6).uniform(-np.pi, np.pi, (t_len, n))
    result = kuramoto_order_parameter(phases)
    assert np.mean(n * result.R**2) == pytest.approx(1.0, abs=5 * math.sqrt((1 - 1 / n) / t_len))
    # R is then close to Rayleigh distributed: mean sqrt(pi / (4 N)), up to O(1/N) corrections
    assert result.mean == pytest.approx(math.sqrt(math.pi / (4 * n)), rel=0.03)
    assert result.std == pytest.approx(np.std(result.R), abs=1e-15)


def test_nan_phases_are_left_out():
    phases = np.zeros((10, 3))
    phases[:2, 0] = np.nan
    result = kuramoto_order_parameter(phases)
    assert np.isnan(result.R[:2]).all() and result.R[2:] == pytest.approx(np.ones(8))
    assert result.mean == 1.0
    with pytest.raises(ValueError, match="no time point"):
        kuramoto_order_parameter(np.full((5, 2), np.nan))
    with pytest.raises(ValueError, match="inf"):
        kuramoto_order_parameter(np.full((5, 2), np.inf))


# --- spike phases -----------------------------------------------------------------------------


def spike_train(n_times: int, spikes: list[int]) -> np.ndarray:
    x = np.zeros(n_times)
    x[spikes] = 1.0
    return x


def test_spike_phases_grow_linearly_on_a_periodic_train():
    spikes = list(range(3, 100, 10))  # 3, 13, ..., 93
    phases = spike_phases(spike_train(100, spikes), threshold=0.5)
    t = np.arange(100)
    defined = (t >= 3) & (t <= 93)
    assert np.isnan(phases[~defined]).all()
    assert phases[defined] == pytest.approx(2 * np.pi * (t[defined] - 3) / 10, abs=1e-12)


def test_spike_phases_on_irregular_train_and_with_sample_times():
    spikes = [2, 6, 16, 19]
    x = spike_train(25, spikes)
    times = 0.1 * np.arange(25) + 5.0
    for phases in (spike_phases(x, 0.5), spike_phases(x, 0.5, times=times)):
        assert phases[[2, 4, 6, 11, 16, 19]] == pytest.approx(
            2 * np.pi * np.array([0, 0.5, 1, 1.5, 2, 3]), abs=1e-12
        )
        assert phases[17] == pytest.approx(2 * np.pi * (2 + 1 / 3), abs=1e-12)
        assert np.isnan(phases[:2]).all() and np.isnan(phases[20:]).all()


def test_spike_phases_of_two_shifted_trains_feed_kuramoto():
    a = spike_train(200, list(range(5, 200, 20)))
    b = spike_train(200, list(range(15, 200, 20)))  # half a period later: antiphase
    phases = spike_phases(np.stack([a, a, b, b], axis=1), threshold=0.5)
    result = kuramoto_order_parameter(phases)
    defined = np.isfinite(result.R)
    assert defined.sum() == 171  # from the later first spike (15) to the earlier last (185)
    assert result.R[defined] == pytest.approx(np.zeros(171), abs=1e-12)


def test_spike_phases_need_two_upward_crossings():
    # a value above threshold at the first sample is not a crossing: node 2 has one spike (12)
    X = np.stack([spike_train(30, [5]), spike_train(30, [5, 15]), spike_train(30, [0, 12])], 1)
    phases = spike_phases(X, 0.5)
    assert np.isnan(phases[:, 0]).all() and np.isnan(phases[:, 2]).all()
    assert phases[10, 1] == pytest.approx(np.pi)


# --- Hilbert phases ---------------------------------------------------------------------------


def test_hilbert_phase_of_a_cosine_with_whole_periods_is_exact():
    t = np.arange(1000)
    x = 3.0 + np.cos(2 * np.pi * 7 * t / 1000)  # 7 whole periods: no edge effects
    expected = np.angle(np.exp(1j * 2 * np.pi * 7 * t / 1000))
    assert hilbert_phases(x) == pytest.approx(expected, abs=1e-9)
    assert hilbert_phases(x, unwrap=True) == pytest.approx(2 * np.pi * 7 * t / 1000, abs=1e-9)


def test_hilbert_phases_feed_kuramoto():
    t = np.arange(2000)
    X = np.stack([np.cos(2 * np.pi * 10 * t / 2000 + s) for s in (0.0, 0.0, np.pi)], axis=1)
    r = kuramoto_order_parameter(hilbert_phases(X)).R  # |2 e^{i theta} - e^{i theta}| / 3
    assert r == pytest.approx(np.full(2000, 1 / 3), abs=1e-9)


def test_hilbert_bad_input():
    with pytest.raises(ValueError, match=r"constant nodes \[0\]"):
        hilbert_phases(np.stack([np.ones(50), np.arange(50.0)], axis=1))
    with pytest.raises(ValueError, match="shape \\(time, node\\)"):
        hilbert_phases(np.zeros((4, 4, 4)))
