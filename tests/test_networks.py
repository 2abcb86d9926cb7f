"""Networks of maps: topologies as explicit matrices, generated network steps against plain-numpy
references written by hand, Jacobians against finite differences, decoupling, synchrony, errors.

Convention under test: ``A[i, j]`` is the edge from node j to node i.
"""

import subprocess
import sys

import numpy as np
import pytest

from neurodyn.models import Model, ModelError, compile_model, get_model, list_models
from neurodyn.models.builders import REGISTRY, Preset, rebuild_candidates, resolve_model
from neurodyn.networks import (
    ChemicalSynapse,
    DiffusiveCoupling,
    HigherOrderCoupling,
    all_to_all,
    chain,
    chialvo_ring_star,
    chialvo_rulkov_chain,
    clique_triangles,
    erdos_renyi,
    from_matrix,
    network_model,
    node_rows,
    ring,
    ring_star,
    star,
    watts_strogatz,
)
from neurodyn.sim import iterate_batch

# --------------------------------------------------------------------------- topologies


def test_ring_nearest_neighbours():
    expected = np.array(
        [
            [0, 1, 0, 0, 1],
            [1, 0, 1, 0, 0],
            [0, 1, 0, 1, 0],
            [0, 0, 1, 0, 1],
            [1, 0, 0, 1, 0],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(ring(5), expected)


def test_ring_radius_two_and_directed():
    expected = np.array(
        [
            [0, 1, 1, 0, 1, 1],
            [1, 0, 1, 1, 0, 1],
            [1, 1, 0, 1, 1, 0],
            [0, 1, 1, 0, 1, 1],
            [1, 0, 1, 1, 0, 1],
            [1, 1, 0, 1, 1, 0],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(ring(6, 2), expected)
    # directed: node i receives from node i - 1 only
    expected_directed = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], float)
    np.testing.assert_array_equal(ring(4, directed=True), expected_directed)


def test_star_chain_all_to_all():
    np.testing.assert_array_equal(
        star(4), np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]], float)
    )
    np.testing.assert_array_equal(
        chain(4), np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 1, 0]], float)
    )
    # directed chain: i acts on i + 1, so A[i + 1, i] = 1
    np.testing.assert_array_equal(
        chain(3, directed=True), np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float)
    )
    np.testing.assert_array_equal(all_to_all(3), np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], float))


