"""Wilson–Cowan nodes, presets and metapopulation networks: against neurolib run in the test,
against plain numpy references, exact fixed points, and the torch version."""

import dataclasses
import json

import numpy as np
import pytest

from neurodyn.flows import trajectory
from neurodyn.models import ModelError, compile_model, get_model, list_presets
from neurodyn.models.families import flow_network
from neurodyn.neuralmass import (
    OUNoise,
    bundled_connectome,
    load_matrix,
    normalise_weights,
    oscillation_sweep,
    simulate_network,
    steady_states,
)
from neurodyn.sim import iterate_batch

# --- neurolib, run here (noise off): the same Euler scheme and delay indexing -----------------


def _neurolib_gw(duration, exc_ext, K_gl, delays):
    from neurolib.models.wc import WCModel
    from neurolib.utils.loadData import Dataset

    ds = Dataset("gw")
    model = WCModel(Cmat=ds.Cmat, Dmat=ds.Dmat, seed=3)
    model.params.duration = duration
    model.params.exc_ext = exc_ext
    model.params.K_gl = K_gl
    if not delays:
        model.params.signalV = 0.0
    model.run()
    return model


@pytest.mark.requires("neurolib")
@pytest.mark.parametrize("delays", [False, True], ids=["no-delays", "delays"])
def test_network_equals_neurolib(delays):
    """neurolib's 80-node connectome, 1 s at dt = 0.1 ms in an oscillating regime (K_gl = 2,
    exc_ext = 0.5): every E and I sample to 1e-10."""
    nl = _neurolib_gw(1000.0, 0.5, 2.0, delays)
    p = nl.params
    initial = np.vstack([p.exc_init[:, 0], p.inh_init[:, 0]])
    ours = simulate_network(
        "wilson_cowan:neurolib",
        p.Cmat,
        duration=1000.0,
        coupling=2.0,
        delays=p.lengthMat / p.signalV if delays else None,
        parameters={"P": 0.5},
        initial=initial,
    )
    assert np.ptp(nl.exc[:, -2000:], axis=1).mean() > 0.05  # it oscillates
    np.testing.assert_allclose(ours.E.values.T, nl.exc, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.I.values.T, nl.inh, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.time.values, nl.t, rtol=1e-12)
    assert ours.attrs["max_delay_steps"] == (int(p.Dmat_ndt.max()) if delays else 0)


