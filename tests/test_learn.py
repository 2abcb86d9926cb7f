"""Trained models of dynamics: forcing limits, LTC/CfC against their equations and ncps, wirings,
reconstruction measures against their floors, seeds, checkpoints, the workflow entry point."""

import json

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from neurodyn.flows import trajectory
from neurodyn.forecasting import rollout
from neurodyn.learn import (
    ALRNN,
    PLRNN,
    Wiring,
    build_model,
    evaluate,
    explicit_wiring,
    forced_predictions,
    free_predictions,
    full_wiring,
    load_model,
    model_lyapunov_spectrum,
    ncp_wiring,
    power_spectrum_distance,
    random_wiring,
    state_space_divergence,
    symbolic_code,
    symbolic_sequence,
    train,
    train_from_config,
    write_evaluation,
)
from neurodyn.learn.training import _adaptive_alpha
from neurodyn.store import open_dataset, write_dataset

ncps_torch = pytest.importorskip("ncps.torch")
ncps_wirings = pytest.importorskip("ncps.wirings")


@pytest.fixture(scope="module")
def lorenz():
    """Two Lorenz-63 trajectories from different initial states, dt = 0.02, 6000 rows each."""
    runs = [
        trajectory(
            "lorenz63", duration=130, transient=10, every=2, initial=np.array(x0, dtype=float)
        )
        for x0 in ([1.0, 1.0, 1.0], [-3.0, 2.0, 20.0])
    ]
    return [np.column_stack([ds[v].values for v in "xyz"])[-6000:] for ds in runs]


def _smooth_batch(batch=3, length=12, dim=3, seed=0):
    t = np.linspace(0, 3, length)[None, :, None]
    phase = np.random.default_rng(seed).uniform(0, 6, (batch, 1, dim))
    return torch.tensor(np.sin(t * (1 + np.arange(dim)) + phase), dtype=torch.float64)


@pytest.mark.parametrize(
    "config",
    [
        {"kind": "shplrnn", "latent": 4, "hidden": 8},
        {"kind": "gru", "units": 8},
        {"kind": "lstm", "units": 6},
        {"kind": "cfc", "units": 8, "backbone_units": 16},
        {"kind": "ltc", "units": 6, "ode_unfolds": 3},
    ],
)
def test_forcing_one_is_full_forcing_and_zero_is_free_running(config):
    model = build_model({**config, "obs_dim": 3}, seed=3).double()
    data = _smooth_batch()
    full, _ = model(data)
    forced = forced_predictions(model, data, alpha=1.0)
    np.testing.assert_allclose(forced.detach(), full[:, :-1].detach(), rtol=1e-12, atol=1e-12)
    free = free_predictions(model, data[:, 0], data.shape[1] - 1)
    np.testing.assert_allclose(
        forced_predictions(model, data, alpha=0.0).detach(), free.detach(), rtol=0, atol=0
    )
    half = forced_predictions(model, data, alpha=0.5).detach()
    assert not np.allclose(half, free.detach()) and not np.allclose(half, full[:, :-1].detach())


def test_sparse_forcing_forces_every_interval_only():
    model = build_model({"kind": "gru", "obs_dim": 3, "units": 5}, seed=0).double()
    data = _smooth_batch(length=9)
    sparse = forced_predictions(model, data, alpha=1.0, interval=4).detach()
    first = free_predictions(model, data[:, 0], 4).detach()
    np.testing.assert_allclose(sparse[:, :4], first, atol=1e-14)
    assert not np.allclose(sparse[:, 4], free_predictions(model, data[:, 0], 5)[:, 4].detach())


def test_cfc_pure_mode_equals_numerical_solution_of_its_ode():
    model = build_model({"kind": "cfc", "obs_dim": 2, "units": 4, "mode": "pure"}, seed=1)
    model = model.double()
    with torch.no_grad():
        model.w_tau.copy_(torch.tensor([[0.3, -1.2, 0.0, 2.0]]))
        model.A.copy_(torch.tensor([[1.5, -0.7, 0.4, 1.0]]))
    x = torch.tensor([[0.3, -0.8]], dtype=torch.float64)
    h = torch.tensor([[0.1, -0.2, 0.5, 0.9]], dtype=torch.float64)
    dt = 0.7
    new = model.step(model.project_input(x), h, dt).detach().numpy()[0]
    weight, bias = model.backbone[0].weight, model.backbone[0].bias
    z = model.activation(torch.cat([x, h], 1) @ weight.T + bias)
    f = (model.heads(z)).detach().numpy()[0]
    rate = np.abs(model.w_tau.detach().numpy()[0]) + np.abs(f)
    a = model.A.detach().numpy()[0]
    solution = solve_ivp(
        lambda t, y: -rate * (y - a), (0, dt), a * (1 - f), rtol=1e-12, atol=1e-12, method="DOP853"
    )
    np.testing.assert_allclose(new, solution.y[:, -1], rtol=1e-9, atol=1e-10)


