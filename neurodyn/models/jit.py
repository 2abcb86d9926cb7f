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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from numba import njit

__all__ = ["identity", "stabilise", "stable_jit"]


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
