"""Print a model's equations as brian2 expressions: the numba printer with brian2's names.

The sympy trees the numba kernels are generated from (:mod:`neurodyn.models.codegen`) are
printed in brian2's expression language, so both backends evaluate the same equations:

- state variable ``x`` becomes ``v_x`` and parameter ``sigma`` becomes ``p_sigma``, so a model's
  names never collide with brian2's reserved names (``sigma``, ``t``, ``dt``, ``i``, ...);
- ``where(c, a, b)`` (a sympy ``Piecewise``) becomes ``int(c) * (a) + (1 - int(c)) * (b)``: brian2
  has no conditional expression. It equals the selected branch exactly when the other branch is
  finite (a non-finite unselected branch gives NaN, as ``0 * inf``); ``&``, ``|``, ``~`` become
  ``and``, ``or``, ``not``;
- functions keep brian2's names (``exp``, ``log``, ``sqrt``, ``abs``, ``sin``, ..., ``arctan``).

:func:`brian2_neuron_code` prints a spiking network of ``networks.yaml``
(:mod:`.definition`) with the same printer: its differential equations with brian2's units,
its threshold condition and its reset statements, over the record's own names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from ..models import Model
from ..models.generate import ExpressionPrinter

if TYPE_CHECKING:
    from .definition import SpikingNetwork

__all__ = [
    "BRIAN2_UNITS",
    "Brian2Printer",
    "brian2_equations",
    "brian2_names",
    "brian2_neuron_code",
]

BRIAN2_UNITS = {"1": "1", "ms": "second", "mV": "volt", "Hz": "hertz"}
"""brian2's unit (dimension) in equations for each unit of a record of ``networks.yaml``."""


class Brian2Printer(ExpressionPrinter):
    """Prints a sympy expression in brian2's expression language (see the module docstring)."""

    functions = {
        sympy.exp: "exp",
        sympy.Abs: "abs",
        sympy.log: "log",
        sympy.sin: "sin",
        sympy.cos: "cos",
        sympy.tan: "tan",
        sympy.tanh: "tanh",
        sympy.sinh: "sinh",
        sympy.cosh: "cosh",
        sympy.atan: "arctan",
        sympy.sign: "sign",
    }
    sqrt = "sqrt"

    def __call__(self, e) -> str:
        if isinstance(e, sympy.And | sympy.Or):
            op = " and " if isinstance(e, sympy.And) else " or "
            return "(" + op.join(self(a) for a in e.args) + ")"
        return super().__call__(e)

    def _not(self, a: str) -> str:
        return f"(not {a})"

    def _sign(self, a: str) -> str:
        return f"sign({a})"

    def _piecewise(self, e: sympy.Piecewise) -> str:
        last_is_default = e.args[-1][1] is sympy.true
        text = self(e.args[-1][0]) if last_is_default else "(0.0 / 0.0)"
        pieces = e.args[:-1] if last_is_default else e.args
        for value, condition in reversed(pieces):
            chosen = f"int({self(condition)})"
            text = f"({chosen} * {self(value)} + (1 - {chosen}) * {text})"
        return text


def brian2_names(model: Model) -> dict[str, str]:
    """brian2 name of each state variable (``v_<name>``) and parameter (``p_<name>``)."""
    names = {n: f"v_{n}" for n in model.state_names}
    names.update({n: f"p_{n}" for n in model.parameter_names})
    return names


def brian2_equations(model: Model) -> dict[str, str]:
    """The model's equations (next state of a map) as brian2 expressions, per state variable."""
    names = {model.symbols[n]: b2 for n, b2 in brian2_names(model).items()}
    printer = Brian2Printer(names)
    return {v: printer(e) for v, e in zip(model.state_names, model.expressions, strict=True)}


def brian2_neuron_code(network: SpikingNetwork) -> dict[str, str]:
    """The neuron of a spiking network record as brian2 code: ``equations`` (``d<v>/dt =
    ... : <unit>``, held while refractory when the record has a refractory period, then one
    line per per-neuron parameter), ``threshold`` and ``reset``, printed by
    :class:`Brian2Printer` from the record's expressions over its own names."""
    neuron = network.neuron
    names = (*network.state_names, *network.per_neuron)
    printer = Brian2Printer({sympy.Symbol(n, real=True): n for n in (*names, *network.parameters)})
    held = " (unless refractory)" if neuron.get("refractory") else ""
    lines = [
        f"d{v}/dt = {printer(network.expression(neuron['equations'][v], names))} : "
        f"{BRIAN2_UNITS[network.units(v)]}{held}"
        for v in network.state_names
    ]
    lines += [f"{p} : {BRIAN2_UNITS[network.units(p)]}" for p in network.per_neuron]
    reset = [
        f"{v} = {printer(network.expression(value, names))}" for v, value in neuron["reset"].items()
    ]
    return {
        "equations": "\n".join(lines),
        "threshold": printer(network.condition(neuron["threshold"], names)),
        "reset": "\n".join(reset),
    }