@pytest.mark.slow
@pytest.mark.requires("neurolib")
def test_single_node_equals_neurolib():
    from neurolib.models.wc import WCModel

    nl = WCModel(seed=1)
    nl.params.duration = 500.0
    nl.params.exc_ext = 2.0
    nl.run()
    initial = [nl.params.exc_init[0, 0], nl.params.inh_init[0, 0]]
    ours = trajectory(
        "wilson_cowan:neurolib", duration=500.0, initial=initial, parameters={"P": 2.0}
    )
    np.testing.assert_allclose(ours.E.values, nl.exc[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.I.values, nl.inh[0], rtol=0, atol=1e-12)


@pytest.mark.requires("neurolib")
def test_neurolib_preset_is_neurolibs_defaults():
    from neurolib.models.wc.loadDefaultParams import loadDefaultParams

    p = loadDefaultParams()
    ours = get_model("wilson_cowan:neurolib").defaults()
    mapping = {
        "tau_e": "tau_exc",
        "tau_i": "tau_inh",
        "w_ee": "c_excexc",
        "w_ei": "c_inhexc",
        "w_ie": "c_excinh",
        "w_ii": "c_inhinh",
        "a_e": "a_exc",
        "a_i": "a_inh",
        "theta_e": "mu_exc",
        "theta_i": "mu_inh",
        "dt": "dt",
    }
    for name, theirs in mapping.items():
        assert ours[name] == p[theirs], name


# --- a plain numpy reference for delays and Heun, independent of neurolib ---------------------


def _reference_network(node, W, D, G, values, x0, steps, heun, past=None):
    """Loop-by-loop Euler / Heun of the networks module's equations. ``past`` (N, L): the
    coupled variable E at times -(L-1) .. 0 (default: constant, equal to x0)."""
    compiled = compile_model(node)
    n = W.shape[0]
    names = node.parameter_names
    P = np.array([[values[p]] * n for p in names])
    target = names.index("P")
    history = [x0[0].copy()] if past is None else [past[:, k] for k in range(past.shape[1])]
    offset = len(history) - 1  # history[time + offset] is E at that time
    x = x0.copy()
    out = []

    def derivative(state, t, current):
        def delayed(d, j):
            time = t - d
            if time + offset == len(history):  # the stage's own value (Heun, d = 0)
                return current[j]
            return history[max(time + offset, 0)][j]

        Pw = P.copy()
        for i in range(n):
            Pw[target, i] += G * sum(W[i, j] * delayed(D[i, j], j) for j in range(n))
        k = np.empty_like(state)
        compiled.rhs(state, Pw, k, 0, n)
        return k

    for t in range(steps):
        k1 = derivative(x, t, x[0])
        if heun:
            y = x + values["dt"] * k1
            k2 = derivative(y, t + 1, y[0])
            x = x + 0.5 * values["dt"] * (k1 + k2)
        else:
            x = x + values["dt"] * k1
        history.append(x[0].copy())
        out.append(x.copy())
    return np.array(out)


@pytest.mark.parametrize("integrator", ["euler", "heun"])
def test_delays_and_heun_against_a_plain_loop(integrator):
    node = get_model("wilson_cowan:neurolib")
    rng = np.random.default_rng(3)
    n = 5
    W = rng.uniform(0, 1, (n, n))
    D = rng.integers(0, 40, (n, n))  # both sides of the 16-step block split
    x0 = rng.uniform(0, 0.3, (2, n))
    values = {**node.defaults(), "P": 1.2, "dt": 0.1}
    ours = simulate_network(
        node,
        W,
        duration=30.0,
        coupling=0.7,
        delays=D * 0.1,
        parameters={"P": 1.2},
        initial=x0,
        integrator=integrator,
    )
    reference = _reference_network(node, W, D, 0.7, values, x0, 300, integrator == "heun")
    np.testing.assert_allclose(ours.E.values, reference[:, 0], rtol=0, atol=1e-13)
    np.testing.assert_allclose(ours.I.values, reference[:, 1], rtol=0, atol=1e-13)


def test_given_history():
    """A history of max delay + 1 past states (oldest first) replaces the constant one."""
    node = get_model("wilson_cowan:neurolib")
    rng = np.random.default_rng(4)
    n = 4
    W = rng.uniform(0, 1, (n, n))
    D = rng.integers(0, 25, (n, n))
    history = rng.uniform(0, 0.3, (2, n, D.max() + 1))
    values = {**node.defaults(), "P": 1.2, "dt": 0.1}
    ours = simulate_network(
        node, W, duration=10.0, coupling=0.7, delays=D * 0.1, parameters={"P": 1.2}, initial=history
    )
    reference = _reference_network(
        node, W, D, 0.7, values, history[:, :, -1], 100, False, past=history[0]
    )
    np.testing.assert_allclose(ours.E.values, reference[:, 0], rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="at least max delay"):
        simulate_network(node, W, duration=1.0, delays=D * 0.1, initial=history[:, :, :5])


@pytest.mark.slow
def test_generated_network_model_equals_the_network_kernel():
    """flow_network (equations, symbolic Jacobian) and simulate_network (matrix kernel)."""
    rng = np.random.default_rng(0)
    W = rng.random((3, 3))
    model = flow_network(
        "wilson_cowan:neurolib", W, coupled="E", target="P", coupling=0.8, defaults={"P": 0.7}
    )
    x0 = rng.uniform(0, 0.2, (2, 3))
    ours = simulate_network(
        "wilson_cowan:neurolib", W, duration=200, coupling=0.8, parameters={"P": 0.7}, initial=x0
    )
    P = np.array([[v] for v in model.defaults().values()])
    kept = iterate_batch(model, x0.T.reshape(-1, 1), P, steps=2000, keep=2000).kept
    np.testing.assert_allclose(kept[:, 0::2, 0], ours.E.values, rtol=0, atol=1e-13)
    states = steady_states(model, box=[(0, 0.6)] * 6, starts_per_axis=3)
    assert states and all(s.residual < 1e-12 for s in states)


def test_noise_is_seeded():
    c = bundled_connectome()
    W = c.weights[:10, :10]
    run = lambda seed, sigma: simulate_network(  # noqa: E731
        "wilson_cowan:neurolib",
        W,
        duration=100,
        noise=OUNoise(sigma=sigma),
        seed=seed,
        parameters={"P": 1.0},
    )
    a, b, other, quiet = run(1, 0.05), run(1, 0.05), run(2, 0.05), run(1, 0.0)
    np.testing.assert_array_equal(a.E.values, b.E.values)
    assert np.abs(a.E.values - other.E.values).max() > 1e-4
    deterministic = simulate_network(
        "wilson_cowan:neurolib", W, duration=100, parameters={"P": 1.0}
    )
    np.testing.assert_array_equal(quiet.E.values, deterministic.E.values)
    assert json.loads(a.attrs["noise"])["sigma"] == 0.05 and a.attrs["seed"] == 1


# --- presets: fixed points, stability, oscillations --------------------------------------------


def _finite_difference_jacobian(model, x, h=1e-7):
    compiled = compile_model(model)
    P = np.array([[v] for v in model.defaults().values()])
    J = np.empty((model.n_state, model.n_state))
    f_plus, f_minus = np.empty(model.n_state), np.empty(model.n_state)
    for c in range(model.n_state):
        step = np.zeros(model.n_state)
        step[c] = h
        compiled.evaluate(x + step, P, 0, f_plus)
        compiled.evaluate(x - step, P, 0, f_minus)
        J[:, c] = (f_plus - f_minus) / (2 * h)
    return J


EXPECTED_STABILITY = {
    "wc1972": ["stable node", "saddle", "stable node"],  # bistable (hysteresis set)
    "brainpy": ["stable node", "saddle", "stable node"],
    "wc1972_limit_cycle": ["unstable focus"],
    "daffertshofer2011": ["unstable focus"],
    "neurolib": ["stable focus"],
}


@pytest.mark.parametrize("preset", sorted(list_presets("wilson_cowan")))
def test_preset_fixed_points_and_stability(preset):
    """All fixed points with residual < 1e-12; stability from the analytic Jacobian's
    eigenvalues, which match finite differences; stable points attract nearby states."""
    model = get_model(f"wilson_cowan:{preset}")
    states = steady_states(model)
    assert [s.kind for s in states] == EXPECTED_STABILITY[preset]
    for s in states:
        assert s.residual < 1e-12
        fd = np.sort_complex(np.linalg.eigvals(_finite_difference_jacobian(model, s.state)))
        np.testing.assert_allclose(np.sort_complex(s.eigenvalues), fd, rtol=1e-5, atol=1e-6)
        if s.stable:
            start = s.state + 1e-3
            end = trajectory(model, duration=2000, initial=start, every=100)
            assert abs(end.E.values[-1] - s.state[0]) < 1e-8


@pytest.mark.slow
@pytest.mark.parametrize(
    ("preset", "hz", "amplitude"),
    [("wc1972_limit_cycle", 25.0, 0.170), ("daffertshofer2011", 21.2, 0.481)],
)
def test_limit_cycle_presets_oscillate(preset, hz, amplitude):
    """The limit-cycle presets oscillate at about 25 Hz and 21 Hz (RK4, dt = 0.01 ms; the
    default Euler step of 0.1 ms lowers the frequency by a few per cent)."""
    model = dataclasses.replace(get_model(f"wilson_cowan:{preset}"), integrator="rk4")
    ds = oscillation_sweep(
        model, {"P": [model.parameter("P").default]}, {"dt": 0.01}, duration=3000, transient=1000
    )
    assert bool(ds.oscillating.values[0])
    assert ds.amplitude.values[0] == pytest.approx(amplitude, abs=0.002)
    assert ds.frequency.values[0] == pytest.approx(hz, abs=0.2)
    assert ds.frequency.attrs["units"] == "Hz"


def test_marino_node_has_the_authors_two_stable_states():
    """The two values the authors' code gives the planted attractors are the node's stable
    fixed points; between them a saddle."""
    states = steady_states("wilson_cowan_marino")
    assert [s.kind for s in states] == ["stable node", "saddle", "stable node"]
    assert states[0].state[0] == pytest.approx(0.213590341241989722931293727015145, abs=1e-12)
    assert states[2].state[0] == pytest.approx(0.37326898463326614599362307391132, abs=1e-12)


def test_inhibitory_to_excitatory_weight_is_w_ei():
    """w_ei multiplies I in the E equation (I -> E); w_ie multiplies E in the I equation."""
    model = get_model("wilson_cowan")
    J = model.jacobian_expressions
    w_ei, w_ie = model.symbols["w_ei"], model.symbols["w_ie"]
    assert J[0, 1].has(w_ei) and not J[0, 1].has(w_ie)
    assert J[1, 0].has(w_ie) and not J[1, 0].has(w_ei)
    assert "INHIBITORY-TO-EXCITATORY" in model.notes
    marino = get_model("wilson_cowan_marino")
    assert marino.jacobian_expressions[0, 1].has(marino.symbols["w_ei"])


def test_presets_name_their_source():
    for preset, entry in list_presets("wilson_cowan").items():
        assert entry["source"] and entry["description"], preset
        assert get_model(f"wilson_cowan:{preset}").name == f"wilson_cowan:{preset}"
    with pytest.raises(ModelError, match="unknown preset 'nope'.*neurolib"):
        get_model("wilson_cowan:nope")


def test_oscillation_sweep_frequency_matches_the_trajectory():
    """neurolib node, exc_ext from 0 to 4: oscillations in a middle band only; the frequency of
    one point equals the spectral peak of its long trajectory."""
    ds = oscillation_sweep(
        "wilson_cowan:neurolib", {"P": np.linspace(0, 4, 21)}, duration=2000, transient=1000
    )
    oscillating = ds.oscillating.values
    assert not oscillating[0] and not oscillating[-1] and oscillating[5:12].all()
    run = trajectory(
        "wilson_cowan:neurolib", duration=11000, transient=1000, parameters={"P": float(ds.P[8])}
    )
    e = run.E.values - run.E.values.mean()
    spectrum = np.abs(np.fft.rfft(e))
    peak = np.fft.rfftfreq(e.size, d=0.1e-3)[np.argmax(spectrum)]
    assert ds.frequency.values[8] == pytest.approx(peak, abs=0.2)


# --- connectomes -------------------------------------------------------------------------------


def test_bundled_connectome():
    c = bundled_connectome()
    assert c.n == 80 and len(c.labels) == 80
    np.testing.assert_array_equal(c.weights, c.weights.T)
    assert np.all(np.diag(c.weights) == 0) and c.weights.max() == 1.0
    assert 0 < c.lengths[c.weights > 0].min() and c.lengths.max() < 250  # mm


def test_load_matrix_formats(tmp_path):
    W = np.random.default_rng(1).random((6, 6))
    np.save(tmp_path / "w.npy", W)
    np.savez(tmp_path / "w.npz", weights=W)
    np.savetxt(tmp_path / "w.csv", W, delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / "w.txt", W, fmt="%.17g", header="whitespace separated")
    for name in ("w.npy", "w.npz", "w.csv", "w.txt"):
        np.testing.assert_array_equal(load_matrix(tmp_path / name), W)
    np.savetxt(tmp_path / "bad.csv", W[:3], delimiter=",")
    with pytest.raises(ValueError, match="square"):
        load_matrix(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="unknown format"):
        load_matrix(tmp_path / "w.xyz")


def test_normalisations():
    W = np.random.default_rng(2).random((7, 7))
    assert normalise_weights(W, "max").max() == pytest.approx(1.0)
    np.testing.assert_allclose(normalise_weights(W, "row_sum").sum(axis=1), 1.0)
    radius = np.abs(np.linalg.eigvals(normalise_weights(W, "spectral_radius"))).max()
    assert radius == pytest.approx(1.0)
    np.testing.assert_array_equal(normalise_weights(W, "none"), W)
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalise_weights(W, "l2")


# --- torch: the same equations --------------------------------------------------------------


@pytest.mark.requires("torch")
def test_torch_equals_numba():
    import torch

    from neurodyn.neuralmass.differentiable import FlowNetwork, torch_rhs

    rng = np.random.default_rng(0)
    for name in ("wilson_cowan:wc1972", "wilson_cowan:neurolib", "wilson_cowan_marino"):
        model = get_model(name)
        X = np.array([rng.uniform(v.low, v.high, 50) for v in model.state])
        P = np.tile(np.array([[v] for v in model.defaults().values()]), (1, 50))
        expected = np.empty_like(X)
        compile_model(model).rhs(X, P, expected, 0, 50)
        values = {p: torch.tensor(P[r]) for r, p in enumerate(model.parameter_names)}
        got = torch_rhs(model)(torch.tensor(X.T), values).numpy().T
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)
    n = 12
    A = rng.normal(size=(n, n))
    x0 = rng.uniform(0.1, 0.5, n)
    numba_run = simulate_network(
        "wilson_cowan_marino", A, duration=4.0, coupling=1 / np.sqrt(n), initial=np.vstack([x0, x0])
    )
    weights = torch.tensor(A, requires_grad=True)
    network = FlowNetwork(
        "wilson_cowan_marino", weights, coupled="x", target="h_e", coupling=1 / np.sqrt(n)
    )
    final = network(torch.tensor(np.stack([x0, x0], axis=-1))[None], 40)[0]
    np.testing.assert_allclose(final.detach().numpy()[:, 0], numba_run.x.values[-1], atol=1e-14)
    final[:, 0].sum().backward()
    assert torch.isfinite(weights.grad).all() and weights.grad.abs().sum() > 0


@pytest.mark.slow
@pytest.mark.requires("sklearn", "torch")
def test_marino_digits_notebook_learns(monkeypatch):
    """The Marino et al. classifier on scikit-learn's digits: a short training run beats chance
    (0.1) several times over."""
    import runpy
    from pathlib import Path

    monkeypatch.setenv("MARINO_EPOCHS", "8")
    notebook = Path(__file__).parents[1] / "notebooks" / "marino_digits.py"
    namespace = runpy.run_path(str(notebook), run_name="marino_digits")
    assert namespace["test_accuracy"] > 0.3
