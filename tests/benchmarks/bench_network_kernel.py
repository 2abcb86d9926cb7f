"""The network kernel: build + compile time against network size, run cost per node-update of a
nonlocal ring against a vectorised numpy + scipy.sparse loop, and lambda_1 of a 1000-node ring
against a finite-difference tangent of the numpy loop, all in one run.

Network: a ring of N Chialvo maps (shared a, b, c, k) coupled diffusively on x with range R,
normalised by the in-degree: ``x_i' = x_i^2 exp(y_i - x_i) + k + sigma/(2R) sum_{|j-i|<=R}
(x_j - x_i)``, ``y_i' = a y_i - b x_i + c``.

1. Build + compile (:func:`neurodyn.networks.network` and a first 10-step
   :func:`neurodyn.sim.iterate_batch`) for N = 10, 100, 1000, 10 000, R = min(10, (N-1)//2), each
   in a fresh process: cold (a new, empty numba cache directory for each N) and warm (the same
   directory again).
2. Run cost per node-update, N = 1000, R = 10, for a single trajectory and for a batch of 64:
   the kernel's ``advance`` (no reducers), the full batch schedule (``iterate_batch``: min, max,
   mean, kept states), the single-map limit (the catalogue Chialvo step on N * batch
   independent points), and the numpy loop (``scipy.sparse`` CSR times the (N, batch) array of
   x), and the numpy loop with window sums from a cumulative sum (O(1) per node, as the kernel's
   ring stencil); also the kernel with the ring summed edge by edge (CSR, stencil off). The
   first 10 steps of both kernels and both numpy loops are checked equal (1e-12) step by step.
3. lambda_1 of the 1000-node ring (R = 10, sigma = 0.05, chaotic b = 0.18) over 10^4
   iterations after 1000 transient: :func:`neurodyn.analysis.lyapunov.lyapunov_spectrum`
   (sparse tangent map, one vector) against a finite-difference tangent of the numpy loop
   (relative step 1e-7, renormalised every iteration). Both are finite-time estimates from
   different rounding (the trajectories separate after ~100 iterations), so they agree to their
   statistical error, not to rounding.
4. The torch backend against numba on the same sweep (needs torch): the N = 1000, R = 10 ring
   over an 8 x 8 grid of coupling strength ``sigma`` (0.02 .. 0.3) x bias ``k`` (0.02 .. 0.05),
   one initial state, a batch of 64 points, 100 + 200 iterations with min, max, mean, 4 kept
   states and distinct counts: :func:`neurodyn.sim.sweep` with ``backend="numba"`` and
   ``backend="torch", device="cpu"`` (float64), on the default threads and on one thread each,
   every Dataset variable checked equal (1e-12; the grid's bursting points stay that close
   over these 300 iterations). The torch network step on CUDA (``device="cuda"``) is timed
   too where torch sees a GPU; it has not been run on one here.

Run: python tests/benchmarks/bench_network_kernel.py (``--torch``: section 4 only)
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

# numba's and torch's OpenMP thread pools both spin while idle by default; in one process the
# second backend then runs several times slower. Idle threads sleep instead:
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from timing import best_time  # noqa: E402

from neurodyn.analysis.lyapunov import lyapunov_spectrum  # noqa: E402
from neurodyn.models import compile_model, get_model  # noqa: E402
from neurodyn.networks import DiffusiveCoupling, network, ring  # noqa: E402
from neurodyn.sim import iterate_batch, sweep  # noqa: E402

A_, C_, K_ = 0.89, 0.28, 0.03


def ring_network(n: int, radius: int, sigma: float, b: float = 0.6, csr: bool = False):
    """The ring; with ``csr`` a second, zero-strength coupling on the same rows (a chain) turns
    the kernel's ring stencil off, so the ring is summed edge by edge (CSR)."""
    coupling = DiffusiveCoupling(ring(n, radius, sparse=True), "x", "sigma", normalise="in_degree")
    pairs = sp.diags([np.ones(n - 1), np.ones(n - 1)], [-1, 1], format="csr")
    off = [DiffusiveCoupling(pairs, "x", "eps", default=0.0)] if csr else []
    return network(
        ["chialvo"] * n,
        [coupling, *off],
        shared=True,
        defaults={"sigma": sigma, "b": b},
        name=f"chialvo_ring_{n}",
    )


