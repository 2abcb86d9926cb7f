"""The measure registry: one :class:`Measure` record per measure, in registration order.

The sweep (:func:`~neurodyn.analysis.measures.add_measures`), the study workflow (the names a
study config may list), the report (labels, descriptions, figure rows and captions) and the
module documentation all read :data:`MEASURES`; nothing else lists measures. The registration
order is the order in which measures are computed, listed and drawn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

    from .context import Context

__all__ = [
    "KINDS",
    "MEASURES",
    "OUTPUTS",
    "Measure",
    "Option",
    "Output",
    "figure_outputs",
    "positive",
    "positive_number",
    "register_measure",
]

KINDS = ("grid", "series", "network")
"""How a measure reads the sweep: ``grid`` measures compute every point at once from the
:class:`~.context.Context` (final states, parameters, the Dataset); ``series`` measures compute
one point at a time from its states, usually through the scalar series ``ctx.scalar(states)``;
``network`` measures likewise from the node series ``ctx.nodes(states)`` and need a network."""


def positive(name: str, value: Any) -> int:
    """``value`` as an int, or ValueError naming ``name`` when it is not a positive integer."""
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def positive_number(name: str, value: Any) -> float:
    """``value`` as a float, or ValueError naming ``name`` when it is not a number > 0."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Option:
    """A keyword option of :func:`add_measures` that a measure reads as ``ctx.options.<name>``:
    its ``default``, a one-line ``description`` (with units) and an optional ``check(name,
    value)`` that raises ValueError for a bad value."""

    name: str
    default: Any
    description: str
    check: Callable[[str, Any], Any] | None = None


def _no_attrs(ctx: Context) -> dict[str, Any]:
    return {}


@dataclasses.dataclass(frozen=True)
class Output:
    """A variable a measure writes into the sweep Dataset.

    ``long_name`` and ``units`` head its attrs, ``attrs(ctx)`` adds its convention and
    parameters. ``label`` (short, for figure axes and tables) and ``description`` (one line)
    are the report's. ``dims`` are dimensions after the grid's (e.g. ``("exponent",)``, given
    the coordinate 1, 2, ...); a figure draws index 0 along them. ``figure`` names the report's
    figure of measures against the swept parameters that draws it as a row (``"complexity"``
    or ``"synchrony"``; None: tables only), ``caption`` is its phrase in that figure's caption;
    ``band`` names an output drawn as a band of plus and minus it around this one;
    ``reference`` is a value marked by a dashed line."""

    name: str
    long_name: str
    units: str
    label: str
    description: str
    attrs: Callable[[Context], dict[str, Any]] = _no_attrs
    dims: tuple[str, ...] = ()
    figure: str | None = None
    caption: str = ""
    band: str | None = None
    reference: float | None = None


@dataclasses.dataclass(frozen=True)
class Measure:
    """A measure: its ``name`` (as given to :func:`add_measures` and in study configs),
    ``kind`` (one of :data:`KINDS`), ``function``, ``outputs``, ``options`` and a one-line
    ``summary``.

    ``function(ctx)`` of a ``grid`` measure returns ``(values, attrs)``: per output name an
    array of shape (points, *dims) in the grid's flat (C) order, and attrs shared by its
    outputs (e.g. where its states came from). ``function(ctx, states)`` of a ``series`` or
    ``network`` measure gets one point's states (samples, n_state) and returns one float per
    output; it is not called for diverged points (NaN there). ``min_samples``: the shortest
    series it accepts. ``reads_states``: whether it reads the sweep's kept states (the
    workflow then asks for at least two). ``cost``: (seconds, seconds per sample of its series)
    per grid point, measured on a 2-core machine, which the workflow's pre-flight estimate of
    job runtimes reads (:mod:`neurodyn.workflow.plan`). ``stores(ctx)``: variables the
    measure writes beside its outputs when its options ask for them (the spike trains of
    :mod:`.spikes`), as a Dataset over the grid's dims, or None; a series measure's
    ``stores`` runs once after the outputs, with ``ctx.source`` set, and measures sharing one
    ``stores`` function run it once."""

    name: str
    kind: str
    function: Callable[..., Any]
    outputs: tuple[Output, ...]
    summary: str
    options: tuple[Option, ...] = ()
    min_samples: int = 1
    reads_states: bool = True
    cost: tuple[float, float] = (1e-4, 1e-7)
    stores: Callable[[Context], xr.Dataset | None] | None = None


MEASURES: dict[str, Measure] = {}
"""The registered measures by name, in registration order (:func:`register_measure`)."""


def register_measure(measure: Measure, *, replace: bool = False) -> Measure:
    """Add ``measure`` to :data:`MEASURES` (and return it).

    Raises ValueError for an unknown kind, a name or output already registered (unless
    ``replace``), or an option that another measure declares with a different default.
    """
    if measure.kind not in KINDS:
        raise ValueError(
            f"measure {measure.name!r}: kind must be one of {KINDS}, not {measure.kind!r}"
        )
    others = {n: m for n, m in MEASURES.items() if n != measure.name}
    if measure.name in MEASURES and not replace:
        raise ValueError(f"measure {measure.name!r} is already registered")
    taken = {o.name: m.name for m in others.values() for o in m.outputs}
    for output in measure.outputs:
        if output.name in taken:
            raise ValueError(
                f"measure {measure.name!r}: output {output.name!r} is already written by "
                f"measure {taken[output.name]!r}"
            )
    defaults = {o.name: o.default for m in others.values() for o in m.options}
    for option in measure.options:
        if option.name in defaults and defaults[option.name] != option.default:
            raise ValueError(
                f"measure {measure.name!r}: option {option.name!r} has default "
                f"{option.default!r}, another measure's is {defaults[option.name]!r}"
            )
    MEASURES[measure.name] = measure
    return measure


class _OutputView(Mapping[str, Output]):
    """The outputs of the registered measures by variable name, in registration order (a live
    view: measures registered later appear in it)."""

    def _outputs(self) -> dict[str, Output]:
        return {o.name: o for m in MEASURES.values() for o in m.outputs}

    def __getitem__(self, name: str) -> Output:
        return self._outputs()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._outputs())

    def __len__(self) -> int:
        return len(self._outputs())


OUTPUTS: Mapping[str, Output] = _OutputView()
"""Every registered measure's outputs by variable name (a live view of :data:`MEASURES`)."""


def figure_outputs(figure: str) -> list[Output]:
    """The outputs drawn as rows of the report figure ``figure``, in registration order."""
    return [o for o in OUTPUTS.values() if o.figure == figure]
