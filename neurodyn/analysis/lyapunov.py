"""Lyapunov spectra from the equations: QR (Benettin) with the analytic Jacobian, batched.

For maps (and networks of maps) the tangent vectors are advanced with the Jacobian generated from
the model's equations, ``Q <- J(x_n) Q``, re-orthonormalised every iteration by modified
Gram-Schmidt, and the logarithms of the diagonal of R are accumulated (Benettin et al. 1980;
Shimada & Nagashima 1979). For the network kernel (:mod:`neurodyn.networks.kernel`) ``J Q`` is
its sparse tangent map, so the first ``n_exponents`` of a network of thousands of nodes cost
``O((nodes + edges) * n_exponents + n_state * n_exponents**2)`` per iteration. Exponents are
**per iteration** for maps. For flows ``J`` is the Jacobian of one integrator step (tangent
dynamics through the same integrator as the trajectory) and exponents are **per unit time**.

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
from ..models.jit import stable_jit
from ..models.vecmath import small_matmul
from ..sim.batch import thread_count
from ..sim.choice import default_chunk_size
from ..sim.kernels import BLOCK

__all__ = ["LyapunovResult", "kaplan_yorke_dimension", "lyapunov_spectrum"]


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


def lyapunov_spectrum(
    model: Model,
    initial: np.ndarray,
    parameters: np.ndarray,
    *,
    steps: int,
    transient: int = 1000,
    n_exponents: int | None = None,
    segments: int = 10,
    bound: float | None = None,
    threads: int | None = None,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
) -> LyapunovResult:
    """Lyapunov spectrum of ``model`` for each column of ``initial`` (n_state, batch) and
    ``parameters`` (n_param, batch): ``transient`` iterations discarded, then ``steps``
    iterations (rounded down to a multiple of ``segments``) averaged. Per iteration for maps;
    per unit time for flows (the per-step values divided by the point's ``dt``).

    ``backend``, ``device``, ``dtype``: the numba kernel (float64, CPU) or the generated torch
    code on a CPU or GPU (:mod:`neurodyn.backends`); the same algorithm either way.
    """
    choice = resolve_backend(backend, device, dtype)
    n = model.n_state
    m = n if n_exponents is None else int(n_exponents)
    if not 1 <= m <= n:
        raise ValueError(f"n_exponents must be between 1 and {n}, not {n_exponents}")
    if segments < 1 or steps < segments:
        raise ValueError(f"need steps >= segments >= 1 (steps={steps}, segments={segments})")
    X = np.array(initial, dtype=np.float64, order="C")
    P = np.ascontiguousarray(parameters, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != n or P.shape != (len(model.parameters), X.shape[1]):
        raise ValueError(
            f"initial must be ({n}, batch) and parameters ({len(model.parameters)}, batch)"
        )
    batch = X.shape[1]
    Q = np.zeros((batch, n, m))
    for j in range(m):
        Q[:, j, j] = 1.0
    segment_length = steps // segments
    log_r = np.zeros((segments, m, batch))
    ok = np.ones(batch, dtype=np.bool_)
    bound = float(model.bound if bound is None else bound)
    if choice.backend == "torch":
        if not isinstance(model, Model):
            raise ValueError(f"{model.name!r} runs on the numba backend only, not on torch")
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
        compiled = compile_model(model)
        with thread_count(threads):
            if compiled.plan is None:
                kernel = _qr_kernel(compiled.advance, compiled.jacobian)
                kernel(X, P, Q, int(transient), segment_length, log_r, bound, ok)
            else:
                kernel = _network_qr_kernel(compiled.advance, compiled.tangent)
                kernel(X, P, Q, int(transient), segment_length, log_r, bound, ok, compiled.plan)
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
