"""The network kernel against the generated network model (step and Jacobian to 1e-12 for every
preset and for chemical synapses), the sparse Jacobian against the dense one, sweeps through
the same schedule, and a 1000-node ring's synchronised-state exponent against the master
stability function of the single map computed here with numpy.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurodyn.analysis.lyapunov import lyapunov_spectrum
from neurodyn.models import ModelError, compile_model
from neurodyn.networks import (
    ChemicalSynapse,
    DiffusiveCoupling,
    chain,
    chialvo_ring_star,
    chialvo_rulkov_chain,
    jacobian_matrix,
    network,
    network_model,
    node_rows,
    ring,
)
from neurodyn.sim import iterate_batch, sweep

ROOT = str(Path(__file__).resolve().parents[1])


def _chemical(kernel: bool):
    build = network if kernel else network_model
    A = chain(3) + np.diag([0.0, 1.0, 0.0])  # with an autapse on node 1
    return build(
        ["chialvo", "chialvo", "chialvo"],
        [
            ChemicalSynapse(A, "x", "g", default=0.02, reversal_default=1.0, threshold_default=0.5),
            DiffusiveCoupling(ring(3), "y", "eps", per_edge=True, normalise="in_degree"),
        ],
        name="chemical_chain",
    )


def _nonlocal_ring(kernel: bool):
    build = network if kernel else network_model
    coupling = DiffusiveCoupling(ring(7, 2), "x", "sigma", normalise="in_degree", default=0.05)
    return build(["chialvo"] * 7, [coupling], shared=True, name="nonlocal_ring")


CASES = {
    "nonlocal_ring": _nonlocal_ring,
    "ring_star": lambda kernel: chialvo_ring_star(3, kernel=kernel),
    "ring_star_5_per_node": lambda kernel: chialvo_ring_star(
        5, shared=False, ordered_pairs=False, kernel=kernel
    ),
    "heterogeneous_chain": lambda kernel: chialvo_rulkov_chain(kernel=kernel),
    "chemical": _chemical,
}


def _random_points(model, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial states in the state boxes and parameters drawn around the defaults (couplings
    uniformly in [0, 0.1])."""
    rng = np.random.default_rng(seed)
    X = np.array([rng.uniform(v.low, v.high, batch) for v in model.state])
    P = np.empty((len(model.parameters), batch))
    for r, p in enumerate(model.parameters):
        if "coupling strength" in p.description or "synapse strength" in p.description:
            P[r] = rng.uniform(0.0, 0.1, batch)
        else:
            P[r] = np.clip(p.default * rng.uniform(0.98, 1.02, batch), p.low, p.high)
    return X, P


@pytest.mark.parametrize("case", list(CASES))
def test_kernel_equals_generated_model_step_and_jacobian(case):
    generated, kernel = CASES[case](False), CASES[case](True)
    assert kernel.state_names == generated.state_names
    assert kernel.parameter_names == generated.parameter_names
    assert [p.default for p in kernel.parameters] == [p.default for p in generated.parameters]
    full, net = compile_model(generated), compile_model(kernel)
    batch = 40  # more than one sub-block of the kernel
    X, P = _random_points(generated, batch, seed=1)
    n = generated.n_state
    J_full, J_net = np.empty((n, n)), np.empty((n, n))
    for _ in range(30):  # step by step along the generated model's trajectory
        expected, ok = X.copy(), np.ones(batch, dtype=bool)
        full.advance(expected, P, 0, batch, 1, 1e6, ok)
        got, ok_net = X.copy(), np.ones(batch, dtype=bool)
        net.advance(got, P, 0, batch, 1, 1e6, ok_net, net.plan)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(ok_net, ok)
        for i in (0, batch - 1):
            full.jacobian(X, P, i, J_full)
            net.tangent(X, P, i, np.eye(n), J_net, net.plan)
            np.testing.assert_allclose(J_net, J_full, rtol=1e-12, atol=1e-12)
        X = expected
    sparse = jacobian_matrix(kernel, X[:, 3], P[:, 3]).toarray()
    full.jacobian(X, P, 3, J_full)
    np.testing.assert_allclose(sparse, J_full, rtol=1e-12, atol=1e-12)


