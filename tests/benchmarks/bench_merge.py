"""Merging hundreds of part stores: time against the number of parts, peak memory against size.

Parts are blocks of a sweep-shaped Dataset (two swept parameters x initial states, kept states
of 3 variables over ``keep`` iterations, statistics and measures, random values so compression
does not shrink them), cut along the flattened grid as the workflow cuts it. Each merge runs in
a fresh process that reports its peak resident memory (``VmHWM``) above what it had after its
imports and a warm-up merge of two parts; the merged store is checked against the whole Dataset.

Prints the time of merges of 50 ... 400 parts of one size with a least-squares line
(seconds = a + b * parts) and its largest relative residual, then, for 200 parts of growing
size, the merge's extra peak memory against one part's size (target: at most 2 x one part plus
a constant).

Run: python tests/benchmarks/bench_merge.py [--parts 50 100 200 400] [--sizes 1 4 8]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from neurodyn.store import open_dataset, write_dataset

_CHILD = """
import json, sys, time
from neurodyn.store import merge_stores

def status(key):  # MB; VmHWM is this process's own peak (ru_maxrss keeps the parent's at exec)
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith(key)) / 1024

paths, out = json.loads(sys.argv[1]), sys.argv[2]
merge_stores(paths[:2], out + ".warm")  # imports what merging needs
base = status("VmRSS:")
start = time.perf_counter()
merge_stores(paths, out)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "extra_mb": max(0.0, status("VmHWM:") - base)}))
"""


def sweep_like(n_a: int, n_b: int, n_ic: int, keep: int, seed: int = 0) -> xr.Dataset:
    """A Dataset shaped like a workflow sweep with measures (random values)."""
    rng = np.random.default_rng(seed)
    grid = (n_a, n_b, n_ic)
    dims = ("a", "b", "ic")
    data = {
        v: ((*dims, "iteration"), rng.standard_normal((*grid, keep))) for v in ("x", "y", "z")
    }
    for name in ("x_min", "x_max", "x_mean", "lyapunov", "chaos01_K", "sample_entropy"):
        data[name] = (dims, rng.standard_normal(grid))
    data["period"] = (dims, rng.integers(-1, 33, grid))
    data["diverged"] = (dims, rng.random(grid) < 0.01)
    coords = {"a": np.linspace(0, 1, n_a), "b": np.linspace(0, 1, n_b), "ic": np.arange(n_ic),
              "iteration": np.arange(keep)}
    return xr.Dataset(data, coords=coords, attrs={"model": "bench", "seed": 1})


def write_parts(whole: xr.Dataset, folder: Path, n_parts: int) -> tuple[list[Path], float]:
    """Cut ``whole`` into ``n_parts`` blocks along a (the grid's leading axis); MB per part."""
    edges = np.linspace(0, whole.sizes["a"], n_parts + 1).astype(int)
    paths = [
        write_dataset(whole.isel(a=slice(lo, hi)), folder / f"part{i:04d}.zarr", durable=False)
        for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))
    ]
    return paths, whole.nbytes / n_parts / 2**20


def merge(paths: list[Path], out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps([str(p) for p in paths]), str(out)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def check(out: Path, whole: xr.Dataset) -> None:
    merged = open_dataset(out)
    for name in whole.data_vars:
        np.testing.assert_array_equal(merged[name].values, whole[name].values, err_msg=name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 8],
                        help="MB per part for the memory series (200 parts)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print("time against the number of parts (parts of 8 x 2 points, 8 kept states)")
        counts, seconds = [], []
        for n_parts in args.parts:
            whole = sweep_like(n_parts, 8, 2, 8)  # one a-value per part: 8*2*8*3*8 B + measures
            folder = tmp / f"t{n_parts}"
            folder.mkdir()
            paths, part_mb = write_parts(whole, folder, n_parts)
            result = merge(paths, folder / "merged.zarr")
            check(folder / "merged.zarr", whole)
            counts.append(n_parts)
            seconds.append(result["seconds"])
            print(f"  {n_parts:4d} parts of {part_mb:6.3f} MB  {result['seconds']:7.2f} s  "
                  f"extra peak {result['extra_mb']:7.1f} MB")
        b, a = np.polyfit(counts, seconds, 1)
        fit = a + b * np.asarray(counts)
        worst = float(np.max(np.abs(fit - seconds) / np.asarray(seconds)))
        print(f"  fit: seconds = {a:.2f} + {b * 1000:.1f} ms x parts "
              f"(largest relative residual {worst:.1%})")
        print("peak memory against part size (200 parts)")
        for size in args.sizes:
            keep = max(1, round(size * 2**20 / (16 * 2 * 3 * 8)))  # 3 kept variables
            whole = sweep_like(200, 16, 2, keep)
            folder = tmp / f"m{size}"
            folder.mkdir()
            start = time.perf_counter()
            paths, part_mb = write_parts(whole, folder, 200)
            written = time.perf_counter() - start
            result = merge(paths, folder / "merged.zarr")
            check(folder / "merged.zarr", whole)
            ratio = result["extra_mb"] / part_mb
            print(f"  part {part_mb:6.2f} MB (whole {whole.nbytes / 2**20:7.1f} MB): merge "
                  f"{result['seconds']:6.1f} s, extra peak {result['extra_mb']:7.1f} MB = "
                  f"{ratio:5.2f} x part (writing the parts took {written:.1f} s)")
            del whole


if __name__ == "__main__":
    main()
