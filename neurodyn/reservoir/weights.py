"""Random weight matrices of echo state networks, in CSR form for the numba kernels.

Conventions (those of reservoirpy 0.4, so that the same hyper-parameters mean the same thing):

* recurrent matrix ``W`` (``units x units``): each entry is non-zero with probability
  ``connectivity`` (exactly ``round(connectivity * units**2)`` non-zeros at distinct random
  positions), values standard normal, then scaled so that its spectral radius (largest
  eigenvalue modulus) equals ``spectral_radius``;
* input matrix ``W_in`` (``units x inputs``): non-zero with probability ``input_connectivity``,
  values ``+-1`` with equal probability, column ``k`` multiplied by ``input_scaling[k]``;
* bias: ``+-bias_scaling`` for every unit (zero when ``bias_scaling = 0``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, eigs

__all__ = ["bernoulli_matrix", "normal_matrix", "scale_spectral_radius", "spectral_radius"]

_DENSE_EIG_LIMIT = 300


def _positions(rng: np.random.Generator, rows: int, cols: int, density: float) -> np.ndarray:
    count = int(round(density * rows * cols))
    return rng.choice(rows * cols, size=count, replace=False)


def normal_matrix(
    rows: int, cols: int, connectivity: float, rng: np.random.Generator
) -> sp.csr_array:
    """Sparse matrix with standard-normal non-zeros at ``round(connectivity * rows * cols)``
    random positions."""
    flat = _positions(rng, rows, cols, connectivity)
    values = rng.standard_normal(flat.size)
    return sp.csr_array((values, np.divmod(flat, cols)), shape=(rows, cols))


def bernoulli_matrix(
    rows: int, cols: int, connectivity: float, rng: np.random.Generator
) -> sp.csr_array:
    """Sparse matrix with ``+-1`` (equal odds) at ``round(connectivity * rows * cols)``
    random positions."""
    flat = _positions(rng, rows, cols, connectivity)
    values = rng.choice(np.array([1.0, -1.0]), size=flat.size)
    return sp.csr_array((values, np.divmod(flat, cols)), shape=(rows, cols))


def spectral_radius(matrix: sp.sparray | np.ndarray) -> float:
    """Largest eigenvalue modulus: dense ``eigvals`` up to 300 units, ARPACK (implicitly
    restarted Arnoldi, relative tolerance 1e-9) above."""
    n = matrix.shape[0]
    if n <= _DENSE_EIG_LIMIT:
        dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
        return float(np.max(np.abs(np.linalg.eigvals(dense))))
    start = np.ones(n)
    try:
        values = eigs(matrix, k=1, which="LM", v0=start, tol=1e-9, ncv=min(n, 64),
                      return_eigenvectors=False, maxiter=20 * n)
    except ArpackNoConvergence as error:
        raise RuntimeError(f"spectral radius did not converge for a {n}-unit matrix") from error
    return float(np.max(np.abs(values)))


def scale_spectral_radius(matrix: sp.csr_array, target: float) -> sp.csr_array:
    """``matrix`` rescaled to spectral radius ``target`` (> 0)."""
    if not target > 0:
        raise ValueError(f"spectral_radius must be > 0, got {target}")
    current = spectral_radius(matrix)
    if current == 0.0:
        raise ValueError("the recurrent matrix is nilpotent (spectral radius 0): cannot scale it")
    return sp.csr_array(matrix * (target / current))
