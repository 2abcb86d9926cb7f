"""Reservoir computing: values from ANCHORS.md, reservoirpy on the same data, exact identities
(memory capacity = controllability rank, RLS = ridge), plain-loop references, errors."""

import itertools

import numpy as np
import pytest

from neurodyn.forecasting import nrmse, rollout, valid_prediction_time
from neurodyn.models import get_model
from neurodyn.reservoir import (
    ESN,
    LORENZ63_LYAPUNOV,
    MapReservoir,
    forecasting_pairs,
    lorenz63_series,
    mackey_glass_series,
    memory_capacity,
    narma10,
    reservoir_sweep,
    ridge_regression,
)
from neurodyn.reservoir.kernels import _tanh, csr_arrays, csr_matvec
from neurodyn.reservoir.weights import bernoulli_matrix, normal_matrix, spectral_radius

# ANCHORS.md: ESN on Mackey-Glass (tau = 17), 100 units, sr 1.25, leak 0.3, ridge 1e-5,
# 2000 samples, one step ahead, last 20 % for testing, 100 warm-up rows (reservoirpy README)
ANCHOR = dict(units=100, spectral_radius=1.25, leak_rate=0.3, ridge=1e-5)
# Lorenz-63 closed loop, sampled every 0.02 time units (documented configuration)
LORENZ = dict(units=400, spectral_radius=0.8, leak_rate=0.5, connectivity=0.02,
              input_connectivity=1.0, input_scaling=0.02, ridge=1e-6, squared_units=True)


@pytest.fixture(scope="module")
def mg():
    return mackey_glass_series(2000)


def _split(series, test_fraction=0.2):
    inputs, targets = forecasting_pairs(series)
    n_test = int(round(test_fraction * len(inputs)))
    return inputs[:-n_test], targets[:-n_test], inputs[-n_test:], targets[-n_test:]


def _rmse_r2(prediction, truth):
    rmse = np.sqrt(np.mean((prediction - truth) ** 2))
    return rmse, 1 - np.sum((prediction - truth) ** 2) / np.sum((truth - truth.mean()) ** 2)


def test_mackey_glass_one_step_anchor_and_reservoirpy(mg):
    from reservoirpy import ESN as PeerESN

    x_train, y_train, x_test, y_test = _split(mg)
    esn = ESN(**ANCHOR, seed=0).fit(x_train, y_train, warmup=100)
    ours = rollout(esn, mg[: len(x_train) + 1], len(y_test), drive=y_test)
    rmse, r2 = _rmse_r2(ours, y_test)
    assert rmse < 0.005 and r2 > 0.999
    np.testing.assert_allclose(ours, esn.run(np.vstack([x_train, x_test]))[len(x_train):],
                               rtol=0, atol=1e-12)
    peer = PeerESN(units=100, sr=1.25, lr=0.3, ridge=1e-5, seed=0)
    peer.fit(x_train, y_train, warmup=100)
    peer_rmse, peer_r2 = _rmse_r2(peer.run(x_test), y_test)
    assert peer_rmse < 0.005 and peer_r2 > 0.999
    assert 0.2 < rmse / peer_rmse < 5


def test_states_and_readout_equal_reservoirpy_with_the_same_matrices(mg):
    from reservoirpy.nodes import Reservoir, Ridge

    x_train, y_train, _, _ = _split(mg[:600])
    esn = ESN(**ANCHOR, bias_scaling=0.2, seed=3).fit(x_train, y_train, warmup=50)
    net = esn.network
    w, w_in = esn.weights["recurrent"], esn.weights["input"]
    peer = Reservoir(W=w, Win=w_in.toarray(), bias=net.bias.copy(), lr=0.3)
    peer_states = peer.run(x_train)
    np.testing.assert_allclose(esn.states(x_train), peer_states, rtol=0, atol=1e-12)
    readout = Ridge(ridge=1e-5).fit(peer_states[50:], y_train[50:])
    np.testing.assert_allclose(esn.run(x_train), readout.run(peer_states), rtol=1e-6)


def test_lorenz63_closed_loop_valid_time_over_three_seeds():
    data = lorenz63_series(9600, sample_dt=0.02)
    inputs, targets = forecasting_pairs(data[:6000])
    starts = (6000, 6700, 7400, 8100, 8800)
    per_seed = []
    for seed in range(3):
        esn = ESN(**LORENZ, seed=seed).fit(inputs, targets, warmup=200)
        times = [
            valid_prediction_time(rollout(esn, data[s - 300 : s], 700), data[s : s + 700],
                                  0.02, LORENZ63_LYAPUNOV)
            for s in starts
        ]
        per_seed.append(np.mean(times))
    assert np.median(per_seed) >= 6.0


