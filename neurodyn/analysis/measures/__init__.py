"""Measures over sweeps: add chaos, complexity and synchrony measures to a sweep Dataset.

:func:`add_measures` takes a Dataset written by :func:`neurodyn.sim.sweep` (or the path of its
Zarr store) and adds one variable per output of each measure, with the grid dimensions of the
sweep (the swept parameters and ``ic``). Every point is measured on its own, from its own
states, so a Dataset measured whole and one measured in chunks along a parameter axis, then
merged, hold the same numbers; measures that draw random numbers (the 0-1 test) use one seed
for every point.

Each measure is one :class:`Measure` record in :data:`MEASURES` (:mod:`.registry`); the sweep,
the study workflow, the report and the table at the end of this docstring all read it. The
modules: :mod:`.registry` (the records), :mod:`.context` (the grid, the states and the
:class:`Context` a measure reads), :mod:`.add` (:func:`add_measures`), and one module per family
of built-in measures (:mod:`.lyapunov`, :mod:`.period`, :mod:`.complexity`,
:mod:`.synchrony`, :mod:`.coexistence`, :mod:`.spatiotemporal`, :mod:`.spikes`, :mod:`.rqa`).

Where the states come from:

- Lyapunov spectra start from the sweep's final states ``<v>_final`` and run the QR method with
  the model's analytic Jacobian (:func:`~neurodyn.analysis.lyapunov.lyapunov_spectrum`), all grid
  points in one batched call.
- Series measures (0-1 test, entropies, synchrony) use the kept states of the sweep when it kept
  them (the variables ``<v>`` with an ``iteration`` dimension), otherwise they continue the
  simulation from ``<v>_final`` for ``steps`` iterations with the batched kernel
  (:func:`~neurodyn.sim.iterate_batch`: deterministic, the same numbers for any thread count or
  chunking). The periods use the kept states when at least ``2 * max_period`` consecutive ones
  were kept, otherwise ``2 * max_period`` iterations continued from ``<v>_final``.
- The scalar series of the 0-1 test and the entropies is the state variable ``variable``
  (default: the first state variable of a single model; for a network the average over nodes of
  ``node_variable``, the mean field). The synchrony measures use each node's ``node_variable``
  (default ``x``).

Points that diverged in the sweep (or while continuing) get NaN (period -1). A measure that is
undefined at a point gets NaN there: the 0-1 test and sample entropy of a constant series (a
fixed point), the cross-correlation of a network with a constant node, the Kuramoto order
parameter where no time has a phase for every node (fewer than two spikes of some node). Every
variable's attrs state the convention, its parameters and where its series came from.

Adding a measure is one record and its function, here or in your own code::

    import numpy as np
    from neurodyn.analysis.measures import Measure, Option, Output, register_measure

    def mean_level(ctx, states):  # one point's states (samples, n_state) -> one value per output
        return (float(np.mean(ctx.scalar(states))),)

    register_measure(Measure(
        name="mean_level", kind="series", function=mean_level,
        summary="time mean of the scalar series",
        outputs=(Output("mean_level", "time mean of the series", "1", "mean", "time mean",
                        figure="complexity", caption="time mean of the series"),),
    ))

``kind`` is ``series`` (one point at a time from the scalar series ``ctx.scalar(states)``),
``network`` (from the node series ``ctx.nodes(states)``) or ``grid`` (all points at once from
``ctx.grid`` and ``ctx.data``, returning arrays; see :mod:`.lyapunov`). Options are declared
with :class:`Option` and read as ``ctx.options.<name>``. Once registered, the measure is
accepted by :func:`add_measures` and by study configs, listed in the report's tables, and drawn
as a row of the report figure named by ``Output.figure`` with its ``caption``. A built-in
measure goes in its family's module (or a new module imported by this package, which fixes the
registration order).

The registered measures (variables float64 unless said otherwise):

"""

# isort: off
# The import order of the families is the registration order: the order in which measures are
# computed, listed in the report and drawn in its figures.
from .registry import KINDS, MEASURES, OUTPUTS, Measure, Option, Output, register_measure
from . import (  # noqa: F401
    lyapunov,
    period,
    complexity,
    synchrony,
    coexistence,
    spatiotemporal,
    spikes,
    rqa,
)
from .add import COMMON_OPTIONS, DEFAULT_STEPS, add_measures
from .context import Context
from .spikes import stored_spike_trains
from .synchrony import SPIKE_THRESHOLD

# isort: on

__all__ = [
    "COMMON_OPTIONS",
    "DEFAULT_STEPS",
    "KINDS",
    "MEASURES",
    "OUTPUTS",
    "SPIKE_THRESHOLD",
    "Context",
    "Measure",
    "Option",
    "Output",
    "add_measures",
    "measure_table",
    "register_measure",
    "stored_spike_trains",
]


def measure_table() -> str:
    """The registered measures as a reStructuredText list: each measure's kind, summary,
    variables (with units) and options (with defaults)."""
    lines = []
    for m in MEASURES.values():
        outputs = ", ".join(
            f"``{o.name}``" + (f" (+ ``{', '.join(o.dims)}``)" if o.dims else "") + f" [{o.units}]"
            for o in m.outputs
        )
        options = ", ".join(f"``{o.name}`` = {o.default!r}" for o in m.options) or "none"
        lines.append(
            f"- ``{m.name}`` ({m.kind}): {m.summary}. Variables: {outputs}. Options: {options}."
        )
    common = ", ".join(f"``{o.name}`` = {o.default!r}" for o in COMMON_OPTIONS)
    lines.append(f"- Options of every series measure: {common}.")
    return "\n".join(lines) + "\n"


__doc__ = (__doc__ or "") + measure_table()
