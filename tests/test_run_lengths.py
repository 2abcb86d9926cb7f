"""One run-length vocabulary (neurodyn.run_lengths): ``transient`` then ``steps`` after it, in
iterations; ``transient_time`` then ``duration`` in time units. The old spellings give the same
numbers as the new ones, bit for bit, with a deprecation warning that names the new call."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from neurodyn.cli import main
from neurodyn.flows import simulate_kuramoto, trajectory
from neurodyn.forecasting import rollout
from neurodyn.models import get_model
from neurodyn.reservoir import ESN
from neurodyn.run_lengths import RunLengthDeprecation
from neurodyn.sim import iterate_batch, sweep
from neurodyn.sim.grid import grid_batch
from neurodyn.workflow import check_study


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_sweep_old_total_equals_transient_then_steps_and_warns_with_the_new_call():
    model = get_model("chialvo")
    axes = {"b": np.linspace(0.1, 0.6, 6)}
    with pytest.warns(RunLengthDeprecation, match="say transient=900, steps=100"):
        old = sweep(model, axes, {"k": 0.03}, steps=1000, keep=50, every=2)
    new = sweep(model, axes, {"k": 0.03}, transient=900, steps=100, keep=50, every=2)
    _same(old, new)
    assert (new.attrs["transient"], new.attrs["steps"]) == (900, 100)
    # steps after the transient is what iterate_batch counts: the same final states
    X = np.tile(model.initial_state()[:, None], (1, 6))
    direct = iterate_batch(model, X, grid_batch(model, axes, {"k": 0.03}, 1), transient=900,
                           steps=100)
    np.testing.assert_array_equal(new["x_final"].values.ravel(), direct.final[0])


def test_sweep_with_a_transient_does_not_warn(recwarn):
    sweep(get_model("logistic"), {"r": [3.2, 3.9]}, transient=100, steps=10, keep=5)
    assert not [w for w in recwarn if issubclass(w.category, RunLengthDeprecation)]


def test_trajectory_transient_in_time_or_steps_equals_the_old_spelling():
    with pytest.warns(RunLengthDeprecation, match="transient_time=5"):
        old = trajectory("lorenz63", duration=20.0, transient=5.0, every=3)
    new = trajectory("lorenz63", duration=15.0, transient_time=5.0, every=3)
    _same(old, new)
    np.testing.assert_array_equal(old["time"].values, new["time"].values)
    assert new["time"].values[0] == pytest.approx(5.0 + 3 * 0.01)
    with pytest.warns(RunLengthDeprecation):
        old_map = trajectory("henon", steps=300, transient=100)
    new_map = trajectory("henon", steps=200, transient_steps=100)
    assert new_map.sizes["time"] == 200
    _same(old_map, new_map)
    with pytest.raises(TypeError, match="both transient="):
        trajectory("henon", steps=10, transient=2, transient_steps=2)


def test_time_integrators_share_the_time_window():
    omega = np.linspace(-0.5, 0.5, 8)
    with pytest.warns(RunLengthDeprecation, match=r"simulate_kuramoto\(\)"):
        old = simulate_kuramoto(omega, [0.5, 2.0], duration=30.0, transient=10.0, seed=1)
    new = simulate_kuramoto(omega, [0.5, 2.0], duration=20.0, transient_time=10.0, seed=1)
    _same(old, new)


def test_reservoir_and_forecast_names(recwarn):
    t = np.arange(1200) * 0.05
    series = np.column_stack([np.sin(t), np.cos(1.3 * t)])
    inputs, targets = series[:-1], series[1:]
    kwargs = {"units": 40, "spectral_radius": 0.9, "leak_rate": 0.5, "ridge": 1e-6, "seed": 2}
    with pytest.warns(RunLengthDeprecation, match=r"fit\(warmup=...\) is deprecated: use transi"):
        old = ESN(**kwargs).fit(inputs[:800], targets[:800], warmup=100)
    new = ESN(**kwargs).fit(inputs[:800], targets[:800], transient=100)
    with pytest.warns(RunLengthDeprecation, match="use steps="):
        old_forecast = rollout(old, series[:801], n_steps=50)
    new_forecast = rollout(new, series[:801], steps=50)
    np.testing.assert_array_equal(old_forecast, new_forecast)
    np.testing.assert_array_equal(old.w_out, new.w_out)
    with pytest.raises(TypeError, match="both n_steps="):
        rollout(new, series[:801], n_steps=5, steps=5)


def test_study_config_without_transient_reads_steps_as_the_total():
    base = {"study": "s", "model": "logistic", "sweep": {"r": "3.0:4.0:5"}, "measures": []}
    with pytest.warns(RunLengthDeprecation, match="study config, simulation"):
        old = check_study({**base, "simulation": {"steps": 1000, "keep": 100}})
    new = check_study({**base, "simulation": {"transient": 900, "steps": 100, "keep": 100}})
    assert old["simulation"] == new["simulation"]


def test_cli_steps_without_transient_warns_on_one_line_and_matches_the_new_flags(tmp_path):
    args = ["simulate", "logistic", "--sweep", "r=3.0:4.0:5", "--keep", "10"]
    runner = CliRunner()
    old = runner.invoke(main, [*args, "--steps", "500", "--out", str(tmp_path / "old.zarr")])
    new = runner.invoke(main, [*args, "--transient", "490", "--steps", "10",
                               "--out", str(tmp_path / "new.zarr")])
    assert old.exit_code == 0 and new.exit_code == 0, old.output + new.output
    assert "Warning: neurodyn simulate: steps=500 without transient" in old.output
    assert "say --transient 490 --steps 10" in old.output and "Warning" not in new.output
    _same(xr.open_zarr(tmp_path / "old.zarr"), xr.open_zarr(tmp_path / "new.zarr"))


def test_a_default_transient_does_not_clash_with_the_old_name():
    from neurodyn.run_lengths import time_window

    assert time_window(800.0, None, 200.0, where="f()") == (200.0, 1000.0)
    with pytest.warns(RunLengthDeprecation, match="transient_time=200.0, duration=800.0"):
        assert time_window(1000.0, 200.0, 0.0, where="f()") == (200.0, 1000.0)
