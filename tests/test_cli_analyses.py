"""The analysis commands (lyapunov, continue, measures, report) give the numbers of the library
calls they wrap, write atomically, exit with code 2 on bad input, and document every option."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from numba import njit

from neurodyn.analysis.bifurcation import continue_cycle, lyapunov_chart
from neurodyn.analysis.measures import add_measures
from neurodyn.cli import main
from neurodyn.models import get_model
from neurodyn.models.jit import prepare
from neurodyn.report import write_report
from neurodyn.store import PROVENANCE_KEYS, open_dataset


def invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def without_provenance(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k not in PROVENANCE_KEYS}
    return out


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory) -> Path:
    """A two-parameter Chialvo sweep with kept states, written by neurodyn simulate."""
    out = tmp_path_factory.mktemp("sweep") / "chialvo.zarr"
    result = invoke(
        "simulate", "chialvo", "--sweep", "b=0.1:0.7:4", "--sweep", "k=0.02,0.04",
        "--steps", "1200", "--keep", "100", "--out", out, "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_every_option_of_every_command_has_help():
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"neurodyn {name} {param.opts[0]} has no help text"


def test_lyapunov_equals_lyapunov_chart(tmp_path):
    out = tmp_path / "lyap.zarr"
    result = invoke(
        "lyapunov", "henon", "--sweep", "a=1.0:1.4:5", "--set", "b=0.3", "--exponents", "2",
        "--steps", "1000", "--transient", "200", "--initial-conditions", "2", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    direct = lyapunov_chart(
        get_model("henon"), {"a": np.linspace(1.0, 1.4, 5)}, {"b": 0.3},
        steps=1000, transient=200, n_exponents=2, n_initial=2,
    )  # fmt: skip
    stored = open_dataset(out).load()
    xr.testing.assert_identical(without_provenance(stored), without_provenance(direct))
    # Henon at a = 1.4, b = 0.3: lambda_1 = 0.419 (within the scatter of 1000 iterations), and
    # lambda_1 + lambda_2 = ln b exactly
    classic = stored["lyapunov"].sel(a=1.4).isel(ic=0).values
    scatter = float(stored["lyapunov_stderr"].sel(a=1.4).isel(ic=0, exponent=0))
    assert abs(classic[0] - 0.419) < 4 * scatter
    np.testing.assert_allclose(classic.sum(), np.log(0.3), atol=1e-12)


def test_lyapunov_bad_input_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "lyap.zarr"
    for args, message in [
        (["henonx", "--sweep", "a=1:1.4:3"], "unknown model"),
        (["henon", "--sweep", "q=1:1.4:3"], "unknown parameter"),
        (["henon", "--sweep", "a=1:1.4:3", "--exponents", "3"], "2 state variables"),
    ]:
        result = invoke("lyapunov", *args, "--out", out)
        assert result.exit_code == 2 and message in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_continue_equals_continue_cycle(tmp_path):
    out = tmp_path / "branch.zarr"
    result = invoke(
        "continue", "logistic", "r", "--set", "r=2.8", "--start", "x=0.6", "--range", "2.5:3.2",
        "--stop-on", "PD", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    branch = continue_cycle(
        get_model("logistic"), "r", np.array([0.6]), {"r": 2.8}, bounds={"r": (2.5, 3.2)},
        stop_on=("PD",),
    )  # fmt: skip
    stored = open_dataset(out).load()
    xr.testing.assert_identical(
        without_provenance(stored), without_provenance(branch.to_dataset())
    )
    # the fixed point x = 1 - 1/r loses stability by period doubling at r = 3
    assert [str(label) for label in stored["special_label"].values] == ["PD"]
    assert abs(float(stored["special_r"][0]) - 3.0) < 1e-9
    assert "PD at r=3" in result.output


def test_continue_bad_input_exits_2(tmp_path):
    out = tmp_path / "branch.zarr"
    for args, message in [
        (["logistic", "q"], "unknown parameter"),
        (["logistic", "r", "--start", "y=0.5"], "not a state variable"),
        (["logistic", "r", "--range", "2.5"], "expected LOW:HIGH"),
        (["logistic", "r", "--range", "3:2.5"], "LOW must be below HIGH"),
        (["logistic", "r", "--stop-on", "EP"], "'EP' is not one of"),
        (["fitzhugh_nagumo", "I_ext"], "needs a map"),
    ]:
        result = invoke("continue", *args, "--out", out)
        assert result.exit_code == 2 and message in result.output, result.output
    assert list(tmp_path.iterdir()) == []


def test_measures_equals_add_measures(sweep_store, tmp_path):
    store = shutil.copytree(sweep_store, tmp_path / "measured.zarr")
    before = open_dataset(store).load()
    result = invoke(
        "measures", store, "--measure", "period", "--measure", "permutation_entropy",
        "--max-period", "16", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    direct = add_measures(before, ["period", "permutation_entropy"], max_period=16)
    stored = open_dataset(store).load()
    xr.testing.assert_identical(without_provenance(stored), without_provenance(direct))
    assert stored.attrs["created_utc"] == before.attrs["created_utc"]  # provenance kept


def test_measures_bad_input_exits_2(sweep_store, tmp_path):
    missing = tmp_path / "missing.zarr"
    result = invoke("measures", missing, "--measure", "period")
    assert result.exit_code == 2 and "no Zarr store" in result.output
    result = invoke("measures", sweep_store, "--measure", "nope")
    assert result.exit_code == 2 and "nope" in result.output
    stamp = (sweep_store / "zarr.json").stat().st_mtime_ns
    result = invoke("measures", sweep_store, "--measure", "kuramoto", "--no-progress")
    assert result.exit_code == 2 and "need(s) a network" in result.output
    assert (sweep_store / "zarr.json").stat().st_mtime_ns == stamp  # nothing written


def test_report_equals_write_report_and_replaces_atomically(sweep_store, tmp_path):
    out = tmp_path / "report"
    result = invoke("report", sweep_store, "--out", out)
    assert result.exit_code == 0, result.output
    direct = write_report(sweep_store, None, tmp_path / "direct")
    assert (out / "report.html").read_text() == direct.read_text()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert figures == sorted(p.name for p in (tmp_path / "direct" / "figures").iterdir())
    for name in figures:
        assert (out / "figures" / name).stat().st_size > 1000
    again = invoke("report", sweep_store, "--out", out)  # replaces the previous report
    assert again.exit_code == 0 and sorted(p.name for p in tmp_path.iterdir()) == [
        "direct",
        "report",
    ]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused = invoke("report", sweep_store, "--out", other)
    assert refused.exit_code == 2 and "refusing to replace it" in refused.output
    assert (other / "keep.txt").read_text() == "mine"


def test_prepare_announces_a_compilation_once(capsys):
    @njit
    def twice(x):
        return 2.0 * x

    prepare(twice, (1.0,), "twice", notify=True)
    first = capsys.readouterr().err
    assert first.startswith("twice: preparing numba kernels") and " compiled in " in first
    prepare(twice, (3.0,), "twice", notify=True)
    assert capsys.readouterr().err == ""
    assert twice(3.0) == 6.0
