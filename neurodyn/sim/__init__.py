"""Batched simulation: iterate models over parameter grids x initial states in parallel."""

from .batch import BatchResult, iterate_batch, thread_count
from .grid import SweepSpecError, grid_batch, parse_assignment, parse_axis
from .kernels import Schedule
from .sweep import initial_states, sweep

__all__ = [
    "BatchResult",
    "Schedule",
    "SweepSpecError",
    "grid_batch",
    "initial_states",
    "iterate_batch",
    "parse_assignment",
    "parse_axis",
    "sweep",
    "thread_count",
]
