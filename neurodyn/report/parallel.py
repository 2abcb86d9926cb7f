"""Drawing a report's figures in several processes.

A report's figures are independent matplotlib drawings of Datasets already open in the parent
process. :func:`draw_all` runs them in forked worker processes, which inherit the open stores
and the imported plotting libraries, so a worker starts in milliseconds and nothing is pickled
but the figure's path. Each figure is drawn by the same code as in one process, so the files
are the same for any number of workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

__all__ = ["draw_all"]

_PENDING: list[Callable[[], Path | None]] = []  # the calls, inherited by forked workers


def _draw(index: int) -> Path | None:
    return _PENDING[index]()


def draw_all(calls: Sequence[Callable[[], Path | None]], workers: int = 1) -> list[Path | None]:
    """The results of ``calls`` (each draws one figure and returns its path, or None), in
    order; in ``workers`` forked processes when more than one (and the platform forks), else
    here one after the other."""
    workers = min(int(workers), len(calls))
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [call() for call in calls]
    _PENDING[:] = calls
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return list(pool.map(_draw, range(len(calls))))
    finally:
        _PENDING.clear()
