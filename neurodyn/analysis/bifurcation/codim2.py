"""Two-parameter continuation of fold (LP), flip (PD) and Neimark-Sacker (NS) curves of fixed
points and cycles of maps, with detection of codimension-2 points.

Defining system (minimally extended, Govaerts 2000; Kuznetsov & Meijer 2019, Ch. 4): unknowns
``u = (x_0, ..., x_{k-1}, alpha_1, alpha_2)``; equations: the multiple-shooting cycle equations
(:mod:`.continuation`) and one scalar ``g(u) = 0`` from the bordered system

    [[B(M), b], [c^T, 0]] [v; g] = [0; 1],   B = M - I (LP), M + I (PD), M (.) M - I (NS),

with ``M`` the monodromy matrix and ``M (.) M`` its bialternate product
(:func:`~.linalg.compound2`). ``g = 0`` exactly where ``B`` is singular; ``b`` and ``c`` are
replaced after every accepted point by the current left and right null-vector approximations
(``w``, ``v``), so the bordered matrix stays well conditioned. The Jacobian of the cycle
equations is exact; the row of ``g`` is a central finite difference (step
``1e-6 (1 + |u_i|)``), which only affects Newton's rate, not the located values. The NS system
also follows neutral saddles (real ``mu, 1/mu``) past R1 and R2, as in MatCont.

Codimension-2 points and how they are found (``others``: the multipliers other than the
critical one (LP: closest to +1; PD: closest to -1) or pair (NS: product closest to 1);
``kappa = cos theta`` the real part of the critical pair):

=====  ===========  ==============================================  =========================
curve  label        test function                                    kind of result
=====  ===========  ==============================================  =========================
LP     CP (cusp)    ``a`` (fold normal-form coefficient, q oriented   normal-form coefficient
                    continuously along the curve)                    zero
LP     R1           ``prod_others (mu - 1)``                         sign change
LP     LPPD         ``prod_others (mu + 1)``                         sign change
LP     LPNS         ``prod_{others i<j} (mu_i mu_j - 1)``, complex   sign change
PD     GPD          ``c`` (flip normal-form coefficient)             normal-form coeff. zero
PD     R2           ``prod_others (mu + 1)``                         sign change
PD     LPPD         ``prod_others (mu - 1)``                         sign change
PD     PDNS         ``prod_{others i<j} (mu_i mu_j - 1)``, complex   sign change
NS     CH           ``d`` (first Lyapunov coefficient), theta in     normal-form coeff. zero
                    (CH_GUARD, pi - CH_GUARD)
NS     R1, R2       ``kappa - 1``, ``kappa + 1``                      sign change
NS     R3, R4       ``kappa + 1/2``, ``kappa``                        sign change
NS     LPNS, PDNS   ``prod_others (mu - 1)``, ``prod_others (mu + 1)``  sign change
NS     NSNS         ``prod_{others i<j} (mu_i mu_j - 1)``, complex   sign change
=====  ===========  ==============================================  =========================

Computed: the codimension-1 normal-form coefficients ``a``, ``c``, ``d`` along the curves (and so
CP, GPD, CH as their zeros). Only detected and located (by the test function's sign change, no
codimension-2 normal-form coefficients): R1-R4, LPPD, LPNS, PDNS, NSNS. A zero is rejected when
the test function's value there exceeds its values at the bracket's ends (a pole, e.g. of ``a``
at R1 where ``p . q -> 0``), and the products over pairs count only for complex pairs on the
unit circle (``| |mu| - 1 | < UNIT_TOL``), never for a neutral saddle (real ``mu, 1/mu``): LPNS
and PDNS need such a pair among the others (on LP and PD curves) or as the critical pair (on NS
curves), NSNS two distinct ones in the whole spectrum
(whichever of the NS pair and a neutral saddle beside it was taken as the critical pair). A
located point is kept only where the multiplier its test puts at +1 or -1 is there
(``CONDITION_TOL``), and R1 and R2 only where the double multiplier has one eigenvector (a
Jordan block; ``SEMISIMPLE_TOL``): where two independent fold or flip curves cross, the double
multiplier is semisimple and the point is no resonance.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...models import Model
from .branch import Branch, SpecialPoint
from .continuation import (
    ContinuationSettings,
    CycleProblem,
    _trace_to_branch,
    reciprocal_pair,
)
from .derivatives import iterate_forms, monodromy, orbit_derivatives
from .engine import continue_curve_points, correct, initial_tangent
from .linalg import bordered, compound2, null_borders
from .normal_forms import flip_coefficient, fold_coefficient, neimark_sacker_coefficient

__all__ = ["bifurcation_curve", "continue_bifurcation_curve"]

#: CH is not sought within this angle (radians) of R1 (theta = 0) and R2 (theta = pi), where
#: the computation of d loses its accuracy (q and its conjugate become parallel).
CH_GUARD = 0.05

#: A product test function below this at both ends of its bracket vanishes along the curve (a
#: multiplier of multiplicity two held by a symmetry of the network, e.g. identical peripheral
#: nodes): its sign changes are rounding noise, not codimension-2 points.
DEGENERATE_TOL = 1e-9
_PRODUCT_TESTS = ("R1", "R2", "LPPD", "LPNS", "PDNS", "NSNS")

#: A multiplier counts as on the unit circle when ``| |mu| - 1 | < UNIT_TOL``.
UNIT_TOL = 1e-4

#: A located R1, R2, LPPD, LPNS or PDNS point is kept only where the multiplier its test function
#: puts at +1 or -1 is there within ``CONDITION_TOL`` (a sign change across a jump of the curve
#: onto another branch, where no multiplier passes through the value, is not a point).
CONDITION_TOL = 1e-6

#: R1 and R2 need a Jordan block (geometric multiplicity 1): where the second-smallest singular
#: value of ``M -+ I`` is below ``SEMISIMPLE_TOL`` times the largest, two independent eigenvectors
#: belong to the double multiplier (two fold or two flip curves of decoupled subsystems crossing,
#: e.g. of the two end nodes of a chain whose middle node fixes the coupled variable), which is
#: not a resonance.
SEMISIMPLE_TOL = 1e-8

_COEFFICIENT_TESTS = {"LP": {"a": "CP"}, "PD": {"c": "GPD"}, "NS": {"d": "CH", "kappa": "R4"}}


def _others(mu: np.ndarray, kind: str) -> tuple[np.ndarray, float]:
    """Multipliers other than the critical one(s), and kappa (NS) or NaN."""
    mu = np.asarray(mu, dtype=np.complex128)
    if kind == "LP":
        return np.delete(mu, np.argmin(np.abs(mu - 1.0))), np.nan
    if kind == "PD":
        return np.delete(mu, np.argmin(np.abs(mu + 1.0))), np.nan
    best, pair = np.inf, (0, 1)
    for i in range(len(mu)):
        for j in range(i + 1, len(mu)):
            gap = abs(mu[i] * mu[j] - 1.0)
            if gap < best:
                best, pair = gap, (i, j)
    kappa = float(np.real(mu[pair[0]] + mu[pair[1]]) / 2)
    return np.delete(mu, list(pair)), kappa


def _pair_product(others: np.ndarray) -> float:
    value = 1.0 + 0j
    for i in range(len(others)):
        for j in range(i + 1, len(others)):
            value *= others[i] * others[j] - 1.0
    return float(value.real)


def _has_complex_unit_pair(others: np.ndarray, tol: float = 1e-6) -> bool:
    pair = reciprocal_pair(others)
    return pair is not None and abs(pair[0].imag) > tol and abs(abs(pair[0]) - 1.0) < UNIT_TOL


def _condition_gap(kind: str, name: str, others: np.ndarray) -> float:
    """How far the multiplier that the test ``name`` of a ``kind`` curve puts at +1 or -1 is from
    it (0 for the tests of other conditions)."""
    target = {
        ("LP", "R1"): 1.0,
        ("LP", "LPPD"): -1.0,
        ("PD", "R2"): -1.0,
        ("PD", "LPPD"): 1.0,
        ("NS", "LPNS"): 1.0,
        ("NS", "PDNS"): -1.0,
    }.get((kind, name))
    if target is None or not len(others):
        return 0.0
    return float(np.min(np.abs(others - target)))


def _semisimple(M: np.ndarray, target: float) -> bool:
    """Whether ``M - target I`` has a two-dimensional null space (``SEMISIMPLE_TOL``)."""
    s = np.linalg.svd(M - target * np.eye(M.shape[0]), compute_uv=False)
    return len(s) >= 2 and s[-2] < SEMISIMPLE_TOL * max(s[0], 1.0)


def _unit_circle_pairs(mu: np.ndarray, tol: float = 1e-6) -> int:
    """Number of complex-conjugate multiplier pairs on the unit circle (within ``UNIT_TOL``)."""
    mu = np.asarray(mu, dtype=np.complex128)
    return int(np.sum((mu.imag > tol) & (np.abs(np.abs(mu) - 1.0) < UNIT_TOL)))


class CurveProblem(CycleProblem):
    """The minimally extended system of an LP, PD or NS curve (module docstring)."""

    def __init__(self, model, kind, period, free, base, bounds=None):
        super().__init__(model, period, free, base, bounds)
        if kind not in ("LP", "PD", "NS"):
            raise ValueError(f"kind must be LP, PD or NS, not {kind!r}")
        if kind == "NS" and self.n < 2:
            raise ValueError("a Neimark-Sacker curve needs at least two state variables")
        if self.n_free != 2:
            raise ValueError("two free parameters are needed")
        self.kind = kind
        self.coefficient_tests = _COEFFICIENT_TESTS[kind]
        self.b = self.c = None
        self.q_ref = None

    def matrix(self, M: np.ndarray) -> np.ndarray:
        if self.kind == "LP":
            return M - np.eye(self.n)
        if self.kind == "PD":
            return M + np.eye(self.n)
        C = compound2(M)
        return C - np.eye(C.shape[0])

    def set_borders(self, u: np.ndarray) -> None:
        _, _, info = self.cycle_equations(u)
        self.b, self.c = null_borders(self.matrix(info["M"]))

    def g(self, u: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        X, p = self.split(u)
        A = orbit_derivatives(self.deriv, X, p)[1]
        return bordered(self.matrix(monodromy(A)), self.b, self.c)

    def residual_jacobian(self, u: np.ndarray):
        R, J, info = self.cycle_equations(u)
        g, v, w = bordered(self.matrix(info["M"]), self.b, self.c)
        grad = np.empty(self.n_unknowns)
        for i in range(self.n_unknowns):
            delta = 1e-6 * (1.0 + abs(u[i]))
            up, down = u.copy(), u.copy()
            up[i] += delta
            down[i] -= delta
            grad[i] = (self.g(up)[0] - self.g(down)[0]) / (2 * delta)
        info = {**info, "g": g, "v": v, "w": w}
        return np.append(R, g), np.vstack([J, grad[None, :]]), info

    def accept(self, u, info, t) -> None:
        v, w = info["v"], info["w"]
        if np.all(np.isfinite(v)) and np.all(np.isfinite(w)):
            self.c = v / np.linalg.norm(v)
            self.b = w / np.linalg.norm(w)
        if self.kind == "LP":
            _, self.q_ref = fold_coefficient(self._forms(info), info["M"], self.q_ref)

    def _forms(self, info):
        return iterate_forms(self.deriv, info["X"], info["p"])

    def _refine_double_ns(self, u: np.ndarray) -> np.ndarray:
        """Newton on the cycle equations and ``|mu_a|^2 = |mu_b|^2 = 1`` for the two complex
        pairs nearest the unit circle, in the order of their real parts (Jacobian of the moduli
        by central differences).

        At a double NS point the bialternate product has a two-dimensional null space, so the
        NS system is singular there and its corrector only comes within ~1e-3 of the located
        bracket; this square system is regular (two parameters, two conditions). ``u`` is
        returned unchanged where Newton does not converge to 1e-12."""

        def residual(v):
            R, J, info = self.cycle_equations(v)
            mu = np.linalg.eigvals(info["M"])
            upper = mu[mu.imag > 1e-9]
            if len(upper) < 2:
                return None, None
            pair = np.sort_complex(upper[np.argsort(np.abs(np.abs(upper) - 1.0))[:2]])
            return np.concatenate([R, np.abs(pair) ** 2 - 1.0]), J

        v = u.copy()
        for _ in range(20):
            F, J = residual(v)
            if F is None:
                return u
            if np.max(np.abs(F)) < 1e-12:
                return v
            rows = np.empty((2, v.size))
            for i in range(v.size):
                delta = 1e-7 * (1.0 + abs(v[i]))
                up, down = v.copy(), v.copy()
                up[i] += delta
                down[i] -= delta
                Fu, Fd = residual(up)[0], residual(down)[0]
                if Fu is None or Fd is None:
                    return u
                rows[:, i] = (Fu[-2:] - Fd[-2:]) / (2 * delta)
            try:
                v = v - np.linalg.solve(np.vstack([J, rows]), F)
            except np.linalg.LinAlgError:
                return u
        return u

    def tests(self, u, info, t) -> dict[str, float]:
        M = info["M"]
        mu = np.linalg.eigvals(M)
        others, kappa = _others(mu, self.kind)
        minus = float(np.prod(others - 1.0).real)
        plus = float(np.prod(others + 1.0).real)
        pairs = _pair_product(others)
        if self.kind == "LP":
            a, _ = fold_coefficient(self._forms(info), M, self.q_ref)
            return {"CP": a, "R1": minus, "LPPD": plus, "LPNS": pairs}
        if self.kind == "PD":
            c = flip_coefficient(self._forms(info), M)
            return {"GPD": c, "R2": plus, "LPPD": minus, "PDNS": pairs}
        d = np.nan
        if abs(kappa) < np.cos(CH_GUARD):
            d = neimark_sacker_coefficient(self._forms(info), M)[0]
        return {
            "CH": d,
            "R1": kappa - 1.0,
            "R2": kappa + 1.0,
            "R3": kappa + 0.5,
            "R4": kappa,
            "LPNS": minus,
            "PDNS": plus,
            "NSNS": pairs,
        }

    def classify(self, name, u, info, t, before, after, at):
        value = at.get(name, np.nan)
        if not np.isfinite(value) or abs(value) > max(abs(before[name]), abs(after[name])):
            return None
        if name in _PRODUCT_TESTS and max(abs(before[name]), abs(after[name])) < DEGENERATE_TOL:
            return None  # zero along the curve (a multiplier held double, e.g. by symmetry)
        mu = np.linalg.eigvals(info["M"])
        others, kappa = _others(mu, self.kind)
        if _condition_gap(self.kind, name, others) > CONDITION_TOL:
            return None  # the test changed sign across a jump, no multiplier at +-1 here
        if name in ("R1", "R2") and _semisimple(info["M"], 1.0 if name == "R1" else -1.0):
            return None  # two independent eigenvectors: crossing curves, not a resonance
        if name in ("LPNS", "PDNS") and (
            (self.kind, name) in (("LP", "LPNS"), ("PD", "PDNS"))
            and not _has_complex_unit_pair(others)
        ):
            return None
        if name in ("LPNS", "PDNS") and self.kind == "NS" and _unit_circle_pairs(mu) < 1:
            return None  # the NS system follows a neutral saddle here: a fold or flip beside it
        if name == "NSNS" and _unit_circle_pairs(mu) < 2:
            return None  # a neutral saddle (real mu, 1/mu) beside the NS pair: no double NS
        if name == "CH" and _unit_circle_pairs(mu) != 1:
            return None  # d is undefined where the critical pair is not simple
        data = {key: float(at[test]) for key, test in self.coefficient_tests.items()}
        if self.kind == "NS":
            data["kappa"] = kappa
            if abs(kappa) <= 1.0:
                data["theta"] = float(np.arccos(kappa))
        return name, data

    def special(self, label, u, t, data, index) -> SpecialPoint:
        if label == "NSNS":
            u = self._refine_double_ns(u)
        point = super().special(label, u, t, data, index)
        point.coefficients = {
            k: v for k, v in data.items() if isinstance(v, float) and np.isfinite(v)
        }
        return point


def bifurcation_curve(
    model: Model,
    kind: str,
    orbit: np.ndarray,
    parameters: dict[str, float],
    free: tuple[str, str],
    *,
    direction: int = 1,
    both_directions: bool = True,
    settings: ContinuationSettings | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    **options,
) -> Branch:
    """Continue the ``kind`` ("LP", "PD" or "NS") point of the cycle ``orbit`` (period, n_state)
    at ``parameters`` in the two parameters ``free``.

    ``direction`` (+1/-1) orients the start along increasing/decreasing ``free[1]``;
    with ``both_directions`` the curve is continued both ways from the start and joined (the
    returned branch runs from the end of the backward part through the start to the end of
    the forward part). Other arguments as :func:`~.continuation.continue_cycle`.
    Returns a :class:`~.branch.Branch` of ``kind`` with codimension-2 points (module
    docstring) and the coefficient along the curve in ``branch.coefficients``.
    """
    from .fixed_points import parameter_vector

    settings = replace(settings or ContinuationSettings(), **options)
    orbit = np.atleast_2d(np.asarray(orbit, dtype=np.float64))
    base = parameter_vector(model, parameters)
    runs = []
    for sign in (direction, -direction) if both_directions else (direction,):
        problem = CurveProblem(model, kind, orbit.shape[0], tuple(free), base, bounds)
        u0 = problem.pack(orbit, base)
        problem.set_borders(u0)
        u0 = _correct_start(problem, u0, settings)
        problem.set_borders(u0)
        _, J, _ = problem.residual_jacobian(u0)
        orient = np.zeros(problem.n_unknowns)
        orient[-1] = float(sign)
        t0 = initial_tangent(problem, J, orient)
        if abs(t0[-1]) < 1e-12:
            orient[-2] = float(sign)
            t0 = initial_tangent(problem, J, orient)
        trace = continue_curve_points(problem, u0, t0, settings)
        runs.append(_trace_to_branch(problem, trace, kind))
        if trace.stop_reason == "closed curve":
            break
    return runs[0] if len(runs) == 1 else _join(runs[1], runs[0])


def continue_bifurcation_curve(
    branch: Branch, point: SpecialPoint, parameter: str, **kwargs
) -> Branch:
    """Continue the LP, PD or NS ``point`` of a one-parameter ``branch`` in the branch's
    parameter and ``parameter`` (see :func:`bifurcation_curve` for the keywords)."""
    if point.label not in ("LP", "PD", "NS"):
        raise ValueError(f"only LP, PD and NS points start curves, not {point.label}")
    values = {**branch.fixed, **point.parameters}
    free = (*branch.free, parameter) if parameter not in branch.free else branch.free
    if len(free) != 2:
        raise ValueError("give the second free parameter (one that the branch kept fixed)")
    return bifurcation_curve(branch.model, point.label, point.orbit, values, free, **kwargs)


def _correct_start(problem: CurveProblem, u: np.ndarray, settings) -> np.ndarray:
    """Newton on the extended system, moving orthogonally to the curve's tangent."""
    _, J, _ = problem.residual_jacobian(u)
    t = initial_tangent(problem, J, np.ones(problem.n_unknowns))
    ok, u1, _, _, _ = correct(problem, u, t, u, 0.0, settings)
    if not ok:
        raise RuntimeError(f"the start is not close to a {problem.kind} point")
    return u1


def _join(backward: Branch, forward: Branch) -> Branch:
    """One branch: ``backward`` reversed (without its start), then ``forward``."""
    nb = len(backward.values) - 1
    order = slice(None, 0, -1)

    def cat(a, b):
        return np.concatenate([a[order], b])

    specials = [replace(p, index=nb - p.index) for p in reversed(backward.special)]
    specials += [replace(p, index=p.index + nb) for p in forward.special]
    return replace(
        forward,
        orbits=cat(backward.orbits, forward.orbits),
        values=cat(backward.values, forward.values),
        multipliers=cat(backward.multipliers, forward.multipliers),
        tests={k: cat(backward.tests[k], v) for k, v in forward.tests.items()},
        coefficients={k: cat(backward.coefficients[k], v) for k, v in forward.coefficients.items()},
        u=cat(backward.u, forward.u),
        tangents=cat(-backward.tangents, forward.tangents),
        special=specials,
        stop_reason=f"backward: {backward.stop_reason}; forward: {forward.stop_reason}",
    )
