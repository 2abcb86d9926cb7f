"""The network kernel in torch (CPU or CUDA): the same step as the numba kernel of :mod:`.netgen`.

:class:`TorchNetwork` is what the torch backend runs for a :class:`~.kernel.Network`
(:func:`neurodyn.backends.torch_model.torch_model` returns it, as it returns a generated
:class:`~neurodyn.backends.torch_model.TorchModel` for a model), so
:func:`~neurodyn.sim.iterate_batch` and :func:`~neurodyn.sim.sweep` with ``backend="torch"``
run networks with the same schedule, reducers, divergence flags and stores as any map.
:func:`torch_advance` iterates it directly.

One iteration, on tensors ``X`` (n_state, batch) and ``P`` (n_param, batch):

* Coupling input ``U`` (n_state, batch). Diffusive rows whose entries share one strength
  parameter (``d_shared``; every row of a nonlocal ring, of a coupling with one strength) are
  one sparse matrix product: ``U[r] = P[s_r] * (L @ X)[r]`` with ``L = W - diag(W 1)`` the
  weighted Laplacian of those rows (a constant CSR tensor, built once per device and dtype),
  so the cost is one pass over the non-zeros for the whole batch. Rows whose entries have
  different strength parameters (``per_edge`` strengths) and chemical synapses are summed edge
  by edge -- one gather of the source rows, the weighted differences or gated drives, one
  ``index_add_`` into the receiving rows.
* Each node model's generated torch function (:func:`neurodyn.models.torchgen.torch_function`)
  applied at once to all its nodes (state and parameter rows taken as strided views where they
  are evenly spaced, gathered otherwise), plus ``U``.

Equal to the numba kernel to rounding in float64 (tested to 1e-12 step by step, and over sweeps
of a few hundred iterations whose rounding differences are not amplified to that size): the
summation order over a row's entries differs (the numba kernel sums a ring's window exactly, the
Laplacian product sums ``w x_j`` and ``-sum(w) x_r``), and ``torch.exp`` stands for the kernels'
``vexp``. A synchronous state is therefore synchronous to rounding here, not exactly as in the
numba kernel. Written for any torch device (``device="cuda"`` runs the same tensors on the GPU:
cuSPARSE products, atomic ``index_add_``); tested on the CPU only, untested on a GPU. Importing
this module needs torch (an optional extra).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from ..models.torchgen import torch_function
from .kernel import Network

__all__ = ["TorchNetwork", "torch_advance"]

Index = slice | torch.Tensor


def _index(rows: np.ndarray, device: torch.device) -> Index:
    """``rows`` as a slice where they are evenly spaced (a view, no copy; one repeated row as a
    one-row slice that broadcasts), else as an index tensor."""
    rows = np.asarray(rows, dtype=np.int64)
    if rows.size == 1 or (rows.size and np.all(rows == rows[0])):
        return slice(int(rows[0]), int(rows[0]) + 1)
    step = int(rows[1] - rows[0])
    if step > 0 and np.array_equal(rows, rows[0] + step * np.arange(rows.size)):
        return slice(int(rows[0]), int(rows[-1]) + 1, step)
    return torch.as_tensor(rows, device=device)


def _long(values: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(values, dtype=np.int64), device=device)


@dataclass(frozen=True)
class _Parts:
    """A network's step as tensors on one device and dtype (see the module docstring)."""

    groups: tuple  # (torch function, state row index per variable, parameter row index per p)
    laplacian: torch.Tensor | None  # CSR (n_shared_rows, n_state)
    shared_rows: Index
    shared_prow: Index
    edges: dict[str, torch.Tensor]


