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
    chunk_block,
    compute_chunk,
    estimate_study,
    load_study,
    n_chunks,
    preflight,
    snakemake_command,
    study_axes,
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


@pytest.mark.workflow
@pytest.mark.requires("snakemake")
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
    assert jobs == {"sweep_chunk": str(n_chunks(default, 2)), "merge_sweep": "1", "report": "1",
                    "continuation": "1"}
    assert n_chunks(default, 2) == 2  # chunk_size auto: one job per core (little work per job)


def test_auto_chunks_fill_the_cores_and_resources_follow_the_estimate(tmp_path):
    done = subprocess.run(
        [*snakemake_command(REPO / "workflows/config/default.yaml", cores=32, dry_run=True),
         "--directory", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    default = load_study(REPO / "workflows/config/default.yaml")
    estimate = estimate_study(default, 32)
    assert done.stdout.count("rule sweep_chunk:") == estimate.n_chunks >= 32
    job = done.stdout[done.stdout.index("rule sweep_chunk:"):]
    job = job[: job.index("\n\n")]
    for key, value in estimate.sweep.resources().items():
        assert f"{key}={value}" in job


def test_study_over_its_limits_is_refused_with_the_estimate(tmp_path):
    big = _tiny(tmp_path, results=str(tmp_path / "results"), chunk_size=10**6,
                sweep={"sigma_1_2": "0:0.5:1000", "sigma_2_1": "0:0.5:1000"})
    with pytest.raises(StudyError, match="over this machine's") as caught:
        preflight(load_study(big), 2)
    assert "1000000 grid points in 1 sweep jobs" in str(caught.value)  # the estimate
    limited = _tiny(tmp_path, results=str(tmp_path / "results"), limits={"mem_mb": 100})
    result = CliRunner().invoke(main, ["sweep", str(limited), "--dry-run", "--cores", "2"])
    assert result.exit_code == 2
    assert "refused before it starts" in result.output
    assert "over limits/mem_mb = 100" in result.output
    assert not (tmp_path / "results").exists()
    plan = subprocess.run(  # Snakemake itself refuses it too
        [*snakemake_command(limited, cores=2, dry_run=True), "--directory", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert plan.returncode != 0 and "over limits/mem_mb = 100" in plan.stderr + plan.stdout
    tiny = _tiny(tmp_path, results=str(tmp_path / "results"))
    shown = CliRunner().invoke(
        main, ["sweep", str(tiny), "-n", "--cores", "2", "--directory", str(tmp_path)]
    )
    assert "estimate: 24 grid points in 3 sweep jobs of at most 8 points" in shown.output


@pytest.mark.parametrize("slots", [1, 3, 7, 64, 1000])
def test_chunks_partition_the_flattened_grid(slots):
    config = {**load_study(TINY), "chunk_size": "auto"}
    config["simulation"] = {**config["simulation"], "n_initial": 3}
    shape = (6, 4, 3)  # sigma_1_2 x sigma_2_1 x ic
    seen = []
    for index in range(n_chunks(config, slots)):
        block = chunk_block(config, index, slots)
        axes = [np.searchsorted(study_axes(config)[k], v) for k, v in block.axes.items()]
        points = np.ravel_multi_index(
            np.meshgrid(*axes, np.arange(block.ic.start, block.ic.stop), indexing="ij"), shape
        ).ravel()
        assert np.all(np.diff(points) == 1)  # a contiguous run of the flattened grid
        seen.append(points)
    flat = np.concatenate(seen)
    np.testing.assert_array_equal(flat, np.arange(np.prod(shape)))  # every point once, in order
    assert n_chunks(config, slots) >= min(slots, flat.size)
    explicit = {**config, "chunk_size": 5}  # honoured: blocks of at most 5 points
    sizes = [chunk_block(explicit, i).ic for i in range(n_chunks(explicit))]
    assert len(sizes) == 24 and all(s.stop - s.start == 3 for s in sizes)


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
    """Blocks of 2 points cut the 3 initial states into pieces of 2 and 1 across parameter
    values; merged, they equal the whole grid computed at once on 2 threads."""
    size = 2
    config = load_study(TINY)
    config["sweep"] = {"sigma_1_2": "0:0.5:2", "sigma_2_1": "0:0.5:2"}
    config["simulation"] = {**config["simulation"], "n_initial": 3}
    whole = compute_chunk({**config, "chunk_size": 10**6}, 0, threads=2)
    parts = []
    for index in range(n_chunks({**config, "chunk_size": size})):
        part = compute_chunk({**config, "chunk_size": size}, index, threads=1)
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


@pytest.mark.workflow
@pytest.mark.requires("snakemake")
def test_killed_job_resumes_with_only_the_missing_work(tmp_path):
    config_path = _tiny(tmp_path, results=str(tmp_path / "results"))
    config = load_study(config_path)
    study = tmp_path / "results" / "tiny"
    parts = study / "parts" / f"points_{config['chunk_size']}"

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

    direct = compute_chunk({**config, "chunk_size": 24}, 0, threads=2)
    _same_values(open_dataset(study / "sweep.zarr").load(), direct)

    report = study / "report"
    html = (report / "report.html").read_text()
    assert "chialvo_rulkov_chain" in html
    assert {p.name for p in (report / "figures").glob("*.png")} >= {
        "orbit_diagram.png", "two_parameter.png", "synchrony.png", "complexity.png"
    }
    orbit = open_dataset(study / "orbit.zarr")
    assert orbit.sizes["sigma_2_1"] == 50 and list(orbit["mode"].values) == ["forward", "backward"]


@pytest.mark.workflow
@pytest.mark.requires("snakemake")
def test_snakemake_report_lists_the_figures(tmp_path):
    """`snakemake --report` after a run: a self-contained HTML page with the figures."""
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
    # every job recorded its time and memory (benchmark directive)
    benchmarks = sorted(p.name for p in (tmp_path / "results" / "tiny" / "benchmarks").iterdir())
    assert benchmarks == ["chunk_000.tsv", "merge.tsv", "orbit.tsv", "report.tsv"]
    header, row = (tmp_path / "results" / "tiny" / "benchmarks" / "merge.tsv").read_text().split(
        "\n"
    )[:2]
    assert header.split("\t")[:3] == ["s", "h:m:s", "max_rss"] and float(row.split("\t")[0]) > 0


def test_snakemake_lint_is_clean():
    pytest.importorskip("snakemake")
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Congratulations, your workflow is in a good condition!" in done.stdout + done.stderr


@pytest.mark.workflow
@pytest.mark.requires("snakemake")
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


def test_checking_a_study_skips_the_slow_optional_import_of_jsonschema():
    """jsonschema is imported without rfc3987_syntax (seconds of parser building per job)."""
    code = (
        "import sys\nfrom neurodyn.workflow import load_study\n"
        f"load_study({str(REPO / 'workflows/config/tiny.yaml')!r})\n"
        "print('rfc3987_syntax' in sys.modules, 'jsonschema' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.workflow
@pytest.mark.requires("snakemake")
def test_reconstruct_section_has_its_rule_and_feeds_the_report(tmp_path):
    """The chialvo_reconstruct study plans one reconstruct job writing its own store, which the
    report reads."""
    plan = subprocess.run(
        [
            *snakemake_command(REPO / "workflows/config/chialvo_reconstruct.yaml", cores=2,
                               dry_run=True),
            "--directory", str(tmp_path),
        ],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert plan.returncode == 0, plan.stderr
    job = plan.stdout[plan.stdout.index("rule reconstruct:"):]
    assert "results/chialvo_reconstruct/reconstruct.zarr" in job[: job.index("\n\n")]
    report = plan.stdout[plan.stdout.index("rule report:"):]
    assert "reconstruct.zarr" in report[: report.index("\n\n")]
