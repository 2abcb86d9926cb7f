"""Spatiotemporal measures against slow reference loops and closed-form cases."""

import numpy as np
import pytest

from neurodyn.analysis.spatiotemporal import (
    chimera_index,
    local_order_parameter,
    spatial_correlation,
    synchronization_error,
)
from neurodyn.analysis.sync import cross_correlation_coefficient


def test_synchronization_error():
    t = np.linspace(0, 10, 50)
    X = np.tile(np.sin(t)[:, None], (1, 7))
    result = synchronization_error(X)
    assert result.mean == 0.0 and np.all(result.E == 0.0)
    Y = np.zeros((3, 4))
    Y[:, 0], Y[:, 1] = 1.0, -1.0  # deviations 1, -1, 0, 0 from the mean 0
    np.testing.assert_allclose(synchronization_error(Y).E, np.sqrt(0.5), rtol=1e-15)


def test_local_order_parameter_against_loop():
    rng = np.random.default_rng(1)
    phases = rng.uniform(0, 2 * np.pi, (5, 12))
    Z = local_order_parameter(phases, 2)
    for t in range(5):
        for k in range(12):
            window = [(k + j) % 12 for j in range(-2, 3)]
            expected = abs(np.exp(1j * phases[t, window]).mean())
            assert Z[t, k] == pytest.approx(expected, abs=1e-14)
    np.testing.assert_allclose(local_order_parameter(np.full((2, 9), 0.7), 4), 1.0, rtol=1e-14)
    splay = np.tile(2 * np.pi * np.arange(9) / 9, (2, 1))  # the window covers the whole circle
    np.testing.assert_allclose(local_order_parameter(splay, 4), 0.0, atol=1e-14)
    with pytest.raises(ValueError, match="radius"):
        local_order_parameter(splay, 5)


def test_chimera_index_coherent_incoherent_chimera():
    rng = np.random.default_rng(2)
    n, T = 400, 30
    smooth = np.tile(np.sin(2 * np.pi * np.arange(n) / n), (T, 1))
    coherent = chimera_index(smooth, groups=4, threshold=0.05)
    assert coherent.strength_of_incoherence == 0.0 and coherent.discontinuity == 0.0
    noise = rng.uniform(-1, 1, (T, n))
    assert chimera_index(noise, groups=4, threshold=0.05).strength_of_incoherence == 1.0
    half = smooth.copy()
    half[:, 201:] = noise[:, 201:]  # one coherent domain (its gaps z_0..z_199) and one not
    result = chimera_index(half, groups=4, threshold=0.05)
    np.testing.assert_array_equal(result.coherent, [1.0, 1.0, 0.0, 0.0])
    assert result.strength_of_incoherence == 0.5 and result.discontinuity == 1.0
    # sigma of group 0 by hand: z_i = x_i - x_{i+1}, minus its mean over all nodes
    z = half - np.roll(half, -1, axis=1)
    z -= z.mean(axis=1, keepdims=True)
    expected = np.mean([np.sqrt(np.mean(z[t, :100] ** 2)) for t in range(T)])
    assert result.sigma[0] == pytest.approx(expected, rel=1e-13)


def test_spatial_correlation_travelling_wave_and_pairs():
    n, k = 16, 2 * np.pi * 3 / 16
    t = np.arange(200) * 2 * np.pi / 200  # whole periods: the correlation is cos(k d) exactly
    X = np.sin(t[:, None] + k * np.arange(n)[None, :])
    np.testing.assert_allclose(spatial_correlation(X), np.cos(k * np.arange(n // 2 + 1)),
                               atol=1e-12)
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(50, 9))
    pairwise = cross_correlation_coefficient(Y).pairwise
    chain = spatial_correlation(Y, periodic=False)
    for d in range(9):
        assert chain[d] == pytest.approx(np.mean(np.diagonal(pairwise, d)), abs=1e-14)
    ring = spatial_correlation(Y, 3)
    assert ring[3] == pytest.approx(np.mean([pairwise[i, (i + 3) % 9] for i in range(9)]),
                                    abs=1e-14)


def test_registered_measures_on_a_network_kernel_sweep():
    from neurodyn.analysis.measures import MEASURES, add_measures
    from neurodyn.networks import DiffusiveCoupling, network, node_rows, ring
    from neurodyn.sim import sweep

    assert {"sync_error", "chimera"} <= set(MEASURES)
    net = network(["chialvo"] * 12, [DiffusiveCoupling(ring(12, 2, sparse=True), "x", "sigma",
                                                       normalise="in_degree")], shared=True)
    ds = sweep(net, {"sigma": np.array([0.0, 0.3])}, steps=300, keep=200, n_initial=2, seed=4)
    out = add_measures(ds, ["sync_error", "chimera"], model=net, chimera_groups=4)
    for i in range(2):
        for ic in range(2):
            point = ds.isel(sigma=i, ic=ic)
            nodes = np.stack([point[name].values for name in
                              np.array(net.state_names)[node_rows(net, "x")]], axis=1)
            expected = synchronization_error(nodes).mean
            assert out["sync_error"].values[i, ic] == pytest.approx(expected, rel=1e-12)
            index = chimera_index(nodes, 4, 0.05 * (nodes.max() - nodes.min()))
            assert out["strength_of_incoherence"].values[i, ic] == index.strength_of_incoherence
            assert out["discontinuity"].values[i, ic] == index.discontinuity
