"""brian2 counterparts: a Chialvo network written as brian2 code equals the numba kernel, and
the E–I LIF network's rates agree with its mean field and the matched Wilson–Cowan node."""

import numpy as np
import pytest

from neurodyn.models import compile_model, get_model, list_models
from neurodyn.networks import (
    ChemicalSynapse,
    DiffusiveCoupling,
    erdos_renyi,
    network_model,
    ring,
)

pytest.importorskip("brian2")

from neurodyn.spiking import (  # noqa: E402
    EINetwork,
    brian2_map_network,
    matched_wilson_cowan,
    mean_field_rates,
    simulate_ei,
)


def _numba_run(adjacency, X0, sigma, steps, b):
    """States (steps, 2, n, copies) of the numba network kernel from X0 (2, n, copies)."""
    n = adjacency.shape[0]
    model = network_model(
        ["chialvo"] * n, [DiffusiveCoupling(adjacency, default=sigma)], shared=True
    )
    values = {**model.defaults(), "b": b}
    copies = X0.shape[2]
    P = np.tile(np.array([[values[p]] for p in model.parameter_names]), (1, copies))
    X = X0.transpose(1, 0, 2).reshape(2 * n, copies).copy()  # rows x_0, y_0, x_1, y_1, ...
    ok = np.ones(copies, dtype=np.bool_)
    advance = compile_model(model).advance
    states = []
    for _ in range(steps):
        advance(X, P, 0, copies, 1, 1e300, ok)
        states.append(X.reshape(n, 2, copies).transpose(1, 0, 2).copy())
    return np.array(states)


