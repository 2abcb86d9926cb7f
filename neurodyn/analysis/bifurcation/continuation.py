"""One-parameter continuation of fixed points and cycles of maps, with LP, PD, NS and branch
switching at period doublings.

A period-k cycle is computed by multiple shooting: unknowns ``u = (x_0, ..., x_{k-1}, alpha)``,
equations ``f(x_j; alpha) - x_{j+1 mod k} = 0`` (``k n`` equations), with the exact Jacobian
from the generated derivatives. The curve is followed by pseudo-arclength continuation
(:mod:`.engine`). Along it, with the monodromy matrix ``M = Df(x_{k-1}) ... Df(x_0)``:

========  ==================================  ==========================================
label     test function                        at the located zero
========  ==================================  ==========================================
LP        ``det(M - I)``                       fold if the parameter turns (the tangent's
                                               parameter component changes sign), with
                                               normal-form coefficient ``a``
BP        ``det([DR; t^T])`` (augmented Jac.)  branch point (e.g. transcritical)
PD        ``det(M + I)``                       flip, coefficient ``c``
NS        ``det(M (.) M - I)`` (bialternate)   Neimark-Sacker when the critical pair is
                                               complex (else a neutral saddle, dropped),
                                               coefficient ``d`` and angle ``theta``
========  ==================================  ==========================================

Located points are accurate to the corrector tolerance (about 1e-11 in the parameter for
well-conditioned problems). Coefficients: see :mod:`.normal_forms`. Time unit: iterations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ...models import Model, ModelError
from .branch import Branch, SpecialPoint
from .derivatives import iterate_forms, map_derivatives, monodromy, orbit_derivatives
from .engine import ContinuationSettings, Trace, continue_curve_points, correct, initial_tangent
from .fixed_points import parameter_vector, sorted_eigenvalues
from .linalg import compound2
from .normal_forms import flip_coefficient, fold_coefficient, neimark_sacker_coefficient

__all__ = [
    "Cascade",
    "ContinuationSettings",
    "continue_cycle",
    "period_doubling_cascade",
    "switch_at_period_doubling",
]


class CycleProblem:
    """Multiple-shooting equations of a period-k cycle with free parameters ``free``."""

    def __init__(
        self,
        model: Model,
        period: int,
        free: tuple[str, ...],
        base: np.ndarray,
        bounds: dict[str, tuple[float, float]] | None = None,
    ):
        self.model = model
        self.deriv = map_derivatives(model)
        self.k = int(period)
        self.n = model.n_state
        self.free = tuple(free)
        self.free_index = [model.parameter_names.index(name) for name in self.free]
        self.base = np.array(base, dtype=np.float64)
        self.n_free = len(self.free)
        self.n_unknowns = self.k * self.n + self.n_free
        self.weights = np.concatenate(
            [np.full(self.k * self.n, 1.0 / self.k), np.ones(self.n_free)]
        )
        bounds = dict(bounds or {})
        self.bounds = []
        for name in self.free:
            p = model.parameter(name)
            low, high = bounds.get(name, (p.low, p.high))
            self.bounds.append((name, float(low), float(high)))

    def split(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = u[: self.k * self.n].reshape(self.k, self.n)
        p = self.base.copy()
        p[self.free_index] = u[self.k * self.n :]
        return X, p

    def pack(self, orbit: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.concatenate([np.asarray(orbit, float).ravel(), p[self.free_index]])

    def cycle_equations(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
        X, p = self.split(u)
        F, A, FP = orbit_derivatives(self.deriv, X, p)
        k, n = self.k, self.n
        R = (F - np.roll(X, -1, axis=0)).ravel()
        J = np.zeros((k * n, self.n_unknowns))
        eye = np.eye(n)
        for j in range(k):
            rows = slice(j * n, (j + 1) * n)
            J[rows, j * n : (j + 1) * n] += A[j]
            nxt = (j + 1) % k
            J[rows, nxt * n : (nxt + 1) * n] -= eye
        J[:, k * n :] = FP[:, :, self.free_index].reshape(k * n, self.n_free)
        return R, J, {"X": X, "p": p, "A": A, "M": monodromy(A)}

    residual_jacobian = cycle_equations

    def in_domain(self, u: np.ndarray) -> dict[str, float]:
        """Non-negative inside the domain: parameter bounds and ``|x| <= model.bound``."""
        values = u[self.k * self.n :]
        out = {"|x| <= bound": self.model.bound - np.max(np.abs(u[: self.k * self.n]))}
        for (name, low, high), v in zip(self.bounds, values, strict=True):
            out[f"{name} >= {low:g}"] = v - low
            out[f"{name} <= {high:g}"] = high - v
        return out

    def multipliers(self, info: dict) -> np.ndarray:
        return sorted_eigenvalues(info["M"])

    def special(self, label: str, u: np.ndarray, t: np.ndarray, data: dict, index: int):
        X, p = self.split(u)
        _, _, info = self.cycle_equations(u)
        return SpecialPoint(
            label=label,
            index=index,
            parameters={
                name: float(p[i]) for name, i in zip(self.free, self.free_index, strict=True)
            },
            orbit=X.copy(),
            multipliers=self.multipliers(info),
            coefficients={k: v for k, v in data.items() if isinstance(v, float)},
            u=u.copy(),
            tangent=t.copy(),
            note=str(data.get("note", data.get("reason", ""))),
        )


class OneParameterCycles(CycleProblem):
    """Branch of period-k cycles in one free parameter (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.n_free != 1:
            raise ValueError("one free parameter is needed")

    def tests(self, u: np.ndarray, info: dict, t: np.ndarray) -> dict[str, float]:
        """Test functions (module docstring); ``_turn`` (the tangent's parameter component,
        not an event itself) tells a fold from a branch point."""
        M = info["M"]
        eye = np.eye(self.n)
        values = {
            "LP": float(np.linalg.det(M - eye)),
            "PD": float(np.linalg.det(M + eye)),
        }
        if self.n >= 2:
            C = compound2(M)
            values["NS"] = float(np.linalg.det(C - np.eye(C.shape[0])))
        _, J, _ = self.cycle_equations(u)
        values["BP"] = float(np.linalg.det(np.vstack([J, (self.weights * t)[None, :]])))
        values["_turn"] = float(t[-1])
        return values

    def accept(self, u, info, t) -> None:
        pass

    def classify(self, name, u, info, t, before, after, at):
        M = info["M"]

        def forms():
            return iterate_forms(self.deriv, info["X"], info["p"])

        if name == "LP":
            if np.sign(before["_turn"]) == np.sign(after["_turn"]):
                return None  # det(M - I) changed sign without a fold: the BP test reports it
            a, _ = fold_coefficient(forms(), M)
            return "LP", {"a": a}
        if name == "PD":
            return "PD", {"c": flip_coefficient(forms(), M)}
        if name == "NS":
            if not _complex_unit_pair(M):
                return None
            d, theta, _ = neimark_sacker_coefficient(forms(), M)
            return "NS", {"d": d, "theta": theta, "kappa": float(np.cos(theta))}
        if name == "BP":
            return "BP", {}
        return None


def reciprocal_pair(mu: np.ndarray) -> tuple[complex, complex] | None:
    """The two multipliers whose product is closest to 1 (None for fewer than two)."""
    best, pair = np.inf, None
    for i in range(len(mu)):
        for j in range(i + 1, len(mu)):
            gap = abs(mu[i] * mu[j] - 1.0)
            if gap < best:
                best, pair = gap, (mu[i], mu[j])
    return pair


def _complex_unit_pair(M: np.ndarray, tol: float = 1e-6) -> bool:
    """Whether the multiplier pair whose product is closest to 1 is complex (a NS pair)."""
    pair = reciprocal_pair(np.linalg.eigvals(M))
    return pair is not None and abs(pair[0].imag) > tol and abs(abs(pair[0]) - 1.0) < 1e-4


def _trace_to_branch(problem: CycleProblem, trace: Trace, kind: str) -> Branch:
    """Merge regular and located points (in order along the curve) into a :class:`Branch`."""
    entries = []  # (u, t, test values, located or None)
    located = sorted(trace.located, key=lambda p: (p.after, p.s))
    li = 0
    for i in range(len(trace.u) + 1):
        while li < len(located) and located[li].after == i:
            p = located[li]
            entries.append((p.u, p.t, p.values, p))
            li += 1
        if i < len(trace.u):
            entries.append((trace.u[i], trace.t[i], trace.tests[i], None))
    specials = [
        problem.special(p.label, p.u, p.t, p.data, index)
        for index, (_, _, _, p) in enumerate(entries)
        if p is not None
    ]
    orbits, values, mults = [], [], []
    for u, _, _, _ in entries:
        X, p = problem.split(u)
        _, _, info = problem.cycle_equations(u)
        orbits.append(X)
        values.append(p[problem.free_index])
        mults.append(problem.multipliers(info))
    names = [name for name in entries[0][2] if not name.startswith("_")]
    tests = {
        name: np.array([e[2].get(name, np.nan) for e in entries], dtype=np.float64)
        for name in names
    }
    coefficients = {
        label: tests[test] for label, test in getattr(problem, "coefficient_tests", {}).items()
    }
    return Branch(
        model=problem.model,
        kind=kind,
        period=problem.k,
        free=problem.free,
        fixed=dict(zip(problem.model.parameter_names, problem.base.tolist(), strict=True)),
        orbits=np.array(orbits),
        values=np.array(values),
        multipliers=np.array(mults),
        tests=tests,
        special=specials,
        stop_reason=trace.stop_reason,
        u=np.array([e[0] for e in entries]),
        tangents=np.array([e[1] for e in entries]),
        coefficients=coefficients,
    )


def _start_orbit(model: Model, start: np.ndarray, period: int, p: np.ndarray) -> np.ndarray:
    start = np.atleast_2d(np.asarray(start, dtype=np.float64))
    if start.shape == (period, model.n_state):
        return start
    if start.shape == (1, model.n_state):
        orbit = np.empty((period, model.n_state))
        orbit[0] = start[0]
        deriv = map_derivatives(model)
        for j in range(1, period):
            orbit[j] = deriv.value(orbit[j - 1], p)
        return orbit
    raise ValueError(
        f"start must be one state ({model.n_state},) or an orbit ({period}, {model.n_state})"
    )


def continue_cycle(
    model: Model,
    parameter: str,
    start: np.ndarray,
    parameters: dict[str, float] | None = None,
    *,
    period: int = 1,
    direction: int = 1,
    settings: ContinuationSettings | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    **options,
) -> Branch:
    """Continue a fixed point (``period=1``) or period-k cycle of map ``model`` in ``parameter``.

    ``start``: a point of the cycle (or the whole orbit, shape (period, n_state)) near a
    solution at the parameter values ``parameters`` (defaults for the others). ``direction``:
    +1 to start towards increasing ``parameter``, -1 towards decreasing. ``settings`` (or
    keyword ``options`` of :class:`ContinuationSettings`: ``step``, ``h_max``, ``max_steps``,
    ``stop_on`` ...) control the run; ``bounds`` ({name: (low, high)}) replaces the parameter's
    valid range as the domain (the run ends at an ``EP`` on its boundary).

    Returns a :class:`~.branch.Branch` with LP, BP, PD and NS points located (module
    docstring).
    """
    settings = replace(settings or ContinuationSettings(), **options)
    model.parameter(parameter)
    p = parameter_vector(model, parameters)
    problem = OneParameterCycles(model, period, (parameter,), p, bounds)
    orbit = _start_orbit(model, start, period, p)
    u0 = _solve_fixed_parameter(problem, problem.pack(orbit, p), settings)
    R, J, _ = problem.residual_jacobian(u0)
    orient = np.zeros(problem.n_unknowns)
    orient[-1] = 1.0 if direction >= 0 else -1.0
    t0 = initial_tangent(problem, J, orient)
    return _run_cycles(problem, u0, t0, settings)


def _run_cycles(problem: CycleProblem, u0, t0, settings, skip_first_events=False) -> Branch:
    trace = continue_curve_points(problem, u0, t0, settings, skip_first_events=skip_first_events)
    return _trace_to_branch(problem, trace, "cycle")


def _solve_fixed_parameter(
    problem: CycleProblem, u: np.ndarray, settings: ContinuationSettings
) -> np.ndarray:
    """Newton on the cycle equations with the free parameters held at their values."""
    m = problem.k * problem.n
    u = u.copy()
    R = np.full(m, np.inf)
    for _ in range(50):
        R, J, _ = problem.cycle_equations(u)
        if np.max(np.abs(R)) <= settings.tol:
            return u
        try:
            u[:m] -= np.linalg.solve(J[:, :m], R)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(u)):
            break
    raise ModelError(
        f"no {problem.k}-cycle of {problem.model.name!r} converged from the start point "
        f"(residual {np.max(np.abs(R)):.3g})"
    )


