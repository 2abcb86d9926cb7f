"""Linear readouts: ridge regression (batch) and the recursive-least-squares initial matrix.

Ridge convention (as reservoirpy's ``Ridge``): the features and targets are centred over the
training rows, ``W = (Xc^T Xc + ridge I)^-1 Xc^T Yc``, and the bias ``b = mean(Y) - mean(X) W``
is not penalised. The normal equations are solved by Cholesky (the matrix is symmetric positive
definite for ``ridge > 0``); the Gram matrix is formed with BLAS ``syrk`` (one triangle). With
``ridge = 0`` and rank-deficient features the minimum-norm least-squares solution is returned.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

__all__ = ["ridge_regression"]


def ridge_regression(
    features: np.ndarray, targets: np.ndarray, ridge: float
) -> tuple[np.ndarray, np.ndarray]:
    """Readout weights ``(n_features, d_out)`` and bias ``(d_out,)`` minimising
    ``||Y - X W - b||^2 + ridge ||W||^2`` (see the module docstring)."""
    if not ridge >= 0:
        raise ValueError(f"ridge must be >= 0, got {ridge}")
    if features.shape[0] != targets.shape[0]:
        raise ValueError(f"{features.shape[0]} feature rows but {targets.shape[0]} target rows")
    if not (np.all(np.isfinite(features)) and np.all(np.isfinite(targets))):
        raise ValueError("features or targets contain NaN or inf")
    x_mean = features.mean(axis=0)
    y_mean = targets.mean(axis=0)
    centred = features - x_mean
    gram = dsyrk(1.0, centred.T, trans=0)  # upper triangle of Xc^T Xc
    gram[np.diag_indices_from(gram)] += ridge
    right = centred.T @ (targets - y_mean)
    try:
        weights = cho_solve(cho_factor(gram, lower=False, overwrite_a=True), right)
    except np.linalg.LinAlgError:  # ridge = 0 on rank-deficient features: minimum-norm solution
        weights = np.linalg.lstsq(centred, targets - y_mean, rcond=None)[0]
    return weights, y_mean - x_mean @ weights
