"""Generate torch functions from a :class:`~neurodyn.models.model.Model`'s sympy expressions.

The same sympy trees the numba kernels are printed from (:mod:`.codegen`) are printed here as
torch code (``exp`` -> ``torch.exp``, ``where`` -> ``torch.where``, ...), so the torch and numba
versions of a model cannot drift apart. Importing this module needs torch (an optional extra);
:mod:`neurodyn.models` itself does not import it.

:func:`torch_function` returns ``f(S, P) -> list``: ``S`` a sequence of ``n_state`` tensors (the
state variables, in the order of ``model.state``), ``P`` a sequence of ``n_param`` tensors or
numbers broadcastable to them (in the order of ``model.parameters``; entries of parameters the
expressions do not use are not read, see :func:`used_parameters`). It returns one value per
expression -- a tensor, or a Python number for an expression without state or parameters (a
constant Jacobian entry): callers broadcast. Common subexpressions are shared (``sympy.cse``) as
in the numba kernels; subexpressions without symbols are evaluated to a float once, here.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Literal

import sympy
import torch

from .model import Model

__all__ = ["torch_function", "torch_function_source", "used_parameters"]

_FUNCTIONS = {
    sympy.exp: "torch.exp",
    sympy.log: "torch.log",
    sympy.sin: "torch.sin",
    sympy.cos: "torch.cos",
    sympy.tan: "torch.tan",
    sympy.tanh: "torch.tanh",
    sympy.sinh: "torch.sinh",
    sympy.cosh: "torch.cosh",
    sympy.atan: "torch.atan",
    sympy.Abs: "torch.abs",
    sympy.sign: "torch.sign",
}


class TorchPrinter:
    """Prints a sympy expression as a torch expression over the names in ``names``.

    Numbers inside ``torch.where`` are made tensors of the working dtype and device (``_num``),
    so a piecewise expression with two constant branches keeps the precision of the state."""

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
        if isinstance(e, sympy.Float | sympy.NumberSymbol) or not e.free_symbols:
            return repr(float(e))
        if isinstance(e, sympy.Add):
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Mul):
            return "(" + " * ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Pow):
            return self._power(e.base, e.exp)
        if e.func in _FUNCTIONS:
            return f"{_FUNCTIONS[e.func]}({self(e.args[0])})"
        if isinstance(e, sympy.Piecewise):
            return self._piecewise(e)
        if isinstance(e, sympy.core.relational.Relational):
            return f"({self(e.lhs)} {e.rel_op} {self(e.rhs)})"
        if isinstance(e, sympy.And | sympy.Or):
            op = " & " if isinstance(e, sympy.And) else " | "
            return "(" + op.join(self(a) for a in e.args) + ")"
        if isinstance(e, sympy.Not):
            return f"(~{self(e.args[0])})"
        raise NotImplementedError(f"cannot generate torch code for {e!r}")

    def _power(self, base, exponent) -> str:
        b = self(base)
        if exponent.is_Integer and 0 < abs(int(exponent)) <= 8:
            product = "(" + " * ".join([b] * abs(int(exponent))) + ")"
            return product if exponent > 0 else f"(1.0 / {product})"
        if exponent == sympy.Rational(1, 2):
            return f"torch.sqrt({b})"
        if exponent == sympy.Rational(-1, 2):
            return f"(1.0 / torch.sqrt({b}))"
        return f"({b} ** {self(exponent)})"

    def _branch(self, value) -> str:
        text = self(value)
        return f"_num({text})" if not value.free_symbols else text

    def _piecewise(self, e: sympy.Piecewise) -> str:
        last_is_default = e.args[-1][1] is sympy.true
        text = self._branch(e.args[-1][0]) if last_is_default else "_num(math.nan)"
        pieces = e.args[:-1] if last_is_default else e.args
        for value, condition in reversed(pieces):
            text = f"torch.where({self(condition)}, {self._branch(value)}, {text})"
        return text


def used_parameters(model: Model, expressions) -> tuple[int, ...]:
    """Rows (in the order of ``model.parameters``) of the parameters ``expressions`` use."""
    used = set().union(*(sympy.sympify(e).free_symbols for e in expressions))
    return tuple(r for r, n in enumerate(model.parameter_names) if model.symbols[n] in used)


def _expressions(model: Model, which: str) -> list:
    if which == "equations":
        return list(model.expressions)
    if which == "jacobian":
        return list(model.jacobian_expressions)
    raise ValueError(f"which must be 'equations' or 'jacobian', not {which!r}")


def torch_function_source(model: Model, which: Literal["equations", "jacobian"]) -> str:
    """Source of ``f(S, P)`` (see the module docstring) for ``model``'s equations (next state of
    a map, derivative of a flow) or their analytic Jacobian, flattened row by row
    (``J[r, c]`` at position ``r * n_state + c``)."""
    expressions = _expressions(model, which)
    names = {model.symbols[n]: f"s_{n}" for n in model.state_names}
    names.update({model.symbols[n]: f"p_{n}" for n in model.parameter_names})
    lines = [f"def {which}(S, P):"]
    lines += [f"    s_{n} = S[{r}]" for r, n in enumerate(model.state_names)]
    rows = used_parameters(model, expressions)
    lines += [f"    p_{model.parameter_names[r]} = P[{r}]" for r in rows]
    lines += [
        "    _like = S[0]",
        "    def _num(value):",
        "        return torch.as_tensor(value, dtype=_like.dtype, device=_like.device)",
    ]
    replacements, reduced = sympy.cse(expressions, symbols=sympy.numbered_symbols("_c"))
    printer = TorchPrinter(names)
    for symbol, value in replacements:
        lines.append(f"    {symbol} = {printer(value)}")
        names[symbol] = str(symbol)
    lines.append("    return [" + ", ".join(printer(e) for e in reduced) + "]")
    return "\n".join(lines)


@cache
def torch_function(model: Model, which: Literal["equations", "jacobian"] = "equations"):
    """``f(S, P)`` generated for ``model`` (see :func:`torch_function_source`), cached per model."""
    namespace: dict[str, object] = {"torch": torch, "math": math}
    source = torch_function_source(model, which)
    exec(compile(source, f"<neurodyn torch {model.name} {which}>", "exec"), namespace)  # noqa: S102
    return namespace[which]
