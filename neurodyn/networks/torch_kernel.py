"""The network kernel in torch (CPU or CUDA): the same step as the numba kernel of :mod:`.netgen`.

Each node model's equations are the generated torch function of
:func:`neurodyn.models.torchgen.torch_function`, applied at once to all nodes of that model
(their state rows gathered into ``(n_nodes, batch)`` tensors); the coupling is the network's
:class:`~.netgen.CouplingOperator` applied edge-wise over the whole batch -- one gather of the
source rows, the weighted differences (diffusive) or gated drives (chemical), and one
``index_add_`` into the receiving rows, a sparse matrix product whose weights may differ per
batch column (per-edge strengths are parameters). Importing this module needs torch (an
optional extra).

Equal to the numba kernel to rounding in float64 (tested to 1e-12): the summation order over a
row's edges differs, and ``torch.exp`` stands for the kernels' ``vexp``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models.torchgen import torch_function
from .kernel import Network

__all__ = ["torch_advance"]


def _tensors(net: Network, device: torch.device) -> dict[str, torch.Tensor]:
    op = net.plan.operator
    rows = np.arange(net.n_state)
    as_long = {
        "d_target": np.repeat(rows, np.diff(op.d_ptr)),
        "d_src": op.d_src,
        "d_prow": op.d_prow,
        "c_target": np.repeat(rows, np.diff(op.c_ptr)),
        "c_gate": op.c_gate,
        "c_prow": op.c_prow,
        "c_vrow": op.c_vrow,
        "g_src": op.g_src,
        "g_lam": op.g_lam,
        "g_th": op.g_th,
    }
    tensors = {k: torch.as_tensor(v, dtype=torch.long, device=device) for k, v in as_long.items()}
    for name in ("d_w", "c_w"):
        tensors[name] = torch.as_tensor(getattr(op, name), dtype=torch.float64, device=device)
    return tensors


def _coupling(t: dict[str, torch.Tensor], X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """The coupling input of every state row, (n_state, batch)."""
    U = torch.zeros_like(X)
    target = t["d_target"]
    if target.numel():
        terms = t["d_w"].to(X.dtype)[:, None] * P[t["d_prow"]] * (X[t["d_src"]] - X[target])
        U.index_add_(0, target, terms)
    target = t["c_target"]
    if target.numel():
        gate = 1.0 / (1.0 + torch.exp(-P[t["g_lam"]] * (X[t["g_src"]] - P[t["g_th"]])))
        drive = (P[t["c_vrow"]] - X[target]) * gate[t["c_gate"]]
        U.index_add_(0, target, t["c_w"].to(X.dtype)[:, None] * P[t["c_prow"]] * drive)
    return U


def torch_advance(
    net: Network, X: torch.Tensor, P: torch.Tensor, steps: int
) -> torch.Tensor:
    """``steps`` iterations of ``net`` from ``X`` (n_state, batch) with parameters ``P``
    (n_param, batch), both tensors of one dtype and device; returns the new state (``X`` is
    not modified). No divergence flags: non-finite values propagate."""
    if X.shape[0] != net.n_state or P.shape != (len(net.parameters), X.shape[1]):
        raise ValueError(
            f"X must be ({net.n_state}, batch) and P ({len(net.parameters)}, batch), not "
            f"{tuple(X.shape)} and {tuple(P.shape)}"
        )
    t = _tensors(net, X.device)
    groups = []
    for model, (rows, prow) in zip(net.node_models, net.plan.nodes, strict=True):
        groups.append(
            (
                torch_function(model),
                torch.as_tensor(rows.T.copy(), dtype=torch.long, device=X.device),
                torch.as_tensor(prow.T.copy(), dtype=torch.long, device=X.device),
            )
        )
    X = X.clone()
    for _ in range(steps):
        U = _coupling(t, X, P)
        new = torch.empty_like(X)
        for f, rows, prow in groups:
            values = f([X[r] for r in rows], [P[q] for q in prow])
            for v, r in enumerate(rows):
                new[r] = values[v] + U[r]
        X = new
    return X
