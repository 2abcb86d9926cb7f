"""Compiled kernels that persist between processes.

numba caches a compiled function on disk (``cache=True``) under a key that includes the pickled
contents of its closure. The kernels here are closures over generated functions (a model's
``advance``, its Jacobian), and a numba dispatcher pickles with a random per-process identity, so
such a cache would never be hit again: every new process (each Snakemake job, each ``neurodyn``
command) would compile the same kernel anew, for tens of seconds.

:func:`stable_jit` gives a dispatcher an identity derived from what defines it (the generated
source, or the identities of the functions a kernel closes over) instead. The cache key still
contains every closed-over function's code, pickled by value, so changed code misses the cache
and is compiled afresh; the identity only makes equal code hit it. Caches live in numba's usual
place (``__pycache__`` beside the source, or ``NUMBA_CACHE_DIR``).

:func:`prepare` compiles a kernel for the arguments of its coming call before the call (or loads
it from the disk cache) and, when asked, says so on stderr with the time it took, so that a
progress bar that follows measures the work only.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Sequence

from numba import njit, typeof

__all__ = ["identity", "prepare", "stabilise", "stable_jit"]


def identity(*parts: object) -> str:
    """A stable identity from strings, numbers and dispatchers (by their own identities)."""
    text = "\x1f".join(
        str(part._uuid) if hasattr(part, "_uuid") else repr(part) for part in parts
    )
    return "neurodyn-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def stabilise(obj, *key: object):
    """Give a dispatcher or an ``@intrinsic`` the identity of ``key``; returns ``obj``.

    Must run before anything reads the object's identity (right after its definition).
    """
    obj._set_uuid(identity(*key))
    return obj


def stable_jit(*key: object, cache: bool = True, **options: object) -> Callable:
    """``numba.njit(**options)`` with a dispatcher identity from ``key`` and the function name.

    The identity also goes into the function's qualified name, so that the symbols of two
    kernels compiled in different processes never collide when both are loaded from the cache
    into one (numba names a parallel kernel's inner functions after it).

    ``cache=False`` for functions without a source file (generated with ``exec``): they cannot
    be cached themselves, but kernels that call them can.
    """

    def wrap(py_func: Callable):
        name = identity(*key, py_func.__module__, py_func.__qualname__)
        py_func.__qualname__ = f"{py_func.__qualname__}_{name[-12:]}"
        dispatcher = njit(cache=cache, **options)(py_func)
        return stabilise(dispatcher, name)

    return wrap


def prepare(dispatcher, args: Sequence[object], label: str, notify: bool = False) -> None:
    """Compile ``dispatcher`` for the types of ``args`` now, or load it from numba's disk cache.

    With ``notify``, a kernel not yet ready in this process is announced on stderr (``label:
    preparing numba kernels ...``) and followed by how it was made ready (compiled, or loaded
    from the disk cache) and the seconds it took. Compiling takes seconds to a minute per
    model and kernel; a cached kernel loads in about a second.
    """
    signature = tuple(typeof(arg) for arg in args)
    if not notify or signature in dispatcher.overloads:
        dispatcher.compile(signature)
        return
    hits = sum(dispatcher.stats.cache_hits.values())
    sys.stderr.write(f"{label}: preparing numba kernels (compiled once, then cached on disk) ...")
    sys.stderr.flush()
    start = time.perf_counter()
    dispatcher.compile(signature)
    how = "loaded from the disk cache" if sum(dispatcher.stats.cache_hits.values()) > hits else (
        "compiled"
    )
    sys.stderr.write(f" {how} in {time.perf_counter() - start:.1f} s\n")
    sys.stderr.flush()
