"""QR (Benettin) Lyapunov spectra in torch, batched: the tangent dynamics of the numba kernel of
:mod:`neurodyn.analysis.lyapunov` on any torch device and dtype.

Per point and iteration, as in the numba kernel: ``Q <- J(x_n) Q`` with ``J`` the generated
Jacobian of one iteration (:meth:`~.torch_model.TorchModel.step_jacobian`), modified
Gram-Schmidt on the columns of ``Q`` with ``log |R_jj|`` added to the current segment's sum,
then ``x_{n+1} = step(x_n)``. Tangent vectors are stored (n_state, n_exponents, batch), so every
operation runs over the whole batch at once.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models import Model
from . import Backend
from .runtime import torch_threads
from .torch_model import batched_matmul, torch_model

__all__ = ["qr_log_r"]


def _orthonormalise(Q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Modified Gram-Schmidt on the columns of ``Q`` (n, m, batch); returns the orthonormal
    columns and ``log |R_jj|`` (m, batch)."""
    columns, logs = [], []
    for j in range(Q.shape[1]):
        q = Q[:, j]
        for k in columns:
            q = q - (k * q).sum(0) * k
        norm = torch.sqrt((q * q).sum(0))
        logs.append(torch.log(norm))
        columns.append(q / norm)
    return torch.stack(columns, dim=1), torch.stack(logs)


def _qr_chunk(
    model: Model,
    X: torch.Tensor,
    P: torch.Tensor,
    m: int,
    transient: int,
    segments: int,
    segment_length: int,
    bound: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    generated = torch_model(model)
    n, batch = X.shape
    ok = torch.ones(batch, dtype=torch.bool, device=X.device)
    for _ in range(transient):
        X = generated.step(X, P)
        ok &= (X.abs() <= bound).all(0)
    Q = torch.eye(n, m, dtype=X.dtype, device=X.device)[:, :, None].repeat(1, 1, batch)
    log_r = torch.zeros((segments, m, batch), dtype=X.dtype, device=X.device)
    for s in range(segments):
        for _ in range(segment_length):
            Q, logs = _orthonormalise(batched_matmul(generated.step_jacobian(X, P), Q))
            log_r[s] += logs
            X = generated.step(X, P)
            ok &= (X.abs() <= bound).all(0)
    return log_r, ok


def qr_log_r(
    model: Model,
    X: np.ndarray,
    P: np.ndarray,
    *,
    n_exponents: int,
    transient: int,
    segments: int,
    segment_length: int,
    bound: float,
    choice: Backend,
    threads: int | None,
    chunk_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``log |R_jj|`` per segment, (segments, n_exponents, batch) float64, and the
    ``ok`` flags (batch,) for states ``X`` (n_state, batch) and parameters ``P`` (n_param, batch),
    computed on ``choice``'s device and dtype, ``chunk_size`` points at a time."""
    batch = X.shape[1]
    log_r = np.zeros((segments, n_exponents, batch))
    ok = np.ones(batch, dtype=np.bool_)
    options = {"dtype": getattr(torch, choice.dtype), "device": choice.device}
    with torch_threads(threads), torch.no_grad():
        for start in range(0, batch, max(1, int(chunk_size))):
            part = slice(start, min(start + chunk_size, batch))
            chunk_log_r, chunk_ok = _qr_chunk(
                model,
                torch.as_tensor(X[:, part], **options),
                torch.as_tensor(P[:, part], **options),
                n_exponents,
                transient,
                segments,
                segment_length,
                bound,
            )
            log_r[..., part] = chunk_log_r.cpu().numpy()
            ok[part] = chunk_ok.cpu().numpy()
    return log_r, ok
