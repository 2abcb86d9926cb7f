"""Run-time settings of the torch backend: CPU threads. (Chunk sizes follow the one policy of
:func:`neurodyn.sim.choice.default_chunk_size`.)"""

from __future__ import annotations

import contextlib
import os

import torch

from ..sim.threads import scoped_threads

__all__ = ["torch_threads"]


def torch_threads(threads: int | None) -> contextlib.AbstractContextManager[None]:
    """Run the enclosed torch CPU operations on ``threads`` threads (None: leave as it is)."""
    return scoped_threads(threads, os.cpu_count() or 1, torch.get_num_threads,
                          torch.set_num_threads)


