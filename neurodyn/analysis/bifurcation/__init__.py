"""Bifurcation analysis of maps and networks of maps.

* Orbit diagrams from many initial conditions and forward/backward sweeps (:mod:`.orbit`).
* Period detection and two-parameter period charts beside Lyapunov charts (:mod:`.periods`).
* Fixed points and period-k cycles, multipliers, stability (:mod:`.fixed_points`).
* One-parameter pseudo-arclength continuation with LP, PD, NS, BP and branch switching at
  period doubling (:mod:`.continuation`).
* Two-parameter continuation of LP, PD and NS curves with codimension-2 points (:mod:`.codim2`).
* A grid detector of the test functions' sign changes over two parameters (:mod:`.grid_detect`).

Figures (:mod:`.plot`, needs the ``viz`` extra): orbit diagrams rasterised with datashader, period
and Lyapunov charts, and the two-parameter diagram with curves and codimension-2 points.

Everything is written against the :class:`~neurodyn.models.Model` interface (maps only), so it
serves catalogued maps and generated networks of maps alike. Results are xarray Datasets
(``Branch.to_dataset()``); store them with :func:`neurodyn.store.write_dataset`.
"""

from .branch import Branch, SpecialPoint
from .codim2 import bifurcation_curve, continue_bifurcation_curve
from .continuation import (
    Cascade,
    ContinuationSettings,
    continue_cycle,
    period_doubling_cascade,
    switch_at_period_doubling,
)
from .derivatives import iterate_forms, map_derivatives
from .fixed_points import (
    classify_multipliers,
    cycle_multipliers,
    find_cycles,
    newton_cycles,
    parameter_vector,
)
from .grid_detect import detect_on_grid, scan_test_functions
from .normal_forms import flip_coefficient, fold_coefficient, neimark_sacker_coefficient
from .orbit import orbit_diagram
from .periods import detect_period, lyapunov_chart, period_chart
from .plot import plot_orbit_diagram, plot_period_chart, plot_two_parameter

__all__ = [
    "Branch",
    "Cascade",
    "ContinuationSettings",
    "SpecialPoint",
    "bifurcation_curve",
    "classify_multipliers",
    "continue_bifurcation_curve",
    "continue_cycle",
    "cycle_multipliers",
    "detect_on_grid",
    "detect_period",
    "find_cycles",
    "flip_coefficient",
    "fold_coefficient",
    "iterate_forms",
    "lyapunov_chart",
    "map_derivatives",
    "neimark_sacker_coefficient",
    "newton_cycles",
    "orbit_diagram",
    "parameter_vector",
    "period_chart",
    "period_doubling_cascade",
    "plot_orbit_diagram",
    "plot_period_chart",
    "plot_two_parameter",
    "scan_test_functions",
    "switch_at_period_doubling",
]
