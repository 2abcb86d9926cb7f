"""The cluster tier: a real one-node SLURM cluster on this machine.

The session fixture runs tests/slurm/start_cluster.sh (installs Debian's slurm-wlm and munge
when missing, configures and starts munged, slurmctld and slurmd; copes with them already
running). It needs root and apt-get; where the cluster cannot be started the tests fail with
the script's diagnostics rather than being skipped. Deselect the tier with `-m "not slurm"`.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from neurodyn.workflow import load_study, n_chunks

pytestmark = pytest.mark.slurm

REPO = Path(__file__).resolve().parents[1]
START_SCRIPT = REPO / "tests" / "slurm" / "start_cluster.sh"
SLURM_PROFILE = REPO / "workflows" / "profiles" / "slurm"
LOCAL_PROFILE = REPO / "workflows" / "profiles" / "local"
TINY_CONFIG = REPO / "workflows" / "config" / "tiny.yaml"
SLURM_CONF = Path("/etc/slurm/slurm.conf")  # written by START_SCRIPT


def _env():
    """Environment for commands that must find this interpreter's snakemake and python."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    for key in [k for k in env if k.startswith(("SLURM_", "SBATCH_", "SRUN_"))]:
        del env[key]  # not inside someone else's allocation
    return env


def _run(cmd, timeout, **kwargs):
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=_env(), **kwargs
    )


def _tail(text, n=60):
    return "\n".join(text.splitlines()[-n:])


_DAEMONS = ("munged", "slurmctld", "slurmd")


def _running(name: str) -> bool:
    return subprocess.run(["pgrep", "-x", name], capture_output=True).returncode == 0


def _stop_daemons(names: list[str]) -> None:
    """Stop the daemons ``names`` that this tier started: SLURM's by ``scontrol shutdown``,
    then anything left (munged, or a daemon that did not stop in 30 s) by SIGTERM."""
    if {"slurmctld", "slurmd"} & set(names):
        subprocess.run(["scontrol", "shutdown"], capture_output=True, timeout=30, env=_env())
    deadline = time.monotonic() + 30
    while any(_running(n) for n in names) and time.monotonic() < deadline:
        time.sleep(0.5)
    for name in names:
        subprocess.run(["pkill", "-TERM", "-x", name], capture_output=True)


def _tear_down(started: list[str], conf_before: bytes | None) -> None:
    """Stop the daemons this tier started and, if it started the controller, put SLURM's
    configuration back as it was: a slurm.conf left naming a stopped controller makes every
    later ``scontrol`` wait ~10 s for it, and snakemake's slurm plugin runs ``scontrol show
    config`` whenever snakemake starts."""
    _stop_daemons(started)
    if "slurmctld" not in started:
        return
    if conf_before is None:
        SLURM_CONF.unlink(missing_ok=True)
    else:
        SLURM_CONF.write_bytes(conf_before)


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running one-node SLURM cluster: started here unless it already runs, and then stopped
    when the tier ends, pass or fail (daemons that ran before are left running, and so is the
    configuration they read)."""
    started = [name for name in _DAEMONS if not _running(name)]
    conf_before = SLURM_CONF.read_bytes() if SLURM_CONF.exists() else None
    t0 = time.monotonic()
    try:
        proc = _run(["bash", str(START_SCRIPT)], timeout=240)
    except subprocess.TimeoutExpired as exc:
        _tear_down(started, conf_before)
        pytest.fail(f"{START_SCRIPT.name} did not finish within 240 s:\n{exc.stderr or ''}")
    if proc.returncode != 0:
        _tear_down(started, conf_before)
        pytest.fail(
            f"could not start a SLURM cluster on this machine ({START_SCRIPT.name} exited "
            f"{proc.returncode}; the tier needs root and apt-get):\n"
            f"{proc.stdout}\n{proc.stderr}",
            pytrace=False,
        )
    print(f"SLURM cluster up after {time.monotonic() - t0:.1f} s\n{proc.stderr}")
    try:
        yield proc
    finally:
        _tear_down(started, conf_before)


def test_sbatch_job_runs_and_writes_its_output(slurm_cluster, tmp_path):
    out = tmp_path / "job.out"
    script = tmp_path / "job.sh"
    script.write_text(
        "#!/bin/bash\n"
        'echo "job $SLURM_JOB_ID cpus $SLURM_CPUS_PER_TASK"\n'
        f"{sys.executable} -c "
        "\"import numpy as np, neurodyn; print('sum', int(np.arange(10).sum()))\"\n"
    )
    proc = _run(
        [
            "sbatch",
            "--parsable",
            "--wait",
            "--job-name",
            "neurodyn-test",
            "--cpus-per-task=1",
            "--mem=200",
            "--time=2",
            "--output",
            str(out),
            str(script),
        ],
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, f"sbatch failed:\n{proc.stdout}\n{proc.stderr}"
    job_id = proc.stdout.strip().split(";")[0]
    assert job_id.isdigit(), proc.stdout
    lines = out.read_text().splitlines()
    assert lines == [f"job {job_id} cpus 1", "sum 45"], out.read_text()


def _start_snakemake(profile, results, out, extra=()):
    """Start `snakemake --profile PROFILE --configfile tiny.yaml` from the repository root."""
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--profile",
        str(profile.relative_to(REPO)),
        "--configfile",
        str(TINY_CONFIG.relative_to(REPO)),
        "--config",
        f"results={results}",
        *extra,
    ]
    with open(out, "w") as fh:
        proc = subprocess.Popen(
            cmd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(),
            cwd=REPO,
            start_new_session=True,
        )
    return proc, cmd, out, time.monotonic()


def _stop(proc):
    """Interrupt a snakemake run (SIGINT: the slurm executor cancels its jobs), then its group."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the session started for this run only
    except ProcessLookupError:
        pass
    proc.wait()


