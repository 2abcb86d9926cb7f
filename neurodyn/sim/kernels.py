"""The batched iteration kernel, written once for every model (maps and networks of maps).

Layout: states ``X`` have shape ``(n_state, batch)`` and parameters ``P`` shape
``(n_param, batch)`` (structure of arrays), so the innermost loop runs over batch points and
vectorises. The batch is cut into blocks of :data:`BLOCK` points that stay in cache for the whole
run; blocks are distributed over threads with ``prange``. Each point's arithmetic is independent
of every other point's and no fast-math flag is used, so the numbers do not depend on the block,
the chunk or the thread a point lands in.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np
from numba import prange

from ..models.jit import stable_jit
from ..models.noise import drive_step

__all__ = ["BLOCK", "Outputs", "Schedule", "iterate_kernel"]

BLOCK = 512


class Schedule(NamedTuple):
    """What to run and record (all counts in iterations).

    ``transient`` iterations are discarded; then ``steps`` iterations are run, over which the
    reducers (min, max, sum) are taken. The states after the last ``keep`` multiples of ``every``
    counted back from the end are kept. Distinct values of state variable ``distinct_variable``
    are counted over the last ``distinct_window`` iterations, up to ``max_distinct`` (a count of
    ``max_distinct + 1`` means "more"); two values are the same when they differ by at most
    ``distinct_tol * max(1, |value|)``.
    """

    transient: int
    steps: int
    every: int
    keep: int
    distinct_window: int
    distinct_variable: int
    max_distinct: int
    distinct_tol: float
    bound: float


class Outputs(NamedTuple):
    """Arrays the kernel fills: ``kept`` (keep, n_state, batch); ``minimum``, ``maximum``,
    ``total`` (n_state, batch); ``distinct_count`` and ``ok`` (batch,). ``ok`` turns False for
    good once a state value is non-finite or past the bound. ``distinct_values`` is the values
    counted so far, scratch of the backend that needs it whole (torch: (max_distinct, batch));
    the numba kernel keeps them per block of points and is given a (0, batch) array."""

    kept: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    total: np.ndarray
    distinct_values: np.ndarray
    distinct_count: np.ndarray
    ok: np.ndarray


@cache
def iterate_kernel(advance, planned: bool = False, rhs=None):
    """The parallel kernel ``kernel(X, P, schedule, plan, drive, *outputs)`` for a generated
    ``advance``: ``advance(X, P, lo, hi, n, bound, ok)``, or with ``planned``
    ``advance(X, P, lo, hi, n, bound, ok, plan)`` (a network kernel's structure; ``plan`` is
    passed through, None otherwise).

    With ``rhs`` (a generated map ``rhs``) the kernel iterates the noisy, driven map of
    :func:`neurodyn.models.noise.drive_step` with ``drive`` (a :class:`~neurodyn.models.drive.
    Drive`) instead of ``advance``; otherwise ``drive`` is None.

    The output arrays are passed one by one (in the order of :class:`Outputs`): numba's parallel
    loops do not write through arrays held in a namedtuple.
    """
    if rhs is not None:
        noisy = drive_step(rhs)

        @stable_jit(noisy, inline="always")
        def step(X, P, lo, hi, first, n, bound, ok, plan, drive):
            noisy(X, P, lo, hi, first, n, bound, ok, drive)

    elif planned:

        @stable_jit(advance, "planned", inline="always")
        def step(X, P, lo, hi, first, n, bound, ok, plan, drive):
            advance(X, P, lo, hi, n, bound, ok, plan)

    else:

        @stable_jit(advance, inline="always")
        def step(X, P, lo, hi, first, n, bound, ok, plan, drive):
            advance(X, P, lo, hi, n, bound, ok)

    @stable_jit(advance, planned, inline="always")
    def count_distinct(X, lo, hi, s, seen, count):
        """Count the new value of each point ``lo <= i < hi`` against the values it has seen,
        kept in row ``i - lo`` of the block's ``seen`` (point-major: one point's values lie
        together in cache)."""
        for i in range(lo, hi):
            n = count[i]
            if n > s.max_distinct:
                continue
            value = X[s.distinct_variable, i]
            row = i - lo
            found = False
            for j in range(min(n, s.max_distinct)):
                known = seen[row, j]
                if abs(value - known) <= s.distinct_tol * max(1.0, abs(known)):
                    found = True
                    break
            if not found:
                if n < s.max_distinct:
                    seen[row, n] = value
                count[i] = n + 1

    @stable_jit(step, planned, parallel=True)
    def kernel(
        X, P, s, plan, drive, kept, minimum, maximum, total, distinct_values, distinct_count, ok
    ):
        n_state, batch = X.shape
        n_blocks = (batch + BLOCK - 1) // BLOCK
        for b in prange(n_blocks):
            lo = b * BLOCK
            hi = min(lo + BLOCK, batch)
            seen = np.empty((hi - lo if s.distinct_window else 0, s.max_distinct))
            step(X, P, lo, hi, 0, s.transient, s.bound, ok, plan, drive)
            for v in range(n_state):
                for i in range(lo, hi):
                    minimum[v, i] = np.inf
                    maximum[v, i] = -np.inf
                    total[v, i] = 0.0
            for t in range(1, s.steps + 1):
                step(X, P, lo, hi, s.transient + t - 1, 1, s.bound, ok, plan, drive)
                for v in range(n_state):
                    # rows as 1-D views and a loop from 0: vectorises (see models.codegen)
                    Xv, low, high = X[v, lo:hi], minimum[v, lo:hi], maximum[v, lo:hi]
                    sums = total[v, lo:hi]
                    for i in range(hi - lo):
                        value = Xv[i]
                        low[i] = min(low[i], value)
                        high[i] = max(high[i], value)
                        sums[i] += value
                back = s.steps - t
                if back % s.every == 0 and back // s.every < s.keep:
                    slot = s.keep - 1 - back // s.every
                    for v in range(n_state):
                        for i in range(lo, hi):
                            kept[slot, v, i] = X[v, i]
                if back < s.distinct_window:
                    count_distinct(X, lo, hi, s, seen, distinct_count)

    return kernel