@pytest.mark.slow
def test_sweep_and_lyapunov_same_as_generated():
    generated, kernel = chialvo_ring_star(3), chialvo_ring_star(3, kernel=True)
    options = {"steps": 12, "keep": 4, "n_initial": 3, "seed": 5}
    axes = {"sigma1": np.linspace(0.0, 0.1, 3), "sigma2": np.array([0.0, 0.05])}
    a = sweep(generated, axes, **options)
    b = sweep(kernel, axes, **options)
    for name in a.data_vars:
        np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-12, atol=1e-12)
    X, P = _random_points(generated, 4, seed=2)
    la = lyapunov_spectrum(generated, X, P, steps=30, transient=0, n_exponents=3, segments=3)
    lb = lyapunov_spectrum(kernel, X, P, steps=30, transient=0, n_exponents=3, segments=3)
    np.testing.assert_allclose(lb.exponents, la.exponents, rtol=0, atol=1e-9)


def test_ring_stencil_equals_csr_single_and_batch():
    """The sliding-window ring (stencil) against the same ring summed edge by edge (a second,
    zero-strength coupling on the same rows turns the stencil off): step by step to 1e-12 for
    one column (nodes vectorised) and several, the same tangent, and a synchronous state kept
    exactly synchronous."""
    n, radius = 50, 4
    A = ring(n, radius, sparse=True)
    ring_coupling = DiffusiveCoupling(A, "x", "sigma", normalise="in_degree", default=0.2)
    stencil = network(["chialvo"] * n, [ring_coupling], shared=True)
    csr = network(
        ["chialvo"] * n,
        [ring_coupling, DiffusiveCoupling(chain(n), "x", "eps", default=0.0)],
        shared=True,
    )
    assert stencil.plan.operator.stencils.tolist() == [0, 2, n, radius, 4]
    assert csr.plan.operator.stencils.size == 0
    a, b = compile_model(stencil), compile_model(csr)
    rng = np.random.default_rng(3)
    for batch in (1, 3):
        X = np.empty((2 * n, batch))
        X[0::2], X[1::2] = rng.uniform(0, 2, (n, batch)), rng.uniform(0, 2, (n, batch))
        P = np.array([[p.default] for p in stencil.parameters]).repeat(batch, axis=1)
        Pc = np.array([[p.default] for p in csr.parameters]).repeat(batch, axis=1)
        for _ in range(20):
            got, expected = X.copy(), X.copy()
            a.advance(got, P, 0, batch, 1, 1e6, np.ones(batch, dtype=bool), a.plan)
            b.advance(expected, Pc, 0, batch, 1, 1e6, np.ones(batch, dtype=bool), b.plan)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
            X = expected
        np.testing.assert_array_equal(
            jacobian_matrix(stencil, X[:, 0], P[:, 0]).toarray(),
            jacobian_matrix(csr, X[:, 0], Pc[:, 0]).toarray(),
        )
        sync = np.tile(X[:2, :], (n, 1))
        a.advance(sync, P, 0, batch, 50, 1e6, np.ones(batch, dtype=bool), a.plan)
        assert np.all(sync[0::2] == sync[:1]) and np.all(sync[1::2] == sync[1:2])


_CACHE_PROBE = """
import numpy as np
from neurodyn.models import compile_model
from neurodyn.networks import DiffusiveCoupling, network, ring
net = network(["chialvo"] * 5, [DiffusiveCoupling(ring(5), "x", "sigma")], shared=True)
c = compile_model(net)
X, P = net.initial_state()[:, None].copy(), np.array([[p.default] for p in net.parameters])
c.advance(X, P, 0, 1, 3, 1e6, np.ones(1, dtype=bool), c.plan)
c.tangent(X, P, 0, np.eye(10), np.empty((10, 10)), c.plan)
print(sum(c.advance.stats.cache_hits.values()), sum(c.tangent.stats.cache_hits.values()), X[0, 0])
"""