def _parts(net: Network, device: torch.device, dtype: torch.dtype) -> _Parts:
    op = net.plan.operator
    rows = np.arange(net.n_state)
    d_target = np.repeat(rows, np.diff(op.d_ptr))
    shared_entry = op.d_shared[d_target] >= 0
    shared_rows = np.flatnonzero((op.d_shared >= 0) & (np.diff(op.d_ptr) > 0))
    laplacian = None
    if shared_rows.size:
        position = np.full(net.n_state, -1, dtype=np.int64)
        position[shared_rows] = np.arange(shared_rows.size)
        target, w = position[d_target[shared_entry]], op.d_w[shared_entry]
        matrix = sp.csr_array(
            (
                np.concatenate([w, -w]),
                (
                    np.concatenate([target, target]),
                    np.concatenate([op.d_src[shared_entry], d_target[shared_entry]]),
                ),
            ),
            shape=(shared_rows.size, net.n_state),
        )
        matrix.sum_duplicates()
        matrix.sort_indices()
        with warnings.catch_warnings():  # "sparse CSR support is in beta" (torch 2.x)
            warnings.filterwarnings("ignore", "Sparse CSR tensor support", UserWarning)
            laplacian = torch.sparse_csr_tensor(
                _long(matrix.indptr, device),
                _long(matrix.indices, device),
                torch.as_tensor(matrix.data, dtype=dtype, device=device),
                size=matrix.shape,
                check_invariants=True,
            )
    mixed = ~shared_entry
    edges = {
        "d_target": _long(d_target[mixed], device),
        "d_src": _long(op.d_src[mixed], device),
        "d_prow": _long(op.d_prow[mixed], device),
        "d_w": torch.as_tensor(op.d_w[mixed], dtype=dtype, device=device),
        "c_target": _long(np.repeat(rows, np.diff(op.c_ptr)), device),
        "c_w": torch.as_tensor(op.c_w, dtype=dtype, device=device),
    }
    for name in ("c_gate", "c_prow", "c_vrow", "g_src", "g_lam", "g_th"):
        edges[name] = _long(getattr(op, name), device)
    groups = tuple(
        (
            torch_function(model),
            [_index(r, device) for r in node_rows.T],
            [_index(q, device) for q in prow.T],
        )
        for model, (node_rows, prow) in zip(net.node_models, net.plan.nodes, strict=True)
    )
    return _Parts(
        groups,
        laplacian,
        _index(shared_rows, device) if shared_rows.size else slice(0, 0),
        _index(op.d_shared[shared_rows], device) if shared_rows.size else slice(0, 0),
        edges,
    )


def _coupling(parts: _Parts, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
    """The coupling input of every state row, (n_state, batch)."""
    U = torch.zeros_like(X)
    if parts.laplacian is not None:
        U[parts.shared_rows] = P[parts.shared_prow] * (parts.laplacian @ X)
    t = parts.edges
    target = t["d_target"]
    if target.numel():
        terms = t["d_w"][:, None] * P[t["d_prow"]] * (X[t["d_src"]] - X[target])
        U.index_add_(0, target, terms)
    target = t["c_target"]
    if target.numel():
        gate = 1.0 / (1.0 + torch.exp(-P[t["g_lam"]] * (X[t["g_src"]] - P[t["g_th"]])))
        drive = (P[t["c_vrow"]] - X[target]) * gate[t["c_gate"]]
        U.index_add_(0, target, t["c_w"][:, None] * P[t["c_prow"]] * drive)
    return U


class TorchNetwork:
    """The step of ``net`` in torch, for the torch backend: :meth:`step` (and
    :meth:`equations`, the same for a map). Its tensors are built once per device and dtype."""

    def __init__(self, net: Network) -> None:
        self.model = net
        self._parts: dict[tuple[str, torch.dtype], _Parts] = {}

    def parts(self, device: torch.device, dtype: torch.dtype) -> _Parts:
        key = (str(device), dtype)
        if key not in self._parts:
            self._parts[key] = _parts(self.model, device, dtype)
        return self._parts[key]

    def step(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The state after one iteration, (n_state, batch)."""
        parts = self.parts(X.device, X.dtype)
        new = _coupling(parts, X, P)
        for f, rows, prow in parts.groups:
            values = f([X[r] for r in rows], [P[q] for q in prow])
            for value, r in zip(values, rows, strict=True):
                new[r] += value
        return new

    def equations(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The network's map: the next state (as :meth:`step`)."""
        return self.step(X, P)


def torch_advance(net: Network, X: torch.Tensor, P: torch.Tensor, steps: int) -> torch.Tensor:
    """``steps`` iterations of ``net`` from ``X`` (n_state, batch) with parameters ``P``
    (n_param, batch), both tensors of one dtype and device; returns the new state (``X`` is
    not modified). No divergence flags: non-finite values propagate (the torch backend's
    batch runs flag them)."""
    if X.shape[0] != net.n_state or P.shape != (len(net.parameters), X.shape[1]):
        raise ValueError(
            f"X must be ({net.n_state}, batch) and P ({len(net.parameters)}, batch), not "
            f"{tuple(X.shape)} and {tuple(P.shape)}"
        )
    step = TorchNetwork(net).step
    for _ in range(steps):
        X = step(X, P)
    return X if steps else X.clone()
