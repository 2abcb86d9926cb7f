"""Batched simulation: iterate models over parameter grids x initial states in parallel."""

from .batch import BatchResult, iterate_batch, thread_count
from .kernels import Schedule

__all__ = ["BatchResult", "Schedule", "iterate_batch", "thread_count"]