def test_ltc_fused_step_equals_the_update_formula_with_irregular_steps():
    wiring = random_wiring(5, 2, output_dim=2, sparsity=0.4, seed=4)
    model = build_model({"kind": "ltc", "obs_dim": 2, "wiring": wiring.config(), "ode_unfolds": 3})
    model = model.double()
    p = {k: v.detach().numpy().astype(np.float64) for k, v in model.named_parameters()}
    sp = lambda a: np.log1p(np.exp(a))  # noqa: E731
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    rng = np.random.default_rng(0)
    x, v0, dts = rng.normal(size=(3, 2)), rng.normal(size=(3, 5)), np.array([0.5, 1.0, 2.3])
    expected = np.empty_like(v0)
    mask, smask = wiring.mask, wiring.sensory_mask
    for b in range(3):
        u = x[b] * p["input_w"] + p["input_b"]
        v = v0[b].copy()
        delta = dts[b] / 3
        for _ in range(3):
            new = np.empty(5)
            for i in range(5):
                num = p["cm"][i] * 0 + sp(p["cm"][i]) / delta * v[i]
                num += sp(p["gleak"][i]) * p["vleak"][i]
                den = sp(p["cm"][i]) / delta + sp(p["gleak"][i])
                for j in range(5):
                    g = (
                        mask[j, i]
                        * sp(p["w"][j, i])
                        * sig(p["sigma"][j, i] * (v[j] - p["mu"][j, i]))
                    )
                    num += g * p["erev"][j, i]
                    den += g
                for k in range(2):
                    g = smask[k, i] * sp(p["sensory_w"][k, i])
                    g *= sig(p["sensory_sigma"][k, i] * (u[k] - p["sensory_mu"][k, i]))
                    num += g * p["sensory_erev"][k, i]
                    den += g
                new[i] = num / (den + 1e-8)
            v = new
        expected[b] = v
    got = model.step(
        model.project_input(torch.tensor(x)), torch.tensor(v0), torch.tensor(dts)[:, None]
    )
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-12, atol=1e-13)


def _ltc_from_ncps(reference, n_inputs):
    cell_wiring = reference.rnn_cell._wiring
    wiring = explicit_wiring(
        cell_wiring.adjacency_matrix, cell_wiring.sensory_adjacency_matrix, cell_wiring.output_dim
    )
    model = build_model(
        {"kind": "ltc", "obs_dim": n_inputs, "wiring": wiring.config(), "ode_unfolds": 6}
    ).double()
    state = {k.removeprefix("rnn_cell."): v for k, v in reference.state_dict().items()}
    state["mask"] = state.pop("sparsity_mask")
    state["sensory_mask"] = state.pop("sensory_sparsity_mask")
    model.load_state_dict({**state, "obs_mean": model.obs_mean, "obs_scale": model.obs_scale})
    return model


