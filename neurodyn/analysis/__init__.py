"""Analyses of neurodyn's models and sweeps.

Chaos and complexity (:mod:`.lyapunov`, :mod:`.rosenstein`, :mod:`.chaos01`, :mod:`.entropy`),
synchronization (:mod:`.sync`), bifurcation analysis (:mod:`.bifurcation`), and
:func:`add_measures`, which adds any of :data:`MEASURES` to a sweep Dataset or Zarr store.
"""

from .measures import MEASURES, add_measures

__all__ = ["MEASURES", "add_measures"]
