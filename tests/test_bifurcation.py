"""Fixed points, cycles and one-parameter continuation of maps, checked against closed forms.

Sources of the reference values: logistic map (May 1976; r1 = 3, r2 = 1 + sqrt(6), period-3
window at 1 + sqrt(8), Feigenbaum delta = 4.6692016; ANCHORS.md); Henon map fold and flip of the
fixed point, a = -(1-b)^2/4 and a = 3(1-b)^2/4 (from x* = (-(1-b) +- sqrt((1-b)^2 + 4a))/(2a) and
the multipliers of [[-2 a x*, 1], [b, 0]]); delayed logistic map, Neimark-Sacker at r = 2 with
multipliers exp(+-i pi/3) (Kuznetsov 2004, Example 4.3).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from neurodyn.analysis.bifurcation import (
    continue_cycle,
    cycle_multipliers,
    find_cycles,
    iterate_forms,
    map_derivatives,
    period_doubling_cascade,
    switch_at_period_doubling,
)
from neurodyn.analysis.bifurcation.derivatives import monodromy
from neurodyn.analysis.bifurcation.normal_forms import flip_coefficient
from neurodyn.models import ModelError, compile_model, get_model
from neurodyn.networks import chialvo_rulkov_chain

FEIGENBAUM_DELTA = 4.669201609102990
# r_n of the logistic map's period doublings (period 2^(n-1) -> 2^n), high-precision values
LOGISTIC_DOUBLINGS = [3.0, 1 + np.sqrt(6), 3.544090359551922, 3.564407266095432, 3.568759419544]


@pytest.fixture(scope="module")
def logistic():
    return get_model("logistic")


def test_logistic_first_doublings_and_flip_coefficients(logistic):
    branch = continue_cycle(logistic, "r", [0.6], {"r": 2.5}, step=0.05, stop_on=("PD",))
    (pd1,) = branch.points("PD")
    assert pd1.parameters["r"] == pytest.approx(3.0, abs=1e-10)
    assert pd1.orbit[0, 0] == pytest.approx(2 / 3, abs=1e-10)
    assert pd1.multipliers[0] == pytest.approx(-1.0, abs=1e-10)
    # x -> -x - 3 x^2 at r = 3 around x* = 2/3: c = f''^2/4 + f'''/6 = 36/4 = 9 (supercritical)
    assert pd1.coefficients["c"] == pytest.approx(9.0, rel=1e-10)
    # the fixed point is stable before the flip and unstable after it
    r = branch.parameter("r")
    assert np.all(branch.stable[r < 3 - 1e-9]) and not np.any(branch.stable[r > 3 + 1e-9])

    doubled = switch_at_period_doubling(branch, pd1, step=0.02, stop_on=("PD",))
    assert doubled.period == 2
    (pd2,) = doubled.points("PD")
    r2 = pd2.parameters["r"]
    assert r2 == pytest.approx(1 + np.sqrt(6), abs=1e-8)
    # the 2-cycle at r2: x = ((r+1) +- sqrt((r+1)(r-3))) / (2r)
    exact = ((r2 + 1) + np.array([-1, 1]) * np.sqrt((r2 + 1) * (r2 - 3))) / (2 * r2)
    np.testing.assert_allclose(np.sort(pd2.orbit[:, 0]), exact, atol=1e-9)
    # flip coefficient of the 2-cycle: the 1-D formula on f^2, differentiated symbolically
    x, rr = sympy.symbols("x r")
    f = rr * x * (1 - x)
    f2 = f.subs(x, f)
    at = {x: pd2.orbit[0, 0], rr: r2}
    d2, d3 = (float(sympy.diff(f2, x, k).subs(at)) for k in (2, 3))
    assert pd2.coefficients["c"] == pytest.approx(d2**2 / 4 + d3 / 6, rel=1e-8)


def test_iterate_forms_match_symbolic_composition(logistic):
    """B and C of f^3 at a 3-cycle point equal the symbolic derivatives of f(f(f(x)))."""
    cycles = find_cycles(logistic, {"r": 3.84}, period=3)
    orbit = cycles.orbit.values[0]
    forms = iterate_forms(map_derivatives(logistic), orbit, np.array([3.84]))
    x = sympy.Symbol("x")
    f = lambda v: 3.84 * v * (1 - v)  # noqa: E731
    f3 = f(f(f(x)))
    at = {x: orbit[0, 0]}
    one = np.array([1.0])
    assert forms.B(one, one)[0] == pytest.approx(float(sympy.diff(f3, x, 2).subs(at)), rel=1e-9)
    assert forms.C(one, one, one)[0] == pytest.approx(
        float(sympy.diff(f3, x, 3).subs(at)), rel=1e-9
    )
    assert monodromy(forms.A)[0, 0] == pytest.approx(float(sympy.diff(f3, x).subs(at)), rel=1e-10)


def test_logistic_period_three_window_opens_at_saddle_node(logistic):
    cycles = find_cycles(logistic, {"r": 3.84}, period=3)
    assert list(cycles.stability.values) == ["stable", "repeller"]
    labels = []
    for c in range(2):
        branch = continue_cycle(
            logistic,
            "r",
            cycles.orbit.values[c],
            {"r": 3.84},
            period=3,
            direction=-1,
            step=0.005,
            stop_on=("LP",),
        )
        (lp,) = branch.points("LP")
        labels.append(lp.label)
        assert lp.parameters["r"] == pytest.approx(1 + np.sqrt(8), abs=1e-8)
        assert lp.multipliers[0] == pytest.approx(1.0, abs=1e-8)
    assert labels == ["LP", "LP"]


def test_feigenbaum_delta_from_the_first_doublings(logistic):
    cascade = period_doubling_cascade(
        logistic, "r", [0.6], {"r": 2.5}, step=0.02, h_max=0.05, max_period=16
    )
    np.testing.assert_allclose(cascade.values, LOGISTIC_DOUBLINGS, atol=1e-9)
    np.testing.assert_array_equal(cascade.periods, [1, 2, 4, 8, 16])
    # delta_n -> 4.6692...: 4.7514, 4.6563, 4.6682 from the first five doublings
    np.testing.assert_allclose(cascade.delta, [4.751446, 4.656251, 4.668242], atol=1e-5)
    assert cascade.delta[-1] == pytest.approx(FEIGENBAUM_DELTA, rel=5e-4)
    assert np.all(np.array([p.coefficients["c"] for p in cascade.doublings]) > 0)
    table = cascade.to_dataset()
    np.testing.assert_allclose(table["r"].values, cascade.values)
    np.testing.assert_allclose(table["delta"].values[2:], cascade.delta)


@pytest.mark.slow
def test_cascade_to_period_64(logistic):
    cascade = period_doubling_cascade(
        logistic, "r", [0.6], {"r": 2.5}, step=0.02, h_max=0.05, max_period=64
    )
    assert cascade.periods[-1] == 64
    # r7 (64 -> 128) = 3.569891259..., and delta from the last three doublings
    assert cascade.values[-1] == pytest.approx(3.5698912594, abs=1e-9)
    assert cascade.delta[-1] == pytest.approx(FEIGENBAUM_DELTA, rel=2e-5)


@pytest.mark.parametrize("b", [0.3, -0.2])
def test_henon_fold_and_flip_of_the_fixed_point(b):
    henon = get_model("henon")
    branch = continue_cycle(
        henon, "a", [0.5, 0.15], {"a": 0.5, "b": b}, direction=-1, step=0.05, max_steps=60
    )
    (lp,) = branch.points("LP")
    assert lp.parameters["a"] == pytest.approx(-((1 - b) ** 2) / 4, abs=1e-10)
    np.testing.assert_allclose(sorted(lp.multipliers.real), sorted([1.0, -b]), atol=1e-9)
    up = continue_cycle(henon, "a", [0.5, 0.15], {"a": 0.5, "b": b}, step=0.05, max_steps=60)
    pds = branch.points("PD") + up.points("PD")
    assert [p.parameters["a"] for p in pds] == pytest.approx([3 * (1 - b) ** 2 / 4], abs=1e-10)
    np.testing.assert_allclose(sorted(pds[0].multipliers.real), sorted([-1.0, b]), atol=1e-9)


def test_delayed_logistic_neimark_sacker():
    model = get_model("delayed_logistic")
    branch = continue_cycle(model, "r", [0.4, 0.4], {"r": 1.7}, step=0.02)
    (ns,) = branch.points("NS")
    assert ns.parameters["r"] == pytest.approx(2.0, abs=1e-10)
    np.testing.assert_allclose(ns.orbit[0], [0.5, 0.5], atol=1e-10)
    assert ns.coefficients["theta"] == pytest.approx(np.arccos(0.5), abs=1e-9)
    np.testing.assert_allclose(np.abs(ns.multipliers), 1.0, atol=1e-10)
    # first Lyapunov coefficient, checked against the two-dimensional formula in terms of
    # g20, g11, g02, g21 (Kuznetsov 2004, Eq. (4.22)): both -1 with |q| = 1 (supercritical)
    forms = iterate_forms(map_derivatives(model), ns.orbit, np.array([2.0]))
    M = monodromy(forms.A)
    lam = np.exp(1j * np.pi / 3)
    mu, V = np.linalg.eig(M)
    q = V[:, np.argmin(np.abs(mu - lam))]
    q /= np.linalg.norm(q)
    mu_t, W = np.linalg.eig(M.T)
    p = W[:, np.argmin(np.abs(mu_t - np.conj(lam)))]
    p /= np.conj(np.vdot(p, q))
    qb = np.conj(q)
    g20, g11, g02 = (np.vdot(p, forms.B(u, v)) for u, v in ((q, q), (q, qb), (qb, qb)))
    g21 = np.vdot(p, forms.C(q, q, qb))
    d_2d = (
        np.real(np.conj(lam) * g21 / 2)
        - np.real((1 - 2 * lam) * lam**-2 / (2 * (1 - lam)) * g20 * g11)
        - abs(g11) ** 2 / 2
        - abs(g02) ** 2 / 4
    )
    assert ns.coefficients["d"] == pytest.approx(d_2d, abs=1e-10)
    assert ns.coefficients["d"] == pytest.approx(-1.0, abs=1e-10)


def test_transcritical_is_a_branch_point_not_a_fold(logistic):
    branch = continue_cycle(logistic, "r", [0.0], {"r": 0.5}, step=0.05, max_steps=20)
    labels = [p.label for p in branch.special]
    assert "LP" not in labels
    (bp,) = branch.points("BP")
    assert bp.parameters["r"] == pytest.approx(1.0, abs=1e-6)


def test_logistic_period_two_cycle_closed_form(logistic):
    r = 3.3
    cycles = find_cycles(logistic, {"r": r}, period=2)
    assert cycles.sizes["cycle"] == 1
    exact = ((r + 1) + np.array([-1, 1]) * np.sqrt((r + 1) * (r - 3))) / (2 * r)
    np.testing.assert_allclose(cycles.orbit.values[0, :, 0], exact, atol=1e-12)
    # multiplier of the 2-cycle: f'(x1) f'(x2) = 4 + 2r - r^2
    assert cycles.multipliers.values[0, 0].real == pytest.approx(4 + 2 * r - r**2, abs=1e-10)


def _fd_jacobian(model, x, p, h=1e-6):
    """Central finite differences of the simulator's own generated step (not of the
    bifurcation module's derivative code)."""
    evaluate = compile_model(model).evaluate
    P = np.ascontiguousarray(p[:, None])
    J = np.empty((model.n_state, model.n_state))
    for c in range(model.n_state):
        up, down = x.copy(), x.copy()
        up[c] += h
        down[c] -= h
        fu, fd = np.empty(model.n_state), np.empty(model.n_state)
        evaluate(up, P, 0, fu)
        evaluate(down, P, 0, fd)
        J[:, c] = (fu - fd) / (2 * h)
    return J


