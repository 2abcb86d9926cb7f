"""Evaluation flags a model whose long-run attractor is regular while the data are chaotic."""

import numpy as np
import pytest
import torch
from test_learn_export import chaotic_shplrnn

from neurodyn.learn import ALRNN, PLRNN, evaluate
from neurodyn.learn.evaluate import long_run_attractor

LAMBDA = 0.37  # largest exponent of chaotic_shplrnn per step (QR over 3000 steps)


@pytest.fixture(scope="module")
def system():
    """Truth and reference: two pieces of the chaotic shPLRNN's attractor (2 observed
    variables) from different warm-ups."""
    net = chaotic_shplrnn()
    rng = np.random.default_rng(2)
    truth = net.rollout(rng.standard_normal((20, 2)), 1500)[500:]
    reference = net.rollout(rng.standard_normal((20, 2)), 1600)[400:]
    return net, truth, reference


def _collapsing(kind: str):
    """A PLRNN converging to the fixed point z = 2 h, or an AL-RNN swapping its two variables
    (every state on a 2-cycle)."""
    if kind == "fixed point":
        net = PLRNN(2, latent=3, a_init=0.5).double()
        weights = {"W": torch.zeros(3, 3), "h": torch.tensor([0.2, -0.1, 0.3])}
    else:
        net = ALRNN(2, latent=2, relu_units=0, a_init=0.0).double()
        weights = {"W": torch.tensor([[0.0, 1.0], [1.0, 0.0]])}
    with torch.no_grad():
        for name, value in weights.items():
            getattr(net, name).copy_(value)
    return net


def _evaluate(model, truth, reference):
    return evaluate(
        model,
        truth,
        reference,
        1.0,
        lyapunov_exponent=LAMBDA,
        warmup=100,
        n_starts=5,
        lyapunov_steps=500,
        attractor_steps=2000,
    )


@pytest.mark.parametrize("kind,period", [("fixed point", 1), ("cycle of period 2", 2)])
def test_a_collapsed_model_is_flagged(system, kind, period):
    _, truth, reference = system
    ds = _evaluate(_collapsing(kind), truth, reference)
    assert bool(ds["collapsed"]) and int(ds["model_period"]) == period
    assert ds.attrs["model_attractor"] == kind
    assert ds["d_stsp"].attrs["rows"] == ds["d_stsp_floor"].attrs["rows"] == len(truth)


def test_the_true_system_is_not_flagged_and_its_vpt_reports_the_cap(system):
    net, truth, reference = system
    ds = _evaluate(net, truth, reference)
    assert not bool(ds["collapsed"]) and int(ds["model_period"]) == 0
    assert ds.attrs["model_attractor"] == "chaotic"
    assert float(ds["lyapunov_model"][0]) == pytest.approx(LAMBDA, abs=0.1)
    rows = int(np.ceil(10.0 / LAMBDA))  # ten Lyapunov times
    assert ds.attrs["vpt_rows"] == rows
    assert float(ds["valid_prediction_time_floor"]) == pytest.approx(rows * LAMBDA)
    assert bool(ds["valid_prediction_time_capped"])  # the system forecasts itself exactly
    assert float(ds["d_stsp"]) < float(ds["d_stsp_floor"]) + 0.5


def test_long_run_attractor_labels():
    t = np.arange(200.0)[:, None]
    assert long_run_attractor(np.full((200, 2), 0.5), 0.0, 0.01) == (1, "fixed point")
    assert long_run_attractor(np.cos(np.pi * t / 3), 0.0, 0.01) == (6, "cycle of period 6")
    assert long_run_attractor(np.cos(t), 0.0, 0.01) == (0, "not chaotic")
    assert long_run_attractor(np.cos(t), 0.5, 0.01) == (0, "chaotic")
    assert long_run_attractor(np.cos(t), np.nan, 0.01) == (-1, "diverged")