def switch_at_period_doubling(
    branch: Branch,
    point: SpecialPoint,
    *,
    settings: ContinuationSettings | None = None,
    amplitude: float | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    **options,
) -> Branch:
    """Continue the period-2k cycle born at the flip ``point`` of a branch of k-cycles.

    At the flip the doubled orbit ``(x_0..x_{k-1}, x_0..x_{k-1})`` solves the 2k-cycle
    equations, and the new branch leaves it along ``(v_0..v_{k-1}, -v_0..-v_{k-1}, 0)`` with
    ``M v_0 = -v_0``, ``v_{j+1} = Df(x_j) v_j``. The first point is found by Newton with the
    constraint ``<d, u - u_PD>_W = amplitude`` (default: the run's step), then continued.
    """
    if point.label != "PD":
        raise ValueError(f"branch switching needs a PD point, not {point.label}")
    settings = replace(settings or ContinuationSettings(), **options)
    model, k = branch.model, branch.period
    base = np.array([branch.fixed[name] for name in model.parameter_names])
    for name, value in point.parameters.items():
        base[model.parameter_names.index(name)] = value
    problem = OneParameterCycles(model, 2 * k, branch.free, base, bounds)
    deriv = map_derivatives(model)
    A = orbit_derivatives(deriv, point.orbit, base)[1]
    M = monodromy(A)
    mu, V = np.linalg.eig(M)
    v = np.real(V[:, np.argmin(np.abs(mu + 1.0))])
    vs = [v]
    for j in range(k - 1):
        vs.append(A[j] @ vs[-1])
    d_orbit = np.concatenate([np.array(vs), -np.array(vs)])
    d = np.concatenate([d_orbit.ravel(), np.zeros(problem.n_free)])
    d /= np.sqrt(np.sum(problem.weights * d * d))
    u_pd = problem.pack(np.concatenate([point.orbit, point.orbit]), base)
    h = settings.step if amplitude is None else amplitude
    for _ in range(30):
        ok, u1, _, J1, _ = correct(problem, u_pd + h * d, d, u_pd, h, settings)
        if ok:
            break
        h /= 2
    else:
        raise RuntimeError("no period-doubled cycle found next to the PD point")
    t1 = u1 - u_pd
    t1 /= np.sqrt(np.sum(problem.weights * t1 * t1))
    doubled = _run_cycles(problem, u1, t1, settings)
    return doubled


