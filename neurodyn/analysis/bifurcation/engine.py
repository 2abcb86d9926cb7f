"""Pseudo-arclength continuation with event location, shared by cycles and bifurcation curves.

A *problem* defines ``N - 1`` equations ``R(u) = 0`` in ``N`` unknowns ``u`` (states of the cycle
points and the free parameters), their Jacobian, and test functions whose sign changes mark
special points. The engine follows the solution curve (Keller's pseudo-arclength method):

* predictor ``u_pred = u + h t`` along the unit tangent ``t``;
* corrector: Newton on ``R(u) = 0``, ``<t, u - u_prev>_W = h`` (the extended system), with the
  weighted inner product ``<a, b>_W = sum_i w_i a_i b_i`` (the problem's ``weights``: each point
  of a period-k orbit weighs 1/k, so a long cycle counts as much as a fixed point);
* the new tangent solves ``[DR(u); (W t_prev)^T] t = [0; 1]`` (so it keeps its orientation);
* step control: halve on a failed correction or a tangent turning by more than ``max_turn``
  radians, grow by 1.5 after a correction in at most 3 iterations, within ``[h_min, h_max]``;
* events: where a test function changes sign between two accepted points, the zero is located
  on the corrected curve by the Illinois (modified regula falsi) method in the arclength ``s``
  until the bracket is shorter than ``locate_tol`` (in units of the weighted arclength) or
  the test function vanishes; the problem then names the point (or discards it, e.g. a neutral
  saddle that is no Neimark-Sacker point).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

__all__ = ["ContinuationSettings", "Problem", "continue_curve_points"]


@dataclass(frozen=True)
class ContinuationSettings:
    """Step sizes (weighted arclength), tolerances and limits of a continuation run.

    ``tol``: Newton converges when the update is below ``tol (1 + |u|)`` and the residual below
    ``tol``. ``locate_tol``: length of the final bracket around a located point.
    ``max_steps``: accepted points. ``stop_on``: labels after which the run stops.
    """

    step: float = 1e-2
    h_min: float = 1e-9
    h_max: float = 0.1
    tol: float = 1e-11
    locate_tol: float = 1e-13
    max_newton: int = 12
    max_steps: int = 500
    max_turn: float = 0.5
    stop_on: tuple[str, ...] = ()


class Problem(Protocol):
    """What the engine needs from a continuation problem."""

    n_unknowns: int
    weights: np.ndarray

    def residual_jacobian(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]: ...

    def tests(self, u: np.ndarray, info: dict, t: np.ndarray) -> dict[str, float]: ...

    def accept(self, u: np.ndarray, info: dict, t: np.ndarray) -> None: ...

    def classify(
        self,
        name: str,
        u: np.ndarray,
        info: dict,
        t: np.ndarray,
        before: dict,
        after: dict,
        at: dict,
    ) -> tuple[str, dict] | None: ...

    def in_domain(self, u: np.ndarray) -> dict[str, float]: ...


@dataclass
class Located:
    """A special point found during continuation: ``label``, unknowns ``u``, tangent ``t``,
    ``data`` from the problem, ``after`` the number of regular points preceding it, ``s`` its
    arclength from that point and ``values`` the test functions there."""

    label: str
    u: np.ndarray
    t: np.ndarray
    data: dict
    after: int
    s: float = 0.0
    values: dict = field(default_factory=dict)


@dataclass
class Trace:
    """The accepted points of one run (in order), the located points and why the run stopped."""

    u: list[np.ndarray] = field(default_factory=list)
    t: list[np.ndarray] = field(default_factory=list)
    info: list[dict] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    located: list[Located] = field(default_factory=list)
    stop_reason: str = ""


def _wdot(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sum(w * a * b))


def correct(
    problem: Problem,
    u_pred: np.ndarray,
    t: np.ndarray,
    u_base: np.ndarray,
    s: float,
    settings: ContinuationSettings,
) -> tuple[bool, np.ndarray, dict, np.ndarray, int]:
    """Newton on ``R(u) = 0``, ``<t, u - u_base>_W = s`` from ``u_pred``.

    Returns ``(ok, u, info, J, iterations)``."""
    w = problem.weights
    wt = w * t
    u = u_pred.copy()
    du_norm = np.inf
    for it in range(settings.max_newton + 1):
        R, J, info = problem.residual_jacobian(u)
        if not (np.all(np.isfinite(R)) and np.all(np.isfinite(J))):
            return False, u, info, J, it
        c = wt @ (u - u_base) - s
        if du_norm <= settings.tol * (1.0 + np.linalg.norm(u)) and (
            np.max(np.abs(R), initial=0.0) <= settings.tol * 10
        ):
            return True, u, info, J, it
        if it == settings.max_newton:
            break
        K = np.vstack([J, wt[None, :]])
        try:
            du = np.linalg.solve(K, -np.append(R, c))
        except np.linalg.LinAlgError:
            return False, u, info, J, it
        if not np.all(np.isfinite(du)):
            return False, u, info, J, it
        new_norm = np.linalg.norm(du)
        if it > 2 and new_norm > 2 * du_norm:
            return False, u, info, J, it
        du_norm = new_norm
        u = u + du
    return False, u, info, J, settings.max_newton


def tangent(problem: Problem, J: np.ndarray, t_prev: np.ndarray) -> np.ndarray:
    """Unit (weighted) tangent at a point with Jacobian ``J``, oriented like ``t_prev``."""
    w = problem.weights
    K = np.vstack([J, (w * t_prev)[None, :]])
    rhs = np.zeros(K.shape[0])
    rhs[-1] = 1.0
    t = np.linalg.solve(K, rhs)
    return t / np.sqrt(_wdot(w, t, t))


def initial_tangent(problem: Problem, J: np.ndarray, orient: np.ndarray) -> np.ndarray:
    """Null vector of ``J`` (N-1, N) with positive weighted product with ``orient``."""
    _, _, Vt = np.linalg.svd(J)
    t = Vt[-1] / np.sqrt(problem.weights)
    t = t / np.sqrt(_wdot(problem.weights, t, t))
    return t if _wdot(problem.weights, t, orient) >= 0 else -t


def _sign(value: float) -> int:
    if not np.isfinite(value):
        return 0
    return int(np.sign(value))


def _locate(
    problem: Problem,
    name: str,
    u0: np.ndarray,
    t0: np.ndarray,
    f0: float,
    h: float,
    f1: float,
    settings: ContinuationSettings,
    value=None,
) -> tuple[np.ndarray, dict, np.ndarray, dict, float] | None:
    """Zero of test ``name`` between ``s = 0`` (value ``f0``) and ``s = h`` (``f1``).

    Where the corrector cannot converge (at a branch point the extended system is singular),
    the nearest point that converges (1e-9, 1e-6 or 1e-3 of the bracket away) is returned."""
    if value is None:

        def value(u, info, t):
            values = problem.tests(u, info, t)
            return values.get(name, np.nan), values

    a, fa, b, fb = 0.0, f0, h, f1
    side = 0
    best = None
    for _ in range(100):
        s = (a * fb - b * fa) / (fb - fa)
        if not (min(a, b) < s < max(a, b)):
            s = 0.5 * (a + b)
        ok, u, info, J, _ = correct(problem, u0 + s * t0, t0, u0, s, settings)
        if not ok:
            loose = replace(settings, tol=settings.tol * 1e3)
            for offset in (1e-9, 1e-6, 1e-3):
                s_off = s + offset * (b - a)
                ok, u, info, J, _ = correct(problem, u0 + s_off * t0, t0, u0, s_off, loose)
                if ok:
                    s = s_off
                    break
            if not ok:
                return best
            t = tangent(problem, J, t0)
            fs, values = value(u, info, t)
            return u, info, t, values, s
        t = tangent(problem, J, t0)
        fs, values = value(u, info, t)
        best = (u, info, t, values, s)
        if not np.isfinite(fs) or fs == 0.0 or abs(b - a) <= settings.locate_tol:
            return best
        if np.sign(fs) == np.sign(fb):
            b, fb = s, fs
            if side == -1:
                fa /= 2
            side = -1
        else:
            a, fa = s, fs
            if side == 1:
                fb /= 2
            side = 1
        if abs(b - a) <= settings.locate_tol:
            return best
    return best


def continue_curve_points(
    problem: Problem,
    u0: np.ndarray,
    t0: np.ndarray,
    settings: ContinuationSettings,
    *,
    skip_first_events: bool = False,
) -> Trace:
    """Follow the curve from the (corrected) point ``u0`` along the tangent ``t0``."""
    trace = Trace()
    R, J, info = problem.residual_jacobian(u0)
    t0 = tangent(problem, J, t0)
    tests0 = problem.tests(u0, info, t0)
    problem.accept(u0, info, t0)
    trace.u.append(u0)
    trace.t.append(t0)
    trace.info.append(info)
    trace.tests.append(tests0)
    h = settings.step
    start = u0.copy()
    w = problem.weights
    travelled = 0.0
    first = True
    while len(trace.u) < settings.max_steps:
        ok, u1, info1, J1, its = correct(problem, u0 + h * t0, t0, u0, h, settings)
        t1 = tangent(problem, J1, t0) if ok else None
        if ok and _wdot(w, t1, t0) < np.cos(settings.max_turn):
            ok = False
        if not ok:
            h /= 2
            if h < settings.h_min:
                trace.stop_reason = "step size below h_min (no convergence)"
                break
            continue
        tests1 = problem.tests(u1, info1, t1)
        domain = problem.in_domain(u1)
        events = []
        for name, value in tests1.items():
            if (first and skip_first_events) or name.startswith("_"):
                continue
            s0, s1 = _sign(tests0.get(name, np.nan)), _sign(value)
            if s0 and s1 and s0 != s1:
                events.append(name)
        stop = ""
        located_here: list[Located] = []
        for name in events:
            found = _locate(problem, name, u0, t0, tests0[name], h, tests1[name], settings)
            if found is None:
                continue
            u, info, t, values, s = found
            named = problem.classify(name, u, info, t, tests0, tests1, values)
            if named is None:
                continue
            label, data = named
            located_here.append(Located(label, u, t, data, len(trace.u), s, values))
        outside = [name for name, value in domain.items() if value < 0]
        if outside:
            name = outside[0]
            before = problem.in_domain(u0)[name]
            found = _locate_domain(problem, name, u0, t0, before, h, domain[name], settings)
            located_here = [p for p in located_here if found is None or p.s <= found[-1]]
            if found is not None:
                u, info, t, s = found
                reason = {"reason": f"{name} at the domain boundary"}
                values = problem.tests(u, info, t)
                located_here.append(Located("EP", u, t, reason, len(trace.u), s, values))
            stop = f"left the domain ({name})"
        located_here.sort(key=lambda p: p.s)
        trace.located.extend(located_here)
        if stop:
            trace.stop_reason = stop
            break
        problem.accept(u1, info1, t1)
        trace.u.append(u1)
        trace.t.append(t1)
        trace.info.append(info1)
        trace.tests.append(tests1)
        travelled += h
        first = False
        if any(p.label in settings.stop_on for p in located_here):
            trace.stop_reason = "stopped at " + ", ".join(
                p.label for p in located_here if p.label in settings.stop_on
            )
            break
        if len(trace.u) > 5 and travelled > 4 * h:
            gap = np.sqrt(_wdot(w, u1 - start, u1 - start))
            if gap < h and _wdot(w, t1, trace.t[0]) > 0.9:
                trace.stop_reason = "closed curve"
                break
        u0, t0, tests0 = u1, t1, tests1
        if its <= 3:
            h = min(h * 1.5, settings.h_max)
    else:
        trace.stop_reason = f"max_steps ({settings.max_steps})"
    if not trace.stop_reason:
        trace.stop_reason = f"max_steps ({settings.max_steps})"
    return trace


def _locate_domain(problem, name, u0, t0, f0, h, f1, settings):
    def value(u, info, t):
        return problem.in_domain(u)[name], {}

    found = _locate(problem, name, u0, t0, f0, h, f1, settings, value=value)
    if found is None:
        return None
    u, info, t, _, s = found
    return u, info, t, s
