"""Normal-form coefficients of codimension-1 bifurcations of fixed points and cycles of maps.

For a period-k cycle the coefficients are those of the k-th iterate ``f^k`` at the first point of
the orbit, with ``A = M`` its monodromy matrix and ``B``, ``C`` its multilinear forms
(:class:`~.derivatives.IterateForms`, composed exactly from the symbolic second and third
derivatives). Formulas: Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer
2004, Sec. 5.4 (fold), 5.5 (flip), 5.6 (Neimark-Sacker); Kuznetsov & Meijer, *Numerical
Bifurcation Analysis of Maps*, CUP 2019, Ch. 5.

Normalisations (they fix the magnitudes; the signs that matter do not depend on them):

* fold (LP), ``A q = q``, ``A^T p = p``, ``|q| = 1``, ``p . q = 1``; normal form
  ``eta -> eta + a eta^2``, ``a = 1/2 p . B(q, q)``. The sign of ``a`` flips with ``q -> -q``:
  :func:`fold_coefficient` orients ``q`` along ``q_ref`` when given (to follow ``a`` along a
  curve), otherwise so that its largest component is positive.
* flip (PD), ``A q = -q``, ``A^T p = -p``, ``|q| = 1``, ``p . q = 1``; normal form
  ``eta -> -eta + c eta^3``, ``c = 1/6 p . C(q,q,q) - 1/2 p . B(q, (A - I)^{-1} B(q, q))``.
  ``c > 0``: supercritical (a stable period-2k cycle appears where the k-cycle loses stability);
  ``c < 0``: subcritical.
* Neimark-Sacker (NS), ``A q = e^{i theta} q``, ``A^T p = e^{-i theta} p``, ``q^H q = 1``,
  ``p^H q = 1``, ``0 < theta < pi``; normal form ``z -> e^{i theta} z (1 + d |z|^2) + ...``,
  ``c_1 = 1/2 p^H [C(q,q,qbar) + 2 B(q, (I - A)^{-1} B(q, qbar))
  + B(qbar, (e^{2 i theta} I - A)^{-1} B(q, q))]``, ``d = Re(e^{-i theta} c_1)`` (the first
  Lyapunov coefficient). ``d < 0``: supercritical (a stable closed invariant curve).
"""

from __future__ import annotations

import numpy as np

from .derivatives import IterateForms

__all__ = ["flip_coefficient", "fold_coefficient", "neimark_sacker_coefficient", "real_eigvec"]


def _eigvec(M: np.ndarray, target: complex) -> tuple[complex, np.ndarray]:
    mu, V = np.linalg.eig(M)
    i = int(np.argmin(np.abs(mu - target)))
    return complex(mu[i]), V[:, i]


def real_eigvec(M: np.ndarray, target: float, q_ref: np.ndarray | None = None) -> np.ndarray:
    """Unit real eigenvector of ``M`` for the eigenvalue closest to ``target``, oriented along
    ``q_ref`` (or with its largest component positive)."""
    _, q = _eigvec(M, target)
    q = np.real(q * np.exp(-1j * np.angle(q[np.argmax(np.abs(q))])))
    q /= np.linalg.norm(q)
    if q_ref is not None:
        if q @ q_ref < 0:
            q = -q
    elif q[np.argmax(np.abs(q))] < 0:
        q = -q
    return q


def _adjoint(M: np.ndarray, target: float, q: np.ndarray) -> np.ndarray:
    p = real_eigvec(M.T, target)
    with np.errstate(divide="ignore", invalid="ignore"):
        return p / (p @ q)


def _solve(K: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``K^{-1} r``, or NaN where ``K`` is singular (the coefficient is undefined there: e.g.
    ``c`` at a fold-flip point, ``d`` at the strong resonances R1-R3)."""
    try:
        return np.linalg.solve(K, r)
    except np.linalg.LinAlgError:
        return np.full(r.shape, np.nan, dtype=r.dtype)


def fold_coefficient(
    forms: IterateForms, M: np.ndarray, q_ref: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """``(a, q)``: the fold coefficient and the oriented null vector (module docstring)."""
    q = real_eigvec(M, 1.0, q_ref)
    p = _adjoint(M, 1.0, q)
    with np.errstate(invalid="ignore", over="ignore"):
        return 0.5 * float(p @ forms.B(q, q)), q


def flip_coefficient(forms: IterateForms, M: np.ndarray) -> float:
    """The flip (period-doubling) coefficient ``c`` (module docstring)."""
    n = M.shape[0]
    q = real_eigvec(M, -1.0)
    p = _adjoint(M, -1.0, q)
    h2 = _solve(M - np.eye(n), forms.B(q, q))
    with np.errstate(invalid="ignore", over="ignore"):
        return float(p @ forms.C(q, q, q) / 6.0 - 0.5 * p @ forms.B(q, h2))


def neimark_sacker_coefficient(forms: IterateForms, M: np.ndarray) -> tuple[float, float, complex]:
    """``(d, theta, c_1)`` at a Neimark-Sacker point (module docstring); ``theta`` in radians
    is the argument of the critical multiplier in the upper half plane."""
    n = M.shape[0]
    mu = np.linalg.eigvals(M)
    upper = mu[mu.imag > 0]
    if upper.size == 0:
        raise ValueError("no complex multiplier pair: not a Neimark-Sacker point")
    lam = complex(upper[np.argmin(np.abs(np.abs(upper) - 1.0))])
    _, q = _eigvec(M, lam)
    q = q / np.linalg.norm(q)
    _, p = _eigvec(M.T, np.conj(lam))
    p = p / np.conj(np.vdot(p, q))
    theta = float(np.angle(lam))
    eye = np.eye(n)
    qb = np.conj(q)
    h11 = _solve(eye - M, forms.B(q, qb))
    h20 = _solve(np.exp(2j * theta) * eye - M, forms.B(q, q))
    with np.errstate(invalid="ignore", over="ignore"):
        c1 = 0.5 * np.vdot(p, forms.C(q, q, qb) + 2.0 * forms.B(q, h11) + forms.B(qb, h20))
    d = float(np.real(np.exp(-1j * theta) * c1))
    return d, theta, complex(c1)
