"""Bad input, one class per test: expressions, configs, stores, the command line.

Every case must end in a clear error naming what was given (exit 2 on the command line), without
hanging, without a traceback and without writing anything.
"""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy
import xarray as xr
import yaml
from click.testing import CliRunner

from neurodyn.cli import main
from neurodyn.models import (
    ExpressionError,
    Model,
    ModelError,
    Parameter,
    StateVariable,
    parse_expression,
)
from neurodyn.models.expressions import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, check_expression
from neurodyn.store import StoreError, merge_stores, open_dataset, verify_store, write_dataset
from neurodyn.store.integrity import COMPLETE_MARKER
from neurodyn.workflow import StudyError, check_study, load_study, preflight
from neurodyn.workflow.config import MAX_CONFIG_VALUES

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10**10**10", "exponent 10000000000 in '10\\*\\*10\\*\\*10' exceeds the limit"),
        ("x**(2**20)", "exponent 1048576"),
        ("2.0**1100", "exponent 1100"),
        ("10**300 * 10**300", "not a finite real number"),
        ("1/0", "division by zero in '1/0'"),
        ("x / (x - x)", "division by zero in 'x / \\(x - x\\)'"),
        ("log(0) * x", "'log\\(0\\)' is zoo, not a finite real number"),
        ("sqrt(-1) + x", "'sqrt\\(-1\\)' is I"),
        ("(-8)**0.5", "not a finite real number"),
        ("0**-1", "not a finite real number"),
        ("1e999 * x", "'1e999' is oo"),
        ("exp(1000) + x", "'exp\\(1000\\)' is exp\\(1000\\)"),
        ("where(x < 0, log(0), x)", "'log\\(0\\)' is zoo"),
        ("-" * 50_000 + "x", "nested too deeply"),
        ("exp(" * 100 + "x" + ")" * 100, "nested too deeply"),
        ("2**" * 5_000 + "2", "nested too deeply"),
        ("+".join(["x"] * 50_000), "nested too deeply"),
        ("x" * (MAX_LENGTH + 1), f"longer than {MAX_LENGTH} characters"),
        ("1" * 5_000, "cannot parse"),
        ("x\x00", "null bytes"),
        ("\uff41 + x", "non-ASCII character '\uff41' \\(U\\+FF41\\) at position 0"),
        ("x + \u0430", "non-ASCII character '\u0430' \\(U\\+0430\\)"),
        ("x - (x < x)", "'x < x' is a condition where a number is needed"),
        ("-(x < 1)", "'x < 1' is a condition where a number is needed"),
        ("x & 0.0", "'x & 0.0' is a condition where a number is needed"),
        ("x < 1", "'x < 1' is a condition where a number is needed"),
        ("where(x, 1, 0)", "'x' is a number where a condition is needed"),
    ],
)
def test_expression_limits_and_constants_are_refused(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, ["x", "a"])
    if text != "x / (x - x)":  # a constant only once sympy simplifies: refused by parse_expression
        with pytest.raises(ExpressionError, match=message):
            check_expression(text, ["x", "a"])


def test_expression_limits_accept_what_they_document():
    x = sympy.Symbol("x", real=True)
    # a flat chain is one level whatever its length: 1500 terms, under the parser's own bound
    assert parse_expression("+".join(["x"] * 1500), ["x"]) == 1500 * x
    # chains flatten into the same expression sequential evaluation gives
    a = sympy.Symbol("a", real=True)
    assert (
        parse_expression("x - 2*a + 3/x/a - x*a/2", ["x", "a"]) == x - 2 * a + 3 / x / a - x * a / 2
    )
    deepest = "tanh(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
    value = parse_expression(deepest, ["x"]).subs(x, 0.5)
    expected = 0.5
    for _ in range(MAX_DEPTH - 1):
        expected = math.tanh(expected)
    assert float(value) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("tanh(" + deepest + ")", ["x"])
    assert parse_expression(f"2**{MAX_EXPONENT - 1}", []) == 2 ** (MAX_EXPONENT - 1)
    assert parse_expression(f"x**-{MAX_EXPONENT}", ["x"]) == x ** (-MAX_EXPONENT)


