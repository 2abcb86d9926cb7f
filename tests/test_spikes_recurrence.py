"""Spike-train statistics against elephant, recurrence quantification against pyunicorn, and the
delay-embedding estimates against exact answers and slow references."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import henon_x, logistic

from neurodyn.analysis.embedding import (
    auto_mutual_information,
    correlation_dimension,
    correlation_sum,
    delay_embed,
    embedding_dimension,
    false_nearest_neighbours,
    mutual_information_delay,
    return_map,
)
from neurodyn.analysis.recurrence import recurrence_matrix, rqa
from neurodyn.analysis.spikes import (
    SPIKE_STATISTICS,
    bursts,
    spike_indices,
    spike_statistics,
    spike_time_tiling_coefficient,
    to_neo,
)
from neurodyn.flows.trajectory import trajectory


def _rulkov_bursting(steps: int, alpha: float = 4.3, y0: float = -3.0) -> np.ndarray:
    """x of the chaotic Rulkov (2001) map in its bursting regime, after a transient."""
    ds = trajectory("rulkov2001", steps=steps, transient=2000,
                    initial=np.array([-1.0, y0]), parameters={"alpha": alpha})
    return ds["x"].values


# --- spikes ---------------------------------------------------------------------------------


def test_spike_statistics_equal_elephant_on_rulkov_bursts():
    elephant_statistics = pytest.importorskip("elephant.statistics")
    pq = pytest.importorskip("quantities")
    series = np.stack([_rulkov_bursting(6000, alpha) for alpha in (4.1, 4.3, 4.5)])
    stats = spike_statistics(series, threshold=0.0, max_isi=20.0)
    for row, x in zip(stats, series, strict=True):
        (train,) = to_neo(x, threshold=0.0, dt=1.0, units="ms")
        isi = elephant_statistics.isi(train).rescale(pq.ms).magnitude
        assert row[SPIKE_STATISTICS.index("n_spikes")] == len(train) > 50
        assert row[SPIKE_STATISTICS.index("isi_mean")] == pytest.approx(isi.mean(), rel=1e-12)
        assert row[SPIKE_STATISTICS.index("isi_cv")] == pytest.approx(
            elephant_statistics.cv(isi), rel=1e-10)
        rate = elephant_statistics.mean_firing_rate(train).rescale(1 / pq.ms).magnitude
        assert row[SPIKE_STATISTICS.index("rate")] == pytest.approx(float(rate), rel=1e-12)
        # bursts: the batch kernel equals the single-train function
        b = bursts(train.magnitude, max_isi=20.0)
        assert row[SPIKE_STATISTICS.index("n_bursts")] == len(b.first) > 3
        assert row[SPIKE_STATISTICS.index("burst_length")] == pytest.approx(b.n_spikes.mean())
        assert row[SPIKE_STATISTICS.index("burst_duration")] == pytest.approx(
            (b.end - b.start).mean())


def test_bursts_of_a_hand_made_train():
    times = np.array([0, 1, 2, 10, 20, 21, 40, 41, 42, 43], dtype=float)
    b = bursts(times, max_isi=2.0)
    np.testing.assert_array_equal(b.n_spikes, [3, 2, 4])
    np.testing.assert_array_equal(b.start, [0, 20, 40])
    np.testing.assert_array_equal(b.end, [2, 21, 43])
    assert len(bursts(times, max_isi=2.0, min_spikes=3).first) == 2


def test_spike_statistics_of_a_periodic_train_and_of_bad_series():
    x = np.zeros((2, 100))
    x[:, 5::10] = 1.0  # spikes at 5, 15, ..., 95: 10 spikes, ISI 10
    x[1, 50] = np.nan
    stats = spike_statistics(x, threshold=0.5)
    np.testing.assert_allclose(stats[0, :4], [10, 0.1, 10.0, 0.0])
    assert np.all(np.isnan(stats[1]))
    np.testing.assert_array_equal(spike_indices(x[0], 0.5), np.arange(5, 100, 10))


def test_sttc_equals_elephant():
    correlation = pytest.importorskip("elephant.spike_train_correlation")
    neo = pytest.importorskip("neo")
    pq = pytest.importorskip("quantities")
    rng = np.random.default_rng(3)
    a = np.sort(rng.choice(1000, 60, replace=False)).astype(float)
    jitter = rng.integers(-3, 4, size=a.size)
    b = np.unique(np.clip(a + jitter, 0, 999)).astype(float)
    b = np.sort(np.concatenate([b, rng.choice(1000, 20, replace=False)]))
    b = np.unique(b)
    for dt in (1.0, 5.0, 20.0):
        ours = spike_time_tiling_coefficient(a, b, dt, 0.0, 1000.0)
        ta = neo.SpikeTrain(a * pq.ms, t_start=0 * pq.ms, t_stop=1000 * pq.ms)
        tb = neo.SpikeTrain(b * pq.ms, t_start=0 * pq.ms, t_stop=1000 * pq.ms)
        ref = correlation.spike_time_tiling_coefficient(ta, tb, dt=dt * pq.ms)
        assert ours == pytest.approx(float(ref), abs=1e-12)


# --- recurrence -----------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["supremum", "euclidean", "manhattan"])
@pytest.mark.parametrize(("dim", "delay"), [(1, 1), (3, 2)])
def test_rqa_equals_pyunicorn(metric, dim, delay):
    timeseries = pytest.importorskip("pyunicorn.timeseries")
    # pyunicorn keeps the series in float32: both measure the float32-rounded series
    x = logistic(800, 3.9).astype(np.float32).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"dim": dim, "tau": delay} if dim > 1 else {}
        rp = timeseries.RecurrencePlot(x if dim > 1 else x[:, None], threshold=0.1,
                                       metric=metric, silence_level=3, **kw)
    ours = rqa(x, 0.1, dim=dim, delay=delay, metric=metric, l_min=2, v_min=2)
    np.testing.assert_array_equal(
        recurrence_matrix(x, 0.1, dim=dim, delay=delay, metric=metric), rp.recurrence_matrix())
    assert ours.RR == pytest.approx(rp.recurrence_rate(), abs=1e-14)
    # pyunicorn adds 1e-10 to denominators
    assert ours.DET == pytest.approx(rp.determinism(2), rel=1e-9)
    assert ours.L == pytest.approx(rp.average_diaglength(2), rel=1e-9)
    assert ours.L_max == rp.max_diaglength()
    assert ours.ENTR == pytest.approx(rp.diag_entropy(2), rel=1e-9)
    assert ours.LAM == pytest.approx(rp.laminarity(2), abs=1e-9)
    assert ours.V_max == rp.max_vertlength()
    if not math.isnan(ours.TT):
        assert ours.TT == pytest.approx(rp.trapping_time(2), rel=1e-9)


def test_rqa_of_a_periodic_orbit_is_exact():
    # Period 4, each value distinct: R_ij = 1 iff i = j mod 4. Diagonals k = 4m are full lines
    # of length N - k; no vertical line is longer than 1.
    n = 40
    x = np.tile([0.1, 0.5, 0.3, 0.9], n // 4)
    r = rqa(x, 0.05)
    assert r.RR == pytest.approx(sum(n - abs(k) for k in range(-n + 1, n) if k % 4 == 0) / n**2)
    assert r.DET == 1.0
    assert r.L_max == n - 4
    assert r.LAM == 0.0 and math.isnan(r.TT)


# --- embedding ------------------------------------------------------------------------------


def test_delay_embedding_layout_and_return_map():
    x = np.arange(10.0)
    np.testing.assert_array_equal(delay_embed(x, 3, 2)[:2], [[0, 2, 4], [1, 3, 5]])
    assert delay_embed(x, 3, 2).shape == (6, 3)
    a, b = return_map(x, 2)
    np.testing.assert_array_equal(b - a, 2.0)


def test_mutual_information_identities_and_the_delay_of_a_sine():
    t = np.arange(20_000)
    x = np.sin(2 * np.pi * t / (40 + 1 / np.pi))  # incommensurate: phases fill the circle
    mi = auto_mutual_information(x, 30, bins=16)
    # I(0) is the entropy of the binned marginal: the arcsine law of a sine over 16 equal bins
    edges = np.linspace(-1, 1, 17)
    p = np.diff(np.arcsin(edges)) / np.pi
    assert mi[0] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-3)
    # the binned estimate of a sine is flat near a quarter period (10.08 samples); its first
    # local minimum falls within 20 % of it
    assert 8 <= mutual_information_delay(x, 30) <= 12
    # Gaussian AR(1) with coefficient rho: I(tau) = -log(1 - rho^(2 tau)) / 2 (binning bias
    # below 5 % at 64 bins and 2e5 samples)
    rng = np.random.default_rng(1)
    rho, n = 0.8, 200_000
    z = np.empty(n)
    z[0] = rng.standard_normal()
    noise = rng.standard_normal(n) * np.sqrt(1 - rho**2)
    for i in range(1, n):
        z[i] = rho * z[i - 1] + noise[i]
    mi = auto_mutual_information(z, 3, bins=64)
    exact = -0.5 * np.log(1 - rho ** (2 * np.arange(1, 4)))
    np.testing.assert_allclose(mi[1:], exact, rtol=0.05)


def test_false_nearest_neighbours_find_the_henon_dimension():
    x = henon_x(4500)
    fnn = false_nearest_neighbours(x, 4)
    assert fnn[0] > 0.5 and fnn[1] < 0.01
    assert embedding_dimension(x, 5) == 2


def test_correlation_sum_equals_brute_force_and_dimension_of_henon():
    rng = np.random.default_rng(0)
    v = rng.random((300, 2))
    radii = np.array([0.02, 0.1, 0.3])
    d = np.abs(v[:, None, :] - v[None, :, :]).max(axis=2)
    i, j = np.triu_indices(300, k=3)
    expected = [(d[i, j] < r).mean() for r in radii]
    np.testing.assert_allclose(correlation_sum(v, radii, theiler=3), expected, rtol=0, atol=0)
    # Grassberger & Procaccia (1983): D2 = 1.21 +- 0.01 for the Henon attractor
    d2 = correlation_dimension(henon_x(5000), dim=2, r_range=(0.005, 0.05)).D2
    assert d2 == pytest.approx(1.21, abs=0.06)


# --- as sweep measures ----------------------------------------------------------------------


def test_spike_and_rqa_measures_of_a_sweep_equal_the_direct_calls():
    from neurodyn.analysis.measures import add_measures
    from neurodyn.models import get_model
    from neurodyn.sim import sweep

    ds = sweep(get_model("rulkov2001"), {"alpha": np.array([3.9, 4.2, 4.5])}, {},
               steps=4000, transient=1000, keep=3000, seed=0)
    measured = add_measures(ds, ["spikes", "rqa"], threshold=0.0, burst_isi=15.0,
                            rqa_samples=500, rqa_eps=0.2, rqa_dim=2)
    x = ds["x"].values  # (alpha, ic, iteration)
    for k in range(3):
        series = x[k, 0]
        stats = spike_statistics(series, 0.0, max_isi=15.0)
        for name, value in zip(SPIKE_STATISTICS, stats, strict=True):
            np.testing.assert_equal(measured[f"spike_{name}"].values[k, 0], value)
        tail = series[-500:]
        r = rqa(tail, 0.2 * tail.std(), dim=2)
        assert measured["rqa_DET"].values[k, 0] == r.DET
        assert measured["rqa_RR"].values[k, 0] == r.RR
    # chaotic bursting above alpha = 4 (Rulkov 2001): bursts; below it the neuron does not burst
    assert measured["spike_n_bursts"].values[2, 0] > 3
    assert measured["spike_isi_cv"].attrs["units"] == "1"