@pytest.mark.parametrize("eigenvalues, expected_rank", [
    (np.linspace(-0.8, 0.8, 10), 10),
    (np.tile([-0.8, -0.4, 0.1, 0.5, 0.8], 2), 5),  # repeated eigenvalues: rank 5
])
def test_linear_memory_capacity_equals_controllability_rank(eigenvalues, expected_rank):
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    w = q @ np.diag(eigenvalues) @ q.T
    w_in = rng.standard_normal((10, 1))
    kalman = np.column_stack([np.linalg.matrix_power(w, k) @ w_in for k in range(10)])
    assert np.linalg.matrix_rank(kalman) == expected_rank
    esn = ESN.from_weights(w, w_in, activation="identity", ridge=0.0)
    capacity, per_delay = memory_capacity(esn, max_delay=80)
    assert capacity == pytest.approx(expected_rank, abs=0.1)
    assert per_delay[0] == pytest.approx(1.0, abs=1e-3)


def test_same_seed_same_numbers_deep_and_residual(mg):
    x, y = forecasting_pairs(mg[:800])
    for extra in ({}, {"layers": 2}, {"residual": "cycle", "residual_beta": 0.5}):
        runs = [
            rollout(ESN(**ANCHOR, **extra, bias_scaling=0.1, seed=s).fit(x, y, 100), mg[:800], 50)
            for s in (5, 5, 6)
        ]
        np.testing.assert_array_equal(runs[0], runs[1])
        assert not np.array_equal(runs[0], runs[2])


def test_deep_residual_update_equals_plain_loop():
    esn = ESN(units=6, layers=2, spectral_radius=0.9, residual="cycle", residual_alpha=0.7,
              residual_beta=0.4, input_connectivity=0.5, inter_scaling=0.8, bias_scaling=0.3,
              connectivity=0.5, feedback_scaling=0.2, feedback_connectivity=0.5, seed=1)
    u = np.random.default_rng(0).normal(size=(30, 2))
    y_prev = np.random.default_rng(1).normal(size=(30, 2))
    states = esn.states(u, feedback=y_prev)
    net, n = esn.network, 12
    w, w_in, w_inter, w_fb = (esn.weights[name].toarray()
                              for name in ("recurrent", "input", "inter_layer", "feedback"))
    cycle = np.r_[5, 0:5, 11, 6:11]
    z = np.zeros(n)
    for t in range(30):
        new = np.zeros(n)
        for layer in (slice(0, 6), slice(6, 12)):
            drive = (w[layer] @ z + w_in[layer] @ u[t] + w_inter[layer] @ new
                     + w_fb[layer] @ y_prev[t])
            new[layer] = 0.7 * z[cycle][layer] + 0.4 * np.tanh(drive + net.bias[layer])
        z = new
        np.testing.assert_allclose(states[t], z, rtol=1e-13, atol=1e-14)
    assert np.count_nonzero(w_inter[6:, :6]) > 0 and np.count_nonzero(w_in[6:]) == 0
    assert np.count_nonzero(w_inter[:6]) == 0 and np.count_nonzero(w_inter[:, 6:]) == 0


def test_rls_equals_ridge_on_uncentred_features_and_force_learns_a_sine(mg):
    x, y = forecasting_pairs(mg[:400])
    esn = ESN(**ANCHOR, seed=2)
    esn.fit_rls(x, y, regularisation=1e-2)
    features = np.hstack([esn.states(x), np.ones((len(x), 1))])
    exact = np.linalg.solve(features.T @ features + 1e-2 * np.eye(101), features.T @ y)
    np.testing.assert_allclose(np.vstack([esn.w_out, esn.b_out]), exact, rtol=1e-5, atol=1e-7)

    t = np.arange(3000)
    target = np.sin(2 * np.pi * t / 50)[:, None]
    force = ESN(units=200, spectral_radius=1.2, leak_rate=0.3, feedback_scaling=1.0,
                feedback_connectivity=1.0, input_scaling=0.0, seed=0)
    errors = force.fit_rls(np.zeros((3000, 1)), target, regularisation=1.0, force=True)
    assert np.sqrt(np.mean(errors[-500:] ** 2)) < 0.02  # amplitude 1