def _step(model, x, p):
    out = np.empty(model.n_state)
    compile_model(model).evaluate(x, np.ascontiguousarray(p[:, None]), 0, out)
    return out


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("chialvo", {}),
        ("chialvo", {"b": 0.18}),
        ("rulkov2001", {}),
        pytest.param("henon", {}, marks=pytest.mark.slow),
    ],
)
def test_fixed_points_by_residual_and_finite_difference_multipliers(name, values):
    model = get_model(name)
    cycles = find_cycles(model, values, n_seeds=64)
    assert cycles.sizes["cycle"] >= 1
    p = np.array([model.resolve_parameters(values)[k] for k in model.parameter_names])
    for c in range(cycles.sizes["cycle"]):
        x = cycles.orbit.values[c, 0]
        assert np.max(np.abs(_step(model, x, p) - x)) < 1e-12
        fd = np.linalg.eigvals(_fd_jacobian(model, x, p))
        mu = cycles.multipliers.values[c]
        np.testing.assert_allclose(np.sort_complex(mu), np.sort_complex(fd), atol=1e-6)
    if name == "rulkov2001":
        # y' = y - mu (x - sigma) fixes x* = sigma, then y* = sigma - alpha / (1 + sigma^2)
        np.testing.assert_allclose(cycles.orbit.values[0, 0], [-1.0, -1.0 - 4.3 / 2], atol=1e-12)