@pytest.mark.parametrize("kind", ["full", "ncp"])
def test_ltc_matches_ncps(kind):
    torch.manual_seed(0)
    if kind == "full":
        wiring = ncps_wirings.FullyConnected(7, output_dim=3)
    else:
        wiring = ncps_wirings.NCP(4, 3, 3, 2, 2, 2, 2)
    reference = ncps_torch.LTC(3, wiring, ode_unfolds=6).double()
    model = _ltc_from_ncps(reference, 3)
    x = torch.randn(4, 15, 3, dtype=torch.float64)
    expected, _ = reference(x)
    got, _ = model(x)
    np.testing.assert_allclose(got.detach(), expected.detach(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", ["default", "no_gate", "pure"])
def test_cfc_matches_ncps(mode):
    torch.manual_seed(1)
    reference = ncps_torch.CfC(3, 6, proj_size=3, mode=mode, backbone_units=10).double()
    model = build_model(
        {"kind": "cfc", "obs_dim": 3, "units": 6, "mode": mode, "backbone_units": 10}
    ).double()
    ref = {k.removeprefix("rnn_cell."): v for k, v in reference.state_dict().items()}
    heads = ["ff1"] if mode == "pure" else ["ff1", "ff2", "time_a", "time_b"]
    state = {
        "backbone.0.weight": ref["backbone.0.weight"],
        "backbone.0.bias": ref["backbone.0.bias"],
        "heads.weight": torch.cat([ref[f"{h}.weight"] for h in heads]),
        "heads.bias": torch.cat([ref[f"{h}.bias"] for h in heads]),
        "readout.weight": ref["fc.weight"],
        "readout.bias": ref["fc.bias"],
    }
    if mode == "pure":
        with torch.no_grad():
            reference.rnn_cell.w_tau.uniform_(-1, 1)
            reference.rnn_cell.A.uniform_(0.5, 1.5)
        state.update(w_tau=reference.rnn_cell.w_tau, A=reference.rnn_cell.A)
    model.load_state_dict(state, strict=False)
    x = torch.randn(4, 15, 3, dtype=torch.float64)
    expected, _ = reference(x)
    got, _ = model(x)
    np.testing.assert_allclose(got.detach(), expected.detach(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "wiring",
    [
        full_wiring(6, 3, output_dim=2, seed=5),
        random_wiring(10, 3, output_dim=3, sparsity=0.7, seed=11),
        ncp_wiring(
            3,
            inter=6,
            command=4,
            motor=3,
            sensory_fanout=2,
            inter_fanout=2,
            recurrent_command=3,
            motor_fanin=2,
            seed=7,
        ),
        explicit_wiring([[0, 1], [-1, 0]], [[1, 0]], output_dim=1),
    ],
    ids=["full", "random", "ncp", "explicit"],
)
def test_wiring_config_round_trips_to_identical_masks(wiring):
    again = Wiring.from_config(json.loads(json.dumps(wiring.config())))
    np.testing.assert_array_equal(again.adjacency, wiring.adjacency)
    np.testing.assert_array_equal(again.sensory_adjacency, wiring.sensory_adjacency)
    assert again.layers == wiring.layers and again.output_dim == wiring.output_dim
    assert again.config() == wiring.config()


def test_wirings_have_their_structure_and_models_keep_them():
    sparse = random_wiring(10, 3, sparsity=0.7, seed=11)
    assert sparse.synapse_count == 30 and int(sparse.sensory_mask.sum()) == 9
    ncp = ncp_wiring(3, 6, 4, 3, 2, 2, 3, 2, seed=7)
    inter, command, motor = (list(layer) for layer in ncp.layers)
    assert not ncp.mask[np.ix_(motor, inter)].any() and not ncp.mask[np.ix_(inter, inter)].any()
    assert (ncp.mask[np.ix_(command, motor)].sum(axis=0) >= 2).all()
    assert not ncp.sensory_mask[:, command + motor].any()
    model = build_model({"kind": "ltc", "obs_dim": 3, "wiring": ncp.config()}, seed=0)
    rebuilt = build_model(json.loads(json.dumps(model.config())))
    np.testing.assert_array_equal(rebuilt.mask.numpy(), ncp.mask)
    wired = build_model(
        {"kind": "cfc", "obs_dim": 3, "backbone_layers": 0, "wiring": ncp.config()}, seed=0
    )
    assert torch.equal(
        wired.head_mask[:13], torch.tensor(ncp.sensory_mask.tolist() + ncp.mask.tolist()).T.float()
    )


def test_state_space_and_spectrum_distances_sit_at_the_floor_for_the_truth(lorenz):
    first, second = lorenz
    rng = np.random.default_rng(0)
    surrogate = rng.multivariate_normal(first.mean(0), np.cov(first.T), size=len(first))
    for method in ("binned", "gmm"):
        floor = state_space_divergence(second, first, method)
        far = state_space_divergence(surrogate, first, method)
        assert floor < 1.0 and far > 5 * floor, (method, floor, far)
    floor, far = power_spectrum_distance(second, first), power_spectrum_distance(surrogate, first)
    assert floor < 0.15 and far > 0.6 and far > 5 * floor, (floor, far)


def _persistence(obs_dim=2, latent=3):
    model = PLRNN(obs_dim, latent=latent).double()
    with torch.no_grad():
        model.A.fill_(1.0)
        model.W.zero_()
    return model


def test_rollout_follows_the_forecasting_conventions():
    model = _persistence()
    series = np.column_stack([np.arange(20.0), -np.arange(20.0)])
    closed = rollout(model, series[:10], 5)
    np.testing.assert_array_equal(closed, np.repeat(series[9:10], 5, axis=0))
    opened = rollout(model, series[:10], 10, drive=series[10:])
    np.testing.assert_array_equal(opened, series[9:19])


def test_lyapunov_spectrum_of_a_linear_model_and_adaptive_alpha():
    model = _persistence(obs_dim=2, latent=3)
    with torch.no_grad():
        model.A.copy_(torch.tensor([1.02, 0.5, -0.9], dtype=torch.float64))
    spectrum = model_lyapunov_spectrum(model, np.ones((5, 2)), dt=0.1, steps=50, transient=0)
    np.testing.assert_allclose(spectrum, np.log([1.02, 0.9, 0.5]) / 0.1, rtol=1e-10)
    with torch.no_grad():
        model.A.copy_(torch.tensor([2.0, 0.5, -0.9], dtype=torch.float64))
    batch = torch.full((2, 6, 2), 1e-3, dtype=torch.float64)
    assert _adaptive_alpha(model, batch, (0.0, 1.0)) == pytest.approx(0.5, abs=1e-12)
    assert _adaptive_alpha(model, batch, (0.0, 0.3)) == 0.3


def test_symbolic_codes_are_the_relu_sign_patterns():
    model = ALRNN(2, latent=5, relu_units=3).double()
    states = np.array([[0.0, 0.0, 1.0, -1.0, 2.0], [5.0, 5.0, -1.0, 3.0, 4.0]])
    np.testing.assert_array_equal(symbolic_code(model, states), [0b101, 0b110])
    shallow = build_model({"kind": "shplrnn", "obs_dim": 2, "latent": 2, "hidden": 4}).double()
    z = torch.tensor(states[:, :2])
    bits = (z @ shallow.W2.T + shallow.h2 > 0).detach().numpy()
    np.testing.assert_array_equal(symbolic_code(shallow, states[:, :2]), bits @ [1, 2, 4, 8])
    latent, codes = symbolic_sequence(model, np.ones((3, 2)), 7)
    assert latent.shape == (7, 5)
    np.testing.assert_array_equal(codes, symbolic_code(model, latent))


def test_same_seed_same_model_and_checkpoints_resume(tmp_path, lorenz):
    data = lorenz[0][:600]
    options = {
        "epochs": 3,
        "batches_per_epoch": 2,
        "batch_size": 4,
        "sequence_length": 20,
        "seed": 5,
        "progress": False,
        "checkpoint_every": 1,
    }
    model = {"kind": "gru", "units": 6}
    first = train(model, data, options).model.state_dict()
    second = train(model, data, options).model.state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    other = train(model, data, {**options, "seed": 6}).model.state_dict()
    assert not torch.equal(first["cell.weight_hh"], other["cell.weight_hh"])
    path = tmp_path / "ck.pt"
    train(model, data, {**options, "epochs": 2}, checkpoint=path)
    resumed = train(model, data, options, checkpoint=path)
    assert all(torch.equal(first[k], resumed.model.state_dict()[k]) for k in first)
    assert len(resumed.history["loss"]) == 3
    reloaded = load_model(path, device="cpu")
    assert all(torch.equal(first[k], reloaded.state_dict()[k]) for k in first)


def test_train_from_config_reads_a_store_and_evaluation_is_written(tmp_path, lorenz):
    import xarray as xr

    first, second = lorenz
    ds = xr.Dataset(
        {v: ("time", first[:, i]) for i, v in enumerate("xyz")},
        coords={"time": 0.02 * np.arange(len(first))},
    )
    store = write_dataset(ds, tmp_path / "lorenz.zarr")
    config = {
        "data": {"store": str(store), "variables": ["x", "y", "z"], "rows": [0, 3000]},
        "model": {"kind": "alrnn", "latent": 6, "relu_units": 2},
        "training": {
            "epochs": 2,
            "batches_per_epoch": 2,
            "batch_size": 4,
            "sequence_length": 30,
            "alpha": 0.3,
            "progress": False,
        },
    }
    out = train_from_config(config, tmp_path / "run")
    model = load_model(out / "model.pt")
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 2
    result = evaluate(
        model,
        first[3000:3600],
        second,
        0.02,
        lyapunov_exponent=0.906,
        true_exponents=(np.array([0.906, 0.0, -14.57]), np.array([0.01] * 3)),
        horizons=(1, 5),
        warmup=50,
        n_starts=4,
        lyapunov_steps=200,
    )
    back = open_dataset(write_evaluation(result, tmp_path / "metrics.zarr"))
    assert float(back["d_h_floor"]) == pytest.approx(
        power_spectrum_distance(second[50:650], first[3000:3600])
    )
    # ten Lyapunov times are 552 rows: capped at half of the 550 rows after the warm-up
    assert float(back["valid_prediction_time_floor"]) == pytest.approx(275 * 0.02 * 0.906)
    assert back["d_stsp_floor"].attrs["rows"] == 600 and bool(back["collapsed"]) in (True, False)
    assert back["lyapunov_model"].shape == (6,) and float(back["lyapunov_true"][0]) == 0.906


@pytest.mark.slow
def test_shplrnn_with_generalised_teacher_forcing_reconstructs_lorenz():
    """ANCHORS.md: Lorenz-63 lambda_1 = 0.906 per unit time (Sprott). About 3 min on 2 cores."""
    dt = 0.02
    ds = trajectory("lorenz63", duration=400, transient=50, every=2)
    series = np.column_stack([ds[v].values for v in "xyz"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = train(
            {"kind": "shplrnn", "latent": 3, "hidden": 50},
            series[:10000],
            {
                "epochs": 50,
                "batches_per_epoch": 20,
                "batch_size": 16,
                "sequence_length": 60,
                "learning_rate": 3e-3,
                "lr_decay": 0.98,
                "alpha": 0.2,
                "seed": 1,
                "progress": False,
            },
        ).model
        generated = rollout(model, series[10000:10200], 2000)
        spectrum = model_lyapunov_spectrum(model, series[10000:10200], dt, steps=5000)
    finally:
        torch.set_num_threads(threads)
    d_h = power_spectrum_distance(generated, series[10200:12200])
    assert d_h < 0.2, d_h
    assert spectrum[0] == pytest.approx(0.906, rel=0.25), spectrum


@pytest.mark.parametrize("irregular", [False, True])
def test_ltc_fused_unfolds_backward_equals_numerical_gradients(irregular):
    from neurodyn.learn.ltc import _FusedUnfolds

    torch.manual_seed(3)
    batch, length, n = 3, 4, 5
    cm_shape = (batch, length, n) if irregular else (n,)
    args = [
        torch.rand(batch, length, n) + 0.1,
        torch.rand(batch, length, n) + 2.0,
        torch.rand(*cm_shape) + 1.0,
        torch.randn(batch, n),
        torch.randn(n, n),
        torch.randn(n, n),
        torch.rand(n, 2, n),
    ]
    args = [a.double().requires_grad_() for a in args]
    assert torch.autograd.gradcheck(lambda *a: _FusedUnfolds.apply(*a, 3), args)


@pytest.mark.parametrize("backbone", [False, True])
@pytest.mark.parametrize("gated", [0.0, 1.0])
def test_cfc_gated_sequence_backward_equals_numerical_gradients(backbone, gated):
    from neurodyn.learn.cfc import _GatedSequence

    torch.manual_seed(5)
    batch, length, n, width = 3, 4, 2, 5 if backbone else 8
    args = [
        torch.randn(batch, length, width),
        torch.randn(batch, n),
        torch.randn(n, width),
        torch.randn(width, 4 * n) if backbone else None,
        torch.randn(4 * n) if backbone else None,
    ]
    args = [None if a is None else a.double().requires_grad_() for a in args]
    dt = torch.rand(batch, length, 1, dtype=torch.float64) + 0.5
    assert torch.autograd.gradcheck(
        lambda *a: _GatedSequence.apply(*a, dt, gated, 1.7159, 0.666), args
    )


def test_cfc_sequence_pass_equals_the_step_loop_with_irregular_steps():
    torch.manual_seed(6)
    for config in [
        {"units": 5},
        {"wiring": random_wiring(6, 3, output_dim=2, sparsity=0.5, seed=2).config()},
    ]:
        extra = {"backbone_layers": 0} if "wiring" in config else {}
        model = build_model({"kind": "cfc", "obs_dim": 3, **config, **extra}).double()
        x = torch.randn(2, 7, 3, dtype=torch.float64)
        dt = torch.rand(2, 7, dtype=torch.float64) + 0.5
        got, last = model(x, dt)
        expected, expected_last = super(type(model), model).forward(x, dt)
        torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(last, expected_last, rtol=1e-12, atol=1e-12)
