"""Noisy and driven maps: exact stationary variances, the input against a plain loop,
thread-count independence, and coherence resonance of the Rulkov (2002) map."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from neurodyn.analysis.spikes import SPIKE_STATISTICS, spike_statistics
from neurodyn.flows.trajectory import pulse_train, trajectory
from neurodyn.models import model_from_dict

LINEAR = model_from_dict(
    "linear_ar1",
    {
        "kind": "map",
        "source": "test model: x' = a x + u (AR(1) with noise)",
        "state": {"x": {"initial": 0.0, "box": [-1, 1]}},
        "equations": {"x": "a * x"},
        "parameters": {"a": {"default": 0.9, "range": [-1, 1]}},
    },
)


def test_additive_and_parameter_noise_reach_the_exact_stationary_variance():
    # x' = (a + h xi) x + g eta with independent standard normals: E x^2 -> g^2 / (1 - a^2 - h^2)
    n_points, a = 20_000, 0.9
    for g, h in ((0.1, 0.0), (0.1, 0.3)):
        ds = trajectory(LINEAR, steps=400, transient=399, initial=np.zeros((n_points, 1)),
                        noise={"x": g, "a": h}, seed=5)
        var = float((ds["x"].values[:, -1] ** 2).mean())
        exact = g**2 / (1 - a**2 - h**2)
        # the mean of 20000 squares of a Gaussian: relative standard error sqrt(2/20000) = 1 %
        assert var == pytest.approx(exact, rel=0.04)


def test_parameter_noise_leaves_the_state_noise_unchanged_and_is_thread_independent():
    initial = np.zeros((64, 1))
    plain = trajectory(LINEAR, steps=50, initial=initial, noise={"x": 0.1}, seed=1)
    zero_h = trajectory(LINEAR, steps=50, initial=initial, noise={"x": 0.1, "a": 0.0}, seed=1)
    np.testing.assert_array_equal(plain["x"].values, zero_h["x"].values)
    before = numba.get_num_threads()
    try:
        results = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            results.append(trajectory(LINEAR, steps=50, initial=initial,
                                      noise={"x": 0.1, "a": 0.2}, seed=1)["x"].values)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[1])


def test_input_equals_a_plain_loop_and_amplitudes_are_per_point():
    u = pulse_train(30, period=7, width=2, amplitude=0.5, start=3)
    ds = trajectory(LINEAR, steps=30, initial=np.array([0.2]), inputs={"x": u})
    x, expected = 0.2, []
    for n in range(30):
        x = 0.9 * x + u[n]
        expected.append(x)
    np.testing.assert_array_equal(ds["x"].values, expected)
    # one amplitude per point: point 0 without noise is the deterministic orbit
    ds = trajectory(LINEAR, steps=30, initial=np.full((2, 1), 0.2), inputs={"x": u},
                    noise={"x": np.array([0.0, 0.1])})
    np.testing.assert_array_equal(ds["x"].values[0], expected)
    assert not np.array_equal(ds["x"].values[1], expected)
    with pytest.raises(ValueError, match="'z'"):
        trajectory(LINEAR, steps=5, noise={"z": 0.1})
    with pytest.raises(ValueError, match=">= 0"):
        trajectory(LINEAR, steps=5, noise={"x": -0.1})


def test_coherence_resonance_of_the_noisy_rulkov_map():
    # Rulkov (2002) map below its spiking threshold sigma_th = 2 - sqrt(alpha) (0.604 at
    # alpha = 1.95): noise on x makes it fire; the CV of the inter-spike intervals is largest at
    # weak noise (rare, Poisson-like spikes), smallest at intermediate noise and grows again.
    alpha, sigma = 1.95, 0.58
    noise = np.array([0.006, 0.06, 0.3])
    x0 = sigma - 1
    initial = np.tile([x0, x0 - alpha / (1 - x0), x0], (noise.size, 1))
    ds = trajectory("rulkov2002", steps=100_000, initial=initial, noise={"x": noise}, seed=0,
                    parameters={"alpha": alpha, "sigma": sigma, "mu": 0.001})
    stats = spike_statistics(ds["x"].values, threshold=0.0)
    n_spikes = stats[:, SPIKE_STATISTICS.index("n_spikes")]
    cv = stats[:, SPIKE_STATISTICS.index("isi_cv")]
    assert np.all(n_spikes > 50)
    assert cv[1] < 0.6 * cv[0] and cv[1] < 0.9 * cv[2]