@dataclass
class Cascade:
    """A period-doubling cascade: ``branches`` (periods 1, 2, 4, ...), the flip points
    ``doublings`` (the first on each branch), their parameter values ``values``, and the
    Feigenbaum ratios ``delta[n] = (values[n+1] - values[n]) / (values[n+2] - values[n+1])``."""

    parameter: str
    branches: list[Branch]
    doublings: list[SpecialPoint]

    @property
    def values(self) -> np.ndarray:
        return np.array([p.parameters[self.parameter] for p in self.doublings])

    @property
    def periods(self) -> np.ndarray:
        return np.array([b.period for b in self.branches[: len(self.doublings)]])

    @property
    def delta(self) -> np.ndarray:
        r = self.values
        return (r[1:-1] - r[:-2]) / (r[2:] - r[1:-1])

    def to_dataset(self):
        import xarray as xr

        n = len(self.doublings)
        delta = np.full(n, np.nan)
        if n >= 3:
            delta[2:] = self.delta
        return xr.Dataset(
            {
                self.parameter: (("doubling",), self.values),
                "period": (("doubling",), self.periods, {"long_name": "period before doubling"}),
                "flip_coefficient": (
                    ("doubling",),
                    np.array([p.coefficients.get("c", np.nan) for p in self.doublings]),
                ),
                "delta": (
                    ("doubling",),
                    delta,
                    {"long_name": "(r[n-1] - r[n-2]) / (r[n] - r[n-1]) (Feigenbaum ratio)"},
                ),
            },
            coords={"doubling": np.arange(1, n + 1)},
            attrs={"model": self.branches[0].model.name, "parameter": self.parameter},
        )