@pytest.mark.slow
def test_network_kernels_load_from_disk_cache_in_a_new_process(tmp_path):
    """A second process with the same (new, empty at first) cache directory loads the
    network's advance and tangent from numba's disk cache and computes the same numbers."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "PYTHONPATH": ROOT}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _CACHE_PROBE],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for _ in range(2)
    ]
    assert runs[0][:2] == ["0", "0"] and runs[1][:2] == ["1", "1"]
    assert runs[0][2] == runs[1][2]


def test_bad_network_input():
    with pytest.raises(ModelError, match="node_values"):
        network(["chialvo"] * 3, shared=True, node_values={"k": [0.0, 0.1, 0.2]})
    with pytest.raises(ModelError, match="one value per node"):
        network(["chialvo"] * 3, node_values={"k": [0.0, 0.1]})
    with pytest.raises(ModelError, match="no such variable"):
        network(["chialvo"] * 3, [DiffusiveCoupling(ring(3), "v")])
    net = network(["chialvo"] * 3, node_values={"k": [0.01, 0.02, 0.03]})
    assert [net.parameter(f"k_{i}").default for i in range(3)] == [0.01, 0.02, 0.03]


def _chialvo_jacobian(x, y, a, b):
    e = np.exp(y - x)
    return np.array([[(2 * x - x * x) * e, x * x * e], [-b, a]])


def test_ring_1000_synchronised_state_master_stability():
    """A diffusively coupled ring of N = 1000 Chialvo maps (range R = 10, normalised) started
    in synchrony stays exactly synchronised; along it the network's Jacobian is block
    circulant, so the tangent growth of e_{x_0} splits into the Fourier modes k of the ring:
    ``|J^S e|^2 = (1/N) sum_k |M_k^S e_x|^2`` with ``M_k = Df(s) - sigma gamma_k E``,
    ``gamma_k = 1 - (1/R) sum_m cos(2 pi k m / N)`` and ``E`` selecting x. The network's
    lambda_1 (one tangent vector) equals that to rounding, and the master stability function
    ``Lambda(alpha)`` of the single map at ``alpha = sigma gamma_k``, maximised over k, to the
    finite-time bias (anti-diffusive sigma < 0, so the largest exponent is a transverse one)."""
    n, radius, sigma = 1000, 10, -0.03
    net = network(
        ["chialvo"] * n,
        [DiffusiveCoupling(ring(n, radius, sparse=True), "x", "sigma", normalise="in_degree")],
        shared=True,
        defaults={"sigma": sigma, "b": 0.18},
    )
    X = np.tile([[0.3], [1.1]], (n, 1))
    P = np.array([[p.default] for p in net.parameters])
    transient, steps = 500, 3000
    result = lyapunov_spectrum(
        net, X, P, steps=steps, transient=transient, n_exponents=1, segments=1
    )
    # the synchronised trajectory, from the same kernel
    run = iterate_batch(net, X, P, steps=steps, transient=transient - 1, keep=steps)
    xs = run.kept[:, node_rows(net, "x"), 0]
    assert np.all(xs == xs[:, :1])  # exactly synchronised
    s = run.kept[:, :2, 0]  # states at iterations transient .. transient + steps - 1
    a, b = net.parameter("a").default, 0.18
    k = np.arange(n)
    gamma = 1 - np.cos(2 * np.pi * np.outer(k, np.arange(1, radius + 1)) / n).mean(axis=1)
    alphas = np.unique(np.round(sigma * gamma, 14))
    v = np.zeros((k.size, 2))
    v[:, 0] = 1.0
    log_norm = np.zeros(k.size)
    msf = np.zeros(alphas.size)
    w = np.zeros((alphas.size, 2))
    w[:, 0] = 1.0
    for x, y in s:
        D = _chialvo_jacobian(x, y, a, b)
        for vec, shift in ((v, sigma * gamma), (w, alphas)):
            new0 = (D[0, 0] - shift) * vec[:, 0] + D[0, 1] * vec[:, 1]
            vec[:, 1] = D[1, 0] * vec[:, 0] + D[1, 1] * vec[:, 1]
            vec[:, 0] = new0
        norm = np.hypot(v[:, 0], v[:, 1])
        log_norm += np.log(norm)
        v /= norm[:, None]
        norm_w = np.hypot(w[:, 0], w[:, 1])
        msf += np.log(norm_w)
        w /= norm_w[:, None]
    growth = log_norm + np.log(np.hypot(v[:, 0], v[:, 1]))
    top = growth.max()
    fourier = (top + 0.5 * np.log(np.exp(2 * (growth - top)).sum() / n)) / steps
    np.testing.assert_allclose(result.exponents[0, 0], fourier, rtol=0, atol=1e-9)
    msf /= steps
    assert msf.max() - msf[np.argmin(np.abs(alphas))] > 0.01  # the coupling decides
    np.testing.assert_allclose(result.exponents[0, 0], msf.max(), rtol=0, atol=5e-3)


def test_ring_study_config_runs_a_chunk(tmp_path):
    """The ring1000 study config is valid, and its first chunk (on a 40-node ring, short runs)
    runs through the workflow's chunk job with its measures."""
    import yaml

    from neurodyn.workflow import load_study
    from neurodyn.workflow.config import workflow_root
    from neurodyn.workflow.tasks import compute_chunk

    path = workflow_root() / "workflows/config/ring1000.yaml"
    config = load_study(path)
    assert config["model_options"]["n"] == 1000
    small = yaml.safe_load(path.read_text())
    small["model_options"] = {"n": 40, "radius": 4, "node": "chialvo"}
    small["simulation"].update(steps=300, keep=100)
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(small))
    ds = compute_chunk(load_study(tmp_path / "small.yaml"), 0)
    assert ds.attrs["model"] == "chialvo_ring_40_4"
    assert ds.sizes["sigma"] == 4 and ds.sizes["ic"] == 2
    sync = ds["sync_error"].values
    assert np.all(np.isfinite(sync)) and np.all(ds["lyapunov"].notnull())