def test_chialvo_fixed_point_against_a_scalar_root():
    from scipy.optimize import brentq

    a, b, c, k = 0.89, 0.6, 0.28, 0.03
    g = lambda x: x**2 * np.exp((c - b * x) / (1 - a) - x) + k - x  # noqa: E731
    x_star = brentq(g, 0.0, 0.5, xtol=1e-15)
    cycles = find_cycles(get_model("chialvo"))
    x, y = cycles.orbit.values[0, 0]
    assert x == pytest.approx(x_star, abs=1e-12)
    assert y == pytest.approx((c - b * x_star) / (1 - a), abs=1e-12)
    # the classic set b = 0.6 sits just past a subcritical Neimark-Sacker point (k ~ 0.0302)
    assert cycles.stability.values[0] == "stable"
    assert np.abs(cycles.multipliers.values[0, 0]) == pytest.approx(0.99218, abs=1e-5)


@pytest.mark.slow
def test_chialvo_rulkov_chain_fixed_points_and_continuation():
    model = chialvo_rulkov_chain()
    cycles = find_cycles(model, n_seeds=64)
    p = np.array([model.resolve_parameters({})[k] for k in model.parameter_names])
    assert cycles.sizes["cycle"] >= 1
    for c in range(cycles.sizes["cycle"]):
        x = cycles.orbit.values[c, 0]
        assert np.max(np.abs(_step(model, x, p) - x)) < 1e-12
        mu = cycles.multipliers.values[c]
        fd = np.linalg.eigvals(_fd_jacobian(model, x, p))
        np.testing.assert_allclose(np.sort_complex(mu), np.sort_complex(fd), atol=1e-6)
        np.testing.assert_allclose(mu, cycle_multipliers(model, cycles.orbit.values[c], p))
    branch = continue_cycle(
        model,
        "sigma_1_2",
        cycles.orbit.values[0],
        {},
        step=0.01,
        max_steps=80,
        bounds={"sigma_1_2": (-0.5, 0.5)},
    )
    for point in branch.special:
        if point.label in ("LP", "PD", "NS"):
            target = {"LP": 1.0, "PD": -1.0}.get(point.label)
            mu = point.multipliers
            if target is None:
                assert np.min(np.abs(np.abs(mu[np.abs(mu.imag) > 1e-9]) - 1)) < 1e-8
            else:
                assert np.min(np.abs(mu - target)) < 1e-8


def test_flows_are_refused_with_a_clear_error():
    with pytest.raises(ModelError, match="needs a map"):
        map_derivatives(get_model("lorenz63"))


def test_flip_coefficient_is_independent_of_the_eigenvector_scale(logistic):
    forms = iterate_forms(map_derivatives(logistic), np.array([[2 / 3]]), np.array([3.0]))
    assert flip_coefficient(forms, np.array([[-1.0]])) == pytest.approx(9.0)
