"""Lyapunov chart of the Chialvo map (b vs k, 1024 x 1024, 10^4 iterations per point): the numba
kernel on all CPU cores against the generated torch code on the CPU and, where torch sees one, on
a CUDA GPU -- the same run, the same algorithm.

Each backend computes both exponents by QR (Benettin) with the generated Jacobian
(:func:`neurodyn.analysis.lyapunov.lyapunov_spectrum`, ``backend=...``): ``TRANSIENT``
iterations, then ``--iterations`` iterations with the tangent dynamics. a = 0.89, c = 0.28
(Chialvo 1995), from x = y = 0.5. One update is one point advanced by one iteration (state,
Jacobian, QR step), transient included. Prints the wall time and updates per second of each
backend, its ratio to numba, and how closely its exponents agree with numba's at the points
that are not chaotic in numba's result (chaotic points separate at rounding level; a few regular
points follow a chaotic transient onto another attractor). No timing is asserted.

Run: python tests/benchmarks/bench_lyapunov_chart.py [--size 1024] [--iterations 10000]
     [--backends numba,torch-cpu,torch-cuda] [--dtype float64]
"""

from __future__ import annotations

import argparse
import os
import time

# numba's and torch's OpenMP thread pools both spin while idle by default; in one process the
# second backend then runs up to ten times slower (measured here). Idle threads sleep instead:
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from neurodyn.analysis.lyapunov import lyapunov_spectrum  # noqa: E402
from neurodyn.models import get_model  # noqa: E402
from neurodyn.sim import grid_batch  # noqa: E402

TRANSIENT = 1000
A, C = 0.89, 0.28


def chart_batch(size: int) -> tuple[np.ndarray, np.ndarray]:
    model = get_model("chialvo")
    axes = {"b": np.linspace(0.05, 1.0, size), "k": np.linspace(-0.1, 0.2, size)}
    P = grid_batch(model, axes, {"a": A, "c": C}, 1)
    return np.full((2, P.shape[1]), 0.5), P


def run(backend: str, X: np.ndarray, P: np.ndarray, iterations: int, dtype: str):
    options = {"backend": "numba"}
    if backend.startswith("torch"):
        device = backend.split("-")[1]
        options = {"backend": "torch", "device": device, "dtype": dtype}
    start = time.perf_counter()
    result = lyapunov_spectrum(
        get_model("chialvo"), X, P, steps=iterations, transient=TRANSIENT, segments=1, **options
    )
    if backend == "torch-cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, result.exponents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="grid points per axis")
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--backends", default="numba,torch-cpu,torch-cuda")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    backends = args.backends.split(",")
    if "torch-cuda" in backends and not torch.cuda.is_available():
        print("torch sees no CUDA device: torch-cuda skipped")
        backends.remove("torch-cuda")
    X, P = chart_batch(args.size)
    updates = X.shape[1] * (TRANSIENT + args.iterations)
    print(
        f"Chialvo Lyapunov chart {args.size} x {args.size}, {TRANSIENT} + {args.iterations} "
        f"iterations per point ({updates:.3g} updates); {os.cpu_count()} CPU cores, numba "
        f"{numba.get_num_threads()} threads, torch {torch.__version__} "
        f"{torch.get_num_threads()} threads"
    )
    small_X, small_P = chart_batch(4)
    for backend in backends:  # compile / warm up outside the timing
        run(backend, small_X, small_P, 10, args.dtype)
    timings, exponents = {}, {}
    for backend in backends:
        timings[backend], exponents[backend] = run(backend, X, P, args.iterations, args.dtype)
    reference = timings.get("numba")
    regular = exponents["numba"][0] < -1e-3 if "numba" in exponents else None
    for backend in backends:
        line = f"{backend:<11} {timings[backend]:9.2f} s  {updates / timings[backend]:10.3g} upd/s"
        if reference is not None:
            line += f"  speed / numba {reference / timings[backend]:7.3f}"
        if regular is not None and backend != "numba":
            gap = np.abs(exponents[backend][:, regular] - exponents["numba"][:, regular]).max(0)
            line += (
                f"  |diff| <= 1e-6 at {np.mean(gap <= 1e-6):.1%} of {regular.sum()} non-chaotic "
                f"points (median {np.median(gap):.1e})"
            )
        print(line)


if __name__ == "__main__":
    main()
