"""Trained piecewise-linear RNNs exported to map models: the same map as torch, the same
Lyapunov spectrum as the autograd-based estimate."""

import numpy as np
import pytest
import torch

from neurodyn.analysis.lyapunov import lyapunov_spectrum
from neurodyn.flows import parameter_batch
from neurodyn.learn import ALRNN, PLRNN, ShallowPLRNN, VanillaRNN, model_lyapunov_spectrum
from neurodyn.learn.export import linear_form, to_model
from neurodyn.models import ModelError, compile_model


def chaotic_shplrnn() -> ShallowPLRNN:
    """A shPLRNN with a bounded chaotic attractor (|z| < 3, largest exponent about 0.37 per
    step, from a search over seeds)."""
    torch.manual_seed(10)
    net = ShallowPLRNN(2, latent=3, hidden=8, w_scale=2.0, a_init=0.5).double()
    with torch.no_grad():
        net.h.copy_(0.5 * torch.randn(3))
    return net


def _models():
    torch.manual_seed(3)
    plrnn = PLRNN(2, latent=4, a_init=0.6, w_scale=1.5).double()
    alrnn = ALRNN(2, latent=4, relu_units=2, a_init=0.3, w_scale=1.0).double()
    return [plrnn, chaotic_shplrnn(), alrnn]


def _warm_states(net, batch: int) -> torch.Tensor:
    """Latent states after a teacher-forced warm-up, slightly perturbed."""
    warmup = np.random.default_rng(1).standard_normal((20, 2))
    with torch.no_grad():
        _, h = net.forward(net.normalise(net._tensor(warmup))[None])
    rng = torch.Generator().manual_seed(0)
    return h + 0.01 * torch.randn(batch, net.latent, dtype=torch.float64, generator=rng)


@pytest.mark.parametrize("index", [0, 1, 2])
def test_exported_map_equals_the_torch_step_by_step(index):
    net = _models()[index]
    model = to_model(net)
    compiled = compile_model(model)
    batch = 5
    X = _warm_states(net, batch)
    Xn = np.ascontiguousarray(X.numpy().T)
    P = parameter_batch(model, None, batch)
    ok = np.ones(batch, dtype=bool)
    form = linear_form(net)
    z = X.clone()
    worst = 0.0
    with torch.no_grad():
        for _ in range(200):
            z = net.closed_loop_step(z)
            compiled.advance(Xn, P, 0, batch, 1, model.bound, ok)
            scale = 1.0 + np.abs(z.numpy()).max()
            worst = max(worst, np.abs(Xn.T - z.numpy()).max() / scale)
            Xn[:] = z.numpy().T  # restart from torch's state: compare one step at a time
            np.testing.assert_allclose(form.step(z.numpy()), net.closed_loop_step(z), 1e-12, 1e-12)
    assert ok.all()
    assert worst < 1e-12
    # the Jacobian of the generated code is the region matrix of the linear form
    J = np.empty((net.latent, net.latent))
    for i in range(batch):
        compiled.jacobian(Xn, P, i, J)
        region, _ = form.region(form.active(Xn[:, i]))
        np.testing.assert_allclose(J, region, rtol=0, atol=1e-14)


def test_exported_elman_rnn_equals_the_torch_step_by_step():
    torch.manual_seed(4)
    net = VanillaRNN(2, units=5).double()
    model = to_model(net)
    compiled = compile_model(model)
    z = 0.5 * torch.randn(3, 5, dtype=torch.float64)
    X = np.ascontiguousarray(z.numpy().T)
    P = parameter_batch(model, None, 3)
    ok = np.ones(3, dtype=bool)
    with torch.no_grad():
        for _ in range(50):
            z = net.closed_loop_step(z)
            compiled.advance(X, P, 0, 3, 1, model.bound, ok)
            np.testing.assert_allclose(X.T, z.numpy(), rtol=0, atol=1e-13)
            X[:] = z.numpy().T
    with pytest.raises(TypeError, match="VanillaRNN"):
        linear_form(net)


def test_exported_lyapunov_spectrum_equals_the_autograd_estimate():
    net = chaotic_shplrnn()
    model = to_model(net)
    warmup = np.random.default_rng(1).standard_normal((20, 2))
    transient, steps = 10, 40  # short enough that rounding differences stay below 1e-8
    with torch.no_grad():
        reference = model_lyapunov_spectrum(net, warmup, 1.0, steps=steps, transient=transient)
        _, h = net.forward(net.normalise(net._tensor(warmup))[None])
    # the torch estimate's first Jacobian is taken after transient + 1 steps
    result = lyapunov_spectrum(
        model, h.numpy().T, parameter_batch(model, None, 1), steps=steps, transient=transient + 1
    )
    np.testing.assert_allclose(result.exponents[:, 0], reference, rtol=0, atol=1e-8)
    assert reference[0] > 0.2  # chaotic: the comparison is not between two stable points


