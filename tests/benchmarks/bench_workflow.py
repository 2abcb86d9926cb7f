"""Workflow overhead: a study through Snakemake against the same jobs called in one process.

Both compute the same thing on the same grid: the sweep with its measures, the orbit diagram,
the continuation and the report of the study config (default: the default study). The direct
run calls :func:`neurodyn.workflow.compute_chunk` on the whole grid with all cores, then the
orbit diagram, the continuation and the report; the workflow run is ``snakemake --cores N``
in a fresh folder (chunks as jobs, merge, orbit diagram, continuation, report). numba's disk
cache is warmed first so neither pays for compilation. Prints both wall times and the ratio
workflow / direct (target: at most 1.3).

With ``--efficiency``, also the parallel efficiency of the workflow: ``snakemake --cores 1``
against ``--cores N`` on the same config in fresh folders (``chunk_size: auto`` plans the jobs
for each), printing the speed-up (target: at least 1.8 for 2 cores, 12 for 16).

Run: python tests/benchmarks/bench_workflow.py [--config workflows/config/default.yaml]
[--cores 2] [--efficiency]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from neurodyn.report import write_report
from neurodyn.store import write_dataset
from neurodyn.workflow import compute_chunk, load_study, run_orbit_diagram, snakemake_command
from neurodyn.workflow.continuation import run_continuation

REPO = Path(__file__).resolve().parents[2]


def direct(config: dict, folder: Path, cores: int) -> float:
    """The study's work in this process: whole grid at once, then the orbit diagram, the
    continuation and the report."""
    start = time.perf_counter()
    whole = {**config, "chunk_size": 10**9}
    sweep_store = write_dataset(compute_chunk(whole, 0, threads=cores), folder / "sweep.zarr")
    orbit_store = continuation_store = None
    if config.get("bifurcation"):
        orbit_store = run_orbit_diagram(config, folder / "orbit.zarr", threads=cores)
    if config.get("continuation"):
        continuation_store = folder / "continuation.zarr"
        run_continuation(config, continuation_store, threads=cores)
    write_report(
        sweep_store,
        orbit_store,
        folder / "report",
        config=config["report"],
        continuation_store=continuation_store,
    )
    return time.perf_counter() - start


def job_seconds(folder: Path) -> dict[str, tuple[float, float]]:
    """Per job of a workflow run in ``folder``: wall time of the job's process (Snakemake's
    benchmark file, s) and the part spent in the job's work (the job log's ``done in``, s);
    the difference is the process's start-up (interpreter, imports, Snakemake's script
    preamble)."""
    times = {}
    for tsv in sorted(folder.glob("results/*/benchmarks/*.tsv")):
        wall = float(tsv.read_text().splitlines()[1].split("\t")[0])
        log = tsv.parent.parent / "logs" / f"{tsv.stem}.log"
        work = (
            [line.split()[2] for line in log.read_text().splitlines() if line.startswith("done in")]
            if log.exists()
            else []
        )
        times[tsv.stem] = (wall, float(work[-1]) if work else float("nan"))
    return times


def print_jobs(runs: dict[str, dict[str, tuple[float, float]]]) -> None:
    """One row per job: process wall time and work time for each run."""
    names = list(dict.fromkeys(name for times in runs.values() for name in times))
    print(f"{'job (s: process / work)':<24}" + "".join(f"{label:>18}" for label in runs))
    for name in names:
        cells = [times.get(name, (float("nan"),) * 2) for times in runs.values()]
        print(f"{name:<24}" + "".join(f"{wall:>10.1f} /{work:>5.1f}" for wall, work in cells))


def workflow(config_path: Path, folder: Path, cores: int) -> float:
    """``snakemake --cores N`` on the study in a fresh folder."""
    command = [*snakemake_command(config_path, cores=cores), "--directory", str(folder), "-q"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"snakemake failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "workflows/config/default.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--efficiency",
        action="store_true",
        help="also run the workflow on 1 core and print the speed-up",
    )
    args = parser.parse_args()
    config = load_study(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = {
            **config,
            "sweep": {
                k: f"{v.split(':')[0]}:{v.split(':')[0]}:1" if ":" in v else v.split(",")[0]
                for k, v in config["sweep"].items()
            },
        }
        compute_chunk(warm, 0, threads=args.cores)  # fills numba's cache for both runs
        t_direct = direct(config, tmp / "direct", args.cores)
        folder = tmp / "workflow"
        folder.mkdir()
        t_workflow = workflow(args.config.resolve(), folder, args.cores)
        jobs = {f"{args.cores} cores": job_seconds(folder)}
        if args.efficiency:
            single = tmp / "workflow1"
            single.mkdir()
            t_single = workflow(args.config.resolve(), single, 1)
            jobs["1 core"] = job_seconds(single)
    grid = "x".join(str(v.split(":")[-1]) for v in config["sweep"].values())
    print(
        f"study {config['study']} ({grid} grid, {len(config['measures'])} measures), "
        f"{args.cores} cores"
    )
    print(f"direct (one process)     {t_direct:8.1f} s")
    print(f"workflow (snakemake)     {t_workflow:8.1f} s")
    print(f"workflow / direct        {t_workflow / t_direct:8.2f}x   (target <= 1.3)")
    print_jobs(jobs)
    if args.efficiency:
        speedup = t_single / t_workflow
        print(f"workflow on 1 core       {t_single:8.1f} s")
        print(
            f"speed-up {args.cores} cores / 1     {speedup:8.2f}x   (efficiency "
            f"{speedup / args.cores:.0%})"
        )


if __name__ == "__main__":
    main()
