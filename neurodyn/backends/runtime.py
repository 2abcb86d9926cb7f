"""Run-time settings of the torch backend: CPU threads and the default chunk size."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

__all__ = ["default_chunk_size", "torch_threads"]


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the enclosed torch CPU operations on ``threads`` threads (None: leave as it is)."""
    if threads is None:
        yield
        return
    cores = os.cpu_count() or 1
    if not 1 <= threads <= cores:
        raise ValueError(f"threads must be between 1 and {cores}, not {threads}")
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def default_chunk_size(device: str) -> int:
    """Points advanced together by default: on the CPU 65536 (a float64 state row of 512 KiB
    stays in cache), on a GPU 2**21 (enough to fill it; a few hundred MiB for small models)."""
    return 65536 if device == "cpu" else 1 << 21
