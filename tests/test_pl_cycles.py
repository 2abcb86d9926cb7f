"""Exact cycles of piecewise-linear RNNs: against brute force, analytic cycles and Newton."""

import itertools

import numpy as np
import pytest
import torch
from test_learn_export import chaotic_shplrnn

from neurodyn.analysis.bifurcation import find_cycles
from neurodyn.learn import ALRNN, PLRNN, ShallowPLRNN
from neurodyn.learn.export import to_model
from neurodyn.learn.pl_cycles import pl_cycles


def _plrnn() -> PLRNN:
    """A 4-unit PLRNN with two stable fixed points, a saddle and two saddle 3-cycles."""
    torch.manual_seed(5)
    net = PLRNN(2, latent=4, a_init=0.0, w_scale=3.0).double()
    with torch.no_grad():
        net.h.copy_(0.5 * torch.randn(4))
    return net


def brute_force(net: PLRNN, k: int) -> list[np.ndarray]:
    """Every region sequence: the affine system ``diag(a) + W diag(d)`` written from the torch
    weights, solved, kept when the torch model steps along the orbit and the orbit lies in the
    regions assumed. Orbits start at their lexicographically smallest point."""
    a, h = net.A.detach().numpy(), net.h.detach().numpy()
    W = (net.W * net.off_diagonal).detach().numpy()
    n = net.latent
    found = []
    for sequence in itertools.product(itertools.product([0.0, 1.0], repeat=n), repeat=k):
        maps = [np.diag(a) + W * np.array(d) for d in sequence]
        M, c = np.eye(n), np.zeros(n)
        for J in maps:
            M, c = J @ M, J @ c + h
        try:
            z = np.linalg.solve(np.eye(n) - M, c)
        except np.linalg.LinAlgError:
            continue
        orbit = [z]
        for J in maps[:-1]:
            orbit.append(J @ orbit[-1] + h)
        orbit = np.array(orbit)
        if np.any((orbit > 0) != np.array(sequence, dtype=bool)):
            continue
        with torch.no_grad():
            image = net.closed_loop_step(torch.as_tensor(orbit)).numpy()
        np.testing.assert_allclose(image, np.roll(orbit, -1, axis=0), atol=1e-10)
        if any(np.allclose(orbit[d], orbit[0], atol=1e-9) for d in range(1, k) if k % d == 0):
            continue
        orbit = np.roll(orbit, -np.lexsort(orbit.T[::-1])[0], axis=0)
        if not any(np.allclose(orbit, f, atol=1e-9) for f in found):
            found.append(orbit)
    return sorted(found, key=lambda o: tuple(o[0]))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_region_search_equals_brute_force_enumeration(k):
    net = _plrnn()
    expected = brute_force(net, k)
    assert [0, 0, 2][k - 1] <= len(expected)
    for method in ("exhaustive", "scyfi"):
        ds = pl_cycles(net, k, method=method, n_starts=400)
        found = sorted(ds.orbit.values, key=lambda o: tuple(o[0]))
        assert len(found) == len(expected), method
        for f, e in zip(found, expected, strict=True):
            np.testing.assert_allclose(f, e, atol=1e-10)
        assert ds.attrs["complete"] == int(method == "exhaustive")
    assert np.all(ds.residual.values < 1e-12)


def _tent(kind: str):
    """``z' = 1 - 2 |z|`` (the tent map on [-1, 1]) written as an AL-RNN or a shPLRNN:
    ``2 z - 4 relu(z) + 1``."""
    if kind == "alrnn":
        net = ALRNN(1, latent=1, relu_units=1).double()
        weights = {"A": [2.0], "W": [[-4.0]], "h": [1.0]}
    else:
        net = ShallowPLRNN(1, latent=1, hidden=1).double()
        weights = {"A": [2.0], "W1": [[-4.0]], "W2": [[1.0]], "h2": [0.0], "h": [1.0]}
    with torch.no_grad():
        for name, value in weights.items():
            getattr(net, name).copy_(torch.tensor(value))
    return net


@pytest.mark.parametrize("kind", ["alrnn", "shplrnn"])
def test_analytic_cycles_of_the_tent_map(kind):
    net = _tent(kind)
    expected = {
        1: ([[-1.0], [1 / 3]], [2.0, -2.0]),
        2: ([[-1 / 5, 3 / 5]], [-4.0]),
        3: ([[-5 / 9, -1 / 9, 7 / 9], [-3 / 7, 1 / 7, 5 / 7]], [-8.0, 8.0]),
    }
    for k, (orbits, multipliers) in expected.items():
        for method in ("exhaustive", "scyfi"):
            ds = pl_cycles(net, k, method=method, n_starts=200)
            order = np.argsort(ds.orbit.values[:, 0, 0])
            np.testing.assert_allclose(ds.orbit.values[order, :, 0], orbits, atol=1e-14)
            np.testing.assert_allclose(ds.multipliers.values[order, 0], multipliers, atol=1e-12)
            assert set(ds.stability.values) == {"repeller"}


def test_every_newton_cycle_of_the_exported_model_is_found_with_its_multipliers():
    net = chaotic_shplrnn()
    model = to_model(net)
    for k in (1, 2):
        exact = pl_cycles(net, k, method="exhaustive")
        newton = find_cycles(model, period=k, n_seeds=300)
        assert 0 < newton.sizes["cycle"] <= exact.sizes["cycle"]
        for orbit, mu in zip(newton.orbit.values, newton.multipliers.values, strict=True):
            gap = np.abs(exact.orbit.values - orbit).max(axis=(1, 2))
            match = int(np.argmin(gap))
            assert gap[match] < 1e-9
            np.testing.assert_allclose(exact.multipliers.values[match], mu, atol=1e-9)


def test_bad_arguments_are_named():
    net = _plrnn()
    with pytest.raises(ValueError, match="period"):
        pl_cycles(net, 0)
    with pytest.raises(ValueError, match="method"):
        pl_cycles(net, 1, method="newton")
    with pytest.raises(ValueError, match="max_exhaustive"):
        pl_cycles(net, 5, method="exhaustive", max_exhaustive=1000)
