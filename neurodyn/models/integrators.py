"""Explicit Runge-Kutta integrators as data (Butcher tableaus) and the Jacobian of one step.

A flow's iteration is one step of its integrator. The step code is generated from the tableau
(:mod:`.codegen`); the Jacobian of the step -- what Lyapunov spectra and continuation of flows
need -- is composed here once for every tableau by the chain rule through the stages:

    U_j = x + dt * sum_l a_jl k_l,      k_j = f(U_j),
    dk_j/dx = Df(U_j) (I + dt * sum_l a_jl dk_l/dx),
    d x'/dx = I + dt * sum_j b_j dk_j/dx,

which is exactly the derivative of the discrete step, so tangent vectors follow the same
integrator as the trajectory.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np

from .jit import stable_jit
from .vecmath import small_matmul

__all__ = ["TABLEAUS", "Tableau", "map_jacobian", "runge_kutta_jacobian"]


class Tableau(NamedTuple):
    """Explicit Runge-Kutta coefficients: ``a`` (strictly lower triangular rows), weights ``b``."""

    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    order: int


TABLEAUS: dict[str, Tableau] = {
    "euler": Tableau(a=((),), b=(1.0,), order=1),
    "heun": Tableau(a=((), (1.0,)), b=(0.5, 0.5), order=2),
    "rk4": Tableau(
        a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
        b=(1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0),
        order=4,
    ),
}


@cache
def map_jacobian(evaluate_jacobian):
    """``jacobian(X, P, i, J)`` of a map: its equations' Jacobian at the state of point ``i``."""

    @stable_jit(evaluate_jacobian)
    def jacobian(X, P, i, J):
        evaluate_jacobian(X[:, i].copy(), P, i, J)

    return jacobian


@cache
def runge_kutta_jacobian(evaluate, evaluate_jacobian, tableau: Tableau, dt_row: int):
    """``jacobian(X, P, i, J)``: the Jacobian of one integrator step of a flow at point ``i``."""
    stages = len(tableau.b)
    A = np.zeros((stages, stages))
    for j, row in enumerate(tableau.a):
        A[j, : len(row)] = row
    B = np.array(tableau.b)

    @stable_jit(evaluate, evaluate_jacobian, tableau, dt_row)
    def jacobian(X, P, i, J):
        n = X.shape[0]
        dt = P[dt_row, i]
        work = np.empty(stages * n + stages * n * n + n + 2 * n * n)
        K = work[: stages * n].reshape(stages, n)
        DK = work[stages * n : stages * n * (n + 1)].reshape(stages, n, n)
        rest = stages * n * (n + 1)
        U = work[rest : rest + n]
        M = work[rest + n : rest + n + n * n].reshape(n, n)
        Df = work[rest + n + n * n :].reshape(n, n)
        for j in range(stages):
            for r in range(n):
                U[r] = X[r, i]
                for c in range(n):
                    M[r, c] = 1.0 if r == c else 0.0
            for p in range(j):
                w = dt * A[j, p]
                if w != 0.0:
                    for r in range(n):
                        U[r] += w * K[p, r]
                        for c in range(n):
                            M[r, c] += w * DK[p, r, c]
            evaluate(U, P, i, K[j])
            evaluate_jacobian(U, P, i, Df)
            small_matmul(Df, M, DK[j])
        for r in range(n):
            for c in range(n):
                acc = 1.0 if r == c else 0.0
                for j in range(stages):
                    acc += dt * B[j] * DK[j, r, c]
                J[r, c] = acc

    return jacobian
