"""Lyapunov chart of the Chialvo map (b vs k, 1024 x 1024, 10^4 iterations per point): the numba
kernel on all CPU cores against a plain ``@njit(parallel=True)`` loop doing the same tangent-map
QR by hand (``plain``: one point per iteration of a ``prange``, the 2 x 2 algebra written out,
``math.exp`` and ``math.log`` every step), and against the generated torch code on the CPU and,
where torch sees one, on a CUDA GPU -- the same run, the same algorithm.

Each backend computes both exponents by QR (Benettin) with the generated Jacobian
(:func:`neurodyn.analysis.lyapunov.lyapunov_spectrum`, ``backend=...``): ``TRANSIENT``
iterations, then ``--iterations`` iterations with the tangent dynamics. a = 0.89, c = 0.28
(Chialvo 1995), from x = y = 0.5. One update is one point advanced by one iteration (state,
Jacobian, QR step), transient included. Prints the wall time and updates per second of each
backend, its ratio to numba, and how closely its exponents agree with numba's at the points
that are not chaotic in numba's result (chaotic points separate at rounding level; a few regular
points follow a chaotic transient onto another attractor). No timing is asserted.

``--repeats`` runs the backends that many times, interleaved, and keeps each one's best time
(load on a shared machine hits all alike). ``--qr-every k`` runs neurodyn's kernel with
re-orthonormalisation every k iterations (as well as every iteration).

Run: python tests/benchmarks/bench_lyapunov_chart.py [--size 1024] [--iterations 10000]
     [--backends plain,numba,torch-cpu,torch-cuda] [--dtype float64] [--repeats 1]
     [--qr-every 1]
Target (issue 22): numba at least 1.5 times as fast as plain.
"""

from __future__ import annotations

import argparse
import math
import os
import time

# numba's and torch's OpenMP thread pools both spin while idle by default; in one process the
# second backend then runs up to ten times slower (measured here). Idle threads sleep instead:
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402

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


@numba.njit(parallel=True, cache=True)
def plain_chart(X, P, transient, iterations):  # noqa: C901 - the whole algorithm, written out
    """Both exponents per point of the Chialvo map, by QR with the Jacobian written by hand."""
    out = np.empty((2, X.shape[1]))
    for p in numba.prange(X.shape[1]):
        x, y = X[0, p], X[1, p]
        a, b, c, k = P[0, p], P[1, p], P[2, p], P[3, p]
        for _ in range(transient):
            x, y = x * x * math.exp(y - x) + k, a * y - b * x + c
        q00, q01, q10, q11 = 1.0, 0.0, 0.0, 1.0
        l0 = l1 = 0.0
        for _ in range(iterations):
            e = math.exp(y - x)
            j00, j01, j10, j11 = (2.0 * x - x * x) * e, x * x * e, -b, a
            x, y = x * x * e + k, a * y - b * x + c
            t00, t10 = j00 * q00 + j01 * q10, j10 * q00 + j11 * q10
            t01, t11 = j00 * q01 + j01 * q11, j10 * q01 + j11 * q11
            norm = math.sqrt(t00 * t00 + t10 * t10)
            l0 += math.log(norm)
            q00, q10 = t00 / norm, t10 / norm
            dot = q00 * t01 + q10 * t11
            t01, t11 = t01 - dot * q00, t11 - dot * q10
            norm = math.sqrt(t01 * t01 + t11 * t11)
            l1 += math.log(norm)
            q01, q11 = t01 / norm, t11 / norm
        out[0, p], out[1, p] = max(l0, l1) / iterations, min(l0, l1) / iterations
    return out


def run(backend: str, X: np.ndarray, P: np.ndarray, iterations: int, dtype: str,
        qr_every: int = 1):
    if backend == "plain":
        start = time.perf_counter()
        exponents = plain_chart(X, P, TRANSIENT, iterations)
        return time.perf_counter() - start, exponents
    options = {"backend": "numba", "qr_every": qr_every}
    if backend.startswith("torch"):
        device = backend.split("-")[1]
        options = {"backend": "torch", "device": device, "dtype": dtype}
    start = time.perf_counter()
    result = lyapunov_spectrum(
        get_model("chialvo"), X, P, steps=iterations, transient=TRANSIENT, segments=1, **options
    )
    if backend == "torch-cuda":
        import torch

        torch.cuda.synchronize()
    return time.perf_counter() - start, result.exponents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="grid points per axis")
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--backends", default="plain,numba,torch-cpu,torch-cuda")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--qr-every", type=int, default=1)
    args = parser.parse_args()
    backends = args.backends.split(",")
    if args.qr_every > 1 and "numba" in backends:
        backends.insert(backends.index("numba") + 1, f"numba-qr{args.qr_every}")
    torch_version = "not used"
    if any(b.startswith("torch") for b in backends):
        import torch

        torch_version = f"{torch.__version__} {torch.get_num_threads()} threads"
        if "torch-cuda" in backends and not torch.cuda.is_available():
            print("torch sees no CUDA device: torch-cuda skipped")
            backends.remove("torch-cuda")
    X, P = chart_batch(args.size)
    updates = X.shape[1] * (TRANSIENT + args.iterations)
    print(
        f"Chialvo Lyapunov chart {args.size} x {args.size}, {TRANSIENT} + {args.iterations} "
        f"iterations per point ({updates:.3g} updates); {os.cpu_count()} CPU cores, numba "
        f"{numba.get_num_threads()} threads, torch {torch_version}; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    small_X, small_P = chart_batch(4)

    def one(backend, X, P, iterations):
        qr_every = int(backend[8:]) if backend.startswith("numba-qr") else 1
        name = "numba" if backend.startswith("numba") else backend
        return run(name, X, P, iterations, args.dtype, qr_every)

    for backend in backends:  # compile / warm up outside the timing
        one(backend, small_X, small_P, 10)
    timings, exponents = {}, {}
    for _ in range(max(1, args.repeats)):
        for backend in backends:
            elapsed, exponents[backend] = one(backend, X, P, args.iterations)
            timings[backend] = min(timings.get(backend, math.inf), elapsed)
    if "plain" in timings:
        for backend in backends:
            print(f"{backend:<11} {timings[backend] / updates * 1e9:7.2f} ns/update  "
                  f"plain / {backend} {timings['plain'] / timings[backend]:6.2f}")
    reference = timings.get("numba")
    regular = exponents["numba"][0] < -1e-3 if "numba" in exponents else None
    for backend in backends:
        line = f"{backend:<11} {timings[backend]:9.2f} s  {updates / timings[backend]:10.3g} upd/s"
        if reference is not None:
            line += f"  speed / numba {reference / timings[backend]:7.3f}"
        if regular is not None and backend != "numba":
            if backend.startswith("numba-qr") or backend == "plain":
                finite = np.isfinite(exponents["numba"]).all(0)
                chaotic = ~regular & finite
                means = [exponents[b][0, chaotic].mean() for b in (backend, "numba")]
                line += f"  mean l1 at chaotic points {means[0]:.6f} (numba {means[1]:.6f})"
            gap = np.abs(exponents[backend][:, regular] - exponents["numba"][:, regular]).max(0)
            line += (
                f"  |diff| <= 1e-6 at {np.mean(gap <= 1e-6):.1%} of {regular.sum()} non-chaotic "
                f"points (median {np.nanmedian(gap):.1e})"
            )
        print(line)


if __name__ == "__main__":
    main()
