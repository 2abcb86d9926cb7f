"""Generated model kernels against plain-numpy references, Jacobians against finite differences."""

import math

import numpy as np
import pytest

from neurodyn.models import (
    ExpressionError,
    ModelError,
    compile_model,
    get_model,
    list_models,
    parse_expression,
)
from neurodyn.models.vecmath import vexp


def _chialvo(s, p):
    x, y = s
    a, b, c, k = p
    return np.array([x**2 * np.exp(y - x) + k, a * y - b * x + c])


def _rulkov2001(s, p):
    x, y = s
    alpha, mu, sigma = p
    return np.array([alpha / (1 + x**2) + y, y - mu * (x - sigma)])


def _rulkov2002(s, p):
    """Rulkov, Phys. Rev. E 65, 041922 (2002), eq. (2)-(3), with the x_{n-1} condition."""
    x, y, xp = s
    alpha, mu, sigma = p
    spike = np.where((x < alpha + y) & (xp <= 0), alpha + y, -1.0)
    new_x = np.where(x <= 0, alpha / (1 - x) + y, spike)
    return np.array([new_x, y - mu * (x + 1) + mu * sigma, x])


def _rulkov2002_simple(s, p):
    x, y = s
    alpha, mu, sigma = p
    new_x = np.where(x <= 0, alpha / (1 - x) + y, np.where(x < alpha + y, alpha + y, -1.0))
    return np.array([new_x, y - mu * (x + 1) + mu * sigma])


def _logistic(s, p):
    return np.array([p[0] * s[0] * (1 - s[0])])


def _henon(s, p):
    x, y = s
    a, b = p
    return np.array([1 - a * x**2 + y, b * x])


def _delayed_logistic(s, p):
    x, y = s
    return np.array([p[0] * x * (1 - y), x])


REFERENCES = {
    "chialvo": _chialvo,
    "rulkov2001": _rulkov2001,
    "rulkov2002": _rulkov2002,
    "rulkov2002_simple": _rulkov2002_simple,
    "logistic": _logistic,
    "henon": _henon,
    "delayed_logistic": _delayed_logistic,
}


def _random_batch(model, rng, batch):
    X = np.array([rng.uniform(v.low, v.high, batch) for v in model.state])
    P = np.array(
        [
            rng.uniform(
                max(p.low, p.default - 0.05 * abs(p.default)),
                min(p.high, p.default + 0.05 * abs(p.default)),
                batch,
            )
            for p in model.parameters
        ]
    )
    return X, P


def test_registry_has_every_catalogued_map():
    assert set(REFERENCES) <= set(list_models())
    for name in REFERENCES:
        assert get_model(name).source, f"{name} has no source"


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_step_equals_numpy_reference(name):
    """One generated step from the reference's state, 1000 times, to 1e-12 (relative)."""
    model = get_model(name)
    advance = compile_model(model).advance
    rng = np.random.default_rng(1)
    batch = 64
    X, P = _random_batch(model, rng, batch)
    ok = np.ones(batch, dtype=np.bool_)
    reference = REFERENCES[name]
    worst = 0.0
    for _ in range(1000):
        expected = reference(X, P)
        advanced = X.copy()
        advance(advanced, P, 0, batch, 1, 1e300, ok)
        np.testing.assert_allclose(advanced, expected, rtol=1e-12, atol=1e-12)
        worst = max(worst, float(np.max(np.abs(advanced - expected))))
        X = expected
        # keep the states bounded and varied: restart points that leave their box far behind
        wild = ~np.all(np.isfinite(X), axis=0) | (np.max(np.abs(X), axis=0) > 1e3)
        X[:, wild] = _random_batch(model, rng, int(wild.sum()))[0]
    assert ok.all()


def _finite_difference_jacobian(model, x, p, h=1e-6):
    advance = compile_model(model).advance
    n = model.n_state
    J = np.empty((n, n))
    ok = np.ones(2, dtype=np.bool_)
    for c in range(n):
        X = np.tile(x[:, None], (1, 2))
        step = h * max(1.0, abs(x[c]))
        X[c, 0] += step
        X[c, 1] -= step
        advance(X, np.tile(p[:, None], (1, 2)), 0, 2, 1, 1e300, ok)
        J[:, c] = (X[:, 0] - X[:, 1]) / (2 * step)
    return J