def build_and_compile(n: int) -> dict[str, float]:
    """Seconds to build the network and to compile and run its first 10 steps."""
    start = time.perf_counter()
    net = ring_network(n, min(10, (n - 1) // 2), 0.05)
    built = time.perf_counter() - start
    X = np.tile(net.initial_state()[:, None], (1, 2))
    P = np.tile(np.array([[p.default] for p in net.parameters]), (1, 2))
    iterate_batch(net, X, P, steps=10)
    return {"build": built, "total": time.perf_counter() - start}


def timed_build(n: int, cache: str) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    result = subprocess.run(
        [sys.executable, __file__, "--build", str(n)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


class NumpyRing:
    """The same network as a vectorised numpy loop: x, y of shape (N, batch)."""

    def __init__(self, n: int, radius: int, sigma: float, b: float):
        A = ring(n, radius, sparse=True)
        self.C = sp.csr_array(A / A.sum(axis=1)[:, None])
        self.sigma, self.b = sigma, b

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        coupling = self.C @ x - x
        return x * x * np.exp(y - x) + K_ + self.sigma * coupling, A_ * y - self.b * x + C_


class NumpyWindowRing(NumpyRing):
    """The numpy loop with the ring's window sums from a cumulative sum (O(1) per node, as the
    kernel's stencil), the fastest numpy form of this coupling."""

    def __init__(self, n: int, radius: int, sigma: float, b: float):
        super().__init__(n, radius, sigma, b)
        self.radius = radius

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = self.radius
        total = np.cumsum(np.concatenate([x[-r - 1 :], x, x[:r]]), axis=0)
        window = total[2 * r + 1 :] - total[: -2 * r - 1]  # x_{i-R} .. x_{i+R}
        coupling = (window - x) / (2 * r) - x
        return x * x * np.exp(y - x) + K_ + self.sigma * coupling, A_ * y - self.b * x + C_


def run_cost(n: int, radius: int, batch: int, steps: int) -> dict[str, float]:
    net = ring_network(n, radius, 0.05)
    compiled = compile_model(net)
    rng = np.random.default_rng(1)
    X0 = np.empty((2 * n, batch))
    X0[0::2], X0[1::2] = rng.uniform(0, 2, (n, batch)), rng.uniform(0, 2, (n, batch))
    P = np.tile(np.array([[p.default] for p in net.parameters]), (1, batch))
    peer, window_peer = NumpyRing(n, radius, 0.05, 0.6), NumpyWindowRing(n, radius, 0.05, 0.6)
    csr = ring_network(n, radius, 0.05, csr=True)
    assert net.plan.operator.stencils.size and not csr.plan.operator.stencils.size
    by_edges = compile_model(csr)
    Pc = np.tile(np.array([[p.default] for p in csr.parameters]), (1, batch))
    X, x, y = X0.copy(), X0[0::2].copy(), X0[1::2].copy()
    ok = np.ones(batch, dtype=bool)
    for _ in range(10):  # equal step by step
        Z = X.copy()
        compiled.advance(X, P, 0, batch, 1, 1e6, ok, compiled.plan)
        by_edges.advance(Z, Pc, 0, batch, 1, 1e6, ok, by_edges.plan)
        u, v = window_peer.step(x, y)
        x, y = peer.step(x, y)
        for state in (X, Z):
            assert np.allclose(state[0::2], x, rtol=1e-12, atol=1e-12)
            assert np.allclose(state[1::2], y, rtol=1e-12, atol=1e-12)
        assert np.allclose(u, x, rtol=1e-12, atol=1e-12) and np.allclose(v, y, rtol=0, atol=0)
        X[0::2], X[1::2] = x, y

    def kernel():
        Z = X0.copy()
        compiled.advance(Z, P, 0, batch, steps, 1e6, np.ones(batch, dtype=bool), compiled.plan)

    def kernel_csr():
        Z = X0.copy()
        by_edges.advance(Z, Pc, 0, batch, steps, 1e6, np.ones(batch, dtype=bool), by_edges.plan)

    def window_loop():
        u, v = X0[0::2].copy(), X0[1::2].copy()
        for _ in range(steps):
            u, v = window_peer.step(u, v)

    def schedule():
        iterate_batch(net, X0, P, steps=steps, keep=4)

    def loop():
        u, v = X0[0::2].copy(), X0[1::2].copy()
        for _ in range(steps):
            u, v = peer.step(u, v)

    single = compile_model(get_model("chialvo"))
    S0 = X0.reshape(n, 2, batch).transpose(1, 0, 2).reshape(2, n * batch).copy()
    Ps = np.tile(np.array([[A_], [0.6], [C_], [K_]]), (1, n * batch))

    def single_map():
        S = S0.copy()
        single.advance(S, Ps, 0, n * batch, steps, 1e6, np.ones(n * batch, dtype=bool))

    updates = steps * n * batch
    kernel(), kernel_csr(), schedule(), single_map()  # compile
    repeats = 3
    return {
        "kernel": best_time(kernel, repeats)[0] / updates * 1e9,
        "kernel_csr": best_time(kernel_csr, repeats)[0] / updates * 1e9,
        "numpy_window": best_time(window_loop, repeats)[0] / updates * 1e9,
        "schedule": best_time(schedule, repeats)[0] / updates * 1e9,
        "single_map": best_time(single_map, repeats)[0] / updates * 1e9,
        "numpy": best_time(loop, repeats)[0] / updates * 1e9,
    }


def numpy_lyapunov(n: int, radius: int, sigma: float, b: float, transient: int, steps: int):
    peer = NumpyRing(n, radius, sigma, b)
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 2, (n, 1)), rng.uniform(0, 2, (n, 1))
    for _ in range(transient):
        x, y = peer.step(x, y)
    du, dv = np.zeros((n, 1)), np.zeros((n, 1))
    du[0] = 1.0
    eps, total = 1e-7, 0.0
    for _ in range(steps):
        x1, y1 = peer.step(x, y)
        x2, y2 = peer.step(x + eps * du, y + eps * dv)
        du, dv = (x2 - x1) / eps, (y2 - y1) / eps
        norm = np.sqrt((du**2).sum() + (dv**2).sum())
        total += np.log(norm)
        du, dv = du / norm, dv / norm
        x, y = x1, y1
    return total / steps


def torch_against_numba(n: int = 1000, radius: int = 10, side: int = 8) -> None:
    """Section 4 (see the module docstring)."""
    import torch

    net = ring_network(n, radius, 0.05)
    rng = np.random.default_rng(1)
    initial = np.empty(2 * n)
    initial[0::2], initial[1::2] = rng.uniform(0, 2, n), rng.uniform(0, 2, n)
    axes = {"sigma": np.linspace(0.02, 0.3, side), "k": np.linspace(0.02, 0.05, side)}
    transient, steps = 100, 200
    updates = side * side * n * (transient + steps)

    def run(backend: str, device: str, threads: int | None):
        return sweep(
            net,
            axes,
            steps=steps,
            transient=transient,
            keep=4,
            every=10,
            initial=initial,
            threads=threads,
            backend=backend,
            device=device,
        )

    devices = [("numba", "cpu"), ("torch", "cpu")]
    if torch.cuda.is_available():
        devices.append(("torch", "cuda"))
    print(
        f"{side * side} points x {n} nodes x {transient + steps} iterations; numba "
        f"{numba.get_num_threads()} threads, torch {torch.__version__} {torch.get_num_threads()} "
        f"threads; load average {os.getloadavg()[0]:.1f}"
    )
    for threads in (None, 1):
        cost, results = {}, {}
        for backend, device in devices:
            run(backend, device, threads)  # compile, build the tensors
            seconds, results[backend, device] = best_time(
                lambda b=backend, d=device, t=threads: run(b, d, t), 3
            )
            cost[backend, device] = seconds / updates * 1e9
        expected = results["numba", "cpu"]
        worst = 0.0
        for key, got in results.items():
            for name in expected.data_vars:
                a, b = expected[name].values, got[name].values
                if name in ("diverged", "distinct"):
                    assert np.array_equal(a, b), (key, name)
                else:
                    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12, err_msg=str(key))
                    worst = max(worst, float(np.nanmax(np.abs(b - a))))
        label = "default threads" if threads is None else f"{threads} thread"
        timings = ", ".join(f"{b} {d} {c:.1f}" for (b, d), c in cost.items())
        ratios = ", ".join(
            f"{b} {d} / numba = {c / cost['numba', 'cpu']:.2f}x"
            for (b, d), c in cost.items()
            if b != "numba"
        )
        print(f"{label}: ns per node-update {timings}; {ratios}; max |difference| {worst:.1e}")


def main() -> None:
    print("1. build + compile, ring of N Chialvo maps (fresh process each; seconds)")
    print(f"{'N':>6} {'build cold':>11} {'total cold':>11} {'build warm':>11} {'total warm':>11}")
    for n in (10, 100, 1000, 10000):
        with tempfile.TemporaryDirectory() as cache:
            cold, warm = timed_build(n, cache), timed_build(n, cache)
            print(
                f"{n:>6} {cold['build']:>11.3f} {cold['total']:>11.2f} {warm['build']:>11.3f} "
                f"{warm['total']:>11.2f}"
            )

    print("\n2. ns per node-update, N = 1000, R = 10 (20 non-zeros per x row)")
    for batch, steps in ((1, 2000), (64, 100)):
        cost = run_cost(1000, 10, batch, steps)
        print(
            f"batch {batch:>3}: kernel {cost['kernel']:.1f} (ring stencil; edge by edge "
            f"{cost['kernel_csr']:.1f}), with reducers {cost['schedule']:.1f}, single map "
            f"{cost['single_map']:.1f}, numpy+scipy {cost['numpy']:.1f}, numpy window sums "
            f"{cost['numpy_window']:.1f}; numpy / kernel = "
            f"{cost['numpy'] / cost['kernel']:.1f}x, numpy window / kernel = "
            f"{cost['numpy_window'] / cost['kernel']:.1f}x, kernel / single map = "
            f"{cost['kernel'] / cost['single_map']:.1f}x"
        )

    print("\n3. lambda_1, N = 1000, R = 10, sigma = 0.05, b = 0.18, 10^4 iterations")
    net = ring_network(1000, 10, 0.05, b=0.18)
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 2, (2000, 1))
    P = np.array([[p.default] for p in net.parameters])
    lyapunov_spectrum(net, X, P, steps=10, transient=0, n_exponents=1, segments=1)  # compile
    seconds, result = best_time(
        lambda: lyapunov_spectrum(net, X, P, steps=10_000, transient=1000, n_exponents=1), 1
    )
    start = time.perf_counter()
    reference = numpy_lyapunov(1000, 10, 0.05, 0.18, 1000, 10_000)
    numpy_seconds = time.perf_counter() - start
    print(
        f"kernel: lambda_1 = {result.exponents[0, 0]:.4f} +- {result.stderr[0, 0]:.4f} in "
        f"{seconds:.2f} s; numpy finite-difference tangent: {reference:.4f} in "
        f"{numpy_seconds:.2f} s ({numpy_seconds / seconds:.1f}x)"
    )

    print("\n4. sweep on the torch backend against numba, N = 1000, R = 10, batch 64")
    if importlib.util.find_spec("torch") is None:
        print("torch is not installed: skipped")
    else:
        torch_against_numba()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        print(json.dumps(build_and_compile(int(sys.argv[2]))))
    elif sys.argv[1:] == ["--torch"]:
        torch_against_numba()
    else:
        main()
