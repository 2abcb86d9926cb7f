"""Derivatives of a map's equations, generated from its sympy form, for Newton and normal forms.

For a map ``x' = f(x; p)`` (``x`` in R^n, all model parameters ``p`` in R^m, in the order of
``model.parameters``) neurodyn differentiates the equations symbolically and generates:

``point_value(S, p, F)``
    ``F = f(S; p)`` (numba, ``error_model="numpy"``: a division by zero gives inf/NaN, which the
    callers treat as divergence, instead of raising).
``point_derivatives(S, p, F, A, FP)``
    ``F = f``, ``A[r, c] = d f_r / d x_c`` and ``FP[r, q] = d f_r / d p_q`` (numba).
``second(S, p)`` / ``third(S, p)``
    the tensors ``H[r, a, b] = d^2 f_r / dx_a dx_b`` and ``T[r, a, b, c]`` of third derivatives
    (plain Python; only the non-zero, non-redundant entries are generated). They give the
    multilinear forms ``B(u, v) = H[:, a, b] u_a v_b`` and ``C(u, v, w)`` of normal-form theory
    (Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., 2004, Sec. 5.4-5.6).

:func:`iterate_forms` composes them along a cycle: the multilinear forms of the k-th iterate
``f^k`` at a point of a period-k cycle, by the chain rule (Kuznetsov & Meijer, *Numerical
Bifurcation Analysis of Maps*, Cambridge University Press, 2019, Ch. 5).

exp is the exact ``math.exp`` here (the simulation kernels use a vectorisable exp with relative
error ~1e-14; fixed points agree to that level). The generated text comes from sympy trees built
by the restricted grammar of :mod:`neurodyn.models.expressions`, never from user text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from itertools import combinations_with_replacement
from typing import TYPE_CHECKING

import numpy as np

from ...models import Model, ModelError
from ...models.jit import stable_jit

if TYPE_CHECKING:
    import sympy

__all__ = ["MapDerivatives", "iterate_forms", "map_derivatives", "orbit_derivatives"]


def _printer():
    """sympy's Python printer with ``math.`` prefixes (numba compiles the result); sympy is
    imported when derivatives are generated, not with the package."""
    from sympy.printing.pycode import PythonCodePrinter

    return PythonCodePrinter({"fully_qualified_modules": True, "standard": "python3"})


def _renamed(model: Model) -> tuple[list[sympy.Symbol], list[sympy.Symbol], dict]:
    import sympy

    state = [sympy.Symbol(f"s_{n}", real=True) for n in model.state_names]
    params = [sympy.Symbol(f"p_{n}", real=True) for n in model.parameter_names]
    mapping = {model.symbols[n]: s for n, s in zip(model.state_names, state, strict=True)}
    mapping |= {model.symbols[n]: s for n, s in zip(model.parameter_names, params, strict=True)}
    return state, params, mapping


def _function(
    name: str, model: Model, targets: list[tuple[str, list[tuple[tuple[int, ...], sympy.Expr]]]]
) -> str:
    """Source of ``name(S, p, *targets)``: each target array is zeroed and its entries set."""
    import sympy

    state, params, _ = _renamed(model)
    args = ", ".join(t for t, _ in targets)
    lines = [f"def {name}(S, p, {args}):"]
    lines += [f"    {s} = S[{r}]" for r, s in enumerate(state)]
    lines += [f"    {q} = p[{r}]" for r, q in enumerate(params)]
    printer = _printer()
    flat = [(t, idx, e) for t, entries in targets for idx, e in entries]
    replacements, reduced = sympy.cse([e for _, _, e in flat], symbols=sympy.numbered_symbols("c_"))
    for symbol, value in replacements:
        lines.append(f"    {symbol} = {printer.doprint(value)}")
    for t, _ in targets:
        lines.append(f"    {t}[...] = 0.0")
    for (t, idx, _), value in zip(flat, reduced, strict=True):
        if value != 0:
            lines.append(f"    {t}[{', '.join(map(str, idx))}] = {printer.doprint(value)}")
    lines.append("    return None")
    return "\n".join(lines) + "\n"


def _exec(source: str, name: str, label: str):
    namespace: dict[str, object] = {"math": math}
    exec(compile(source, f"<neurodyn bifurcation {label}>", "exec"), namespace)  # noqa: S102
    return namespace[name]


@dataclass(frozen=True)
class MapDerivatives:
    """Generated derivative functions of a map model (see the module docstring)."""

    model: Model
    point_value: object
    point_derivatives: object
    second: object
    third: object
    sources: dict[str, str]

    @property
    def n(self) -> int:
        return self.model.n_state

    @property
    def m(self) -> int:
        return len(self.model.parameters)

    def value(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        out = np.empty(self.n)
        self.point_value(np.ascontiguousarray(x, dtype=np.float64), p, out)
        return out

    def jacobian(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        F, A, FP = np.empty(self.n), np.empty((self.n, self.n)), np.empty((self.n, self.m))
        self.point_derivatives(np.ascontiguousarray(x, dtype=np.float64), p, F, A, FP)
        return A

    def hessian(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """``H[r, a, b] = d^2 f_r / dx_a dx_b`` at ``x``."""
        H = np.empty((self.n, self.n, self.n))
        self.second(np.asarray(x, dtype=np.float64), p, H)
        return H

    def third_derivatives(self, x: np.ndarray, p: np.ndarray) -> np.ndarray:
        """``T[r, a, b, c] = d^3 f_r / dx_a dx_b dx_c`` at ``x``."""
        T = np.empty((self.n,) * 4)
        self.third(np.asarray(x, dtype=np.float64), p, T)
        return T


def _symmetric_entries(expr: sympy.Expr, state: list[sympy.Symbol], order: int, r: int):
    """Non-zero ``order``-th derivatives of ``expr``, one entry per index permutation."""
    import sympy

    n = len(state)
    free = expr.free_symbols
    entries = []
    for combo in combinations_with_replacement(range(n), order):
        if not all(state[c] in free for c in combo):
            continue
        value = sympy.diff(expr, *[state[c] for c in combo])
        if value != 0:
            for perm in sorted(set(_permutations(combo))):
                entries.append(((r, *perm), value))
    return entries


def _permutations(combo: tuple[int, ...]):
    from itertools import permutations

    return permutations(combo)


@cache
def map_derivatives(model: Model) -> MapDerivatives:
    """Generate and compile the derivative functions of map ``model`` (cached per model)."""
    import sympy

    if model.kind != "map":
        raise ModelError(
            f"bifurcation analysis needs a map; {model.name!r} is a {model.kind} "
            "(continue the flow's integrator step as a map, or use an ODE continuation tool)"
        )
    state, params, mapping = _renamed(model)
    f = [e.xreplace(mapping) for e in model.expressions]
    n, m = len(state), len(params)
    value_entries = [((r,), f[r]) for r in range(n)]
    jac = [((r, c), sympy.diff(f[r], state[c])) for r in range(n) for c in range(n)]
    dp = [((r, q), sympy.diff(f[r], params[q])) for r in range(n) for q in range(m)]
    sources = {
        "point_value": _function("point_value", model, [("F", value_entries)]),
        "point_derivatives": _function(
            "point_derivatives", model, [("F", value_entries), ("A", jac), ("FP", dp)]
        ),
        "second": _function(
            "second",
            model,
            [("H", [e for r in range(n) for e in _symmetric_entries(f[r], state, 2, r)])],
        ),
        "third": _function(
            "third",
            model,
            [("T", [e for r in range(n) for e in _symmetric_entries(f[r], state, 3, r)])],
        ),
    }
    jitted = {
        key: stable_jit(sources[key], cache=False, error_model="numpy")(
            _exec(sources[key], key, model.name)
        )
        for key in ("point_value", "point_derivatives")
    }
    return MapDerivatives(
        model=model,
        point_value=jitted["point_value"],
        point_derivatives=jitted["point_derivatives"],
        second=_exec(sources["second"], "second", model.name),
        third=_exec(sources["third"], "third", model.name),
        sources=sources,
    )


@cache
def _orbit_kernel(point_derivatives):
    @stable_jit(point_derivatives, error_model="numpy")
    def kernel(X, p, F, A, FP):
        for j in range(X.shape[0]):
            point_derivatives(X[j], p, F[j], A[j], FP[j])

    return kernel


def orbit_derivatives(
    deriv: MapDerivatives, X: np.ndarray, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``f``, ``f_x``, ``f_p`` at each row of ``X`` (k, n): shapes (k, n), (k, n, n), (k, n, m)."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    k = X.shape[0]
    F = np.empty((k, deriv.n))
    A = np.empty((k, deriv.n, deriv.n))
    FP = np.empty((k, deriv.n, deriv.m))
    _orbit_kernel(deriv.point_derivatives)(X, np.ascontiguousarray(p, dtype=np.float64), F, A, FP)
    return F, A, FP


def monodromy(A: np.ndarray) -> np.ndarray:
    """``M = A[k-1] ... A[1] A[0]``: the Jacobian of ``f^k`` at the first point of the orbit."""
    M = A[0].copy()
    for j in range(1, A.shape[0]):
        M = A[j] @ M
    return M


def _B(H: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("rab,a,b->r", H, u, v)


def _C(T: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("rabc,a,b,c->r", T, u, v, w)


class IterateForms:
    """Multilinear forms ``B`` and ``C`` of ``f^k`` at the first point of a period-k orbit.

    With ``g_j = f o g_{j-1}`` (``g_0`` the identity) the chain rule gives
    ``B_j(u, v) = B_f(U, V) + A_j B_{j-1}(u, v)`` and
    ``C_j(u, v, w) = C_f(U, V, W) + B_f(U, B_{j-1}(v, w)) + B_f(V, B_{j-1}(u, w))
    + B_f(W, B_{j-1}(u, v)) + A_j C_{j-1}(u, v, w)`` with ``U = Dg_{j-1} u`` etc. Vectors may be
    complex.
    """

    def __init__(self, deriv: MapDerivatives, orbit: np.ndarray, p: np.ndarray):
        self.orbit = np.asarray(orbit, dtype=np.float64)
        self.A = orbit_derivatives(deriv, self.orbit, p)[1]
        self.H = [deriv.hessian(x, p) for x in self.orbit]
        self._deriv, self._p = deriv, p
        self._T: list[np.ndarray] | None = None

    @property
    def T(self) -> list[np.ndarray]:
        if self._T is None:
            self._T = [self._deriv.third_derivatives(x, self._p) for x in self.orbit]
        return self._T

    def B(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        U, V = np.asarray(u), np.asarray(v)
        b = np.zeros(len(U), dtype=np.result_type(U, V, float))
        for A, H in zip(self.A, self.H, strict=True):
            b = _B(H, U, V) + A @ b
            U, V = A @ U, A @ V
        return b

    def C(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        U, V, W = np.asarray(u), np.asarray(v), np.asarray(w)
        dtype = np.result_type(U, V, W, float)
        buv = np.zeros(len(U), dtype=dtype)
        buw, bvw, c = buv.copy(), buv.copy(), buv.copy()
        for A, H, T in zip(self.A, self.H, self.T, strict=True):
            c = _C(T, U, V, W) + _B(H, U, bvw) + _B(H, V, buw) + _B(H, W, buv) + A @ c
            buv, buw, bvw = _B(H, U, V) + A @ buv, _B(H, U, W) + A @ buw, _B(H, V, W) + A @ bvw
            U, V, W = A @ U, A @ V, A @ W
        return c


def iterate_forms(deriv: MapDerivatives, orbit: np.ndarray, p: np.ndarray) -> IterateForms:
    """The multilinear forms of ``f^k`` at ``orbit[0]`` of the period-k ``orbit`` (k, n)."""
    return IterateForms(deriv, orbit, p)
