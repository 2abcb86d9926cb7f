"""Where a workflow job's time goes: one sweep-chunk job of a study (the work of one Snakemake
``sweep_chunk`` job) in a fresh interpreter, timed phase by phase.

Phases: interpreter start and ``import neurodyn.workflow``; reading and checking the study
config; building the model and its generated functions (``compile_model``: the generated
source from its disk cache or sympy); the first ``compute_chunk`` (numba kernels loaded from
numba's disk cache, plus the compute); a second ``compute_chunk`` of the same chunk (the compute
alone, so first - second is the kernel loading); writing the chunk's Zarr store. The sum of the
phases other than the compute is the job's fixed cost, paid once per chunk job by the workflow
and once in all by a direct run (``bench_workflow.py``). With ``--peer`` (another checkout,
e.g. the main branch, run from a temporary copy of its package) the same job runs from there,
interleaved, ``--repeats`` times each; medians are printed.

Run: python tests/benchmarks/bench_job_overhead.py [--config workflows/config/default.yaml]
[--chunk 0] [--repeats 3] [--peer /work/main]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

JOB = """
import json, sys, time
t = {"start": time.perf_counter()}
from neurodyn.workflow import compute_chunk, load_study
from neurodyn.store import write_dataset
t["import"] = time.perf_counter()
config = load_study(sys.argv[1])
t["config"] = time.perf_counter()
from neurodyn.models import compile_model
from neurodyn.workflow.config import resolve_model
compile_model(resolve_model(config["model"], config.get("model_options")))
t["model"] = time.perf_counter()
compute_chunk(config, int(sys.argv[2]))
t["first compute"] = time.perf_counter()
ds = compute_chunk(config, int(sys.argv[2]))
t["second compute"] = time.perf_counter()
write_dataset(ds, sys.argv[3])
t["write"] = time.perf_counter()
print(json.dumps(t))
"""

PHASES = ("import", "config", "model", "first compute", "second compute", "write")


def _job(checkout: Path, config: Path, chunk: int, folder: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "NEURODYN_WORKFLOW": str(REPO)}
    out = folder / f"chunk-{time.monotonic_ns()}.zarr"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", JOB, str(config), str(chunk), str(out)],
                          env=env, capture_output=True, text=True, cwd=folder)
    total = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"job failed in {checkout}:\n{done.stderr[-3000:]}")
    marks = json.loads(done.stdout.splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    previous, phases = marks["start"], {}
    for phase in PHASES:
        phases[phase] = marks[phase] - previous
        previous = marks[phase]
    # interpreter start until the script's first line runs, counted with the import
    phases["import"] += total - (marks["write"] - marks["start"])
    phases["total"] = total
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "workflows/config/default.yaml")
    parser.add_argument("--chunk", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="neurodyn-jobs-"))
    checkouts = {"this": REPO}
    if args.peer:
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(args.peer / "neurodyn", folder / "peer" / "neurodyn", ignore=ignore)
        checkouts["peer"] = folder / "peer"
    config = args.config.resolve()
    for checkout in checkouts.values():  # warm-up: fills the kernel and source caches
        _job(checkout, config, args.chunk, folder)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    for _ in range(args.repeats):
        for name, checkout in checkouts.items():
            runs[name].append(_job(checkout, config, args.chunk, folder))
    shutil.rmtree(folder, ignore_errors=True)
    print(f"one sweep-chunk job of {config.name} (chunk {args.chunk}), medians of "
          f"{args.repeats}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'phase':<16}" + "".join(f"{name:>10}" for name in checkouts))
    for phase in (*PHASES, "total"):
        row = [statistics.median(r[phase] for r in runs[name]) for name in checkouts]
        print(f"{phase:<16}" + "".join(f"{value:9.2f}s" for value in row))
    for name in checkouts:
        med = {p: statistics.median(r[p] for r in runs[name]) for p in (*PHASES, "total")}
        loading = med["first compute"] - med["second compute"]
        fixed = med["import"] + med["config"] + med["model"] + loading + med["write"]
        job = fixed + med["second compute"]
        print(f"{name}: a job = fixed cost {fixed:.2f} s (kernel loading {loading:.2f} s of it) "
              f"+ compute {med['second compute']:.2f} s: fixed {fixed / job:.0%} of the job")


if __name__ == "__main__":
    main()
