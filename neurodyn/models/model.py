"""A model is data: state variables, parameters with ranges and units, equations and a source.

From a :class:`Model` neurodyn derives everything else: the sympy form of the equations, the
analytic Jacobian by symbolic differentiation, and the numba kernels (:mod:`.codegen`). A model
checks its equations against the grammar when it is made; sympy is imported only when the sympy
form is first asked for (code generation, continuation), not to define or list models.

Conventions
-----------
* ``kind == "map"``: ``equations[v]`` is the value of state variable ``v`` at the next
  iteration, written in terms of the current state. Time is counted in iterations.
* ``kind == "flow"``: ``equations[v]`` is ``dv/dt``; one iteration is one step of the explicit
  integrator ``integrator`` (euler, heun, rk4) with the time step given by the parameter ``dt``
  (in the model's time unit), so time = iterations * dt.
* The Jacobian is ``J[r, c] = d equations[r] / d state[c]`` evaluated at the current state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np

from .expressions import ExpressionError, check_expression, has_non_finite, parse_expression

if TYPE_CHECKING:
    import sympy

__all__ = ["Model", "ModelError", "ModelInterface", "Parameter", "StateVariable"]


class ModelError(ValueError):
    """Bad input about a model: unknown parameter, value out of range, malformed definition."""


@dataclass(frozen=True)
class Parameter:
    """A model parameter: default value, closed valid range ``[low, high]``, unit, meaning."""

    name: str
    default: float
    low: float = -math.inf
    high: float = math.inf
    unit: str = "1"
    description: str = ""

    def check(self, value: float, model: str = "") -> float:
        """Return ``value`` as float, or raise :class:`ModelError` naming the accepted range."""
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ModelError(
                f"parameter {self.name!r} of {model}: {value!r} is not a number"
            ) from None
        if not math.isfinite(value) or not (self.low <= value <= self.high):
            raise ModelError(
                f"parameter {self.name!r} of {model}: {value} is outside its valid range "
                f"[{self.low}, {self.high}]"
            )
        return value


@dataclass(frozen=True)
class StateVariable:
    """A state variable: its default initial value and the box random initial states come from."""

    name: str
    initial: float = 0.0
    low: float = -1.0
    high: float = 1.0
    description: str = ""


class ModelInterface:
    """What simulators, sweeps and stores read from a model: named state variables with their
    boxes, named parameters with ranges, ``name``, ``kind`` and ``bound``. :class:`Model` and
    the network kernel (:class:`neurodyn.networks.Network`) share it."""

    state: tuple[StateVariable, ...]
    parameters: tuple[Parameter, ...]
    name: str

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.state)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def n_state(self) -> int:
        return len(self.state)

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; :class:`ModelError` listing the known ones otherwise."""
        for p in self.parameters:
            if p.name == name:
                return p
        raise ModelError(
            f"unknown parameter {name!r} for model {self.name!r} "
            f"(parameters: {', '.join(self.parameter_names)})"
        )

    def defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.parameters}

    def initial_state(self) -> np.ndarray:
        return np.array([v.initial for v in self.state], dtype=np.float64)

    def resolve_parameters(self, values: dict[str, object] | None = None) -> dict[str, object]:
        """Defaults overridden by ``values`` (scalars or arrays), each checked against its range."""
        resolved: dict[str, object] = dict(self.defaults())
        for name, value in (values or {}).items():
            parameter = self.parameter(name)
            if np.ndim(value) == 0:
                resolved[name] = parameter.check(value, self.name)
            else:
                array = np.asarray(value, dtype=np.float64)
                good = np.isfinite(array) & (parameter.low <= array) & (array <= parameter.high)
                if not good.all():  # name the first offending value
                    parameter.check(array[~good].flat[0], self.name)
                resolved[name] = array
        return resolved


