"""Iterate a model over a batch of (parameter point, initial state) pairs in one numba call."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numba
import numpy as np

from ..backends import Backend, resolve_backend
from ..models import Model, compile_model
from .kernels import Outputs, Schedule, iterate_kernel

__all__ = [
    "BatchResult",
    "empty_outputs",
    "finish_batch",
    "iterate_batch",
    "prepare_batch",
    "scoped_threads",
    "thread_count",
]


@dataclass
class BatchResult:
    """Results of :func:`iterate_batch`; arrays have the batch as their last axis.

    ``final`` (n_state, batch) is the state after the last iteration; ``kept`` (keep, n_state,
    batch) the kept states, oldest first, at iterations ``kept_iterations``; ``minimum``,
    ``maximum``, ``mean`` (n_state, batch) over the ``steps`` iterations after the transient;
    ``distinct`` (batch,) the distinct-value count (see :class:`~.kernels.Schedule`);
    ``diverged`` (batch,) True where a state became non-finite or left ``[-bound, bound]``.
    Every array entry of a diverged point is NaN (``distinct`` is -1). ``backend`` says what
    computed it (float32 results are returned as float64 arrays).
    """

    final: np.ndarray
    kept: np.ndarray
    kept_iterations: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    mean: np.ndarray
    distinct: np.ndarray
    diverged: np.ndarray
    schedule: Schedule
    backend: Backend = Backend("numba", "cpu", "float64")


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


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, not {value!r}")


def iterate_batch(
    model: Model,
    initial: np.ndarray,
    parameters: np.ndarray,
    *,
    steps: int,
    transient: int = 0,
    every: int = 1,
    keep: int = 0,
    distinct_window: int = 0,
    distinct_variable: int = 0,
    max_distinct: int = 64,
    distinct_tol: float = 1e-6,
    bound: float | None = None,
    threads: int | None = None,
    chunk_size: int = 65536,
    progress: bool = False,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
) -> BatchResult:
    """Iterate ``model`` from ``initial`` (n_state, batch) with ``parameters`` (n_param, batch).

    For a flow one iteration is one integrator step of length ``dt`` (a parameter).

    Runs ``transient`` + ``steps`` iterations per point. The batch is processed in chunks of
    ``chunk_size`` points (a progress bar counts them when ``progress``); results do not depend
    on ``chunk_size`` or ``threads``. ``bound`` defaults to ``model.bound``.

    ``backend``, ``device``, ``dtype``: the numba kernels (float64, CPU) or the generated torch
    code (:mod:`neurodyn.backends`); ``threads`` sets the CPU threads of either.
    """
    choice = resolve_backend(backend, device, dtype)
    X, P, schedule = prepare_batch(
        model,
        initial,
        parameters,
        steps=steps,
        transient=transient,
        every=every,
        keep=keep,
        distinct_window=distinct_window,
        distinct_variable=distinct_variable,
        max_distinct=max_distinct,
        distinct_tol=distinct_tol,
        bound=bound,
    )
    if choice.backend == "torch":
        from ..backends.torch_batch import run_torch

        out = run_torch(model, X, P, schedule, choice, threads, chunk_size, progress)
    else:
        out = _run_numba(model, X, P, schedule, threads, chunk_size, progress)
    return finish_batch(X, out, schedule, choice)


def prepare_batch(
    model: Model,
    initial: np.ndarray,
    parameters: np.ndarray,
    *,
    steps: int,
    transient: int,
    every: int,
    keep: int,
    distinct_window: int,
    distinct_variable: int,
    max_distinct: int,
    distinct_tol: float,
    bound: float | None,
) -> tuple[np.ndarray, np.ndarray, Schedule]:
    """Checked float64 copies of ``initial`` and ``parameters`` and the :class:`Schedule` of a
    batch run (the arguments as in :func:`iterate_batch`)."""
    _check_counts(steps=steps, transient=transient, keep=keep, distinct_window=distinct_window)
    if every < 1:
        raise ValueError(f"every must be a positive integer, not {every!r}")
    if keep > steps // every + (1 if steps % every else 0) and keep > 0:
        raise ValueError(f"keep={keep} states at stride every={every} need more than {steps} steps")
    if distinct_window > steps:
        raise ValueError(f"distinct_window={distinct_window} is longer than steps={steps}")
    if not 0 <= distinct_variable < model.n_state:
        raise ValueError(f"distinct_variable must index one of {model.state_names}")
    X = np.array(initial, dtype=np.float64, order="C")
    P = np.ascontiguousarray(parameters, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != model.n_state:
        raise ValueError(f"initial must have shape ({model.n_state}, batch), not {X.shape}")
    if P.shape != (len(model.parameters), X.shape[1]):
        raise ValueError(f"parameters must have shape ({len(model.parameters)}, {X.shape[1]})")
    if not np.all(np.isfinite(X)):
        raise ValueError("initial states contain NaN or inf")
    schedule = Schedule(
        transient=int(transient),
        steps=int(steps),
        every=int(every),
        keep=int(keep),
        distinct_window=int(distinct_window),
        distinct_variable=int(distinct_variable),
        max_distinct=int(max_distinct),
        distinct_tol=float(distinct_tol),
        bound=float(model.bound if bound is None else bound),
    )
    return X, P, schedule


def empty_outputs(n_state: int, batch: int, schedule: Schedule) -> Outputs:
    """The output arrays of a batch run, initialised as the kernels expect."""
    return Outputs(
        kept=np.full((schedule.keep, n_state, batch), np.nan),
        minimum=np.empty((n_state, batch)),
        maximum=np.empty((n_state, batch)),
        total=np.empty((n_state, batch)),
        distinct_values=np.zeros((0, batch)),
        distinct_count=np.zeros(batch, dtype=np.int64),
        ok=np.ones(batch, dtype=np.bool_),
    )


def _run_numba(
    model: Model,
    X: np.ndarray,
    P: np.ndarray,
    schedule: Schedule,
    threads: int | None,
    chunk_size: int,
    progress: bool,
) -> Outputs:
    """Run the numba kernel chunk by chunk; ``X`` becomes the final states."""
    batch = X.shape[1]
    out = empty_outputs(model.n_state, batch, schedule)
    kernel = iterate_kernel(compile_model(model).advance)
    starts = range(0, batch, max(1, int(chunk_size)))
    from tqdm.auto import tqdm  # imported here: it looks for a notebook, slowly

    with thread_count(threads):
        for start in tqdm(starts, desc=model.name, unit="chunk", disable=not progress):
            part = slice(start, min(start + chunk_size, batch))
            chunk = Outputs(*(a[..., part].copy() for a in out))
            x = X[:, part].copy()
            kernel(x, P[:, part].copy(), schedule, *chunk)
            for whole, piece in zip(out, chunk, strict=True):
                whole[..., part] = piece
            X[:, part] = x
    return out


def finish_batch(X: np.ndarray, out: Outputs, schedule: Schedule, choice: Backend) -> BatchResult:
    """The :class:`BatchResult` from final states ``X`` and filled outputs: mean from the sum,
    NaN (and distinct -1) at diverged points, kept iterations."""
    n, batch = X.shape
    diverged = ~out.ok
    mean = out.total / schedule.steps if schedule.steps else np.full((n, batch), np.nan)
    distinct = out.distinct_count.copy()
    for array in (X, out.kept, out.minimum, out.maximum, mean):
        array[..., diverged] = np.nan
    distinct[diverged] = -1
    if schedule.steps == 0:
        out.minimum[:] = np.nan
        out.maximum[:] = np.nan
    last = schedule.transient + schedule.steps
    kept_iterations = last - schedule.every * np.arange(schedule.keep)[::-1]
    return BatchResult(
        final=X,
        kept=out.kept,
        kept_iterations=kept_iterations,
        minimum=out.minimum,
        maximum=out.maximum,
        mean=mean,
        distinct=distinct,
        diverged=diverged,
        schedule=schedule,
        backend=choice,
    )