def test_space_time_plot_of_a_large_network():
    from neurodyn.report.figures import draw_phase_portraits
    from neurodyn.report.study import Point

    net = network(["chialvo"] * 6, [DiffusiveCoupling(ring(6), "x", "sigma")], shared=True)
    ds = sweep(net, {"sigma": np.array([0.0, 0.1])}, steps=50, keep=20, n_initial=2, seed=3)
    point = Point("A", {"sigma": 0.1}, 1, "a")
    fig = draw_phase_portraits(ds, point)  # six nodes: a space-time plot
    image = fig.axes[0].images[0].get_array()
    expected = np.stack([ds[f"x_{i}"].sel(sigma=0.1, ic=1).values for i in range(6)], axis=1)
    np.testing.assert_array_equal(np.asarray(image), expected)
    assert fig.axes[0].get_xlabel() == "node"


def test_newton_fixed_point_of_a_ring_and_its_multipliers():
    """Newton with the sparse Jacobian: a ring of identical Chialvo maps has the single map's
    fixed point (found here by brentq) at every node, with multipliers the eigenvalues of
    ``Df* - sigma gamma_k E`` over the ring's Fourier modes; a ring with node-dependent k has
    a non-uniform fixed point whose multipliers ARPACK and LAPACK agree on."""
    from scipy.optimize import brentq

    from neurodyn.networks.newton import fixed_point, leading_multipliers, network_step

    n, radius, sigma = 200, 3, 0.1
    a, b, c, k = 0.89, 0.6, 0.28, 0.03

    def h(x):
        return x * x * np.exp((c - b * x) / (1 - a) - x) + k - x

    xs = brentq(h, 0.0, 0.5, xtol=1e-15)
    ys = (c - b * xs) / (1 - a)
    coupling = DiffusiveCoupling(ring(n, radius, sparse=True), "x", "sigma", normalise="in_degree")
    net = network(["chialvo"] * n, [coupling], shared=["a", "b", "c"], defaults={"sigma": sigma})
    P = np.array([p.default for p in net.parameters])
    start = np.tile([xs + 0.01, ys - 0.01], n) + 1e-3 * np.sin(np.arange(2 * n))
    result = fixed_point(net, start, P)
    assert result.converged and result.iterations < 20
    np.testing.assert_allclose(result.x[0::2], xs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.x[1::2], ys, rtol=0, atol=1e-12)
    e = np.exp(ys - xs)
    D = np.array([[(2 * xs - xs * xs) * e, xs * xs * e], [-b, a]])
    gamma = 1 - np.cos(2 * np.pi * np.outer(np.arange(n), np.arange(1, radius + 1)) / n).mean(1)
    modes = [np.linalg.eigvals(D - np.diag([sigma * g, 0.0])) for g in gamma]
    expected = max(np.abs(np.concatenate(modes)))
    mu = leading_multipliers(net, result.x, P, k=4)
    assert abs(mu[0]) == pytest.approx(expected, abs=1e-10)

    k_nodes = 0.03 + 0.002 * np.sin(2 * np.pi * np.arange(n) / n)
    hetero = network(
        ["chialvo"] * n,
        [coupling],
        shared=["a", "b", "c"],
        defaults={"sigma": sigma},
        node_values={"k": k_nodes},
    )
    Ph = np.array([p.default for p in hetero.parameters])
    found = fixed_point(hetero, result.x, Ph)
    assert found.converged and found.residual <= 1e-12
    assert np.ptp(found.x[0::2]) > 1e-4  # not uniform
    np.testing.assert_allclose(network_step(hetero, found.x, Ph), found.x, rtol=0, atol=1e-12)
    dense = np.linalg.eigvals(jacobian_matrix(hetero, found.x, Ph).toarray())
    np.testing.assert_allclose(
        abs(leading_multipliers(hetero, found.x, Ph, k=3)[0]), np.abs(dense).max(), rtol=1e-9
    )


