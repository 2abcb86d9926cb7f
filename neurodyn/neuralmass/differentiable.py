"""The same equations in torch, for gradients: a generated torch right-hand side, networks of
flow nodes, and the attractor classifier of Marino et al. (2025).

:func:`torch_rhs` wraps the torch code printed from a model's sympy expressions -- the ones the
numba kernels are generated from -- by :mod:`neurodyn.models.torchgen` (``exp`` ->
``torch.exp``, ``where`` -> ``torch.where``, ...), so the torch and numba versions cannot drift
apart; they are tested equal in float64.

:class:`FlowNetwork` integrates N nodes with the coupling of
:func:`neurodyn.neuralmass.simulate_network` (``target_i += G sum_j W_ij coupled_j``, no delays)
by explicit Euler, batched over the leading dimension of the state; in float64 it equals the
numba network step for step (tested).

:class:`AttractorClassifier` is the learning machine of Marino, Buffoni, Chicchi, Di Patti,
Febbe, Giambagli & Fanelli, "Learning in the Wilson–Cowan model for metapopulation", Neural
Comput. 37 (2025), arXiv:2406.16453, following the authors' code
(github.com/RaffaeleMarino/Learning_in_WilsonCowan, ``Cowan_network``): nodes are
``wilson_cowan_marino`` pairs (x, y); the coupling matrix is ``A = Phi diag(lambda) Phi^-1`` whose
kernel holds the planted attractors (eigenvalue 0) while the other eigenvectors and
eigenvalues are trained, together with the time-scale ratio ``gamma``; the input sets the
initial x (and y), the network runs ``steps`` Euler steps, and the final x is compared with
the class attractor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache

import numpy as np
import torch

from ..models import Model, ModelError, get_model
from ..models.torchgen import torch_function, used_parameters

__all__ = ["AttractorClassifier", "FlowNetwork", "attractor_patterns", "torch_rhs"]


@cache
def torch_rhs(model: Model):
    """The right-hand side of ``model`` as a torch function ``rhs(state, parameters)``:
    ``state`` (..., n_state), ``parameters`` a mapping from every parameter name the equations use
    to a number or a tensor broadcastable to ``state[..., 0]``; returns (..., n_state). Generated
    from the same sympy expressions as the numba kernels (:mod:`neurodyn.models.torchgen`)."""
    equations = torch_function(model, "equations")
    rows = used_parameters(model, model.expressions)
    names = model.parameter_names

    def rhs(state: torch.Tensor, parameters: Mapping[str, object]) -> torch.Tensor:
        P = [None] * len(names)
        for r in rows:
            P[r] = torch.as_tensor(parameters[names[r]], dtype=state.dtype, device=state.device)
        values = equations(state.unbind(-1), P)
        out = [torch.as_tensor(v, dtype=state.dtype, device=state.device) for v in values]
        return torch.stack(torch.broadcast_tensors(*out), dim=-1)

    return rhs


class FlowNetwork(torch.nn.Module):
    """``N`` nodes of the flow ``node`` coupled through ``weights`` (N, N):
    ``target_i += coupling * sum_j W_ij coupled_j``, integrated by explicit Euler with the
    node's ``dt``. ``forward(state, steps)`` maps ``state`` (batch, N, n_state) to the state
    after ``steps`` steps. ``weights`` may be a tensor or a callable returning one (trained)."""

    def __init__(
        self,
        node: Model | str,
        weights,
        *,
        coupled: str,
        target: str,
        coupling: float = 1.0,
        parameters: Mapping[str, float] | None = None,
    ):
        super().__init__()
        self.node = get_model(node) if isinstance(node, str) else node
        if coupled not in self.node.state_names:
            raise ModelError(f"{self.node.name!r} has no state variable {coupled!r}")
        self.node.parameter(target)
        self.coupled = self.node.state_names.index(coupled)
        self.target = target
        self.coupling = coupling
        self.weights = weights
        resolved = self.node.resolve_parameters(dict(parameters or {}))
        self.values = {k: float(v) for k, v in resolved.items()}
        self.rhs = torch_rhs(self.node)

    def parameter_values(self) -> dict[str, object]:
        """Node parameter values (numbers or tensors) used in the equations."""
        return dict(self.values)

    def coupling_matrix(self) -> torch.Tensor:
        return self.weights() if callable(self.weights) else self.weights

    def forward(self, state: torch.Tensor, steps: int) -> torch.Tensor:
        W = self.coupling_matrix()
        values = self.parameter_values()
        base = values[self.target]
        dt = values["dt"]
        for _ in range(int(steps)):
            network_input = state[..., self.coupled] @ W.transpose(-1, -2)
            values[self.target] = base + self.coupling * network_input
            state = state + dt * self.rhs(state, values)
        return state


def attractor_patterns(
    n_nodes: int, n_classes: int, low: float, high: float, *, block: int | None = None
) -> np.ndarray:
    """Class patterns of Marino et al.'s code: pattern ``c`` is ``high`` everywhere except
    ``low`` on nodes ``c * block .. (c + 1) * block - 1``, with ``block = n_nodes // (n_classes
    + 2)``; columns of the returned (n_nodes, n_classes) array."""
    block = block or n_nodes // (n_classes + 2)
    if block < 1 or block * n_classes > n_nodes:
        raise ValueError(f"{n_classes} blocks of {block} do not fit in {n_nodes} nodes")
    patterns = np.full((n_nodes, n_classes), float(high))
    for c in range(n_classes):
        patterns[c * block : (c + 1) * block, c] = low
    return patterns


class AttractorClassifier(FlowNetwork):
    """Marino et al.'s Wilson–Cowan metapopulation classifier (see the module docstring).

    ``patterns`` (N, K): the planted attractors (x of each node), which span the kernel of the
    coupling matrix. Trained: the other ``N - K`` eigenvectors (initialised orthogonal, gain
    1.15), their eigenvalues (initialised ``normal(eigenvalue_mean, 1)``, clipped to at most
    200 as in the authors' code) and ``gamma``. The coupling enters ``h_e`` with strength
    ``1 / sqrt(N)``. The authors use ``eigenvalue_mean = -28`` with N = 784 nodes, an effective
    rate ``-28 / sqrt(784) = -1``; the default keeps that rate for any N:
    ``-28 sqrt(N / 784)``. ``forward(x0, steps)`` starts every node at ``x = y = x0`` and
    returns the final x (batch, N).
    """

    def __init__(
        self,
        patterns: np.ndarray,
        *,
        gamma: float = 0.25,
        eigenvalue_mean: float | None = None,
        dtype: torch.dtype = torch.float32,
        seed: int = 0,
        node: Model | str = "wilson_cowan_marino",
    ):
        generator = torch.Generator().manual_seed(seed)
        patterns = np.asarray(patterns, dtype=np.float64)
        n, k = patterns.shape
        if eigenvalue_mean is None:
            eigenvalue_mean = -28.0 * math.sqrt(n / 784)
        fixed = torch.tensor(np.linalg.qr(patterns)[0], dtype=dtype)
        super().__init__(node, self._matrix, coupled="x", target="h_e", coupling=1 / math.sqrt(n))
        self.register_buffer("fixed_basis", fixed)
        self.register_buffer("patterns", torch.tensor(patterns, dtype=dtype))
        trained = torch.empty(n, n - k, dtype=dtype)
        torch.nn.init.orthogonal_(trained, gain=1.15, generator=generator)
        self.trained_basis = torch.nn.Parameter(trained)
        self.eigenvalues = torch.nn.Parameter(
            eigenvalue_mean + torch.randn(n - k, dtype=dtype, generator=generator)
        )
        self.gamma = torch.nn.Parameter(torch.tensor(float(gamma), dtype=dtype))

    def _matrix(self) -> torch.Tensor:
        basis = torch.cat([self.trained_basis, self.fixed_basis], dim=1)
        k = self.fixed_basis.shape[1]
        spectrum = torch.cat([self.eigenvalues.clamp(max=200.0), torch.zeros(k, dtype=basis.dtype)])
        return basis @ torch.diag(spectrum) @ torch.linalg.inv(basis)

    def parameter_values(self) -> dict[str, object]:
        values = dict(self.values)
        values["gamma"] = self.gamma
        return values

    def forward(self, x0: torch.Tensor, steps: int = 25) -> torch.Tensor:
        state = torch.stack([x0, x0], dim=-1)
        return super().forward(state, steps)[..., 0]

    def classify(self, final_x: torch.Tensor) -> torch.Tensor:
        """Class of each final state: the attractor nearest by the authors' normalised squared
        distance ``|p - x|**2 / (|p| |x|)``."""
        p = self.patterns.T  # (K, N)
        distance = ((p[None, :, :] - final_x[:, None, :]) ** 2).sum(-1)
        distance = distance / (p.norm(dim=-1)[None, :] * final_x.norm(dim=-1)[:, None])
        return distance.argmin(dim=-1)
