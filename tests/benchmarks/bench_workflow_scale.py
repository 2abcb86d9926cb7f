"""A 10^6-point Chialvo sweep with lambda_1 and period per point, through the workflow and direct.

The study: the Chialvo map over b x k (``--n`` values each, default 1000 x 1000), ``--steps``
iterations per point (default 1000), the largest Lyapunov exponent (``lyapunov_steps`` = steps)
and the period per point. Two runs on the same grid, each in a fresh process:

* direct: :func:`neurodyn.workflow.compute_chunk` on the whole grid with all cores, written with
  :func:`neurodyn.store.write_dataset`;
* workflow: ``snakemake --cores N`` on the study's ``sweep.zarr`` (``chunk_size: auto``: the
  sweep jobs, then the streaming merge).

numba's cache is warmed first so neither pays for compilation. Prints both wall times, the
overhead ratio workflow / direct (target at most 1.3), the peak resident memory of each run
(all its processes together, and its largest process), the plan's estimate beside them,
and checks that the merged store equals the direct one bit for bit.

Run: python tests/benchmarks/bench_workflow_scale.py [--n 1000] [--steps 1000] [--cores 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from neurodyn.store import open_dataset
from neurodyn.workflow import compute_chunk, estimate_study, load_study, snakemake_command

_DIRECT = """
import sys, yaml
from neurodyn.store import write_dataset
from neurodyn.workflow import compute_chunk, load_study
config = {**load_study(sys.argv[1]), "chunk_size": 10**12}
write_dataset(compute_chunk(config, 0, threads=int(sys.argv[2])), sys.argv[3])
"""


def study(n: int, steps: int, results: Path) -> dict:
    return {
        "study": "chialvo_scale",
        "results": str(results),
        "model": "chialvo",
        "fixed": {"a": 0.89, "c": 0.28},
        "sweep": {"b": f"0.1:0.7:{n}", "k": f"0:0.1:{n}"},
        "simulation": {"steps": steps, "keep": 2, "seed": 1},
        "measures": ["lyapunov", "period"],
        "measure_options": {"n_exponents": 1, "lyapunov_steps": steps},
        "report": {},
    }


def measured(command: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall time (s) of ``command`` and its peak memory (MB): the largest resident size of the
    whole process tree (all jobs at once) and of one process, sampled every 0.1 s (psutil)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    tree_peak = one_peak = 0.0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        sizes = []
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                sizes.append(p.memory_info().rss / 2**20)
        tree_peak, one_peak = max(tree_peak, sum(sizes)), max(one_peak, *sizes, 0.0)
        time.sleep(0.1)
    wall = time.perf_counter() - start
    output = proc.stdout.read()
    if proc.returncode:
        raise SystemExit(f"{command[:3]} failed:\n{output[-3000:]}")
    return wall, tree_peak, one_peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="values per axis (n^2 points)")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config_path = tmp / "scale.yaml"
        config_path.write_text(yaml.safe_dump(study(args.n, args.steps, tmp / "results")))
        config = load_study(config_path)
        warm = {**config, "sweep": {"b": "0.5:0.6:2", "k": "0:0.1:2"}, "chunk_size": 4}
        compute_chunk(warm, 0, threads=args.cores)  # fills numba's cache for both runs
        direct_store = tmp / "direct.zarr"
        t_direct, m_direct, _one = measured(
            [sys.executable, "-c", _DIRECT, str(config_path), str(args.cores), str(direct_store)],
            tmp,
        )
        target = tmp / "results" / "chialvo_scale" / "sweep.zarr"
        command = [*snakemake_command(config_path, cores=args.cores), "--directory", str(tmp),
                   str(target)]
        t_flow, m_flow, m_job = measured(command, tmp)
        estimate = estimate_study(config, args.cores)
        merged, direct = open_dataset(target), open_dataset(direct_store)
        for name in ("lyapunov", "period", "x_final", "diverged"):
            np.testing.assert_array_equal(merged[name].values, direct[name].values, err_msg=name)
        finite = np.isfinite(direct["lyapunov"].values)
        summary = {
            "chaotic": float((direct["lyapunov"].values[finite] > 0).mean()),
            "periodic": float((direct["period"].values > 0).mean()),
            "diverged": float(direct["diverged"].values.mean()),
        }
    print(f"Chialvo {args.n}x{args.n} = {args.n**2} points, {args.steps} steps, lambda_1 and "
          f"period, {args.cores} cores; {estimate.n_chunks} sweep jobs of {estimate.chunk_points} "
          f"points")
    print(f"fractions: {json.dumps({k: round(v, 3) for k, v in summary.items()})}")
    print(f"direct (one process)     {t_direct:8.1f} s   peak {m_direct:8.0f} MB")
    print(f"workflow (snakemake)     {t_flow:8.1f} s   peak {m_flow:8.0f} MB (all processes; "
          f"largest one {m_job:.0f} MB)")
    print(f"workflow / direct        {t_flow / t_direct:8.2f}x   (target <= 1.3)")
    print(f"estimate: sweep job {estimate.sweep.mem_mb} MB, merge {estimate.merge.mem_mb} MB, "
          f"{estimate.core_seconds:.0f} core-s; merged store equals the direct one bit for bit")


if __name__ == "__main__":
    main()