def test_brian2_chialvo_ring_equals_numba():
    """Ring of 8 Chialvo neurons (b = 0.6, oscillatory), diffusive coupling 0.05: 100
    iterations from the same state agree to 1e-12."""
    A = ring(8)
    X0 = np.random.default_rng(1).uniform(0, 2, (2, 8))
    ours = brian2_map_network("chialvo", A, steps=100, initial=X0, sigma=0.05)
    reference = _numba_run(A, X0[:, :, None], 0.05, 100, b=0.6)[..., 0]
    np.testing.assert_allclose(ours.x.values, reference[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.y.values, reference[:, 1], rtol=0, atol=1e-12)
    assert "brian2" in ours.attrs["backend"]


def test_brian2_chialvo_one_step_from_many_states():
    """Chaotic regime (b = 0.18): compared step by step from the same states (one-ulp
    differences grow along chaotic trajectories): a random 10-node graph from 300 random
    states at once (300 disconnected copies for brian2, a batch of 300 for numba)."""
    A = erdos_renyi(10, 0.3, seed=4)
    copies = 300
    X0 = np.random.default_rng(2).uniform(0, 3, (2, 10, copies))
    ours = brian2_map_network(
        "chialvo",
        np.kron(np.eye(copies), A),
        steps=1,
        initial=X0.transpose(0, 2, 1).reshape(2, -1),  # node index = copy * 10 + node
        sigma=0.02,
        parameters={"b": 0.18},
    )
    reference = _numba_run(A, X0, 0.02, 1, b=0.18)[0]  # (2, 10, copies)
    np.testing.assert_allclose(ours.x.values[0], reference[0].T.reshape(-1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.y.values[0], reference[1].T.reshape(-1), rtol=1e-12, atol=1e-12)


def _numba_orbit(model, X0, steps, parameters):
    """States (steps, n_state, batch) of the numba step of ``model`` from X0 (n_state, batch)."""
    batch = X0.shape[1]
    values = {**model.defaults(), **parameters}
    P = np.array(
        [np.broadcast_to(np.asarray(values[p], float), (batch,)) for p in model.parameter_names]
    )
    X, ok = X0.copy(), np.ones(batch, dtype=np.bool_)
    advance, states = compile_model(model).advance, []
    for _ in range(steps):
        advance(X, P, 0, batch, 1, 1e300, ok)
        states.append(X.copy())
    return np.array(states)


@pytest.mark.parametrize("name", [m for m in list_models() if get_model(m).kind == "map"])
def test_brian2_runs_every_catalogued_map_like_numba(name):
    """Every catalogued map (piecewise ones and reserved names included) with per-neuron
    parameters, compared step by step: the 1000 states of 4 numba orbits (4 values of the
    first parameter) are each advanced one step by brian2 (4000 uncoupled neurons) and equal
    the numba orbit's next states to 1e-12. (brian2 reorders sums through sympy and uses
    numpy's exp, so whole chaotic orbits part after a few dozen iterations, as any two
    correct implementations do.)"""
    model = get_model(name)
    first = model.parameters[0]
    step = 1e-3 * max(1.0, abs(first.default)) * (-1 if first.default >= first.high else 1)
    values = first.default + step * np.arange(4)
    X0 = np.tile(model.initial_state()[:, None], (1, 4))
    orbit = _numba_orbit(model, X0, 1001, {first.name: values})  # (1001, n_state, 4)
    states = orbit[:-1].transpose(1, 0, 2).reshape(model.n_state, -1)
    ours = brian2_map_network(
        model,
        np.zeros((states.shape[1],) * 2),
        steps=1,
        initial=states,
        parameters={first.name: np.tile(values, 1000)},
    )
    for r, v in enumerate(model.state_names):
        np.testing.assert_allclose(
            ours[v].values[0], orbit[1:, r].reshape(-1), rtol=1e-12, atol=1e-12, err_msg=v
        )


def test_brian2_rulkov2002_bursting_equals_numba_over_1000_iterations():
    """The non-chaotic piecewise map (Rulkov 2002) with two alphas: whole 1000-iteration orbits
    through bursts take the same branches and agree to 1e-8 (brian2 reorders the sums, so the
    one-ulp differences of each step add up along the orbit: 4.6e-10 at most here)."""
    model = get_model("rulkov2002")
    X0 = np.tile(model.initial_state()[:, None], (1, 2))
    alpha = np.array([4.5, 5.0])
    reference = _numba_orbit(model, X0, 1000, {"alpha": alpha})
    ours = brian2_map_network(
        model, np.zeros((2, 2)), steps=1000, initial=X0, parameters={"alpha": alpha}
    )
    assert np.sum(np.diff(np.sign(reference[:, 0, 0])) > 0) > 5  # it spikes
    for r, v in enumerate(model.state_names):
        np.testing.assert_allclose(ours[v].values, reference[:, r], rtol=1e-8, atol=1e-8)


def test_brian2_chemical_synapses_equal_the_numba_network():
    """A ring of 6 chaotic Rulkov (2001) neurons with chemical synapses (Belykh et al. 2005),
    step by step: 200 states of the generated network's orbit, each advanced one step by brian2
    (200 disconnected copies of the ring), equal the orbit's next states to 1e-12."""
    A, n, copies = ring(6), 6, 200
    X0 = np.random.default_rng(5).uniform(-1.5, -0.5, (2, n))
    X0[1] = -3.0
    model = network_model(["rulkov2001"] * n, [ChemicalSynapse(A, default=0.05)], shared=True)
    orbit = _numba_orbit(model, X0.T.reshape(-1, 1), copies + 1, {})[..., 0]  # rows x0, y0, x1..
    orbit = orbit.reshape(copies + 1, n, 2)
    states = orbit[:-1].transpose(2, 0, 1).reshape(2, -1)  # node index = copy * n + node
    ours = brian2_map_network(
        "rulkov2001",
        np.kron(np.eye(copies), A),
        steps=1,
        initial=states,
        sigma=0.05,
        coupling="chemical",
    )
    np.testing.assert_allclose(
        ours.x.values[0], orbit[1:, :, 0].reshape(-1), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        ours.y.values[0], orbit[1:, :, 1].reshape(-1), rtol=1e-12, atol=1e-12
    )


def test_matched_wilson_cowan_reproduces_the_mean_field():
    """The matched node's fixed point equals the Siegert mean-field rates to the logistic fit's
    accuracy (about 10 %)."""
    from neurodyn.neuralmass import steady_states

    net = EINetwork()
    rates = mean_field_rates(net)
    values = matched_wilson_cowan(net)
    stable = [s for s in steady_states("wilson_cowan", values) if s.stable]
    assert len(stable) == 1
    np.testing.assert_allclose(stable[0].state * 1000 / net.tau_ref, rates, rtol=0.12)
    assert values["w_ei"] == pytest.approx(net.tau_e * net.g * net.J * net.k_i * 0.5)


@pytest.mark.slow
def test_ei_network_rates_match_the_wilson_cowan_node():
    """1 s of the 1000-neuron LIF network: stationary rates within 25 % of the matched
    Wilson–Cowan node's fixed point and of the mean field; E and I both fire."""
    ds = simulate_ei(duration=1000.0, transient=200.0, seed=1)
    network = ds.mean_rate_network.values
    assert np.all(network > 5.0)
    np.testing.assert_allclose(network, ds.rate_wilson_cowan_fixed_point.values, rtol=0.25)
    np.testing.assert_allclose(network, ds.rate_mean_field.values, rtol=0.25)
    late = ds.rate_wilson_cowan.sel(time=slice(500, None)).values
    fixed_point = np.broadcast_to(ds.rate_wilson_cowan_fixed_point.values, late.shape)
    np.testing.assert_allclose(late, fixed_point, rtol=1e-3)
    assert ds.attrs["network"]["k_e"] == 80 and ds.attrs["seed"] == 1
    assert list(ds.population.values) == ["E", "I"] and ds.rate_network.attrs["units"] == "Hz"


def _hand_written_ei(net, duration, dt, seed):
    """The E-I network as it was written by hand before it became the record ``brunel2000``
    (the reference the generated code must equal): spike times (ms) and neuron indices."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.seed(seed)
    rng = np.random.default_rng(seed)
    b2.defaultclock.dt = dt * b2.ms
    n = net.n_e + net.n_i
    tau = np.r_[np.full(net.n_e, net.tau_e), np.full(net.n_i, net.tau_i)]
    neurons = b2.NeuronGroup(
        n,
        "dv/dt = -v / tau_m : volt (unless refractory)\ntau_m : second",
        threshold="v >= theta",
        reset="v = v_reset",
        refractory=net.tau_ref * b2.ms,
        method="exact",
        namespace={"theta": net.theta * b2.mV, "v_reset": net.v_reset * b2.mV},
    )
    neurons.tau_m = tau * b2.ms
    neurons.v = rng.uniform(0.0, net.theta, n) * b2.mV
    exc, inh = neurons[: net.n_e], neurons[net.n_e :]
    synapses = []
    for source, size, weight in ((exc, net.n_e, net.J), (inh, net.n_i, -net.g * net.J)):
        k = int(round(net.p * size))
        pre = np.concatenate([rng.choice(size, k, replace=False) for _ in range(n)])
        post = np.repeat(np.arange(n), k)
        syn = b2.Synapses(
            source, neurons, on_pre=f"v_post += {weight} * mV", delay=net.delay * b2.ms
        )
        syn.connect(i=pre, j=post)
        synapses.append(syn)
    drive = b2.PoissonInput(
        neurons, "v", N=net.k_ext, rate=net.nu_ext * b2.Hz, weight=net.J * b2.mV
    )
    spikes = b2.SpikeMonitor(neurons)
    b2.Network(neurons, *synapses, drive, spikes).run(duration * b2.ms)
    return np.asarray(spikes.t / b2.ms), np.asarray(spikes.i)


def test_generated_ei_network_equals_the_hand_written_one():
    """The network generated from the record ``brunel2000`` gives the same spikes (times and
    neurons, exactly) as the hand-written brian2 code for the same seed, and simulate_ei's
    population rates are their histogram: 300 ms of the default network (about 7500 spikes)
    and of one with other parameters (g = 4, J = 0.25, a faster I population)."""
    from dataclasses import asdict

    import brian2 as b2

    from neurodyn.spiking import brian2_spiking_network, get_spiking_network

    record = get_spiking_network("brunel2000")
    for net, seed in (
        (EINetwork(), 3),
        (EINetwork(g=4.0, J=0.25, tau_i=10.0, n_e=400, n_i=100), 7),
    ):
        times, neurons = _hand_written_ei(net, 300.0, 0.1, seed)
        assert times.size > 2000
        network, monitor, sizes = brian2_spiking_network(record, asdict(net), dt=0.1, seed=seed)
        network.run(300.0 * b2.ms)
        np.testing.assert_array_equal(np.asarray(monitor.t / b2.ms), times)
        np.testing.assert_array_equal(np.asarray(monitor.i), neurons)
        assert sizes == {"E": net.n_e, "I": net.n_i}
    ds = simulate_ei(EINetwork(), duration=300.0, transient_time=0.0, seed=3)
    times, neurons = _hand_written_ei(EINetwork(), 300.0, 0.1, 3)
    edges = np.arange(0.0, 300.5, 1.0)
    counts = np.histogram(times[neurons < 800], edges)[0]
    np.testing.assert_array_equal(ds.rate_network.sel(population="E").values, counts / 0.8)


def test_ei_record_and_its_brian2_code():
    """The record carries its source and the provenance of every value; the printed code is
    the LIF neuron; EINetwork's defaults and in-degrees are the record's."""
    from dataclasses import asdict

    from neurodyn.spiking import get_spiking_network, list_spiking_networks
    from neurodyn.spiking.brian2gen import brian2_neuron_code

    assert "brunel2000" in list_spiking_networks()
    record = get_spiking_network("brunel2000")
    assert "Brunel" in record.source and "183-208 (2000)" in record.source
    assert {s["source"] for s in record.parameters.values()} == {"paper", "chosen"}
    assert asdict(EINetwork()) == record.defaults()
    assert (EINetwork().k_e, EINetwork().k_i, EINetwork(n_e=1000).k_e) == (80, 20, 100)
    code = brian2_neuron_code(record)
    assert code["equations"] == (
        "dv/dt = (-1.0 * v * (1.0 / (tau_m))) : volt (unless refractory)\ntau_m : second"
    )
    assert code["threshold"] == "(theta <= v)" and code["reset"] == "v = v_reset"
    with pytest.raises(ValueError, match="unknown spiking network 'brunel'"):
        get_spiking_network("brunel")
