"""Run-time settings of the torch backend: CPU threads and the default chunk size."""

from __future__ import annotations

import contextlib
import os

import torch

from ..sim.threads import scoped_threads

__all__ = ["default_chunk_size", "torch_threads"]


def torch_threads(threads: int | None) -> contextlib.AbstractContextManager[None]:
    """Run the enclosed torch CPU operations on ``threads`` threads (None: leave as it is)."""
    return scoped_threads(threads, os.cpu_count() or 1, torch.get_num_threads,
                          torch.set_num_threads)


def default_chunk_size(device: str) -> int:
    """Points advanced together by default: on the CPU 65536 (a float64 state row of 512 KiB
    stays in cache), on a GPU 2**21 (enough to fill it; a few hundred MiB for small models)."""
    return 65536 if device == "cpu" else 1 << 21