def test_narma10_definition_and_esn_error():
    u, y = narma10(3000, seed=0)
    assert np.all((u >= 0) & (u <= 0.5)) and np.all(y[:9] == 0)
    t = 20  # y[t+1] = 0.3 y[t] + 0.05 y[t] sum y[t-9..t] + 1.5 u[t-9] u[t] + 0.1
    prev = np.r_[0.0, y[:, 0]]
    expected = (0.3 * prev[t] + 0.05 * prev[t] * prev[t - 9 : t + 1].sum()
                + 1.5 * u[t - 9, 0] * u[t, 0] + 0.1)
    assert y[t, 0] == pytest.approx(expected, rel=1e-14)
    esn = ESN(units=200, spectral_radius=0.9, input_scaling=0.2, bias_scaling=0.1,
              input_connectivity=1.0, ridge=1e-7, seed=0).fit(u[:2000], y[:2000], warmup=100)
    assert nrmse(esn.run(u)[2000:], y[2000:]) < 0.3


def test_chialvo_reservoir_equals_plain_loop_and_forecasts(mg):
    chialvo = get_model("chialvo")
    reservoir = MapReservoir("chialvo", units=5, spectral_radius=0.3, connectivity=0.6,
                             input_scaling=0.1, bias_scaling=0.02, observed=("x", "y"), seed=4)
    u = mg[:40]
    states = reservoir.states(u)
    net, w = reservoir.net, reservoir.weights["recurrent"].toarray()
    p = {name: chialvo.parameter(name).default for name in "abck"}
    x, y = np.full(5, 0.5), np.full(5, 0.5)
    for t in range(40):
        current = w @ x + net.w_in @ u[t] + net.bias
        x, y = x**2 * np.exp(y - x) + p["k"] + current, p["a"] * y - p["b"] * x + p["c"]
        np.testing.assert_allclose(states[t], np.r_[x, y], rtol=1e-10, atol=1e-10)

    x_train, y_train, x_test, y_test = _split(mg)
    reservoir = MapReservoir("chialvo", units=100, spectral_radius=0.05, input_scaling=0.05,
                             observed=("x", "y"), seed=0).fit(x_train, y_train, warmup=100)
    prediction = rollout(reservoir, mg[: len(x_train) + 1], len(y_test), drive=y_test)
    assert nrmse(prediction, y_test) < 0.3
    with pytest.raises(ValueError, match="diverged"):
        MapReservoir("chialvo", units=100, spectral_radius=0.2, input_scaling=0.02,
                     parameters={"b": 0.18}).fit(x_train, y_train, warmup=100)


def test_rulkov_reservoir_equals_plain_loop_and_forecasts(mg):
    """Rulkov 2002 units (the map with the x_{n-1} condition) in the silent regime: the kernel
    equals a plain loop of the published map plus the coupling current on x, and 100 units
    predict Mackey-Glass one step ahead with NRMSE below 0.01 (about 0.005 measured)."""
    regime = {"alpha": 3.0, "mu": 0.05, "sigma": -0.5}
    reservoir = MapReservoir("rulkov2002", units=6, spectral_radius=0.2, connectivity=0.5,
                             input_scaling=0.3, bias_scaling=0.05, parameters=regime,
                             observed=("x", "y"), seed=2)
    u = mg[:60]
    states = reservoir.states(u)
    net, w = reservoir.net, reservoir.weights["recurrent"].toarray()
    x, y, xp = np.full(6, -1.0), np.full(6, -3.0), np.full(6, -1.0)
    a, mu, sigma = regime["alpha"], regime["mu"], regime["sigma"]
    for t in range(60):
        fx = np.where(x <= 0, a / (1 - x) + y,
                      np.where((x < a + y) & (xp <= 0), a + y, -1.0))
        x, y, xp = fx + w @ x + net.w_in @ u[t] + net.bias, y - mu * (x + 1) + mu * sigma, x
        np.testing.assert_allclose(states[t], np.r_[x, y], rtol=1e-12, atol=1e-12)

    x_train, y_train, x_test, y_test = _split(mg)
    reservoir = MapReservoir("rulkov2002", units=100, spectral_radius=0.2, input_scaling=0.3,
                             parameters=regime, observed=("x", "y"), ridge=1e-6, seed=0)
    reservoir.fit(x_train, y_train, warmup=100)
    assert nrmse(reservoir.run(x_test, resume=True), y_test) < 0.01