def _finish(run, timeout, log_dir=None):
    proc, cmd, out, t0 = run
    try:
        proc.wait(timeout=max(1.0, timeout - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        _stop(proc)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        logs = ""
        for log in sorted(Path(log_dir).rglob("*.log")) if log_dir else []:
            logs += f"\n--- {log}\n{_tail(log.read_text(), 30)}"
        pytest.fail(
            f"{' '.join(cmd)} exited {proc.returncode} after {elapsed:.0f} s "
            f"(limit {timeout} s):\n{_tail(Path(out).read_text(), 80)}{logs}",
            pytrace=False,
        )
    return elapsed


def test_workflow_through_the_slurm_executor_equals_the_local_run(slurm_cluster, tmp_path):
    assert (REPO / "Snakefile").is_file() and TINY_CONFIG.is_file()
    study = yaml.safe_load(TINY_CONFIG.read_text())["study"]
    local = tmp_path / "local"
    cluster = tmp_path / "slurm"
    slurm_logs = tmp_path / "slurm_logs"

    # The SLURM run spends most of its time waiting (submission, status polls), so the local
    # reference run goes alongside it.
    slurm_run = _start_snakemake(
        SLURM_PROFILE,
        cluster,
        tmp_path / "snakemake_slurm.out",
        extra=[
            "--slurm-logdir",
            str(slurm_logs),
            "--slurm-keep-successful-logs",
            # the one-node test cluster answers at once; do not wait 20 s for the first check
            "--slurm-init-seconds-before-status-checks",
            "2",
            "--latency-wait",
            "5",
            # the tiny study's sweep jobs are short (job group "sweep"): one sbatch job each,
            # so that several run at the same time
            "--group-components",
            "sweep=1",
        ],
    )
    try:
        local_run = _start_snakemake(LOCAL_PROFILE, local, tmp_path / "snakemake_local.out")
        _finish(local_run, timeout=420)
    except BaseException:
        _stop(slurm_run[0])
        raise
    elapsed = _finish(slurm_run, timeout=480, log_dir=slurm_logs)
    print(f"workflow through SLURM: {elapsed:.0f} s")

    # Every job ran as a SLURM job: one sbatch log per job of the cluster rules, one per chunk.
    job_logs = list(slurm_logs.rglob("*.log"))
    sweep_logs = [p for p in job_logs if "group_sweep" in str(p) or "rule_sweep_chunk" in str(p)]
    assert len(sweep_logs) == n_chunks(load_study(TINY_CONFIG)) == 3, job_logs

    for root in (local, cluster):
        assert (root / study / "sweep.zarr").is_dir()
        assert (root / study / "report" / "report.html").is_file()

    with (
        xr.open_zarr(local / study / "sweep.zarr") as a,
        xr.open_zarr(cluster / study / "sweep.zarr") as b,
    ):
        assert set(a.data_vars) == set(b.data_vars) and len(a.data_vars) > 0
        xr.testing.assert_equal(a.load(), b.load())
        # Real numbers, not stores of NaNs on both sides: every measure is finite somewhere.
        finite = [
            np.isfinite(a[v].values).any()
            for v in a.data_vars
            if np.issubdtype(a[v].dtype, np.floating)
        ]
        assert finite and all(finite)


def test_start_script_is_idempotent(slurm_cluster):
    t0 = time.monotonic()
    proc = _run(["bash", str(START_SCRIPT)], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "starting" not in proc.stderr  # nothing restarted: the cluster was already up
    assert time.monotonic() - t0 < 30
    assert shutil.which("sinfo")