def _away_from_switches(name, x, p):
    """States whose finite-difference stencil stays on one branch of a piecewise map."""
    if not name.startswith("rulkov2002"):
        return True
    alpha = p[0]
    margins = [abs(x[0]), abs(x[0] - (alpha + x[1]))]
    if name == "rulkov2002":
        margins.append(abs(x[2]))
    return min(margins) > 1e-3


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_jacobian_equals_finite_differences(name):
    model = get_model(name)
    jacobian = compile_model(model).jacobian
    rng = np.random.default_rng(2)
    X, P = _random_batch(model, rng, 200)
    if name.startswith("rulkov2002"):
        X[0, 100:] = rng.uniform(0.01, 3.0, 100)  # also visit the spike branches
        X[-1, 150:] = rng.uniform(0.01, 1.0, 50)
    J = np.empty((model.n_state, model.n_state))
    checked = 0
    for i in range(X.shape[1]):
        if not _away_from_switches(name, X[:, i], P[:, i]):
            continue
        jacobian(X, P, i, J)
        expected = _finite_difference_jacobian(model, X[:, i], P[:, i])
        np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-6)
        checked += 1
    assert checked > 100


def test_henon_jacobian_determinant_is_minus_b():
    """det J = -b exactly for the Henon map (the identity behind lambda1 + lambda2 = ln b)."""
    model = get_model("henon")
    X = np.array([[0.3, -1.1], [0.2, 0.05]])
    P = np.array([[1.4, 1.2], [0.3, -0.4]])
    J = np.empty((2, 2))
    for i in range(2):
        compile_model(model).jacobian(X, P, i, J)
        assert np.linalg.det(J) == pytest.approx(-P[1, i], abs=1e-15)


def test_vexp_matches_numpy_exp():
    from numba import njit

    @njit
    def apply(values, out):
        for i in range(values.size):
            out[i] = vexp(values[i])

    rng = np.random.default_rng(3)
    values = np.concatenate([rng.uniform(-708, 709, 200_000), rng.uniform(-2, 2, 200_000)])
    out = np.empty_like(values)
    apply(values, out)
    expected = np.exp(values)
    assert np.max(np.abs(out - expected) / expected) < 4e-16
    special = np.array([np.nan, np.inf, -np.inf, 800.0, -800.0, 0.0])
    out = np.empty_like(special)
    apply(special, out)
    np.testing.assert_array_equal(out, [np.nan, np.inf, 0.0, np.inf, 0.0, 1.0])


def test_unknown_model_names_the_available_ones():
    with pytest.raises(ModelError, match="unknown model 'chialvoo'.*chialvo"):
        get_model("chialvoo")


def test_parameter_out_of_range_names_the_range():
    model = get_model("chialvo")
    with pytest.raises(ModelError, match=r"'a'.*1.5.*\[0.0, 1.0\]"):
        model.resolve_parameters({"a": 1.5})
    with pytest.raises(ModelError, match="unknown parameter 'q'"):
        model.resolve_parameters({"q": 1.0})
    with pytest.raises(ModelError, match="not a number"):
        model.resolve_parameters({"k": "abc"})
    with pytest.raises(ModelError, match="outside"):
        model.resolve_parameters({"k": math.nan})


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "x.real",
        "(lambda: 1)()",
        "x[0]",
        "eval('1')",
        "z + 1",
        "x if x else 1",
        "x +",
    ],
)
def test_grammar_rejects_everything_else(text):
    with pytest.raises(ExpressionError):
        parse_expression(text, ["x"])


def test_grammar_builds_piecewise_and_functions():
    e = parse_expression("where((x <= 0) & (y > 1), exp(x), tanh(y)) + 2**x", ["x", "y"])
    import sympy

    x, y = sympy.symbols("x y", real=True)
    assert float(e.subs({x: -1.0, y: 2.0})) == pytest.approx(math.exp(-1) + 0.5, abs=1e-15)
    assert float(e.subs({x: 1.0, y: 2.0})) == pytest.approx(math.tanh(2) + 2, abs=1e-15)
