"""Timing shared by the benchmark scripts (run as ``python tests/benchmarks/bench_*.py``, so
this folder is on ``sys.path``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def best_time(function: Callable[[], T], repeats: int) -> tuple[float, T]:
    """Smallest wall time in seconds over ``repeats`` calls, and the value of the last call."""
    best, value = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value
