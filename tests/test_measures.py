"""add_measures: measures over sweep Datasets and stores, from kept or continued states."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from neurodyn.analysis import MEASURES, add_measures
from neurodyn.analysis.entropy import sample_entropy
from neurodyn.analysis.sync import (
    cross_correlation_coefficient,
    kuramoto_order_parameter,
    spike_phases,
)
from neurodyn.models import get_model
from neurodyn.networks import chialvo_rulkov_chain
from neurodyn.sim import sweep
from neurodyn.store import combine_parts, open_dataset, write_dataset

SCALAR = ["period", "chaos01", "sample_entropy", "permutation_entropy"]
SCALAR_VARIABLES = ["period", "chaos01_K", "sample_entropy", "permutation_entropy"]


@pytest.fixture(scope="module")
def logistic():
    return get_model("logistic")


@pytest.fixture(scope="module")
def logistic_measured(logistic):
    """Logistic sweep without kept states; the model is rebuilt from the Dataset's attrs."""
    ds = sweep(logistic, {"r": np.array([3.2, 3.55, 3.9, 3.97, 4.0])}, steps=2000)
    return add_measures(ds, list(MEASURES)[:5], steps=5000, lyapunov_steps=200_000, seed=3)


def test_logistic_values(logistic_measured):
    ds = logistic_measured.isel(ic=0)
    lam = ds["lyapunov"].sel(exponent=1)
    # r = 4: ln 2 (conjugacy with the tent map); r = 3.2: the 2-cycle's multiplier is
    # 4 + 2r - r^2 = 0.16, so lambda = ln(0.16) / 2 per iteration.
    assert lam.sel(r=4.0) == pytest.approx(math.log(2), abs=1e-3)
    assert lam.sel(r=3.2) == pytest.approx(math.log(0.16) / 2, abs=1e-9)
    assert ds["lyapunov"].attrs["units"] == "per iteration"
    assert ds["lyapunov_stderr"].sel(r=4.0, exponent=1) < 1e-3
    assert ds["period"].sel(r=3.2) == 2
    assert ds["period"].sel(r=3.55) == 8  # inside the period-8 band (3.5441, 3.5644)
    assert ds["period"].sel(r=3.97) == 0
    assert ds["chaos01_K"].sel(r=3.97) > 0.9
    assert abs(ds["chaos01_K"].sel(r=3.55)) < 0.1
    assert ds["sample_entropy"].sel(r=3.9) == pytest.approx(0.50, abs=0.05)  # ANCHORS.md
    # a 2-cycle shows two ordinal patterns of order 3, equally often: 1 bit of log2(3!)
    assert ds["permutation_entropy"].sel(r=3.2) == pytest.approx(1 / math.log2(6), abs=1e-3)
    assert ds["sample_entropy"].sel(r=3.2) == 0.0


def test_conventions_in_attrs(logistic_measured):
    ds = logistic_measured
    assert ds["sample_entropy"].attrs["m"] == 2
    assert ds["sample_entropy"].attrs["r"] == 0.2
    assert ds["sample_entropy"].attrs["tie"] == "<="
    assert ds["sample_entropy"].attrs["tolerance"] == "r * std(series, ddof=0)"
    assert ds["chaos01_K"].attrs["seed"] == 3
    assert ds["chaos01_K"].attrs["n_c"] == 100
    assert ds["permutation_entropy"].attrs["order"] == 3
    assert ds["period"].attrs["max_period"] == 32
    assert ds["lyapunov"].attrs["steps"] == 200_000
    for name in SCALAR_VARIABLES[1:]:
        assert ds[name].attrs["series"] == "x"
        assert "continued from the final states" in ds[name].attrs["source"]


def test_whole_equals_chunks_with_diverged_points(logistic):
    # the second initial state, x = 1.5, leaves [0, 1] and diverges at every r
    ds = sweep(
        logistic,
        {"r": np.linspace(3.5, 4.0, 6)},
        steps=1000,
        initial=np.array([[0.3], [1.5]]),
    )
    options = dict(steps=600, lyapunov_steps=2000, seed=1, threads=1)
    names = ["lyapunov", *SCALAR]
    whole = add_measures(ds, names, **options)
    parts = [
        add_measures(ds.isel(r=part), names, **options)
        for part in (slice(0, 1), slice(1, 4), slice(4, 6))
    ]
    merged = combine_parts(parts)  # as the workflow merges its chunks: attrs must agree
    new = ["lyapunov", "lyapunov_stderr", *SCALAR_VARIABLES]
    xr.testing.assert_identical(whole[new], merged[new])
    # one point selected away from the parameter axis: r is a scalar coordinate
    single = add_measures(ds.isel(r=3), names, **options)
    xr.testing.assert_identical(whole[new].isel(r=3), single[new])
    diverged = whole.isel(ic=1)
    assert np.all(diverged["period"] == -1)
    for name in new[:1] + new[2:]:
        if name != "period":
            assert np.all(np.isnan(diverged[name]))
    assert np.all(np.isfinite(whole["lyapunov"].isel(ic=0)))


def test_kept_equals_continued(logistic):
    axes = {"r": np.array([3.2, 3.55, 3.97])}
    ends = sweep(logistic, axes, steps=1000)  # nothing kept: continue from x_final
    kept = sweep(logistic, axes, steps=1500, keep=500)  # iterations 1001..1500 kept
    measured = add_measures(ends, SCALAR, steps=500)
    from_kept = add_measures(kept, SCALAR, steps=10)  # steps unused: states were kept
    for name in SCALAR_VARIABLES:
        np.testing.assert_array_equal(measured[name].values, from_kept[name].values)
    assert "kept states" in from_kept["sample_entropy"].attrs["source"]
    assert "kept states" in from_kept["period"].attrs["source"]