@pytest.mark.slow
@pytest.mark.requires("torch")
@pytest.mark.parametrize("case", ["nonlocal_ring", "ring_star", "heterogeneous_chain", "chemical"])
def test_torch_network_kernel_equals_numba(case):
    import torch

    from neurodyn.networks.torch_kernel import torch_advance

    net = CASES[case](True)
    compiled = compile_model(net)
    X, P = _random_points(net, 40, seed=3)
    X[:, :] = np.clip(X, 0.0, 1.0)  # stay bounded over the few steps compared
    for _ in range(5):
        expected = X.copy()
        compiled.advance(expected, P, 0, 40, 1, np.inf, np.ones(40, dtype=bool), compiled.plan)
        got = torch_advance(net, torch.from_numpy(X), torch.from_numpy(P), 1).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        X = expected


def _ring_sweep(backend: str, **options):
    """A nonlocal ring of 100 Chialvo maps (R = 5) over coupling strength x bias ``k``: at
    k = 0.02 a fixed point, at 0.04 aperiodic bursting (the two backends stay within ~3e-14
    over 400 iterations), at 3.0 y past ``bound = 10`` (y -> -13.8) (flagged diverged)."""
    n = 100
    coupling = DiffusiveCoupling(ring(n, 5, sparse=True), "x", "sigma", normalise="in_degree")
    net = network(["chialvo"] * n, [coupling], shared=True, name="chialvo_ring_100")
    rng = np.random.default_rng(0)
    initial = np.empty((2, 2 * n))
    initial[:, 0::2], initial[:, 1::2] = rng.uniform(0, 2, (2, n)), rng.uniform(0, 2, (2, n))
    axes = {"sigma": np.array([0.05, 0.3]), "k": np.array([0.02, 0.04, 3.0])}
    return sweep(
        net,
        axes,
        steps=300,
        transient=100,
        keep=3,
        every=5,
        initial=initial,
        bound=10.0,
        backend=backend,
        device="cpu",
        **options,
    )


