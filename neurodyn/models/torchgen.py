"""Generate torch functions from a :class:`~neurodyn.models.model.Model`'s sympy expressions.

The same sympy trees the numba kernels are printed from (:mod:`.generate`) are printed here as
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

from .generate import ExpressionPrinter
from .model import Model

__all__ = ["torch_function", "torch_function_source", "used_parameters"]

class TorchPrinter(ExpressionPrinter):
    """Prints a sympy expression as a torch expression over the names in ``names``.

    Numbers inside ``torch.where`` are made tensors of the working dtype and device (``_num``),
    so a piecewise expression with two constant branches keeps the precision of the state."""

    functions = {
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
    sqrt = "torch.sqrt"
    fold_constants = True

    def _not(self, a: str) -> str:
        return f"(~{a})"

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
