"""Small dense linear algebra for continuation: compound matrices, bordered systems, a numba solve.

Conventions
-----------
* ``compound2(M)`` is the second compound matrix (the bialternate product ``M (.) M``), rows
  and columns indexed by the pairs ``i > j`` in lexicographic order. Its eigenvalues are the
  products ``mu_i mu_j`` (i < j) of the eigenvalues of ``M``, so
  ``det(compound2(M) - I) = prod_{i<j} (mu_i mu_j - 1)``: zero at a Neimark-Sacker point
  (``|mu| = 1`` complex pair) and at a neutral saddle (real ``mu, 1/mu``). Govaerts,
  *Numerical Methods for Bifurcations of Dynamical Equilibria*, SIAM 2000, Sec. 4.4;
  Kuznetsov & Meijer, *Numerical Bifurcation Analysis of Maps*, CUP 2019, Sec. 3.
* ``bordered(B, b, c)`` solves ``[[B, b], [c^T, 0]] [v; g] = [0; 1]`` and the transposed system
  ``[w; h]``: ``g = 0`` exactly where ``B`` is singular, with ``v`` and ``w`` its right and left
  null vectors there (the minimally extended defining systems of Govaerts 2000, Ch. 3).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bordered", "compound2", "null_borders", "solve_small"]


def compound2(M: np.ndarray) -> np.ndarray:
    """Second compound (bialternate product ``M (.) M``) of the square matrix ``M``."""
    n = M.shape[0]
    i, j = np.tril_indices(n, -1)
    # rows pair (i[r], j[r]), columns pair (i[c], j[c])
    return M[i[:, None], i[None, :]] * M[j[:, None], j[None, :]] - (
        M[i[:, None], j[None, :]] * M[j[:, None], i[None, :]]
    )


def bordered(B: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """``(g, v, w)`` of the bordered system of ``B`` with border column ``b`` and row ``c``."""
    N = B.shape[0]
    K = np.zeros((N + 1, N + 1))
    K[:N, :N] = B
    K[:N, N] = b
    K[N, :N] = c
    rhs = np.zeros(N + 1)
    rhs[N] = 1.0
    try:
        lu = np.linalg.solve(np.stack([K, K.T]), np.stack([rhs, rhs])[..., None])[..., 0]
    except np.linalg.LinAlgError:  # exactly singular: the corrector sees NaN and steps aside
        return np.nan, np.full(N, np.nan), np.full(N, np.nan)
    v, g = lu[0, :N], lu[0, N]
    w = lu[1, :N]
    return float(g), v, w


def null_borders(B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Border vectors ``(b, c)`` for :func:`bordered`: the left and right singular vectors of the
    smallest singular value of ``B`` (so the bordered matrix is well conditioned near where ``B``
    is singular)."""
    U, _, Vt = np.linalg.svd(B)
    return U[:, -1].copy(), Vt[-1].copy()


@njit(cache=True)
def solve_small(G, r, out):
    """Solve ``G out = r`` by Gaussian elimination with partial pivoting (G and r overwritten;
    ``out`` may be ``r`` itself, for an in-place solve).

    Returns False when ``G`` is singular to working precision or not finite."""
    n = G.shape[0]
    for col in range(n):
        piv = col
        big = abs(G[col, col])
        for row in range(col + 1, n):
            if abs(G[row, col]) > big:
                big = abs(G[row, col])
                piv = row
        if big == 0.0 or not np.isfinite(big):
            return False
        if piv != col:
            for c in range(n):
                G[col, c], G[piv, c] = G[piv, c], G[col, c]
            r[col], r[piv] = r[piv], r[col]
        for row in range(col + 1, n):
            factor = G[row, col] / G[col, col]
            for c in range(col, n):
                G[row, c] -= factor * G[col, c]
            r[row] -= factor * r[col]
    for row in range(n - 1, -1, -1):
        acc = r[row]
        for c in range(row + 1, n):
            acc -= G[row, c] * out[c]
        out[row] = acc / G[row, row]
    return True