@pytest.mark.requires("torch")
def test_torch_sweep_of_a_nonlocal_ring_equals_numba():
    """sweep(backend="torch") runs a network through the torch network step with the torch
    backend's reducers and divergence flags: every variable of the Dataset equal to the numba
    sweep to 1e-12, distinct counts and divergence flags identical."""
    expected, got = _ring_sweep("numba"), _ring_sweep("torch")
    assert got.attrs["backend"] == "torch" and got.attrs["dtype"] == "float64"
    assert set(got.data_vars) == set(expected.data_vars)
    diverged = expected["diverged"].values
    assert diverged[:, 2].all() and not diverged[:, :2].any()
    assert np.unique(expected["distinct"].values[:, :2]).tolist() == [1, 65]
    for name in expected.data_vars:
        if name in ("diverged", "distinct"):
            np.testing.assert_array_equal(got[name].values, expected[name].values)
        else:
            np.testing.assert_allclose(
                got[name].values, expected[name].values, rtol=1e-12, atol=1e-12, err_msg=name
            )
    single = _ring_sweep("torch", dtype="float32")
    assert single.attrs["dtype"] == "float32"
    np.testing.assert_array_equal(single["diverged"].values, diverged)
    fixed = (slice(None), 0)  # k = 0.02: the fixed point, reached in float32 too
    np.testing.assert_allclose(
        single["x_0_final"].values[fixed], expected["x_0_final"].values[fixed], atol=1e-5
    )


@pytest.mark.requires("torch")
@pytest.mark.parametrize("case", ["heterogeneous_chain", "chemical", "ring_star_5_per_node"])
def test_torch_batch_of_preset_networks_equals_numba(case):
    """Heterogeneous nodes, chemical synapses (with an autapse) and per-edge strengths (edge by
    edge in torch): iterate_batch on torch equal to numba to 1e-12, random parameters per
    column, with reducers, kept states, distinct counts and divergence flags."""
    net = CASES[case](True)
    X, P = _random_points(net, 12, seed=3)
    X = np.clip(X, 0.0, 1.0)
    options = {"steps": 120, "transient": 30, "keep": 4, "every": 3, "distinct_window": 50}
    expected = iterate_batch(net, X, P, **options)
    got = iterate_batch(net, X, P, backend="torch", device="cpu", **options)
    for name in ("final", "kept", "minimum", "maximum", "mean"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(expected, name), rtol=1e-12, atol=1e-12, err_msg=name
        )
    np.testing.assert_array_equal(got.distinct, expected.distinct)
    np.testing.assert_array_equal(got.diverged, expected.diverged)


@pytest.mark.requires("torch")
def test_what_the_torch_network_step_refuses():
    net = CASES["nonlocal_ring"](True)
    X, P = _random_points(net, 2, seed=1)
    with pytest.raises(ValueError, match="'nonlocal_ring' on torch need a generated Jacobian"):
        lyapunov_spectrum(
            net, X, P, steps=4, segments=1, n_exponents=1, backend="torch", device="cpu"
        )
    with pytest.raises(ValueError, match="nonlocal_ring is not one .*network_model"):
        sweep(
            net,
            {"sigma": [0.1]},
            steps=3,
            transient=0,
            noise={"x_0": 0.01},
            backend="torch",
            device="cpu",
        )
