"""Reconstruction of the Chialvo map by a shPLRNN: the comparison's true side is the library's
own analyses, and the trained map recovers the period of a periodic regime.

Regimes (Chialvo 1995's classic a = 0.89, c = 0.28; k and b chosen here from the library's
period and Lyapunov charts):

* chaotic: b = 0.18, k = 0.03 (aperiodic bursting), lambda_1 = 0.052 per iteration;
* periodic: b = 0.18, k = -0.07, a stable period-2 cycle (multipliers 0.78, 0.04), reached
  from the state box after a short transient (the period-1 points are saddles and a repeller).

Measured (shPLRNN, latent 2, generalised teacher forcing with fixed alpha, one thread, on a
2-core machine under load; true lambda_1 = 0.0512-0.0526 per iteration):

All 300 epochs, learning rate 2e-3:

* hidden 50, 30-row windows: alpha 0.3: 0.069, 0.077 (learning rate decayed 0.99 per epoch);
  alpha 0.1: 0.045; alpha 1 (one-step regression): the free run diverged.
* hidden 100, 30-row windows, alpha 0.2 (seeds 0, 1, 2): 0.084, 0.025, 0.063; adaptive alpha:
  0.086.
* hidden 100, 60-row windows, alpha 0.3 (seeds 0, 1, 2): 0.048, 0.093, -0.002.
* hidden 50, 60-row windows, alpha 0.3 (the defaults; seeds 0, 1, 2): 0.072, -0.003, 0.088,
  trained in 30-150 s each.

lambda_1 within 20 % came out in 3 of 14 runs, for no setting across seeds: the chaotic test
asks for lambda_1 within a factor 2 of the truth at seed 0 (1.40 times), which holds for
that seed only. The periodic regime's period 2 was recovered in both runs tried
(100 epochs on 30-row windows; 300 on 60-row windows).
"""

import numpy as np
import pytest

from neurodyn.analysis.bifurcation import detect_period, find_cycles
from neurodyn.analysis.lyapunov import lyapunov_spectrum
from neurodyn.flows import parameter_batch, trajectory
from neurodyn.learn import reconstruct, reconstruct_regimes
from neurodyn.models import ModelError, get_model
from neurodyn.report.reconstruction import reconstruction_table

pytest.importorskip("torch")

PERIODIC = {"b": 0.18, "k": -0.07}
CHAOTIC = {"b": 0.18, "k": 0.03}


def test_the_true_side_is_the_library_direct_calls():
    stacked = reconstruct_regimes(
        "chialvo",
        {"periodic": {"parameters": PERIODIC}},
        network={"hidden": 4},
        training={"epochs": 1, "batches_per_epoch": 2, "sequence_length": 10},
        trajectories=3,
        transient=0,
        steps=200,
        analysis_transient=500,
        analysis_steps=500,
        cycle_periods=(1, 2),
        n_seeds=50,
    )
    ds = stacked.sel(regime="periodic")
    model = get_model("chialvo")
    runs = trajectory(model, steps=200, initial=_initials(model, 3), parameters=PERIODIC)
    start = np.array([runs[v].values[0, -1] for v in model.state_names])
    direct = lyapunov_spectrum(
        model, start[:, None], parameter_batch(model, PERIODIC, 1), steps=500, transient=500
    ).exponents[:, 0]
    np.testing.assert_array_equal(ds.lyapunov.sel(side="true").values[:2], direct)
    free = trajectory(model, steps=500, transient_steps=500, initial=start, parameters=PERIODIC)
    states = np.stack([free[v].values for v in model.state_names], axis=-1)
    np.testing.assert_array_equal(ds.attractor.sel(side="true").values, states)
    assert int(ds.period.sel(side="true")) == detect_period(states, time_axis=0, state_axis=1)
    assert int(ds.period.sel(side="true")) == 2
    for k in (1, 2):
        cycles = find_cycles(model, PERIODIC, period=k, n_seeds=50, seed=0)
        counts = ds.sel(side="true", cycle_period=k)
        assert int(counts.n_cycles) == cycles.sizes["cycle"]
        assert int(counts.n_stable) == int(np.sum(cycles.stability.values == "stable"))
    assert ds.n_cycles.sel(side="true").values.tolist() == [3, 1]  # 3 period-1, 1 period-2
    html = reconstruction_table(stacked)
    row = html.split('data-side="true"')[1].split("</tr>")[0]
    assert f'<td class="num">{direct[0]:.4g}</td>' in row
    assert '<td class="num">0/3</td><td class="num">1/1</td>' in row


def _initials(model, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    low = np.array([v.low for v in model.state])
    high = np.array([v.high for v in model.state])
    return np.vstack([model.initial_state(), rng.uniform(low, high, (n - 1, model.n_state))])


def test_reconstruct_refuses_a_flow_and_a_network_it_cannot_export():
    with pytest.raises(ModelError, match="needs a map model, 'lorenz63'"):
        reconstruct("lorenz63")
    with pytest.raises(ValueError, match="network kind must be one of .*, got 'gru'"):
        reconstruct("chialvo", network={"kind": "gru"})


@pytest.mark.slow
def test_the_reconstruction_recovers_the_period_and_a_chaotic_exponent():
    periodic = reconstruct(
        "chialvo",
        PERIODIC,
        training={"epochs": 100, "sequence_length": 30},
        trajectories=20,
        transient=0,
        steps=300,
        analysis_steps=2000,
    )
    assert periodic.period.values.tolist() == [2, 2]
    assert int(periodic.n_stable.sel(side="reconstructed", cycle_period=2)) >= 1
    chaotic = reconstruct("chialvo", CHAOTIC)
    true, model = chaotic.lyapunov.sel(exponent=1).values
    assert true == pytest.approx(0.052, abs=0.003)
    assert 0.5 * true < model < 2.0 * true
    assert chaotic.period.values.tolist() == [0, 0]