def test_gain_scales_the_recurrent_weights_and_bad_input_is_named():
    net = chaotic_shplrnn()
    model = to_model(net)
    z = np.array([0.3, -0.2, 0.5])
    from neurodyn.analysis.bifurcation.derivatives import map_derivatives

    p = parameter_batch(model, {"gain": 0.5}, 1)[:, 0]
    np.testing.assert_allclose(
        map_derivatives(model).value(z, p), linear_form(net, 0.5).step(z), rtol=1e-14
    )
    with pytest.raises(ModelError, match="gain"):
        model.resolve_parameters({"gain": -1.0})
    with pytest.raises(TypeError, match="LSTM"):
        from neurodyn.learn import LSTM

        to_model(LSTM(2))
    with pytest.raises(ValueError, match=r"\(T, 3\)"):
        to_model(net, states=np.zeros((4, 2)))


def _two_unit_plrnn(a: float, w: list[list[float]], h: tuple[float, float]) -> PLRNN:
    net = PLRNN(2, latent=2).double()
    with torch.no_grad():
        net.A.fill_(a)
        net.W.copy_(torch.tensor(w))
        net.h.copy_(torch.tensor(h))
    return net


@pytest.mark.parametrize(
    "a,w,h,label,gain",
    [
        # J = [[-1/2, -g], [-g, -1/2]]: multipliers -1/2 -+ g, -1 at g = 1/2
        (-0.5, [[0.0, -1.0], [-1.0, 0.0]], (1.0, 1.0), "PD", 0.5),
        # J = [[1/2, -g], [g, 1/2]]: |mu|^2 = 1/4 + g^2, 1 at g = sqrt(3)/2, angle pi/3
        (0.5, [[0.0, -1.0], [1.0, 0.0]], (2.0, 0.0), "NS", np.sqrt(0.75)),
    ],
)
def test_continuation_in_the_gain_finds_the_analytic_bifurcation(a, w, h, label, gain):
    """Both fixed points stay in the region where every ReLU is on, where the map is
    ``z -> J(g) z + h`` with ``J(g) = a I + g W``."""
    from neurodyn.analysis.bifurcation import continue_cycle

    model = to_model(_two_unit_plrnn(a, w, h))
    J = a * np.eye(2) + 0.2 * np.array(w)
    start = np.linalg.solve(np.eye(2) - J, h)
    branch = continue_cycle(
        model, "gain", start, {"gain": 0.2}, bounds={"gain": (0.0, 1.2)}, step=0.05, h_max=0.1
    )
    [point] = branch.points(label)
    assert point.parameters["gain"] == pytest.approx(gain, abs=1e-10)
    for g, orbit in zip(branch.parameter("gain"), branch.orbits[:, 0], strict=True):
        exact = np.linalg.solve(np.eye(2) - a * np.eye(2) - g * np.array(w), h)
        np.testing.assert_allclose(orbit, exact, atol=1e-10)
    if label == "NS":
        assert point.coefficients["theta"] == pytest.approx(np.pi / 3, abs=1e-9)
    assert [p.label for p in branch.special] == [label, "EP"]


@pytest.mark.slow
def test_orbit_diagram_of_the_exported_model_in_the_gain():
    """At small gains the network settles on the stable fixed point the region search gives;
    at gain 1 it is the chaotic attractor (no repeated state among the kept ones)."""
    from neurodyn.analysis.bifurcation import orbit_diagram
    from neurodyn.learn.pl_cycles import pl_cycles

    net = chaotic_shplrnn()
    model = to_model(net, states=_warm_states(net, 4).numpy())
    gains = np.array([0.05, 0.1, 1.0])
    ds = orbit_diagram(model, "gain", gains, modes="forward", transient=2000, keep=100)
    final = np.stack([ds[f"z_{i}"].values[0, :, 0, -1] for i in range(3)], axis=-1)
    for g, state in zip(gains[:2], final[:2], strict=True):
        fixed = pl_cycles(net, 1, gain=g, method="exhaustive")
        stable = fixed.orbit.values[fixed.stability.values == "stable"]
        assert len(stable) == 1
        np.testing.assert_allclose(state, stable[0, 0], atol=1e-10)
    chaotic = ds["z_0"].values[0, 2, 0]
    assert len(np.unique(np.round(chaotic, 8))) == len(chaotic)
