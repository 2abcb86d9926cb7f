"""The Snakemake workflow: dry run, config errors, chunking and threads, and a real run of the
tiny study that is killed mid-job and resumed, then compared with the kernels called directly."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from click.testing import CliRunner

from neurodyn.cli import main
from neurodyn.store import PROVENANCE_KEYS, merge_stores, open_dataset, write_dataset
from neurodyn.workflow import (
    StudyError,
    check_study,
    compute_chunk,
    load_study,
    n_chunks,
    snakemake_command,
)

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "workflows" / "config" / "tiny.yaml"


def _tiny(tmp_path: Path, **changes) -> Path:
    config = yaml.safe_load(TINY.read_text())
    config.update(changes)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _same_values(a: xr.Dataset, b: xr.Dataset) -> None:
    assert sorted(a.data_vars) == sorted(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    for name in a.coords:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    keep = set(a.attrs) - set(PROVENANCE_KEYS)
    assert {k: a.attrs[k] for k in keep} == {k: b.attrs[k] for k in keep}


def test_dry_run_plans_the_default_study(tmp_path):
    done = subprocess.run(
        [*snakemake_command(REPO / "workflows/config/default.yaml", cores=2, dry_run=True),
         "--directory", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    default = load_study(REPO / "workflows/config/default.yaml")
    jobs = dict(
        line.split()[:2] for line in done.stdout.splitlines()
        if line.split()[:1]
        and line.split()[0] in {"sweep_chunk", "merge_sweep", "report", "continuation"}
    )
    assert jobs == {
        "sweep_chunk": str(n_chunks(default)),
        "merge_sweep": "1",
        "report": "1",
        "continuation": "1",
    }
    assert n_chunks(default) == 2  # 24 values of sigma_1_2 in chunks of 12


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "chialvox"}, "unknown model 'chialvox'"),
        ({"sweep": {"sigma_1_2": "0:0.5:6", "sigma_9_9": "0:1:3"}}, "unknown parameter"),
        ({"sweep": {"sigma_1_2": "0:0.5"}}, "malformed sweep"),
        ({"sweep": {"sigma_1_2": "0:50:3"}}, "outside its valid range"),
        ({"fixed": {"k_1": "big"}}, "fixed/k_1: 'big' is not of type 'number'"),
        ({"chunk_size": 0}, "chunk_size: 0 is less than the minimum of 1"),
        ({"measures": ["lyapunov", "entropy"]}, "measures/1: 'entropy' is not one of"),
        ({"simulation": {"steps": 100, "keep": 200}}, "keep*every = 200 exceeds steps = 100"),
        ({"bifurcation": {"parameter": "sigma_1_2", "values": "0:9:3"}}, "outside its valid"),
        ({"report": {"colour": "red"}}, "report: Additional properties are not allowed"),
        ({"stuy": "typo"}, "Additional properties are not allowed ('stuy' was unexpected)"),
    ],
)
def test_config_errors_name_the_problem(tmp_path, change, message):
    config = {**yaml.safe_load(TINY.read_text()), **change}
    with pytest.raises(StudyError) as caught:
        check_study(config)
    assert message in str(caught.value)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["sweep", str(path), "--dry-run"])
    assert result.exit_code == 2
    assert message in result.output


def test_chunks_and_threads_do_not_change_results(tmp_path):
    config = load_study(TINY)
    whole = compute_chunk({**config, "chunk_size": 6}, 0, threads=2)
    parts = []
    for index in range(n_chunks({**config, "chunk_size": 4})):
        part = compute_chunk({**config, "chunk_size": 4}, index, threads=1)
        parts.append(write_dataset(part, tmp_path / f"part{index}.zarr"))
    merged = open_dataset(merge_stores(parts, tmp_path / "merged.zarr")).load()
    _same_values(merged, whole)


def _running_chunks(study: Path) -> dict[str, int]:
    """Chunks whose job has started and not ended (from the job logs): name -> process id."""
    running = {}
    for log in sorted((study / "logs").glob("chunk_*.log")) if (study / "logs").exists() else []:
        text = log.read_text()
        match = re.search(r"\(pid (\d+)\)", text)
        if match and "done in" not in text and "failed" not in text:
            running[log.stem] = int(match.group(1))
    return running


def _snakemake(config: Path, workdir: Path, cores: int, *targets: str) -> subprocess.Popen:
    command = [*snakemake_command(config, cores=cores), "--directory", str(workdir), *targets]
    return subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def test_killed_job_resumes_with_only_the_missing_work(tmp_path):
    config_path = _tiny(tmp_path, results=str(tmp_path / "results"))
    config = load_study(config_path)
    study = tmp_path / "results" / "tiny"
    parts = study / "parts"

    first = _snakemake(config_path, tmp_path, 1, str(study / "sweep.zarr"))
    killed = None
    deadline = time.monotonic() + 600
    while killed is None and first.poll() is None and time.monotonic() < deadline:
        finished = sorted(parts.glob("chunk_*.zarr")) if parts.exists() else []
        running = {
            name: pid for name, pid in _running_chunks(study).items()
            if not (parts / f"{name}.zarr").exists()
        }
        if finished and running:
            done_before = {p.name: (p / "zarr.json").stat().st_mtime_ns for p in finished}
            os.kill(next(iter(running.values())), signal.SIGKILL)
            killed = next(iter(running))
        time.sleep(0.2)
    output = first.communicate(timeout=600)[0]
    assert killed is not None, f"no job was running beside a finished one:\n{output}"
    assert first.returncode != 0
    after_kill = sorted(p.name for p in parts.glob("chunk_*.zarr"))
    assert after_kill == sorted(done_before), "the killed job left a partial store"

    second = _snakemake(config_path, tmp_path, 2)
    output = second.communicate(timeout=900)[0]
    assert second.returncode == 0, output
    for name, stamp in done_before.items():
        assert (parts / name / "zarr.json").stat().st_mtime_ns == stamp, f"{name} recomputed"
    assert output.count("rule sweep_chunk:") == n_chunks(config) - len(done_before)

    direct = compute_chunk({**config, "chunk_size": 6}, 0, threads=2)
    _same_values(open_dataset(study / "sweep.zarr").load(), direct)

    report = study / "report"
    html = (report / "report.html").read_text()
    assert "chialvo_rulkov_chain" in html
    assert {p.name for p in (report / "figures").glob("*.png")} >= {
        "orbit_diagram.png", "two_parameter.png", "synchrony.png", "complexity.png"
    }
    orbit = open_dataset(study / "orbit.zarr")
    assert orbit.sizes["sigma_2_1"] == 50 and list(orbit["mode"].values) == ["forward", "backward"]


def test_snakemake_report_lists_the_figures(tmp_path):
    """`snakemake --report` after a run: a self-contained HTML page with the figures."""
    pytest.importorskip("snakemake")
    config_path = _tiny(
        tmp_path, results=str(tmp_path / "results"),
        sweep={"sigma_1_2": "0:0.5:2", "sigma_2_1": "0:0.5:2"}, measures=["lyapunov"],
        bifurcation={"parameter": "sigma_2_1", "values": "0:0.5:5", "transient": 100, "keep": 5},
    )
    run = _snakemake(config_path, tmp_path, 2)
    assert run.wait(timeout=900) == 0, run.communicate()[0]
    out = tmp_path / "snakemake_report.html"
    done = subprocess.run(
        [*snakemake_command(config_path, cores=1), "--directory", str(tmp_path),
         "--report", str(out)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(errors="replace")
    assert "two_parameter.png" in text and "orbit_diagram.png" in text
    assert sys.getsizeof(text) > 100_000  # the figures are embedded


def test_reservoir_and_train_rules(tmp_path):
    """Config sections `reservoir` and `train` add their rules; training asks for a GPU; the
    reservoir sweep through the workflow equals the library call."""
    from neurodyn.reservoir import reservoir_sweep

    reservoir = {"spectral_radius": [0.9], "leak_rate": [0.3, 0.6], "units": [30],
                 "n_train": 300, "n_test": 50, "warmup": 20}
    config = {
        "study": "extra", "results": str(tmp_path / "results"), "model": "logistic",
        "sweep": {"r": "3.5:4:3"}, "simulation": {"steps": 200, "keep": 10},
        "reservoir": reservoir,
        "train": {"small": {"data": {"store": "lorenz.zarr"}, "model": {"kind": "shplrnn"}}},
    }
    path = tmp_path / "extra.yaml"
    path.write_text(yaml.safe_dump(config))
    plan = subprocess.run(
        [*snakemake_command(path, cores=2, dry_run=True), "--directory", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert plan.returncode == 0, plan.stderr
    train = plan.stdout[plan.stdout.index("rule train:"):]
    assert "gpu=1" in train[: train.index("\n\n")]
    assert "rule reservoir_sweep:" in plan.stdout
    target = tmp_path / "results" / "extra" / "reservoir.zarr"
    run = subprocess.run(
        [*snakemake_command(path, cores=2), "--directory", str(tmp_path), str(target)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    settings = dict(reservoir)
    axes = {name: settings.pop(name) for name in ("spectral_radius", "leak_rate", "units")}
    direct = reservoir_sweep(**axes, **settings)
    stored = open_dataset(target)
    np.testing.assert_array_equal(stored["nrmse"].values, direct["nrmse"].values)
