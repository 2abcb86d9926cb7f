"""Linear readouts: ridge regression (batch).

Ridge convention (as reservoirpy's ``Ridge``): the features and targets are centred over the
training rows, ``W = (Xc^T Xc + ridge I)^-1 Xc^T Yc``, and the bias ``b = mean(Y) - mean(X) W``
is not penalised. For ``ridge > 0`` the normal equations are solved by Cholesky in whichever of
two equal forms is smaller (``T`` rows, ``n`` features):

* ``T >= n`` (primal): the ``n x n`` Gram matrix ``Xc^T Xc + ridge I``;
* ``T < n`` (dual): ``W = Xc^T (Xc Xc^T + ridge I)^-1 Yc`` with the ``T x T`` kernel matrix
  (the push-through identity; equal to the primal solution up to rounding).

Either Gram matrix is formed with BLAS ``syrk`` (one triangle, no transposed copy). With
``ridge = 0`` the primal form is used, and on rank-deficient features (Cholesky fails) the
minimum-norm least-squares solution is returned. :func:`ridge_path` solves for several
penalties from one centring and one Gram matrix (what a hyper-parameter sweep over ``ridge``
needs); each solution is the one :func:`ridge_regression` gives, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.blas import dsyrk

__all__ = ["ridge_path", "ridge_regression"]


def ridge_regression(
    features: np.ndarray, targets: np.ndarray, ridge: float, *, overwrite_features: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Readout weights ``(n_features, d_out)`` and bias ``(d_out,)`` minimising
    ``||Y - X W - b||^2 + ridge ||W||^2`` (see the module docstring). With
    ``overwrite_features`` a float64 ``features`` array is centred in place (no copy)."""
    return ridge_path(features, targets, [ridge], overwrite_features=overwrite_features)[0]


def ridge_path(
    features: np.ndarray,
    targets: np.ndarray,
    ridges: Sequence[float],
    *,
    overwrite_features: bool = False,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`ridge_regression` for each penalty in ``ridges`` (weights and bias per penalty,
    in that order): the features are centred and their Gram matrix formed once."""
    ridges = [float(r) for r in ridges]
    for ridge in ridges:
        if not ridge >= 0:
            raise ValueError(f"ridge must be >= 0, got {ridge}")
    if features.shape[0] != targets.shape[0]:
        raise ValueError(f"{features.shape[0]} feature rows but {targets.shape[0]} target rows")
    if not (np.isfinite(features).all() and np.isfinite(targets).all()):
        raise ValueError("features or targets contain NaN or inf")
    x_mean = features.mean(axis=0)
    y_mean = targets.mean(axis=0)
    if overwrite_features and features.dtype == np.float64:
        features -= x_mean
        centred = features
    else:
        centred = features - x_mean
    centred_targets = targets - y_mean
    n_rows, n_features = centred.shape
    grams: dict[bool, np.ndarray] = {}
    solutions = []
    for position, ridge in enumerate(ridges):
        primal = n_rows >= n_features or ridge == 0
        if primal not in grams:
            # upper triangle of Xc^T Xc (primal) or Xc Xc^T (dual); a C-ordered array's
            # transpose is Fortran-ordered, so BLAS reads it without a copy (finiteness was
            # checked above)
            if centred.flags.c_contiguous:
                grams[primal] = dsyrk(1.0, centred.T, trans=0 if primal else 1)
            else:
                grams[primal] = dsyrk(1.0, centred, trans=1 if primal else 0)
        last = all((n_rows >= n_features or r == 0) != primal for r in ridges[position + 1 :])
        gram = grams[primal] if last else grams[primal].copy()
        try:
            gram[np.diag_indices_from(gram)] += ridge
            factor = cho_factor(gram, lower=False, overwrite_a=True, check_finite=False)
            if primal:
                weights = cho_solve(factor, centred.T @ centred_targets, check_finite=False)
            else:
                weights = centred.T @ cho_solve(factor, centred_targets, check_finite=False)
        except np.linalg.LinAlgError:  # ridge = 0 on rank-deficient features: minimum norm
            weights = np.linalg.lstsq(centred, centred_targets, rcond=None)[0]
        solutions.append((weights, y_mean - x_mean @ weights))
    return solutions
