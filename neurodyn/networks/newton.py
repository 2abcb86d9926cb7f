"""Fixed points of large networks of maps: Newton with the sparse Jacobian of the network kernel.

``x = F(x)`` is solved by Newton's method on ``G(x) = F(x) - x``: each iteration evaluates one
step of the network kernel and its exact sparse Jacobian (:func:`~.kernel.jacobian_matrix`) and
solves ``(J - I) dx = -(F(x) - x)`` with ``scipy.sparse.linalg.spsolve`` (sparse LU), so the
cost grows with the nodes and edges, not with their square. The stability of the fixed point is
given by the largest multipliers (eigenvalues of ``J`` by modulus; ARPACK through
``scipy.sparse.linalg.eigs``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .kernel import Network, jacobian_matrix

__all__ = ["FixedPoint", "fixed_point", "leading_multipliers", "network_step"]


class FixedPoint(NamedTuple):
    """``x`` (n_state,), ``converged`` (``max|F(x) - x| <= tol * (1 + max|x|)``),
    ``iterations`` and the final ``residual`` ``max|F(x) - x|``."""

    x: np.ndarray
    converged: bool
    iterations: int
    residual: float


def network_step(net: Network, x: np.ndarray, parameters: np.ndarray) -> np.ndarray:
    """``F(x)``: one iteration of the network from state ``x`` (n_state,) with parameter values
    ``parameters`` (n_param,), by the network kernel."""
    compiled = net.compile()
    X = np.array(x, dtype=np.float64).reshape(-1, 1)
    P = np.ascontiguousarray(np.asarray(parameters, dtype=np.float64).reshape(-1, 1))
    compiled.advance(X, P, 0, 1, 1, np.inf, np.ones(1, dtype=np.bool_), compiled.plan)
    return X[:, 0]


def fixed_point(
    net: Network,
    x0: np.ndarray,
    parameters: np.ndarray,
    *,
    tol: float = 1e-12,
    max_iter: int = 50,
) -> FixedPoint:
    """Newton's method for a fixed point of ``net`` from ``x0`` (n_state,) at ``parameters``
    (n_param,); see the module docstring. Stops when converged, after ``max_iter`` iterations,
    or when the state becomes non-finite (not converged)."""
    x = np.array(x0, dtype=np.float64).reshape(-1)
    p = np.asarray(parameters, dtype=np.float64).reshape(-1)
    if x.size != net.n_state or p.size != len(net.parameters):
        raise ValueError(f"x0 must have {net.n_state} values and parameters {len(net.parameters)}")
    identity = sp.identity(net.n_state, format="csc")
    residual = np.inf
    for iteration in range(max_iter + 1):
        g = network_step(net, x, p) - x
        residual = float(np.max(np.abs(g)))
        if not np.isfinite(residual):
            return FixedPoint(x, False, iteration, residual)
        if residual <= tol * (1.0 + float(np.max(np.abs(x)))):
            return FixedPoint(x, True, iteration, residual)
        if iteration == max_iter:
            break
        J = jacobian_matrix(net, x, p).tocsc()
        x = x + spla.spsolve(J - identity, -g)
    return FixedPoint(x, False, max_iter, residual)


def leading_multipliers(
    net: Network, x: np.ndarray, parameters: np.ndarray, k: int = 6
) -> np.ndarray:
    """The ``k`` multipliers of largest modulus (eigenvalues of the Jacobian at ``x``), sorted
    by decreasing modulus. The fixed point is stable when the first has modulus below 1."""
    J = jacobian_matrix(net, x, parameters)
    if k >= net.n_state - 1:
        mu = np.linalg.eigvals(J.toarray())
    else:
        mu = spla.eigs(J, k=k, which="LM", return_eigenvectors=False)
    mu = mu.astype(np.complex128)
    return mu[np.lexsort((-mu.imag, -np.abs(mu)))][:k]
