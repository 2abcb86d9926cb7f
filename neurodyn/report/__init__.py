"""Bifurcation and synchronization reports: an HTML page with PNG figures from the stores of a
two-parameter sweep and a one-parameter orbit diagram.

:func:`write_report` reads a sweep store (:func:`neurodyn.sim.sweep` with the measures of
:data:`MEASURES` added) and an orbit-diagram store, and writes ``report.html`` beside
``figures/``: the orbit diagram, the two-parameter period and Lyapunov charts (with bifurcation
curves where given), synchrony and complexity against each coupling, and phase portraits at
chosen points, with tables of the stored values there and the provenance of the results.
:func:`write_captions` writes the figures' captions as reStructuredText for Snakemake's
``--report``. Command line: ``python -m neurodyn.report SWEEP ORBIT OUT [--config FILE]``.

Needs the ``viz`` extra (matplotlib, datashader, pandas).
"""

from .captions import FIGURES, write_captions
from .config import ReportConfig, load_config
from .report import write_report
from .study import MEASURES, choose_points

__all__ = [
    "FIGURES",
    "MEASURES",
    "ReportConfig",
    "choose_points",
    "load_config",
    "write_captions",
    "write_report",
]
