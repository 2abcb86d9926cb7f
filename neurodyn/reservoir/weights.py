"""Random weight matrices of echo state networks, in CSR form for the numba kernels.

Conventions (those of reservoirpy 0.4, so that the same hyper-parameters mean the same thing):

* recurrent matrix ``W`` (``units x units``): each entry is non-zero with probability
  ``connectivity`` (exactly ``round(connectivity * units**2)`` non-zeros at distinct random
  positions), values standard normal, then scaled so that its spectral radius (largest
  eigenvalue modulus) equals ``spectral_radius``;
* input matrix ``W_in`` (``units x inputs``): non-zero with probability ``input_connectivity``,
  values ``+-1`` with equal probability, column ``k`` multiplied by ``input_scaling[k]``;
* bias: ``+-bias_scaling`` for every unit (zero when ``bias_scaling = 0``).

Positions are drawn by rejection: uniform integers from the generator, each kept the first time
it appears, until ``count`` distinct ones are kept (a uniform random ``count``-subset); above a
density of one half the *empty* positions are drawn this way instead. The positions are marked
in a bitmap (one bit per entry) that is read in row-major order, so the CSR arrays come out
with sorted column indices and no sort. The ``k``-th value drawn goes to the ``k``-th position
in that order (the values are independent of the positions, so the law is the same).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from .kernels import csr_arrays, csr_matvec

__all__ = ["bernoulli_matrix", "normal_matrix", "scale_spectral_radius", "spectral_radius"]

_DENSE_EIG_LIMIT = 300


@njit(cache=True)
def _mark(bits, draws, wanted, kept):
    """Set the bits of ``draws`` in order until ``wanted`` are set; returns the new count."""
    for position in draws:
        if kept == wanted:
            break
        word, bit = position >> 6, np.uint64(1) << np.uint64(position & 63)
        if not bits[word] & bit:
            bits[word] |= bit
            kept += 1
    return kept


@njit(cache=True)
def _csr_from_bits(bits, rows, cols, count, invert, indptr, indices):
    """CSR structure of the set bits (or, with ``invert``, of the clear ones) among the first
    ``rows * cols`` bits, read in row-major order."""
    k = 0
    for r in range(rows):
        for c in range(cols):
            position = r * cols + c
            isset = (bits[position >> 6] >> np.uint64(position & 63)) & np.uint64(1)
            if (isset == 1) != invert:
                indices[k] = c
                k += 1
        indptr[r + 1] = k
    return k == count


def _structure(
    rng: np.random.Generator, rows: int, cols: int, density: float
) -> tuple[np.ndarray, np.ndarray]:
    """``indptr`` and sorted ``indices`` of ``round(density * rows * cols)`` distinct uniform
    random positions (see the module docstring)."""
    total = rows * cols
    count = int(round(density * total))
    invert = 2 * count > total
    wanted = total - count if invert else count
    bits = np.zeros((total + 63) // 64, dtype=np.uint64)
    kept = 0
    while kept < wanted:
        # expected draws for the missing positions (wanted <= total / 2, so the log is finite)
        expected = total * np.log((total - kept) / (total - wanted))
        draws = rng.integers(0, total, size=int(1.02 * expected) + 64, dtype=np.int64)
        kept = _mark(bits, draws, wanted, kept)
    indptr = np.zeros(rows + 1, dtype=np.int32)
    indices = np.empty(count, dtype=np.int32)
    if not _csr_from_bits(bits, rows, cols, count, invert, indptr, indices):
        raise RuntimeError("inconsistent sparse structure")  # not reachable: a bug if raised
    return indptr, indices


def normal_matrix(
    rows: int, cols: int, connectivity: float, rng: np.random.Generator
) -> sp.csr_array:
    """Sparse matrix with standard-normal non-zeros at ``round(connectivity * rows * cols)``
    random positions."""
    indptr, indices = _structure(rng, rows, cols, connectivity)
    values = rng.standard_normal(indices.size)
    return sp.csr_array((values, indices, indptr), shape=(rows, cols))


def bernoulli_matrix(
    rows: int, cols: int, connectivity: float, rng: np.random.Generator
) -> sp.csr_array:
    """Sparse matrix with ``+-1`` (equal odds) at ``round(connectivity * rows * cols)``
    random positions."""
    indptr, indices = _structure(rng, rows, cols, connectivity)
    values = rng.choice(np.array([1.0, -1.0]), size=indices.size)
    return sp.csr_array((values, indices, indptr), shape=(rows, cols))


def spectral_radius(matrix: sp.sparray | np.ndarray) -> float:
    """Largest eigenvalue modulus: dense ``eigvals`` up to 300 units, above that ARPACK
    (implicitly restarted Arnoldi: the 3 eigenvalues of largest modulus, 64 basis vectors,
    relative tolerance 1e-9) on the kernels' CSR product.

    Three eigenvalues, not one: the spectrum of a random reservoir fills a disc (the circular
    law), many eigenvalues lie close to its edge, and asked for one ARPACK may settle on one of
    them that is not the largest. Checked against dense ``eigvals`` on 16 matrices of 1000 units
    at connectivity 0.01 (seeds 100-115 of :func:`normal_matrix`): one eigenvalue with 64 basis
    vectors missed on one matrix (6e-4 relative error), reservoirpy's call (one eigenvalue, 20
    basis vectors, full precision) on five (0.35-1.5 %); three eigenvalues agreed to 4e-12 on
    all of them, and to 1e-8 on 8-10 matrices each of 400-3000 units at connectivity
    0.01-0.1, at about the cost of one.
    """
    n = matrix.shape[0]
    if n <= _DENSE_EIG_LIMIT:
        dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
        return float(np.max(np.abs(np.linalg.eigvals(dense))))
    ptr, idx, val = csr_arrays(matrix)

    def product(x: np.ndarray) -> np.ndarray:
        y = np.empty(n)
        csr_matvec(ptr, idx, val, np.ascontiguousarray(x, dtype=np.float64).ravel(), y)
        return y

    operator = LinearOperator((n, n), matvec=product, dtype=np.float64)
    try:
        values = eigs(operator, k=3, which="LM", v0=np.ones(n), tol=1e-9, ncv=min(n, 64),
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
