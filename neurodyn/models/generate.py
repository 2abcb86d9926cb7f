"""Print a model's sympy expressions as the Python source of its numba kernels.

The functions generated and their signatures are described in :mod:`.codegen`, which compiles
them and keeps the source in a disk cache, so that this module -- and sympy, which takes
seconds to import -- is loaded only for a model whose source is not cached yet.
"""

from __future__ import annotations

import sympy

from .integrators import TABLEAUS, Tableau
from .model import Model

__all__ = ["ExpressionPrinter", "generate_source"]


class ExpressionPrinter:
    """Prints a sympy expression as a numba-compatible Python expression over ``names``.

    Subclasses print for other array libraries (:class:`.torchgen.TorchPrinter`) by changing
    the class attributes and the hooks ``_sign``, ``_not`` and ``_piecewise``.
    """

    #: function name per sympy function, applied as ``name(argument)``
    functions = {
        sympy.exp: "vexp",
        sympy.Abs: "abs",
        sympy.log: "math.log",
        sympy.sin: "math.sin",
        sympy.cos: "math.cos",
        sympy.tan: "math.tan",
        sympy.tanh: "math.tanh",
        sympy.sinh: "math.sinh",
        sympy.cosh: "math.cosh",
        sympy.atan: "math.atan",
    }
    sqrt = "math.sqrt"
    #: print subexpressions without symbols as one float (evaluated here, not at run time)
    fold_constants = False

    def __init__(self, names: dict[sympy.Symbol, str]):
        self.names = names

    def __call__(self, e) -> str:  # noqa: C901 - one branch per node type
        if e in self.names:
            return self.names[e]
        if e is sympy.true or e is sympy.false:
            return str(bool(e))
        if isinstance(e, sympy.Integer):
            return f"{int(e)}.0"
        if isinstance(e, sympy.Rational):
            return f"({e.p}.0 / {e.q}.0)"
        if isinstance(e, sympy.Float | sympy.NumberSymbol) or (
            self.fold_constants and not e.free_symbols
        ):
            return repr(float(e))
        if isinstance(e, sympy.Add):
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Mul):
            return "(" + " * ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Pow):
            return self._power(e.base, e.exp)
        if e.func in self.functions:
            return f"{self.functions[e.func]}({self(e.args[0])})"
        if isinstance(e, sympy.sign):
            return self._sign(self(e.args[0]))
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        if isinstance(e, sympy.core.relational.Relational):
            return f"({self(e.lhs)} {e.rel_op} {self(e.rhs)})"
        if isinstance(e, sympy.And | sympy.Or):
            op = " & " if isinstance(e, sympy.And) else " | "
            return "(" + op.join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Not):
            return self._not(self(e.args[0]))
        raise NotImplementedError(f"cannot generate code for {e!r}")

    def _power(self, base, exponent) -> str:
        b = self(base)
        if exponent.is_Integer and 0 < abs(int(exponent)) <= 8:
            product = "(" + " * ".join([b] * abs(int(exponent))) + ")"
            return product if exponent > 0 else f"(1.0 / {product})"
        if exponent == sympy.Rational(1, 2):
            return f"{self.sqrt}({b})"
        if exponent == sympy.Rational(-1, 2):
            return f"(1.0 / {self.sqrt}({b}))"
        return f"({b} ** {self(exponent)})"

    def _sign(self, a: str) -> str:
        return f"(1.0 if {a} > 0.0 else (-1.0 if {a} < 0.0 else 0.0))"

    def _not(self, a: str) -> str:
        return f"(not {a})"

    def _piecewise(self, e: sympy.Piecewise) -> str:
        text = self(e.args[-1][0]) if e.args[-1][1] is sympy.true else "math.nan"
        for value, condition in reversed(e.args[:-1] if e.args[-1][1] is sympy.true else e.args):
            text = f"({self(value)} if {self(condition)} else {text})"
        return text


def _local_names(model: Model, state_prefix: str = "s_") -> dict[sympy.Symbol, str]:
    names = {model.symbols[n]: f"{state_prefix}{n}" for n in model.state_names}
    names.update({model.symbols[n]: f"p_{n}" for n in model.parameter_names})
    return names


def _cse_lines(
    expressions: list, names: dict, indent: str, tag: str = ""
) -> tuple[list[str], list[str]]:
    """Assignment lines for common subexpressions, and the printed reduced expressions."""
    names = dict(names)
    printer = ExpressionPrinter(names)
    replacements, reduced = sympy.cse(expressions, symbols=sympy.numbered_symbols(f"_c{tag}"))
    lines = []
    for symbol, value in replacements:
        lines.append(f"{indent}{symbol} = {printer(value)}")
        names[symbol] = str(symbol)
    return lines, [printer(e) for e in reduced]


def _point_function(model: Model, name: str, expressions: list, target: str) -> list[str]:
    """``name(S, P, i, OUT)``: ``expressions`` at the 1-D state ``S`` and parameters ``P[:, i]``."""
    lines = [f"def {name}(S, P, i, OUT):"]
    lines += [f"    s_{n} = S[{r}]" for r, n in enumerate(model.state_names)]
    lines += [f"    p_{n} = P[{r}, i]" for r, n in enumerate(model.parameter_names)]
    if target == "matrix":
        n = model.n_state
        entries = [(r, c) for r in range(n) for c in range(n) if expressions[r * n + c] != 0]
        lines.append("    OUT[:, :] = 0.0")
        cse, values = _cse_lines(
            [expressions[r * n + c] for r, c in entries], _local_names(model), "    "
        )
        lines += cse
        lines += [f"    OUT[{r}, {c}] = {v}" for (r, c), v in zip(entries, values, strict=True)]
    else:
        cse, values = _cse_lines(expressions, _local_names(model), "    ")
        lines += cse
        lines += [f"    OUT[{r}] = {v}" for r, v in enumerate(values)]
    return [*lines, ""]


