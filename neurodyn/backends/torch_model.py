"""A model's iteration and its Jacobian in torch, batched, generated from its equations.

Layout as in the numba kernels (:mod:`neurodyn.models.codegen`): states ``X`` (n_state, batch),
parameters ``P`` (n_param, batch) in the order of ``model.parameters``, Jacobians
(n_state, n_state, batch) with ``J[r, c] = d x'_r / d x_c``. The equations and their analytic
Jacobian come from :func:`neurodyn.models.torchgen.torch_function`; for a flow one iteration is one
step of its explicit Runge-Kutta integrator (:data:`neurodyn.models.integrators.TABLEAUS`) with
the time step in the parameter ``dt``, and its Jacobian is the derivative of that discrete step
composed through the stages exactly as :func:`neurodyn.models.integrators.runge_kutta_jacobian`
does. Sums are formed in the same order as the numba code, so in float64 the two differ by the
rounding of the elementary functions only (``torch.exp`` against :func:`~neurodyn.models.vecmath.
vexp`, both within an ulp or two).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from ..models import Model
from ..models.integrators import TABLEAUS, Tableau
from ..models.torchgen import torch_function

__all__ = ["TorchModel", "batched_matmul", "torch_model"]


def _rows(values: list, like: torch.Tensor) -> torch.Tensor:
    """Stack generated values (tensors or numbers) into (len(values), *like.shape)."""
    out = []
    for v in values:
        if not isinstance(v, torch.Tensor):
            v = torch.full_like(like, float(v))
        elif v.shape != like.shape:
            v = v.expand_as(like)
        out.append(v)
    return torch.stack(out)


def batched_matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Batched product ``C[r, c, i] = sum_k A[r, k, i] B[k, c, i]``, summed over k in order."""
    acc = A[:, 0, None, :] * B[None, 0, :, :]
    for k in range(1, A.shape[1]):
        acc = acc + A[:, k, None, :] * B[None, k, :, :]
    return acc


@dataclass(frozen=True)
class TorchModel:
    """The generated torch functions of ``model``: :meth:`equations`, :meth:`step`,
    :meth:`step_jacobian` (see the module docstring for shapes)."""

    model: Model

    @property
    def _equations(self):
        return torch_function(self.model, "equations")

    @property
    def _jacobian(self):
        return torch_function(self.model, "jacobian")

    def equations(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The equations (next state of a map, derivative of a flow) at ``X``."""
        return _rows(self._equations(X.unbind(0), P.unbind(0)), X[0])

    def equations_jacobian(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The analytic Jacobian of the equations at ``X``, (n_state, n_state, batch)."""
        n = self.model.n_state
        flat = _rows(self._jacobian(X.unbind(0), P.unbind(0)), X[0])
        return flat.reshape(n, n, X.shape[1])

    def step(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The state after one iteration (a map's equations, a flow's integrator step)."""
        if self.model.kind == "map":
            return self.equations(X, P)
        return self._runge_kutta_step(X, P, TABLEAUS[self.model.integrator])

    def step_jacobian(self, X: torch.Tensor, P: torch.Tensor) -> torch.Tensor:
        """The Jacobian of one iteration at ``X``, (n_state, n_state, batch)."""
        if self.model.kind == "map":
            return self.equations_jacobian(X, P)
        return self._runge_kutta_jacobian(X, P, TABLEAUS[self.model.integrator])

    def _dt(self, P: torch.Tensor) -> torch.Tensor:
        return P[self.model.parameter_names.index("dt")]

    def _runge_kutta_step(self, X: torch.Tensor, P: torch.Tensor, tableau: Tableau):
        dt = self._dt(P)
        k = []
        for j in range(len(tableau.b)):
            U = X
            if j > 0:
                U = X + dt * _weighted(tableau.a[j], k)
            k.append(self.equations(U, P))
        return X + dt * _weighted(tableau.b, k)

    def _runge_kutta_jacobian(self, X: torch.Tensor, P: torch.Tensor, tableau: Tableau):
        dt = self._dt(P)
        n, batch = X.shape
        eye = torch.eye(n, dtype=X.dtype, device=X.device)[:, :, None].expand(n, n, batch)
        k, dk = [], []
        for j in range(len(tableau.b)):
            U, M = X, eye
            for p, a in enumerate(tableau.a[j]):
                if a != 0.0:
                    w = dt * a
                    U = U + w * k[p]
                    M = M + w * dk[p]
            k.append(self.equations(U, P))
            dk.append(batched_matmul(self.equations_jacobian(U, P), M))
        J = eye
        for j, b in enumerate(tableau.b):
            J = J + dt * b * dk[j]
        return J


def _weighted(weights: tuple[float, ...], values: list[torch.Tensor]) -> torch.Tensor:
    """``w_0 v_0 + w_1 v_1 + ...`` over the nonzero weights, summed left to right."""
    terms = [w * v for w, v in zip(weights, values, strict=False) if w != 0.0]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


@cache
def torch_model(model: Model) -> TorchModel:
    """The :class:`TorchModel` of ``model`` (cached per model definition).

    An object that is not a :class:`Model` but has the model interface and a ``torch_model()``
    method (the network kernel, :class:`neurodyn.networks.Network`) gives its own torch step, an
    object with :meth:`TorchModel.step` and :meth:`TorchModel.equations`."""
    if not isinstance(model, Model):
        return model.torch_model()
    return TorchModel(model)