def test_ring_star():
    # one hub and three peripherals: the complete graph on four nodes (Nair et al. 2024)
    np.testing.assert_array_equal(ring_star(3), all_to_all(4))
    expected = np.array(
        [
            [0, 1, 1, 1, 1, 1],
            [1, 0, 1, 0, 0, 1],
            [1, 1, 0, 1, 0, 0],
            [1, 0, 1, 0, 1, 0],
            [1, 0, 0, 1, 0, 1],
            [1, 1, 0, 0, 1, 0],
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(ring_star(5), expected)


def test_clique_triangles():
    assert clique_triangles(ring_star(3)) == [(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)]
    assert clique_triangles(ring_star(5)) == [(0, 1, 2), (0, 1, 5), (0, 2, 3), (0, 3, 4), (0, 4, 5)]
    assert clique_triangles(ring(6)) == []
    # a directed edge counts as a link of the clique complex
    directed_cycle = chain(3, directed=True) + _edge(3, 0, 2)  # 0 -> 1 -> 2 -> 0
    assert clique_triangles(directed_cycle) == [(0, 1, 2)]


def _edge(n, i, j):
    A = np.zeros((n, n))
    A[i, j] = 1.0
    return A


def test_erdos_renyi_seeded():
    A = erdos_renyi(30, 0.2, seed=7)
    np.testing.assert_array_equal(A, erdos_renyi(30, 0.2, seed=7))
    assert not np.array_equal(A, erdos_renyi(30, 0.2, seed=8))
    np.testing.assert_array_equal(A, A.T)
    np.testing.assert_array_equal(np.diag(A), np.zeros(30))
    assert set(np.unique(A)) == {0.0, 1.0}
    # the draw: pair i < j is an edge where the (i, j) entry of rng.random((n, n)) is < p
    draws = np.random.default_rng(7).random((30, 30)) < 0.2
    upper = np.triu(draws, 1)
    np.testing.assert_array_equal(A, (upper | upper.T).astype(float))
    np.testing.assert_array_equal(erdos_renyi(5, 0.0, seed=1), np.zeros((5, 5)))
    np.testing.assert_array_equal(erdos_renyi(5, 1.0, seed=1), all_to_all(5))
    D = erdos_renyi(6, 1.0, seed=1, directed=True)
    np.testing.assert_array_equal(D, all_to_all(6))


def test_watts_strogatz_seeded():
    np.testing.assert_array_equal(watts_strogatz(10, 2, 0.0, seed=3), ring(10, 2))
    A = watts_strogatz(40, 2, 0.3, seed=3)
    np.testing.assert_array_equal(A, watts_strogatz(40, 2, 0.3, seed=3))
    assert not np.array_equal(A, ring(40, 2))
    np.testing.assert_array_equal(A, A.T)
    np.testing.assert_array_equal(np.diag(A), np.zeros(40))
    assert A.sum() == ring(40, 2).sum()  # rewiring keeps the number of edges


def test_bad_topologies():
    with pytest.raises(ValueError, match="square"):
        from_matrix(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or inf"):
        from_matrix([[0.0, np.nan], [1.0, 0.0]])
    with pytest.raises(ValueError, match="NaN or inf"):
        from_matrix([[0.0, np.inf], [1.0, 0.0]])
    with pytest.raises(ValueError, match="radius"):
        ring(4, 2)
    with pytest.raises(ValueError, match="p must be"):
        erdos_renyi(4, 1.5, seed=0)
    with pytest.raises(ValueError, match="seed"):
        erdos_renyi(4, 0.5, seed=None)
    np.testing.assert_array_equal(from_matrix([[0, 2], [0.5, 0]]), [[0.0, 2.0], [0.5, 0.0]])


# --------------------------------------------------------------------------- references
# Plain-numpy implementations of the networks, written from the formulas, not from the code.


def _chialvo(x, y, a, b, c, k):
    return x**2 * np.exp(y - x) + k, a * y - b * x + c


def _rulkov2001(x, y, alpha, mu, sigma):
    return alpha / (1 + x**2) + y, y - mu * (x - sigma)


def chain_reference(s, p):
    """Chialvo (1) - Rulkov 2001 (2) - Chialvo (3), diffusive on x, sigma_ij: j acts on i."""
    x1, y1, x2, y2, x3, y3 = s
    a1, b1, c1, k1, alpha2, mu2, sig2, a3, b3, c3, k3, s12, s21, s23, s32 = p
    fx1, fy1 = _chialvo(x1, y1, a1, b1, c1, k1)
    fx2, fy2 = _rulkov2001(x2, y2, alpha2, mu2, sig2)
    fx3, fy3 = _chialvo(x3, y3, a3, b3, c3, k3)
    return np.array(
        [
            fx1 + s12 * (x2 - x1),
            fy1,
            fx2 + s21 * (x1 - x2) + s23 * (x3 - x2),
            fy2,
            fx3 + s32 * (x2 - x3),
            fy3,
        ]
    )


def ring_star_reference(triangles, n):
    """Ring-star of Chialvo maps: sigma1 sum_j A_ij (x_j - x_i) +
    sigma2 sum_j sum_k B_ijk (x_j + x_k - 2 x_i) over ordered pairs (j, k)."""
    A = np.zeros((n, n))
    A[0, 1:] = A[1:, 0] = 1.0
    for i in range(1, n):
        nxt = i % (n - 1) + 1
        A[i, nxt] = A[nxt, i] = 1.0
    B = np.zeros((n, n, n))
    for t in triangles:
        for i, j, k in [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)]:
            B[t[i], t[j], t[k]] = 1.0

    def step(s, p, shared):
        x, y = s[0::2], s[1::2]
        if shared:
            a, b, c, k, sigma1, sigma2 = p
        else:
            a, b, c, k = p[0 : 4 * n : 4], p[1 : 4 * n : 4], p[2 : 4 * n : 4], p[3 : 4 * n : 4]
            sigma1, sigma2 = p[4 * n :]
        fx, fy = _chialvo(x, y, a, b, c, k)
        pairwise = np.einsum("ij,jb->ib", A, x) - A.sum(axis=1)[:, None] * x
        higher = np.einsum("ijk,jb->ib", B, x) + np.einsum("ijk,kb->ib", B, x)
        higher = higher - 2 * B.sum(axis=(1, 2))[:, None] * x
        out = np.empty_like(s)
        out[0::2] = fx + sigma1 * pairwise + sigma2 * higher
        out[1::2] = fy
        return out

    return A, step


def synapse_reference(s, p, A, R):
    """Rulkov 2001 nodes, chemical synapses g (V_s - x_i) sum_j A_ij Gamma(x_j) with
    Gamma(x) = 1 / (1 + exp(-lambda (x - theta))), plus diffusive sigma sum_j R_ij (x_j - x_i)."""
    n = A.shape[0]
    x, y = s[0::2], s[1::2]
    alpha, mu, sig = p[0 : 3 * n : 3], p[1 : 3 * n : 3], p[2 : 3 * n : 3]
    V_s, lam, theta, g, sigma = p[3 * n :]
    fx, fy = _rulkov2001(x, y, alpha, mu, sig)
    gamma = 1.0 / (1.0 + np.exp(-lam * (x - theta)))
    chemical = g * (V_s - x) * (A @ gamma)
    diffusive = sigma * (R @ x - R.sum(axis=1)[:, None] * x)
    out = np.empty_like(s)
    out[0::2] = fx + chemical + diffusive
    out[1::2] = fy
    return out


# --------------------------------------------------------------------------- helpers


def _step(model, X, P):
    """One step of the generated kernel from states X (n_state, batch)."""
    return _iterate(model, X, P, 1)


def _compare_steps(model, reference, X, P, iterations=1000):
    """The generated step and the reference from the same states, along the reference orbit."""
    for _ in range(iterations):
        expected = reference(X, P)
        np.testing.assert_allclose(_step(model, X, P), expected, rtol=1e-12, atol=1e-12)
        assert np.all(np.isfinite(expected)) and np.abs(expected).max() < 1e3
        X = expected


def _iterate(model, X, P, n):
    """``n`` iterations of the generated kernel from states X (n_state, batch)."""
    X = np.array(X, dtype=np.float64, order="C")
    ok = np.ones(X.shape[1], dtype=np.bool_)
    compile_model(model).advance(X, np.ascontiguousarray(P), 0, X.shape[1], n, 1e300, ok)
    return X


def _check_jacobian(model, X, P):
    """Analytic Jacobian against central differences of the generated step, at each point."""
    jacobian = compile_model(model).jacobian
    n = model.n_state
    for i in range(X.shape[1]):
        J = np.zeros((n, n))
        jacobian(X, P, i, J)
        numeric = np.empty((n, n))
        for c in range(n):
            h = 1e-6 * max(1.0, abs(X[c, i]))
            plus, minus = X[:, i : i + 1].copy(), X[:, i : i + 1].copy()
            plus[c] += h
            minus[c] -= h
            numeric[:, c] = (
                _step(model, plus, P[:, i : i + 1]) - _step(model, minus, P[:, i : i + 1])
            )[:, 0] / (2 * h)
        np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-6)


def _parameters(model, values, batch):
    resolved = model.resolve_parameters(values)
    return np.array([np.broadcast_to(resolved[p], batch) for p in model.parameter_names], float)


def _random_states(model, rng, batch):
    return np.array([rng.uniform(v.low, v.high, batch) for v in model.state])


# --------------------------------------------------------------------------- chain


CHAIN_PARAMETERS = (
    "a_1", "b_1", "c_1", "k_1", "alpha_2", "mu_2", "sigma_2", "a_3", "b_3", "c_3", "k_3",
    "sigma_1_2", "sigma_2_1", "sigma_2_3", "sigma_3_2",
)  # fmt: skip


def test_chain_layout():
    m = chialvo_rulkov_chain()
    assert m.state_names == ("x_1", "y_1", "x_2", "y_2", "x_3", "y_3")
    assert m.parameter_names == CHAIN_PARAMETERS
    assert m.kind == "map" and "2405.05675" in m.source
    np.testing.assert_array_equal(node_rows(m, "x"), [0, 2, 4])
    np.testing.assert_array_equal(node_rows(m, "y"), [1, 3, 5])


def test_chain_step_equals_reference():
    m = chialvo_rulkov_chain()
    rng = np.random.default_rng(1)
    batch = 16
    values = {
        "k_1": rng.uniform(0.02, 0.04, batch),
        "b_3": rng.uniform(0.15, 0.6, batch),
        "alpha_2": rng.uniform(4.1, 4.5, batch),
        "sigma_1_2": rng.uniform(-0.05, 0.1, batch),
        "sigma_2_1": rng.uniform(0.0, 0.1, batch),
        "sigma_2_3": rng.uniform(0.0, 0.1, batch),
        "sigma_3_2": rng.uniform(-0.05, 0.1, batch),
    }
    P = _parameters(m, values, batch)
    _compare_steps(m, chain_reference, _random_states(m, rng, batch), P)


def test_chain_jacobian():
    m = chialvo_rulkov_chain()
    rng = np.random.default_rng(2)
    P = _parameters(m, {"sigma_1_2": 0.05, "sigma_2_1": 0.1, "sigma_2_3": 0.02}, 8)
    _check_jacobian(m, _random_states(m, rng, 8), P)


def test_chain_uncoupled_equals_independent_nodes():
    m = chialvo_rulkov_chain()
    rng = np.random.default_rng(3)
    batch = 8
    off = {s: 0.0 for s in ("sigma_1_2", "sigma_2_1", "sigma_2_3", "sigma_3_2")}
    X0 = _random_states(m, rng, batch)
    P = _parameters(m, {**off, "b_3": 0.18}, batch)
    network = _iterate(m, X0, P, 1000)
    for rows, name, params in [
        ([0, 1], "chialvo", [0, 1, 2, 3]),
        ([2, 3], "rulkov2001", [4, 5, 6]),
        ([4, 5], "chialvo", [7, 8, 9, 10]),
    ]:
        alone = _iterate(get_model(name), X0[rows], P[params], 1000)
        np.testing.assert_array_equal(network[rows], alone)


# --------------------------------------------------------------------------- ring-star


def test_ring_star_step_equals_reference():
    rng = np.random.default_rng(4)
    batch = 16
    # the paper's network: hub + 3 peripherals, shared node parameters
    m = chialvo_ring_star(3)
    assert m.parameter_names == ("a", "b", "c", "k", "sigma1", "sigma2")
    _, step = ring_star_reference([(0, 1, 2), (0, 1, 3), (0, 2, 3), (1, 2, 3)], 4)
    values = {
        "k": rng.uniform(0.02, 0.04, batch),
        "sigma1": rng.uniform(-0.02, 0.05, batch),
        "sigma2": rng.uniform(-0.02, 0.02, batch),
    }
    P = _parameters(m, values, batch)
    _compare_steps(m, lambda s, p: step(s, p, True), _random_states(m, rng, batch), P)
    # five peripherals, one set of parameters per node
    m = chialvo_ring_star(5, shared=False)
    assert m.parameter_names[:5] == ("a_0", "b_0", "c_0", "k_0", "a_1")
    _, step = ring_star_reference([(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 1, 5)], 6)
    values = {f"k_{i}": rng.uniform(0.02, 0.04, batch) for i in range(6)}
    values |= {"sigma1": rng.uniform(0, 0.05, batch), "sigma2": rng.uniform(0, 0.02, batch)}
    P = _parameters(m, values, batch)
    _compare_steps(m, lambda s, p: step(s, p, False), _random_states(m, rng, batch), P)


def test_ring_star_jacobian():
    m = chialvo_ring_star(3)
    rng = np.random.default_rng(5)
    _check_jacobian(
        m, _random_states(m, rng, 6), _parameters(m, {"sigma1": 0.1, "sigma2": 0.05}, 6)
    )


def test_ring_star_triangle_counting():
    # counting each triangle once halves sigma2: the same step with 2 * sigma2
    rng = np.random.default_rng(6)
    once = chialvo_ring_star(3, ordered_pairs=False)
    twice = chialvo_ring_star(3)
    X = _random_states(twice, rng, 8)
    np.testing.assert_allclose(
        _step(once, X, _parameters(once, {"sigma2": 0.04}, 8)),
        _step(twice, X, _parameters(twice, {"sigma2": 0.02}, 8)),
        rtol=1e-14,
        atol=1e-14,
    )


def test_identical_nodes_stay_synchronised_exactly():
    rng = np.random.default_rng(7)
    batch = 8
    start = np.array([rng.uniform(0, 2, batch), rng.uniform(0, 2, batch)])
    weighted_ring = DiffusiveCoupling(ring(6, 2) * 0.3)  # four neighbours, weight 0.3
    cases = [
        (chialvo_ring_star(3), {"sigma1": 0.02, "sigma2": 0.01, "b": 0.18}),
        (chialvo_ring_star(6, 2), {"sigma1": 0.01, "sigma2": 0.005, "b": 0.18}),
        (network_model(["chialvo"] * 6, [weighted_ring], shared=True), {"sigma": 0.05, "b": 0.18}),
    ]
    for m, values in cases:
        P = _parameters(m, values, batch)
        X = np.tile(start, (m.n_state // 2, 1))
        xs = []
        for _ in range(1000):
            X = _iterate(m, X, P, 1)
            for rows in (node_rows(m, "x"), node_rows(m, "y")):
                np.testing.assert_array_equal(X[rows], np.broadcast_to(X[rows[0]], X[rows].shape))
            xs.append(X[0])
        assert np.all(np.std(xs, axis=0) > 0.01)  # the orbit moves: not a trivial fixed point
        # a different start on one node breaks synchrony (the test can fail)
        X1 = np.tile(start, (m.n_state // 2, 1))
        X1[0] += 1e-3
        apart = _iterate(m, X1, P, 50)
        assert np.all(apart[0] != apart[2])


def test_ring_star_uncoupled_equals_single_chialvo():
    m = chialvo_ring_star(3)
    rng = np.random.default_rng(8)
    X0 = _random_states(m, rng, 8)
    P = _parameters(m, {"sigma1": 0.0, "sigma2": 0.0, "b": 0.18}, 8)
    network = iterate_batch(m, X0, P, steps=1000).final
    chialvo = get_model("chialvo")
    for node in range(4):
        rows = [2 * node, 2 * node + 1]
        alone = iterate_batch(chialvo, X0[rows], P[:4], steps=1000).final
        np.testing.assert_array_equal(network[rows], alone)


# --------------------------------------------------------------------------- chemical synapses


def _synapse_network():
    A = np.array(
        [
            [0.0, 1.0, 0.0, 0.5, 0.0],
            [0.0, 0.0, 1.0, 0.0, 0.0],
            [1.5, 0.0, 1.0, 0.0, 0.0],  # node 2 has an autapse
            [0.0, 0.0, 1.0, 0.0, 1.0],
            [1.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    R = chain(5)
    m = network_model(
        ["rulkov2001"] * 5,
        [
            ChemicalSynapse(A, "x", reversal_default=1.0, threshold_default=-0.5),
            DiffusiveCoupling(R, "x", "sigma", default=0.02),
        ],
        name="rulkov_synapses",
    )
    return m, A, R


def test_chemical_synapse_step_equals_reference():
    m, A, R = _synapse_network()
    assert m.parameter_names[15:] == ("V_s", "lambda_s", "theta_s", "g", "sigma")
    rng = np.random.default_rng(9)
    batch = 16
    values = {
        "g": rng.uniform(0.0, 0.1, batch),
        "lambda_s": rng.uniform(5, 15, batch),
        "theta_s": rng.uniform(-0.8, 0.0, batch),
        "sigma": rng.uniform(0.0, 0.05, batch),
        **{f"alpha_{i}": rng.uniform(4.1, 4.5, batch) for i in range(5)},
    }
    P = _parameters(m, values, batch)
    _compare_steps(m, lambda s, p: synapse_reference(s, p, A, R), _random_states(m, rng, batch), P)


def test_chemical_synapse_jacobian():
    m, _, _ = _synapse_network()
    rng = np.random.default_rng(10)
    P = _parameters(m, {"g": 0.1, "sigma": 0.05}, 6)
    _check_jacobian(m, _random_states(m, rng, 6), P)


def test_per_edge_synapses_match_uniform_ones():
    m, A, _ = _synapse_network()
    per_edge = network_model(
        ["rulkov2001"] * 5,
        [
            ChemicalSynapse(A, "x", per_edge=True, reversal_default=1.0, threshold_default=-0.5),
            DiffusiveCoupling(chain(5), "x", "sigma", per_edge=True, default=0.02),
        ],
    )
    assert "g_0_3" in per_edge.parameter_names and per_edge.parameter("g_0_3").default == 0.025
    assert per_edge.parameter("sigma_1_0").default == 0.02
    rng = np.random.default_rng(11)
    X = _random_states(m, rng, 8)
    np.testing.assert_allclose(
        _step(per_edge, X, _parameters(per_edge, {}, 8)),
        _step(m, X, _parameters(m, {}, 8)),
        rtol=1e-14,
        atol=1e-14,
    )


# --------------------------------------------------------------------------- naming and errors


def test_shared_and_per_node_parameters():
    m = network_model(["chialvo", "chialvo"], [DiffusiveCoupling(chain(2))], shared=["a", "b"])
    assert m.parameter_names == ("a", "b", "c_0", "k_0", "c_1", "k_1", "sigma")
    assert m.parameter("k_1").default == 0.03 and m.parameter("k_1").high == 5.0
    m = network_model(
        ["chialvo", "chialvo"],
        [DiffusiveCoupling(chain(2))],
        labels=("A", "B"),
        defaults={"k_B": 0.02},
    )
    assert m.state_names == ("x_A", "y_A", "x_B", "y_B")
    assert m.parameter("k_B").default == 0.02 and m.parameter("k_A").default == 0.03


def test_normalised_diffusive_coupling():
    # in-degree normalisation: sigma / 2R * sum over the 2R ring neighbours
    m = network_model(["logistic"] * 5, [DiffusiveCoupling(ring(5, 2), normalise="in_degree")])
    rng = np.random.default_rng(12)
    X = rng.uniform(0, 1, (5, 4))
    P = _parameters(m, {"sigma": 0.3}, 4)
    r = P[:5]
    expected = r * X * (1 - X) + 0.3 / 4 * (X.sum(axis=0) - X - 4 * X)
    np.testing.assert_allclose(_step(m, X, P), expected, rtol=1e-13, atol=1e-14)


def test_clear_errors():
    with pytest.raises(ValueError, match="square"):
        DiffusiveCoupling(np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        DiffusiveCoupling(np.array([[0.0, np.nan], [1.0, 0.0]]))
    with pytest.raises(ModelError, match="adjacency of 3 nodes for a network of 2"):
        network_model(["chialvo"] * 2, [DiffusiveCoupling(chain(3))])
    with pytest.raises(ModelError, match="variable 'v'.*node 0 \\(chialvo\\)"):
        network_model(["chialvo"] * 2, [DiffusiveCoupling(chain(2), "v")])
    with pytest.raises(ModelError, match="variable 'xp'"):
        network_model(["rulkov2002", "chialvo"], [DiffusiveCoupling(chain(2), "xp")])
    flow = next(get_model(n) for n in list_models() if get_model(n).kind == "flow")
    with pytest.raises(ModelError, match=f"node 1 \\({flow.name}\\) is a flow"):
        network_model(["chialvo", flow], [])
    with pytest.raises(ModelError, match="unknown model"):
        network_model(["chialvo", "no_such_map"], [])
    with pytest.raises(ModelError, match="'sigma' is both a node parameter and a coupling"):
        network_model(["rulkov2001"] * 2, [DiffusiveCoupling(chain(2))], shared=True)
    with pytest.raises(ModelError, match="shared parameter 'a' is defined differently"):
        network_model(["chialvo", "henon"], [], shared=True)
    with pytest.raises(ModelError, match="2-simplex .* outside"):
        network_model(["chialvo"] * 3, [HigherOrderCoupling([(0, 1, 3)])])
    with pytest.raises(ModelError, match="outside its valid range"):
        network_model(["chialvo"] * 2, [DiffusiveCoupling(chain(2))], defaults={"sigma": 5.0})


def test_hundreds_of_nodes_build():
    # building is cheap; the Jacobian and compilation are what limit size (see build docstring)
    m = network_model(["chialvo"] * 300, [DiffusiveCoupling(ring(300))], shared=True)
    assert m.n_state == 600
    assert m.equations[1] == "a * y_0 - b * x_0 + c"
    assert m.equations[0] == (
        "(x_0 ** 2 * exp(y_0 - x_0) + k) + sigma*(x_1 - x_0) + sigma*(x_299 - x_0)"
    )


def test_analysis_and_report_import_no_network_code():
    code = (
        "import sys, neurodyn.analysis, neurodyn.report\n"
        "print('neurodyn.networks' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_one_resolver_serves_presets_catalogue_and_rebuilding(monkeypatch):
    """A preset registered from here is built by name with options, and a model it built is
    found again by the name it carries (as add_measures rebuilds a stored sweep's model)."""

    def logistic_ring(n: int = 3) -> Model:
        A = ring(n)
        return network_model(["logistic"] * n, [DiffusiveCoupling(A, "x", "eps")], name=f"lr_{n}")

    preset = Preset(
        "logistic_ring",
        logistic_ring,
        source="a test",
        built_names=lambda name: [{"n": int(name[3:])}] if name.startswith("lr_") else [],
    )
    monkeypatch.setitem(REGISTRY, "logistic_ring", preset)
    built = resolve_model("logistic_ring", {"n": 4})
    assert built.n_state == 4 and built.name == "lr_4"
    assert [m.equations for m in rebuild_candidates("lr_4")] == [built.equations]
    assert resolve_model("chialvo_rulkov_chain").equations == chialvo_rulkov_chain().equations
    assert resolve_model("logistic").name == "logistic"
    assert len(list(rebuild_candidates("chialvo_rulkov_chain"))) == 3  # one per Rulkov map
    assert rebuild_candidates("chialvo_ring_star_5").__next__().n_state == 12
    with pytest.raises(ModelError, match="unknown model 'nope'.*presets: .*logistic_ring"):
        resolve_model("nope")
    with pytest.raises(ModelError, match="model_options are for network presets only"):
        resolve_model("logistic", {"n": 2})
    with pytest.raises(ModelError, match="network preset 'logistic_ring'.*'m'"):
        resolve_model("logistic_ring", {"m": 2})
