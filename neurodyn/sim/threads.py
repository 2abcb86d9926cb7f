"""Thread counts of the CPU thread pools (numba's here, torch's in :mod:`neurodyn.backends`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numba

__all__ = ["scoped_threads", "thread_count"]


@contextlib.contextmanager
def scoped_threads(
    threads: int | None, limit: int, get: Callable[[], int], set_: Callable[[int], None]
) -> Iterator[None]:
    """Run the enclosed block with a library's thread count (read by ``get``, written by
    ``set_``) at ``threads``, between 1 and ``limit``, and restore it afterwards (None: leave
    it as it is)."""
    if threads is None:
        yield
        return
    if not 1 <= threads <= limit:
        raise ValueError(f"threads must be between 1 and {limit}, not {threads}")
    previous = get()
    set_(threads)
    try:
        yield
    finally:
        set_(previous)


def thread_count(threads: int | None) -> contextlib.AbstractContextManager[None]:
    """Run the enclosed numba kernels on ``threads`` threads (None: leave as it is)."""
    return scoped_threads(threads, numba.config.NUMBA_NUM_THREADS, numba.get_num_threads,
                          numba.set_num_threads)