def test_model_refuses_lookalike_names_and_infinite_derivatives():
    state = (StateVariable("x"),)
    with pytest.raises(ModelError, match="'\uff41' is not a usable name"):
        Model("m", "map", state, (Parameter("\uff41", 1.0),), ("x",))
    # the full-width letter is not folded onto the parameter 'a'
    with pytest.raises(ModelError, match="non-ASCII character '\uff41'"):
        Model("m", "map", state, (Parameter("a", 1.0),), ("\uff41 * x",))
    with pytest.raises(ModelError, match="model 'm': 'log\\(0\\)' is zoo"):
        Model("m", "map", state, (Parameter("a", 1.0),), ("x + log(0)",))
    with pytest.raises(ModelError, match="model 'm': 'x<x' is a condition where a number"):
        Model("m", "map", state, (Parameter("a", 1.0),), ("x-(x<x)",))
    model = Model("m", "map", state, (Parameter("a", 1.0),), ("0**x + x",))
    with pytest.raises(ModelError, match="derivative of equation '0\\*\\*x \\+ x' by 'x'"):
        model.jacobian_expressions  # noqa: B018


# ----------------------------------------------------------------------------- configs

TINY = REPO / "workflows" / "config" / "tiny.yaml"


def _bomb(levels: int, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("measure_options:\n" + _indent(_bomb(8)), "expands to more than 100000 values"),
        ("report:\n  points: &p [*p]", "refers to a value that contains it"),
        (
            "model_options:\n  m0: &m0 {a: 1, b: 2}\n"
            + "".join(
                f"  m{i}: &m{i} {{<<: [*m{i - 1}], x{i}: [{', '.join([f'*m{i - 1}'] * 4)}]}}\n"
                for i in range(1, 10)
            ),
            "expands to more than 100000 values",
        ),
        ("measure_options: " + "[" * 200 + "]" * 200, "nested deeper than 32 levels"),
        ("measure_options: {n_cc: 3}", "measure_options: unknown option 'n_cc'"),
        ("measure_options: {n_c: 0}", "measure_options/n_c: n_c must be a positive integer"),
        ("measure_options: {m: two}", "measure_options/m: 'two' is not of the type"),
        ("measure_options: {variable: q}", "measure_options/variable: 'q' is not a state"),
        ("report: {orbit_variable: q}", "report/orbit_variable: 'q' is not a state variable"),
        ("report: {points: [{sigma_1_2: 0.1, sigmaa: 1}]}", "report/points/0: ['sigmaa']"),
        ("report: {points: [{ic: 3}]}", "report/points/0: ic=3 but simulation/n_initial is 1"),
        ("study: '..'", "study: '..' does not match"),
        ("results: r\nstudy: ../x", "study: '../x' does not match"),
        ("train: {'..': {data: {store: s}, model: {kind: gru}}}", "train: '..' does not match"),
        ("train: {t: {data: {store: s}, model: {kind: gru, hiden: 3}}}", "gru takes no ['hiden']"),
        (
            "train: {t: {data: {store: s}, model: {kind: gru}, checkpoint: /tmp/c.pt}}",
            "train/t/checkpoint: '/tmp/c.pt' is outside results",
        ),
        (
            "reservoir: {spectral_radius: [1], leak_rate: [0.5], units: [4], "
            "hyperparameters: {ridgee: 1}}",
            "reservoir/hyperparameters: unknown ['ridgee']",
        ),
    ],
)
def test_config_bombs_and_open_sections_are_refused(tmp_path, tail, message):
    text = "\n".join(
        line
        for line in TINY.read_text().splitlines()
        if not line.startswith(tail.split(":")[0] + ":")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text + "\n" + tail + "\n")
    with pytest.raises(StudyError) as caught:
        load_study(path)
    assert message in str(caught.value)
    result = CliRunner().invoke(main, ["sweep", str(path), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_config_expansion_is_counted_exactly():
    base = yaml.safe_load(TINY.read_text())
    # values of the tiny study: the top mapping, each key and value, nested likewise
    size = 1 + sum(1 + _count(v) for v in base.values())
    shared = list(range(10))
    at_limit = {**base, "extra": [shared] * ((MAX_CONFIG_VALUES - size - 2) // 11)}
    spare = MAX_CONFIG_VALUES - size - 2 - 11 * len(at_limit["extra"])
    at_limit["extra"] += [0] * spare  # now exactly MAX_CONFIG_VALUES values
    with pytest.raises(StudyError, match="'extra' was unexpected"):  # the schema, after the count
        check_study(at_limit)
    at_limit["extra"].append(0)
    with pytest.raises(StudyError, match=f"expands to more than {MAX_CONFIG_VALUES} values"):
        check_study(at_limit)


def _count(value) -> int:
    if isinstance(value, dict):
        return 1 + sum(1 + _count(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_count(v) for v in value)
    return 1


# ----------------------------------------------------------------------------- stores


def _store(tmp_path: Path) -> Path:
    # 'a' is NaN in its whole second block (diverged points): that chunk must be written too
    a = np.arange(12.0).reshape(4, 3)
    a[2:] = np.nan
    ds = xr.Dataset(
        {"a": (("p", "q"), a), "b": (("p",), np.arange(4.0))},
        coords={"p": np.arange(4.0), "q": [1, 2, 3]},
    )
    return write_dataset(ds, tmp_path / "s.zarr", chunks={"p": 2})


def _fault(store: Path, fault: str) -> None:
    if fault == "missing":
        (store / "a" / "c" / "1" / "0").unlink()
    elif fault == "corrupt":
        (store / "a" / "c" / "1" / "0").write_bytes(b"not zstd")
    elif fault == "corrupt coordinate":
        (store / "p" / "c" / "1").write_bytes(b"not zstd")
    elif fault == "metadata":
        (store / "zarr.json").write_text('{"zarr_format": 3, "node_type": ')


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("missing", "chunk c/1/0 (block (1, 0)) of variable 'a' is missing"),
        ("corrupt", "chunk c/1/0 of variable 'a' cannot be read"),
        ("corrupt coordinate", "chunk c/1 of variable 'p' cannot be read"),
        ("metadata", "s.zarr/zarr.json is unreadable"),
    ],
)
def test_store_faults_are_errors_naming_variable_and_chunk(tmp_path, fault, message):
    store = _store(tmp_path)
    # intact: 2 chunks of a, 2 of b, 2 of p, 1 of q, all read, NaN block included
    assert verify_store(store) == 7
    assert (store / COMPLETE_MARKER).is_file()  # so a missing chunk file is an error
    np.testing.assert_array_equal(open_dataset(store)["a"].values[2:], np.full((2, 3), np.nan))
    _fault(store, fault)
    with pytest.raises(StoreError, match=re.escape(message)):
        verify_store(store)
    with pytest.raises(StoreError, match=re.escape(message)):
        merge_stores([store], tmp_path / "merged.zarr")
    assert not (tmp_path / "merged.zarr").exists()
    if fault != "corrupt":  # opening reads coordinates only: a data chunk is checked when read
        with pytest.raises(StoreError, match=re.escape(message)):
            open_dataset(store)
    result = CliRunner().invoke(main, ["info", "--verify", str(store)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


# ----------------------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "10", "--keep", "100"], "keep=100 states at stride every=1 need steps >= 100"),
        (["--steps", "5", "--transient", "5", "--keep", "6"], "keep=6 states at stride every=1"),
        (["--steps", str(2**63)], f"'--steps': {2**63} is not in the range"),
        (["--seed", "-1"], "'--seed': -1 is not in the range"),
        (["--set", "a=1.9", "--set", "a=1.8"], "--set gives a more than once"),
        (["--set", "a="], "malformed setting 'a='"),
        (["--set", "a=1e999"], "parameter 'a' of chialvo: inf is outside"),
        (
            ["--sweep", "k=0:0.1:1000000000000"],
            "1000000000000 values is more than the 10000000 an axis may have",
        ),
        (
            ["--sweep", "k=0:0.1:1000000", "--sweep", "a=0:1:1000000"],
            "a sweep of 1000000000000 grid points x 1 initial states",
        ),
        (["--steps", "10000000000", "--keep", "10000000000"], "keeping 10000000000 states needs"),
        (["--out-file"], "exists and is not a Zarr store"),
        (["--out-link"], "is a symbolic link"),
        (["--out-full"], "is a non-empty directory without Zarr metadata"),
        (["--out-under-file"], "is not a directory"),
    ],
)
def test_cli_values_and_output_paths_are_checked_before_computing(
    tmp_path, monkeypatch, args, message
):
    monkeypatch.setattr("neurodyn.sim.grid.memory_bytes", lambda: 16 * 2**30)
    (tmp_path / "file").write_text("keep me")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("keep me")
    (tmp_path / "link").symlink_to(tmp_path / "full")
    outs = {
        "--out-file": "file",
        "--out-link": "link",
        "--out-full": "full",
        "--out-under-file": "file/s.zarr",
    }
    before = sorted(p.name for p in tmp_path.rglob("*"))
    out = str(tmp_path / outs.get(args[0], "s.zarr"))
    args = [] if args[0] in outs else args
    result = CliRunner().invoke(main, ["simulate", "chialvo", *args, "--out", out])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_sweep_refuses_bad_bound_initial_state_and_memory(monkeypatch):
    import neurodyn.sim.grid as grid
    from neurodyn.models import get_model
    from neurodyn.sim import sweep
    from neurodyn.sim.sweep import sweep_bytes

    model = get_model("logistic")
    axes = {"r": np.linspace(3.0, 4.0, 5)}
    for bound in (math.nan, 0.0, -1.0):
        with pytest.raises(ValueError, match=f"bound must be a positive number.*{bound}"):
            sweep(model, axes, steps=10, bound=bound)
    with pytest.raises(ValueError, match="initial state 1 has x = nan; initial states must be"):
        sweep(model, axes, steps=10, initial=[[0.1], [math.nan]])
    with pytest.raises(ValueError, match="seed must be a non-negative integer, not -1"):
        sweep(model, axes, steps=10, seed=-1)
    with pytest.raises(ModelError, match="bound must be a positive number, not nan"):
        Model("m", "map", (StateVariable("x"),), (), ("x",), bound=math.nan)
    # the memory check refuses exactly what its estimate puts over the machine's memory
    need = sweep_bytes(model, 5, keep=3)
    assert need == 8 * 5 * (1 + 1 * (2 * 3 + 9) + 64 + 2)
    monkeypatch.setattr(grid, "memory_bytes", lambda: need - 1)
    with pytest.raises(ValueError, match="a sweep of 5 grid points x 1 initial states keeping 3"):
        sweep(model, axes, steps=10, keep=3)
    monkeypatch.setattr(grid, "memory_bytes", lambda: need)
    ds = sweep(model, axes, steps=10, keep=3)
    r, x = 3.0 + 0.25 * np.arange(5), np.full(5, model.initial_state()[0])
    for _ in range(10):
        x = r * x * (1 - x)
    np.testing.assert_array_equal(ds["x_final"].values[:, 0], x)


def test_study_refuses_bad_bound_and_oversized_jobs(monkeypatch):
    monkeypatch.setattr("neurodyn.sim.grid.memory_bytes", lambda: 16 * 2**30)
    config = yaml.safe_load(TINY.read_text())
    for bound, message in (
        (math.nan, "simulation: bound must be a positive number (inf: none), not nan"),
        (-1.0, "simulation/bound: -1.0 is less than or equal to the minimum of 0"),
    ):
        bad = {**config, "simulation": {**config["simulation"], "bound": bound}}
        with pytest.raises(StudyError, match=re.escape(message)):
            check_study(bad)
    huge = {**config, "sweep": {"sigma_1_2": "0:0.5:1000", "sigma_2_1": "0:0.5:2000"}}
    huge = check_study({**huge, "chunk_size": 2_000_000})  # grid points per job
    with pytest.raises(StudyError, match="refused before it starts: a job needs .* over this "):
        preflight(huge)


@pytest.mark.slow
def test_snakemake_refuses_an_alias_bomb_before_planning(tmp_path):
    from neurodyn.workflow import snakemake_command

    path = tmp_path / "bomb.yaml"
    path.write_text(TINY.read_text() + "\nmeasure_options:\n" + _indent(_bomb(8)) + "\n")
    done = subprocess.run(
        [*snakemake_command(path, cores=1, dry_run=True), "--directory", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode != 0
    assert "expands to more than 100000 values" in done.stdout + done.stderr