@dataclass(frozen=True)
class Model(ModelInterface):
    """A dynamical system defined by equations over named state variables and parameters.

    ``equations`` holds one expression per state variable, in the order of ``state``, written in
    the restricted grammar of :mod:`neurodyn.models.expressions`. ``source`` cites the paper.
    """

    name: str
    kind: Literal["map", "flow"]
    state: tuple[StateVariable, ...]
    parameters: tuple[Parameter, ...]
    equations: tuple[str, ...]
    description: str = ""
    source: str = ""
    notes: str = ""
    bound: float = 1e6
    integrator: str = "rk4"

    def __post_init__(self):
        if self.kind not in ("map", "flow"):
            raise ModelError(
                f"model {self.name!r}: kind must be 'map' or 'flow', not {self.kind!r}"
            )
        if self.kind == "flow" and "dt" not in self.parameter_names:
            raise ModelError(f"flow {self.name!r} needs a time-step parameter 'dt'")
        from .integrators import TABLEAUS

        if self.integrator not in TABLEAUS:
            raise ModelError(
                f"model {self.name!r}: unknown integrator {self.integrator!r} "
                f"(available: {', '.join(TABLEAUS)})"
            )
        if not (isinstance(self.bound, int | float) and self.bound > 0):
            raise ModelError(
                f"model {self.name!r}: bound must be a positive number, not {self.bound!r}"
            )
        if len(self.equations) != len(self.state):
            raise ModelError(f"model {self.name!r}: one equation per state variable is needed")
        names = [*self.state_names, *self.parameter_names]
        if len(set(names)) != len(names):
            raise ModelError(f"model {self.name!r}: state and parameter names must be unique")
        for name in names:
            usable = name.isascii() and name.isidentifier()
            if not usable or name in ("where", "exp", "log", "sqrt", "abs"):
                raise ModelError(f"model {self.name!r}: {name!r} is not a usable name")
        try:
            for equation in self.equations:
                check_expression(equation, names)
        except ExpressionError as err:
            raise ModelError(f"model {self.name!r}: {err}") from None

    @cached_property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """Real sympy symbols for every state variable and parameter."""
        import sympy

        return {n: sympy.Symbol(n, real=True) for n in (*self.state_names, *self.parameter_names)}

    @cached_property
    def expressions(self) -> tuple[sympy.Expr, ...]:
        """The equations as sympy expressions (next state for maps, derivative for flows)."""
        names = (*self.state_names, *self.parameter_names)
        try:
            return tuple(parse_expression(eq, names) for eq in self.equations)
        except ExpressionError as err:  # a constant that appears only once sympy simplifies
            raise ModelError(f"model {self.name!r}: {err}") from None

    @cached_property
    def jacobian_expressions(self) -> sympy.Matrix:
        """Analytic Jacobian ``J[r, c] = d equations[r] / d state[c]`` by sympy differentiation."""
        import sympy

        state = [self.symbols[n] for n in self.state_names]
        jacobian = sympy.Matrix(self.expressions).jacobian(state)
        for (r, c), entry in np.ndenumerate(np.array(jacobian, dtype=object)):
            if has_non_finite(entry):
                raise ModelError(
                    f"model {self.name!r}: the derivative of equation {self.equations[r]!r} by "
                    f"{self.state_names[c]!r} is {entry}, not finite"
                )
        return jacobian

    def describe(self) -> str:
        """A plain-text description: equations, parameters with ranges and units, source."""
        lines = [f"{self.name} ({self.kind}): {self.description}".rstrip(": ")]
        arrow = "->" if self.kind == "map" else "d/dt"
        for name, eq in zip(self.state_names, self.equations, strict=True):
            lines.append(f"  {name} {arrow} {eq}" if self.kind == "map" else f"  d{name}/dt = {eq}")
        lines.append("  parameters:")
        for p in self.parameters:
            lines.append(
                f"    {p.name:<8} default {p.default:<10g} range [{p.low:g}, {p.high:g}]  "
                f"unit {p.unit}  {p.description}".rstrip()
            )
        if self.source:
            lines.append(f"  source: {self.source}")
        if self.notes:
            lines.append(f"  notes: {self.notes}")
        return "\n".join(lines)
