"""Bad input, one class per test: expressions, configs, stores, the command line.

Every case must end in a clear error naming what was given (exit 2 on the command line), without
hanging, without a traceback and without writing anything.
"""

from __future__ import annotations

import math

import pytest
import sympy

from neurodyn.models import (
    ExpressionError,
    Model,
    ModelError,
    Parameter,
    StateVariable,
    parse_expression,
)
from neurodyn.models.expressions import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10**10**10", "exponent 10000000000 in '10\\*\\*10\\*\\*10' exceeds the limit"),
        ("x**(2**20)", "exponent 1048576"),
        ("2.0**1100", "exponent 1100"),
        ("10**300 * 10**300", "not a finite real number"),
        ("1/0", "division by zero in '1/0'"),
        ("x / (x - x)", "division by zero in 'x / \\(x - x\\)'"),
        ("log(0) * x", "'log\\(0\\)' is zoo, not a finite real number"),
        ("sqrt(-1) + x", "'sqrt\\(-1\\)' is I"),
        ("(-8)**0.5", "not a finite real number"),
        ("0**-1", "not a finite real number"),
        ("1e999 * x", "'1e999' is oo"),
        ("exp(1000) + x", "'exp\\(1000\\)' is exp\\(1000\\)"),
        ("where(x < 0, log(0), x)", "'log\\(0\\)' is zoo"),
        ("-" * 50_000 + "x", "nested too deeply"),
        ("exp(" * 100 + "x" + ")" * 100, "nested too deeply"),
        ("2**" * 5_000 + "2", "nested too deeply"),
        ("+".join(["x"] * 50_000), "nested too deeply"),
        ("x" * (MAX_LENGTH + 1), f"longer than {MAX_LENGTH} characters"),
        ("1" * 5_000, "cannot parse"),
        ("x\x00", "null bytes"),
        ("\uff41 + x", "non-ASCII character '\uff41' \\(U\\+FF41\\) at position 0"),
        ("x + \u0430", "non-ASCII character '\u0430' \\(U\\+0430\\)"),
    ],
)
def test_expression_limits_and_constants_are_refused(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, ["x", "a"])


def test_expression_limits_accept_what_they_document():
    x = sympy.Symbol("x", real=True)
    # a flat chain is one level whatever its length: 1500 terms, under the parser's own bound
    assert parse_expression("+".join(["x"] * 1500), ["x"]) == 1500 * x
    # chains flatten into the same expression sequential evaluation gives
    a = sympy.Symbol("a", real=True)
    assert (
        parse_expression("x - 2*a + 3/x/a - x*a/2", ["x", "a"]) == x - 2 * a + 3 / x / a - x * a / 2
    )
    deepest = "tanh(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
    value = parse_expression(deepest, ["x"]).subs(x, 0.5)
    expected = 0.5
    for _ in range(MAX_DEPTH - 1):
        expected = math.tanh(expected)
    assert float(value) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_expression("tanh(" + deepest + ")", ["x"])
    assert parse_expression(f"2**{MAX_EXPONENT - 1}", []) == 2 ** (MAX_EXPONENT - 1)
    assert parse_expression(f"x**-{MAX_EXPONENT}", ["x"]) == x ** (-MAX_EXPONENT)


def test_model_refuses_lookalike_names_and_infinite_derivatives():
    state = (StateVariable("x"),)
    with pytest.raises(ModelError, match="'\uff41' is not a usable name"):
        Model("m", "map", state, (Parameter("\uff41", 1.0),), ("x",))
    # the full-width letter is not folded onto the parameter 'a'
    with pytest.raises(ModelError, match="non-ASCII character '\uff41'"):
        Model("m", "map", state, (Parameter("a", 1.0),), ("\uff41 * x",))
    with pytest.raises(ModelError, match="model 'm': 'log\\(0\\)' is zoo"):
        Model("m", "map", state, (Parameter("a", 1.0),), ("x + log(0)",))
    model = Model("m", "map", state, (Parameter("a", 1.0),), ("0**x + x",))
    with pytest.raises(ModelError, match="derivative of equation '0\\*\\*x \\+ x' by 'x'"):
        model.jacobian_expressions  # noqa: B018