def period_doubling_cascade(
    model: Model,
    parameter: str,
    start: np.ndarray,
    parameters: dict[str, float] | None = None,
    *,
    max_period: int = 64,
    shrink: float = 4.0,
    settings: ContinuationSettings | None = None,
    **options,
) -> Cascade:
    """Follow a period-doubling cascade from a fixed point: continue, locate the first PD,
    switch onto the doubled cycle, repeat until the branch of period ``max_period`` has been
    continued to its own PD (when it exists within ``max_steps``).

    The parameter intervals between doublings shrink geometrically (by Feigenbaum's delta
    ~ 4.67 in the universality class of the logistic map), and so do the cycles' splittings;
    the step sizes of each new branch are those of the previous one divided by ``shrink``.
    """
    settings = replace(settings or ContinuationSettings(), stop_on=("PD",), **options)
    branch = continue_cycle(model, parameter, start, parameters, settings=settings)
    branches, doublings = [branch], []
    while True:
        pds = branch.points("PD")
        if not pds:
            break
        doublings.append(pds[0])
        if branch.period >= max_period:
            break
        settings = replace(
            settings,
            step=settings.step / shrink,
            h_max=settings.h_max / shrink,
            h_min=settings.h_min / shrink,
        )
        branch = switch_at_period_doubling(branch, pds[0], settings=settings)
        branches.append(branch)
    return Cascade(parameter=parameter, branches=branches, doublings=doublings)