def test_store_round_trip(logistic, tmp_path):
    ds = sweep(logistic, {"r": np.array([3.2, 3.9])}, steps=500, keep=300)
    path = write_dataset(ds, tmp_path / "sweep.zarr")
    returned = add_measures(path, ["period", "sample_entropy"])
    stored = open_dataset(path).load()
    expected = add_measures(ds, ["period", "sample_entropy"])
    for name in ("period", "sample_entropy", "x", "x_final"):
        np.testing.assert_array_equal(stored[name].values, expected[name].values)
        np.testing.assert_array_equal(returned[name].values, expected[name].values)
    assert stored["sample_entropy"].attrs["tie"] == "<="
    x = ds["x"].sel(r=3.9, ic=0).values
    assert stored["sample_entropy"].sel(r=3.9, ic=0) == sample_entropy(x)


def test_errors(logistic):
    ds = sweep(logistic, {"r": np.array([3.9])}, steps=200)
    with pytest.raises(ValueError, match="unknown measure.*lyapunovv.*available: lyapunov"):
        add_measures(ds, ["lyapunovv"])
    with pytest.raises(ValueError, match="cross_correlation need.*network.*'logistic'"):
        add_measures(ds, ["cross_correlation"])
    with pytest.raises(ValueError, match="kuramoto need.*network"):
        add_measures(ds, ["kuramoto"], logistic)
    with pytest.raises(ValueError, match="unknown option.*'mm'"):
        add_measures(ds, ["sample_entropy"], mm=3)
    with pytest.raises(ValueError, match="chaos01 needs series of at least 100 samples"):
        add_measures(ds, ["chaos01"], steps=50)
    with pytest.raises(ValueError, match="variable 'z' is not a state variable"):
        add_measures(ds, ["sample_entropy"], variable="z")
    with pytest.raises(ValueError, match="cannot rebuild model 'logistic'.*pass the model"):
        add_measures(ds.assign_attrs(equations='{"x": "r * x"}'), ["period"])
    with pytest.raises(ValueError, match="no 'model' attribute"):
        add_measures(ds.assign_attrs(model=""), ["period"])


def test_chain_synchrony():
    """Chialvo-Rulkov-Chialvo chain driven by its Rulkov node (sigma_2_1 = sigma_2_3 = 0): with
    symmetric drive (sigma_1_2 = sigma_3_2 = 0.01) the two Chialvo end nodes synchronise
    completely from different initial states; with one end undriven (sigma_1_2 = 0) they do not."""
    model = chialvo_rulkov_chain()
    apart = model.initial_state().copy()
    apart[4:] = [0.05, 1.5]  # node 3 away from node 1
    ds = sweep(
        model,
        {"sigma_1_2": np.array([0.0, 0.01])},
        {"sigma_3_2": 0.01, "sigma_2_1": 0.0, "sigma_2_3": 0.0},
        steps=3000,
        keep=1500,
        initial=np.stack([model.initial_state(), apart]),
    )
    out = add_measures(ds, ["cross_correlation", "kuramoto", "sample_entropy"], model)
    for s in (0.0, 0.01):
        for ic in (0, 1):
            nodes = np.stack([ds[f"x_{k}"].sel(sigma_1_2=s, ic=ic).values for k in (1, 2, 3)], 1)
            point = out.sel(sigma_1_2=s, ic=ic)
            gamma = cross_correlation_coefficient(nodes)
            assert point["cross_correlation"] == pytest.approx(gamma.gamma, abs=1e-12)
            kuramoto = kuramoto_order_parameter(spike_phases(nodes, 0.5))
            assert point["kuramoto_R"] == pytest.approx(kuramoto.mean, abs=1e-12)
            assert point["kuramoto_R_std"] == pytest.approx(kuramoto.std, abs=1e-12)
            assert point["sample_entropy"] == pytest.approx(sample_entropy(nodes.mean(1)))
            if s == 0.01:  # end nodes synchronised: Gamma_13 = 1
                assert gamma.pairwise[0, 2] > 0.999
                assert point["cross_correlation"] > 0.3
                assert point["kuramoto_R"] > 0.7
            else:
                assert abs(gamma.pairwise[0, 2]) < 0.3
                assert abs(point["cross_correlation"]) < 0.15
                assert point["kuramoto_R"] < 0.65
    assert out["kuramoto_R"].attrs["threshold"] == 0.5
    assert out["cross_correlation"].attrs["series"] == "x of each node"
    assert out["sample_entropy"].attrs["series"] == "average over the nodes of x"
    # the model rebuilt from the Dataset's attrs (a network preset) gives the same numbers
    rebuilt = add_measures(ds, ["cross_correlation"])
    xr.testing.assert_identical(rebuilt["cross_correlation"], out["cross_correlation"])
    # without kept states the chain is continued from its final states (same compiled kernel)
    ends = add_measures(ds.drop_vars(model.state_names), ["cross_correlation"], model, steps=600)
    assert np.all(ends["cross_correlation"].sel(sigma_1_2=0.01) > 0.3)
    assert np.all(abs(ends["cross_correlation"].sel(sigma_1_2=0.0)) < 0.15)