def test_sweep_matches_direct_runs_and_states_conventions():
    data = reservoir_sweep([0.9, 1.25], [0.3], [50], n_train=600, n_test=100, warmup=50)
    assert data.nrmse.dims == ("units", "spectral_radius", "leak_rate", "seed")
    series = mackey_glass_series(701)
    x, y = forecasting_pairs(series[:601])
    esn = ESN(units=50, spectral_radius=1.25, leak_rate=0.3, ridge=1e-5).fit(x, y, warmup=50)
    direct = nrmse(rollout(esn, series[:601], 100, drive=series[601:]), series[601:])
    assert float(data.nrmse.sel(spectral_radius=1.25).item()) == direct
    assert np.all(data.nrmse < 0.1) and np.all(data.valid_time > 2)
    assert "std" in data.attrs["nrmse_convention"] and data.valid_time.attrs["units"]


@pytest.mark.parametrize("density", [0.1, 0.7])
def test_positions_are_an_exact_count_drawn_uniformly(density):
    """Exact count, distinct sorted positions, and every entry equally likely: over 2000
    draws of a 6 x 5 matrix each entry's frequency is within 4.5 binomial standard deviations
    of ``count / 30`` (the sparse branch at 0.1, the complement branch at 0.7)."""
    rng = np.random.default_rng(7)
    count = round(density * 30)
    hits = np.zeros((6, 5))
    for _ in range(2000):
        m = bernoulli_matrix(6, 5, density, rng)
        assert m.nnz == count and set(np.abs(m.data)) == {1.0}
        assert all(np.all(np.diff(m.indices[a:b]) > 0)
                   for a, b in zip(m.indptr[:-1], m.indptr[1:], strict=True))
        hits += m.toarray() != 0
    p = count / 30
    assert np.all(np.abs(hits / 2000 - p) < 4.5 * np.sqrt(p * (1 - p) / 2000))
    assert normal_matrix(40, 50, 0.3, np.random.default_rng(1)).nnz == 600
    assert normal_matrix(0, 3, 0.5, rng).nnz == 0 and bernoulli_matrix(4, 4, 1.0, rng).nnz == 16


@pytest.mark.parametrize("seed", [103, 105, 109])
def test_spectral_radius_equals_dense_eigenvalues(seed):
    """Matrices (1000 units, connectivity 0.01) on which asking ARPACK for one eigenvalue
    missed the largest (see :func:`neurodyn.reservoir.weights.spectral_radius`); the CSR
    product of the kernels equals scipy's."""
    w = normal_matrix(1000, 1000, 0.01, np.random.default_rng(seed))
    dense = np.max(np.abs(np.linalg.eigvals(w.toarray())))
    assert spectral_radius(w) == pytest.approx(dense, rel=1e-9)
    x, y = np.random.default_rng(0).normal(size=1000), np.empty(1000)
    csr_matvec(*csr_arrays(w), x, y)
    np.testing.assert_allclose(y, w @ x, rtol=1e-13, atol=1e-13)


def test_bad_input_gives_clear_errors(mg):
    x, y = forecasting_pairs(mg[:300])
    with pytest.raises(ValueError, match="spectral_radius must be in"):
        ESN(spectral_radius=0.0)
    with pytest.raises(ValueError, match="spectral_radius must be > 0"):
        MapReservoir("chialvo", spectral_radius=-1.0)
    with pytest.raises(ValueError, match="leak_rate must be in"):
        ESN(leak_rate=1.5)
    bad = x.copy()
    bad[10, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ESN().fit(bad, y)
    with pytest.raises(ValueError, match="shape"):
        ESN().fit(x[:, :, None], y)
    with pytest.raises(ValueError, match="target rows"):
        ESN().fit(x, y[:-1])
    esn = ESN(units=20)
    with pytest.raises(RuntimeError, match="fit first"):
        esn.rollout(x, 5)
    esn.fit(x, y)
    with pytest.raises(ValueError, match="1 columns"):
        esn.rollout(np.zeros((10, 2)), 5)
    with pytest.raises(ValueError, match="rollout needs"):
        ESN(units=20).fit(x, np.hstack([y, y])).rollout(x, 5)
    with pytest.raises(ValueError, match="task must be"):
        reservoir_sweep([0.9], [0.3], [10], task="henon")


def test_kernel_tanh_matches_numpy_and_gives_the_same_bits_vectorised_or_not():
    from numba import njit

    @njit(error_model="numpy")
    def batch(x, out):  # vectorised loop with a scalar remainder
        for i in range(x.shape[0]):
            out[i] = _tanh(x[i])

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-1, 1, 10**5), rng.uniform(-30, 30, 10**5),
                        np.logspace(-300, 3, 2000), -np.logspace(-300, 3, 2000),
                        [0.0, -0.0, 0.625, -0.625, np.nextafter(0.625, 0), 1e300, np.inf, -np.inf]])
    out = np.empty_like(x)
    batch(x, out)
    exact = np.tanh(x)
    assert np.max(np.abs(out - exact) / np.maximum(np.abs(exact), 1e-300)) < 1e-15
    assert np.signbit(out[x == 0]).tolist() == [False, True]
    for start in (1, 2, 3):  # shifted batches put every value in the vector body and remainder
        shifted = np.empty(len(x) - start)
        batch(x[start:], shifted)
        np.testing.assert_array_equal(shifted, out[start:])
    nan = np.empty(1)
    batch(np.array([np.nan]), nan)
    assert np.isnan(nan[0])


