"""Analyses of neurodyn's models and sweeps.

Chaos and complexity (:mod:`.lyapunov`, :mod:`.rosenstein`, :mod:`.chaos01`, :mod:`.entropy`),
synchronization (:mod:`.sync`), bifurcation analysis (:mod:`.bifurcation`), and
:func:`add_measures`, which adds any of :data:`MEASURES` (the measure registry,
:mod:`.measures`) to a sweep Dataset or Zarr store.
"""

from .measures import MEASURES, Measure, Option, Output, add_measures, register_measure

__all__ = ["MEASURES", "Measure", "Option", "Output", "add_measures", "register_measure"]
