"""Lyapunov chart on a CUDA GPU (generated torch code) against the numba kernel on the CPU cores,
same run, same problem: the Chialvo chart of ``bench_lyapunov_chart.py`` at ``--size`` points
per axis and ``--iterations`` iterations (plus its transient), float64 (and float32 with
``--dtype float32``). Prints seconds, ns per update and the ratio numba / CUDA, and how closely
the exponents agree at non-chaotic points (chaotic ones separate at rounding level).

A thin front end to ``bench_lyapunov_chart.py`` with the two backends that matter on a GPU
machine; run it there (numba uses all the machine's cores: say how many in the note).

Run: python tests/benchmarks/bench_gpu.py [--size 1024] [--iterations 10000] [--dtype float64]
"""

from __future__ import annotations

import argparse
import sys

import bench_lyapunov_chart


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    sys.argv = [
        "bench_lyapunov_chart.py", "--size", str(args.size), "--iterations",
        str(args.iterations), "--dtype", args.dtype, "--backends", "numba,torch-cuda",
    ]
    bench_lyapunov_chart.main()


if __name__ == "__main__":
    main()