def test_run_resumes_from_the_training_state_as_rollout_does(mg):
    x_train, y_train, x_test, y_test = _split(mg[:900])
    esn = ESN(**ANCHOR, bias_scaling=0.1, seed=4).fit(x_train, y_train, warmup=50)
    resumed = esn.run(x_test, resume=True)
    opened = rollout(esn, mg[: len(x_train) + 1], len(y_test), drive=y_test)
    np.testing.assert_allclose(resumed, opened, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(esn.state, esn.states(np.vstack([x_train, x_test]))[-1])
    with pytest.raises(RuntimeError, match="nothing to resume"):
        ESN(units=10).run(x_test, resume=True)


@pytest.mark.parametrize("rows", [40, 200])  # dual (rows < features) and primal form
def test_ridge_equals_the_centred_normal_equations(rows):
    rng = np.random.default_rng(rows)
    x = rng.normal(size=(rows, 60)) + 0.3
    y = rng.normal(size=(rows, 2))
    weights, bias = ridge_regression(x.copy(), y, 1e-3, overwrite_features=True)
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    exact = np.linalg.solve(xc.T @ xc + 1e-3 * np.eye(60), xc.T @ yc)
    np.testing.assert_allclose(weights, exact, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(bias, y.mean(axis=0) - x.mean(axis=0) @ exact, rtol=1e-9)
    fortran = ridge_regression(np.asfortranarray(x), y, 1e-3)
    np.testing.assert_allclose(fortran[0], weights, rtol=1e-12, atol=1e-14)


def test_ridge_path_gives_ridge_regression_bit_for_bit():
    """One Gram matrix for several penalties: each solution is ridge_regression's, in the
    primal form (more rows than features) and the dual one, with a zero penalty among them."""
    from neurodyn.reservoir.readout import ridge_path

    rng = np.random.default_rng(3)
    for rows in (80, 20):
        features, targets = rng.normal(size=(rows, 30)), rng.normal(size=(rows, 2))
        ridges = [1e-3, 0.0, 1.0]
        path = ridge_path(features, targets, ridges)
        for ridge, (weights, bias) in zip(ridges, path, strict=True):
            alone = ridge_regression(features, targets, ridge)
            np.testing.assert_array_equal(weights, alone[0])
            np.testing.assert_array_equal(bias, alone[1])


def test_batched_ridge_grid_equals_a_loop_of_esns(mg):
    """The batched grid (one harvest for all points, one Gram matrix per point) gives the NRMSE
    of ESN.fit and rollout run point by point, to the rounding of the rescaled weights."""
    from neurodyn.reservoir.grid import ridge_grid

    axes = dict(spectral_radius=[0.8, 1.25], leak_rate=[0.3, 1.0], input_scaling=[0.5, 1.0],
                ridge=[1e-7, 1e-4])
    grid = ridge_grid(**axes, units=60, seed=4, n_train=400, n_test=100, warmup=50, group=3)
    data = mackey_glass_series(501)
    for rho, leak, scaling, ridge in itertools.product(*axes.values()):
        inputs, targets = forecasting_pairs(data[:401])
        esn = ESN(units=60, spectral_radius=rho, leak_rate=leak, input_scaling=scaling,
                  ridge=ridge, seed=4).fit(inputs, targets, warmup=50)
        expected = nrmse(rollout(esn, data[:401], 100, drive=data[401:]), data[401:])
        point = grid.nrmse.sel(spectral_radius=rho, leak_rate=leak, input_scaling=scaling,
                               ridge=ridge)
        assert float(point) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="leak_rate"):
        ridge_grid([1.0], [1.5], [1.0], [1e-6], units=20, n_train=100, n_test=10, warmup=5)