def _rhs_function(model: Model) -> list[str]:
    """``rhs(X, P, OUT, lo, hi)``: the equations at columns ``lo..hi`` (see module docstring)."""
    body = " " * 8
    lines = ["def rhs(X, P, OUT, lo, hi):"]
    lines += [f"    X{r} = X[{r}, lo:hi]" for r in range(model.n_state)]
    lines += [f"    O{r} = OUT[{r}, lo:hi]" for r in range(model.n_state)]
    lines += [f"    P{r} = P[{r}, lo:hi]" for r in range(len(model.parameters))]
    lines += ["    for i in range(hi - lo):"]
    lines += [f"{body}s_{n} = X{r}[i]" for r, n in enumerate(model.state_names)]
    lines += [f"{body}p_{n} = P{r}[i]" for r, n in enumerate(model.parameter_names)]
    cse, values = _cse_lines(list(model.expressions), _local_names(model), body)
    lines += cse
    lines += [f"{body}O{r}[i] = {v}" for r, v in enumerate(values)]
    return [*lines, ""]


def _tangent_function(model: Model) -> list[str]:
    """``tangent_step(X, P, J, lo, hi, bound, ok)`` of a map (see :mod:`.codegen`)."""
    n, body = model.n_state, " " * 8
    jac = list(model.jacobian_expressions)
    entries = [(r, c) for r in range(n) for c in range(n) if jac[r * n + c] != 0]
    lines = ["def tangent_step(X, P, J, lo, hi, bound, ok):"]
    lines += [f"    X{r} = X[{r}, lo:hi]" for r in range(n)]
    lines += [f"    P{r} = P[{r}, lo:hi]" for r in range(len(model.parameters))]
    lines += [f"    J{r}_{c} = J[{r}, {c}]" for r, c in entries]
    lines += ["    okb = ok[lo:hi]", "    for i in range(hi - lo):"]
    lines += [f"{body}s_{v} = X{r}[i]" for r, v in enumerate(model.state_names)]
    lines += [f"{body}p_{v} = P{r}[i]" for r, v in enumerate(model.parameter_names)]
    cse, values = _cse_lines([jac[r * n + c] for r, c in entries], _local_names(model), body, "j")
    lines += cse
    lines += [f"{body}J{r}_{c}[i] = {v}" for (r, c), v in zip(entries, values, strict=True)]
    cse, values = _cse_lines(list(model.expressions), _local_names(model), body)
    lines += cse
    lines += [f"{body}n{r} = {v}" for r, v in enumerate(values)]
    lines += [f"{body}X{r}[i] = n{r}" for r in range(n)]
    checks = " & ".join(f"(abs(n{r}) <= bound)" for r in range(n))
    return [*lines, f"{body}okb[i] = okb[i] & {checks}", ""]


def _stage_lines(model: Model, tableau: Tableau, body: str) -> list[str]:
    """Lines computing ``n<r>``, the state after one explicit Runge-Kutta step of a flow."""
    lines = []
    for j in range(len(tableau.b)):
        prefix = "s_"
        if j > 0:
            prefix = f"u{j}_"
            for r, n in enumerate(model.state_names):
                terms = [f"{a!r} * k{q}_{r}" for q, a in enumerate(tableau.a[j]) if a != 0.0]
                lines.append(f"{body}{prefix}{n} = s_{n} + p_dt * ({' + '.join(terms)})")
        cse, values = _cse_lines(
            list(model.expressions), _local_names(model, prefix), body, tag=f"{j}_"
        )
        lines += cse
        lines += [f"{body}k{j}_{r} = {v}" for r, v in enumerate(values)]
    for r, n in enumerate(model.state_names):
        terms = [f"{b!r} * k{j}_{r}" for j, b in enumerate(tableau.b) if b != 0.0]
        lines.append(f"{body}n{r} = s_{n} + p_dt * ({' + '.join(terms)})")
    return lines


def generate_source(model: Model) -> str:
    """The Python source of the functions generated for ``model`` (see :mod:`.codegen`)."""
    body = " " * 12
    lines = ["def advance(X, P, lo, hi, n, bound, ok):"]
    lines += [f"    X{r} = X[{r}, lo:hi]" for r in range(model.n_state)]
    lines += [f"    P{r} = P[{r}, lo:hi]" for r in range(len(model.parameters))]
    lines += ["    okb = ok[lo:hi]", "    for _ in range(n):", "        for i in range(hi - lo):"]
    lines += [f"{body}s_{n} = X{r}[i]" for r, n in enumerate(model.state_names)]
    lines += [f"{body}p_{n} = P{r}[i]" for r, n in enumerate(model.parameter_names)]
    if model.kind == "map":
        cse, values = _cse_lines(list(model.expressions), _local_names(model), body)
        lines += cse
        lines += [f"{body}n{r} = {v}" for r, v in enumerate(values)]
    else:
        lines += _stage_lines(model, TABLEAUS[model.integrator], body)
    lines += [f"{body}X{r}[i] = n{r}" for r in range(model.n_state)]
    checks = " & ".join(f"(abs(n{r}) <= bound)" for r in range(model.n_state))
    lines += [f"{body}okb[i] = okb[i] & {checks}", ""]
    lines += _rhs_function(model)
    lines += _point_function(model, "evaluate", list(model.expressions), "vector")
    jac = model.jacobian_expressions
    lines += _point_function(model, "evaluate_jacobian", list(jac), "matrix")
    if model.kind == "map":
        lines += _tangent_function(model)
    return "\n".join(lines)
