"""Lyapunov spectra from the equations: QR (Benettin) with the analytic Jacobian, batched.

For maps (and networks of maps) the tangent vectors are advanced with the Jacobian generated from
the model's equations, ``Q <- J(x_n) Q``, re-orthonormalised every iteration by modified
Gram-Schmidt, and the logarithms of the diagonal of R are accumulated (Benettin et al. 1980;
Shimada & Nagashima 1979). For the network kernel (:mod:`neurodyn.networks.kernel`) ``J Q`` is
its sparse tangent map, so the first ``n_exponents`` of a network of thousands of nodes cost
``O((nodes + edges) * n_exponents + n_state * n_exponents**2)`` per iteration. Exponents are
**per iteration** for maps. For flows ``J`` is the Jacobian of one integrator step (tangent
dynamics through the same integrator as the trajectory) and exponents are **per unit time**.

Maps run the batched kernel :func:`_tangent_kernel`: points are advanced in blocks with the
generated ``tangent_step`` (next state and Jacobian in one vectorised loop), and the tangent
vectors are stored structure-of-arrays, ``Q[r, c, point]``, so the product ``J Q`` and the
Gram-Schmidt step are loops over the block's points that LLVM vectorises. The stretch factors
``|R_jj|`` are multiplied together and their logarithm taken every :data:`LOG_EVERY`
iterations (a scalar ``log`` per point and iteration would cost more than the rest). With
``qr_every=k`` the vectors are re-orthonormalised every ``k``-th iteration only (and at the
end of each segment); this is exact in exact arithmetic and saves time, but with
``exp(k * (l_1 - l_m))`` beyond ~1e8 the columns lose their separation in floating point --
keep ``k`` small for spectra with widely spread exponents. Flows (the Jacobian of a
Runge-Kutta step) run the per-point kernel :func:`_qr_kernel`, network kernels
:func:`_network_qr_kernel`.

Convergence: the recorded iterations are split into ``segments`` equal parts; each part gives an
estimate, and ``stderr`` is their standard deviation over sqrt(segments). The exponents
returned are the average over the whole recorded run (equal to the mean of the segments).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import prange

from ..backends import Backend, resolve_backend
from ..models import Model, compile_model
from ..models.jit import prepare, stable_jit
from ..models.vecmath import small_matmul
from ..sim.batch import thread_count
from ..sim.choice import default_chunk_size
from ..sim.kernels import BLOCK

__all__ = ["CHUNK", "LOG_EVERY", "LyapunovResult", "kaplan_yorke_dimension", "lyapunov_spectrum"]

CHUNK = 1 << 14
"""Points per call of the numba kernel (a step of the progress bar)."""
#: iterations between logarithms of the accumulated stretch factors in :func:`_tangent_kernel`
LOG_EVERY = 8
#: points per block of :func:`_tangent_kernel` for a 2-state map (fewer for larger states, so
#: that the block's Jacobians and tangent vectors stay in the first-level cache)
TANGENT_BLOCK = 128


@dataclass
class LyapunovResult:
    """``exponents`` (n_exponents, batch), sorted descending per point, per ``unit``;
    ``stderr`` (n_exponents, batch); ``segments`` (segments, n_exponents, batch) the estimates of
    each part of the run; ``diverged`` (batch,). Diverged points have NaN exponents.
    ``backend`` says what computed them (float32 results are returned as float64 arrays)."""

    exponents: np.ndarray
    stderr: np.ndarray
    segments: np.ndarray
    diverged: np.ndarray
    unit: str
    backend: Backend = Backend("numba", "cpu", "float64")


@stable_jit(inline="always")
def _orthonormalise(Q, log_r, s):
    """Modified Gram-Schmidt on the columns of Q, accumulating log |R_jj| into log_r[s, j]."""
    n, m = Q.shape
    for j in range(m):
        for k in range(j):
            dot = 0.0
            for r in range(n):
                dot += Q[r, k] * Q[r, j]
            for r in range(n):
                Q[r, j] -= dot * Q[r, k]
        norm = 0.0
        for r in range(n):
            norm += Q[r, j] * Q[r, j]
        norm = np.sqrt(norm)
        log_r[s, j] += np.log(norm)
        for r in range(n):
            Q[r, j] /= norm


@cache
def _qr_kernel(advance, jacobian):
    @stable_jit(advance, jacobian, parallel=True)
    def kernel(X, P, Q, transient, segment_length, log_r, bound, ok):
        n, batch = X.shape
        m = Q.shape[2]
        n_segments = log_r.shape[0]
        n_blocks = (batch + BLOCK - 1) // BLOCK
        for b in prange(n_blocks):
            lo = b * BLOCK
            hi = min(lo + BLOCK, batch)
            advance(X, P, lo, hi, transient, bound, ok)
            J = np.empty((n, n))
            TQ = np.empty((n, m))
            for s in range(n_segments):
                for _ in range(segment_length):
                    for i in range(lo, hi):
                        jacobian(X, P, i, J)
                        Qi = Q[i]
                        small_matmul(J, Qi, TQ)
                        Qi[:, :] = TQ
                        _orthonormalise(Qi, log_r[:, :, i], s)
                    advance(X, P, lo, hi, 1, bound, ok)

    return kernel


@cache
def _network_qr_kernel(advance, tangent):
    """As :func:`_qr_kernel` for a network kernel: ``Q <- J Q`` by the sparse tangent map."""

    @stable_jit(advance, tangent, parallel=True)
    def kernel(X, P, Q, transient, segment_length, log_r, bound, ok, plan):
        n, batch = X.shape
        m = Q.shape[2]
        for i in prange(batch):
            advance(X, P, i, i + 1, transient, bound, ok, plan)
            TQ = np.empty((n, m))
            for s in range(log_r.shape[0]):
                for _ in range(segment_length):
                    Qi = Q[i]
                    tangent(X, P, i, Qi, TQ, plan)
                    Qi[:, :] = TQ
                    _orthonormalise(Qi, log_r[:, :, i], s)
                    advance(X, P, i, i + 1, 1, bound, ok, plan)

    return kernel


@stable_jit(inline="always")
def _multiply(J, Q, T, w):
    """``T[:, :, i] = J[:, :, i] @ Q[:, :, i]`` for ``i < w``, summed over ``k`` in increasing
    order from 0.0 as :func:`~neurodyn.models.vecmath.small_matmul` does."""
    for r in range(T.shape[0]):
        for c in range(T.shape[1]):
            Trc = T[r, c]
            for i in range(w):
                Trc[i] = 0.0
            for k in range(J.shape[1]):
                Jrk = J[r, k]
                Qkc = Q[k, c]
                for i in range(w):
                    Trc[i] += Jrk[i] * Qkc[i]


@stable_jit(inline="always")
def _orthonormalise_block(T, Q, growth, scratch, w):
    """Modified Gram-Schmidt of the columns of ``T`` into ``Q`` (per point ``i < w``),
    multiplying ``|R_jj|`` into ``growth[j]``: the operations of :func:`_orthonormalise`,
    in the same order."""
    n, m = T.shape[0], T.shape[1]
    for j in range(m):
        for k in range(j):
            for i in range(w):
                scratch[i] = 0.0
            for r in range(n):
                Qrk = Q[r, k]
                Trj = T[r, j]
                for i in range(w):
                    scratch[i] += Qrk[i] * Trj[i]
            for r in range(n):
                Qrk = Q[r, k]
                Trj = T[r, j]
                for i in range(w):
                    Trj[i] -= scratch[i] * Qrk[i]
        for i in range(w):
            scratch[i] = 0.0
        for r in range(n):
            Trj = T[r, j]
            for i in range(w):
                scratch[i] += Trj[i] * Trj[i]
        g = growth[j]
        for i in range(w):
            scratch[i] = np.sqrt(scratch[i])
            g[i] *= scratch[i]
        for r in range(n):
            Trj = T[r, j]
            Qrj = Q[r, j]
            for i in range(w):
                Qrj[i] = Trj[i] / scratch[i]


@cache
def _tangent_kernel(advance, tangent_step):
    """The batched QR kernel of a map (see the module docstring)."""

    @stable_jit(advance, tangent_step, parallel=True, error_model="numpy")
    def kernel(X, P, transient, segment_length, qr_every, width, log_r, bound, ok):
        n, batch = X.shape
        n_segments, m = log_r.shape[0], log_r.shape[1]
        n_blocks = (batch + width - 1) // width
        for b in prange(n_blocks):
            lo = b * width
            hi = min(lo + width, batch)
            w = hi - lo
            J = np.zeros((n, n, w))
            Q = np.zeros((n, m, w))
            T = np.empty((n, m, w))
            growth = np.ones((m, w))
            scratch = np.empty(w)
            for j in range(m):
                Q[j, j, :] = 1.0
            advance(X, P, lo, hi, transient, bound, ok)
            for s in range(n_segments):
                for t in range(segment_length):
                    tangent_step(X, P, J, lo, hi, bound, ok)
                    _multiply(J, Q, T, w)
                    last = t == segment_length - 1
                    if last or (t + 1) % qr_every == 0:
                        _orthonormalise_block(T, Q, growth, scratch, w)
                    else:
                        Q, T = T, Q
                    if last or (t + 1) % LOG_EVERY == 0:
                        for j in range(m):
                            g = growth[j]
                            L = log_r[s, j, lo:hi]
                            for i in range(w):
                                L[i] += np.log(g[i])
                                g[i] = 1.0

    return kernel


def _identity_frames(batch: int, n: int, m: int) -> np.ndarray:
    """``batch`` tangent frames ``Q[i]`` (n, m): the first ``m`` unit vectors."""
    Q = np.zeros((batch, n, m))
    Q[:, np.arange(m), np.arange(m)] = 1.0
    return Q


def _numba_log_r(model, X, P, log_r, ok, m, fixed, bound, threads, progress) -> None:
    """Run the numba kernel over chunks of :data:`CHUNK` points, filling ``X``, ``log_r`` and
    ``ok`` in place: a network kernel's (``compiled.plan`` set) by its sparse tangent map, a
    map's by the batched :func:`_tangent_kernel`, a flow's by :func:`_qr_kernel`. ``fixed`` is
    ``(transient, segment_length, qr_every)``. With ``progress`` the compilation is announced
    before the progress bar."""
    from tqdm.auto import tqdm  # imported here: it looks for a notebook, slowly

    compiled = compile_model(model)
    n = model.n_state
    transient, segment_length, qr_every = fixed
    frames, last = True, ()
    if compiled.plan is not None:
        kernel = _network_qr_kernel(compiled.advance, compiled.tangent)
        middle, last = (transient, segment_length), (compiled.plan,)
    elif model.kind == "map":
        kernel = _tangent_kernel(compiled.advance, compiled.tangent_step)
        width = max(8, TANGENT_BLOCK * 4 // (n * max(n, m)))
        frames, middle = False, (transient, segment_length, qr_every, width)
    else:
        kernel = _qr_kernel(compiled.advance, compiled.jacobian)
        middle = (transient, segment_length)

    def arguments(x, p, lr, k):
        Q = (_identity_frames(x.shape[1], n, m),) if frames else ()
        return (x, p, *Q, *middle, lr, bound, k, *last)

    empty = arguments(X[:, :0], P[:, :0], log_r[..., :0], ok[:0])
    prepare(kernel, empty, model.name, notify=progress)
    starts = range(0, X.shape[1], CHUNK)
    with thread_count(threads):
        for start in tqdm(starts, desc=model.name, unit="chunk", disable=not progress):
            part = slice(start, start + CHUNK)
            x, p, lr, k = (a[..., part].copy() for a in (X, P, log_r, ok))
            kernel(*arguments(x, p, lr, k))
            X[:, part], log_r[..., part], ok[part] = x, lr, k


def lyapunov_spectrum(
    model: Model,
    initial: np.ndarray,
    parameters: np.ndarray,
    *,
    steps: int,
    transient: int = 1000,
    n_exponents: int | None = None,
    segments: int = 10,
    qr_every: int = 1,
    bound: float | None = None,
    threads: int | None = None,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
    progress: bool = False,
) -> LyapunovResult:
    """Lyapunov spectrum of ``model`` for each column of ``initial`` (n_state, batch) and
    ``parameters`` (n_param, batch): ``transient`` iterations discarded, then ``steps``
    iterations (rounded down to a multiple of ``segments``) averaged. Per iteration for maps;
    per unit time for flows (the per-step values divided by the point's ``dt``).

    ``qr_every``: re-orthonormalise every this many iterations (maps on the numba backend;
    see the module docstring for when more than 1 is safe).

    ``backend``, ``device``, ``dtype``: the numba kernel (float64, CPU) or the generated torch
    code on a CPU or GPU (:mod:`neurodyn.backends`); the same algorithm either way.
    ``progress``: announce the compilation of the numba kernel and show a progress bar over
    chunks of :data:`CHUNK` points (every point is computed on its own, so the chunking does
    not change the numbers).
    """
    choice = resolve_backend(backend, device, dtype)
    n = model.n_state
    m = n if n_exponents is None else int(n_exponents)
    if not 1 <= m <= n:
        raise ValueError(f"n_exponents must be between 1 and {n}, not {n_exponents}")
    if segments < 1 or steps < segments:
        raise ValueError(f"need steps >= segments >= 1 (steps={steps}, segments={segments})")
    if int(qr_every) != qr_every or qr_every < 1:
        raise ValueError(f"qr_every must be a positive integer, not {qr_every!r}")
    if qr_every != 1 and (
        model.kind != "map" or choice.backend != "numba" or not isinstance(model, Model)
    ):
        raise ValueError("qr_every > 1 needs a map model (not a network) on the numba backend")
    X = np.array(initial, dtype=np.float64, order="C")
    P = np.ascontiguousarray(parameters, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != n or P.shape != (len(model.parameters), X.shape[1]):
        raise ValueError(
            f"initial must be ({n}, batch) and parameters ({len(model.parameters)}, batch)"
        )
    batch = X.shape[1]
    segment_length = steps // segments
    log_r = np.zeros((segments, m, batch))
    ok = np.ones(batch, dtype=np.bool_)
    bound = float(model.bound if bound is None else bound)
    if choice.backend == "torch":
        if not isinstance(model, Model):
            raise ValueError(
                f"Lyapunov exponents of {model.name!r} on torch need a generated Jacobian, "
                "which a network has not (its tangent map is the numba kernel's): use "
                "backend='numba'"
            )
        from ..backends.torch_lyapunov import qr_log_r

        log_r, ok = qr_log_r(
            model,
            X,
            P,
            n_exponents=m,
            transient=int(transient),
            segments=segments,
            segment_length=segment_length,
            bound=bound,
            choice=choice,
            threads=threads,
            chunk_size=default_chunk_size(choice.device),
        )
    else:
        fixed = (int(transient), segment_length, int(qr_every))
        _numba_log_r(model, X, P, log_r, ok, m, fixed, bound, threads, progress)
    per_segment = log_r / segment_length
    if model.kind == "flow":
        per_segment /= P[model.parameter_names.index("dt")]
    per_segment[:, :, ~ok] = np.nan
    exponents = per_segment.mean(axis=0)
    stderr = per_segment.std(axis=0, ddof=1) / np.sqrt(segments) if segments > 1 else np.nan
    order = np.argsort(-np.nan_to_num(exponents, nan=-np.inf), axis=0)
    take = np.take_along_axis
    return LyapunovResult(
        exponents=take(exponents, order, axis=0),
        stderr=take(np.broadcast_to(stderr, exponents.shape), order, axis=0),
        segments=take(per_segment, order[None], axis=1),
        diverged=~ok,
        unit="per iteration" if model.kind == "map" else "per unit time",
        backend=choice,
    )


def kaplan_yorke_dimension(exponents: np.ndarray) -> np.ndarray:
    """Kaplan-Yorke (Lyapunov) dimension j + (l_1 + ... + l_j) / |l_{j+1}| along axis 0.

    ``j`` is the largest index with a non-negative partial sum; 0 when l_1 < 0, and the full
    dimension when every partial sum is non-negative.
    """
    lam = -np.sort(-np.asarray(exponents, dtype=np.float64), axis=0)
    sums = np.cumsum(lam, axis=0)
    n = lam.shape[0]
    j = (sums >= 0).sum(axis=0)
    out = np.where(j == n, float(n), 0.0).astype(np.float64)
    inner = (j > 0) & (j < n)
    jj = np.where(inner, j, 1)
    partial = np.take_along_axis(sums, (jj - 1)[None], axis=0)[0]
    following = np.take_along_axis(lam, jj[None], axis=0)[0]
    return np.where(inner, jj + partial / np.abs(following), out)
