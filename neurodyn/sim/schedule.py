"""The batch schedule shared by every backend: checking a run, its output arrays, the chunk
loop, the kept slots and the result, and the registry of backend runners.

A backend is a *runner* ``run_chunk(model, x, p, schedule, choice, drive) -> (final, outputs)``
that advances one chunk (float64 numpy arrays ``x`` (n_state, chunk) and ``p`` (n_param, chunk),
and the chunk's noise and input ``drive``, a :class:`~neurodyn.models.drive.Drive` or None)
through the :class:`~.kernels.Schedule` and returns its final states and filled
:class:`~.kernels.Outputs` as float64 numpy arrays, with a ``threads(n)`` context for its CPU
threads. :func:`run_in_chunks` cuts the batch into chunks for it; :func:`prepare_batch` and
:func:`finish_batch` are the same for all. Runners are registered by name
(:func:`register_runner`); the built-in ``numba`` runner by :mod:`.batch`, ``torch`` by
:mod:`neurodyn.backends.torch_batch`, loaded when first asked for (it builds on this package).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..models import Model
from ..models.drive import Drive
from .choice import Backend
from .kernels import Outputs, Schedule

__all__ = [
    "BUILTIN_RUNNER_MODULES",
    "MAX_COUNT",
    "BatchResult",
    "Runner",
    "check_schedule",
    "empty_outputs",
    "finish_batch",
    "kept_slot",
    "prepare_batch",
    "register_runner",
    "run_in_chunks",
    "runner",
]


@dataclass
class BatchResult:
    """Results of :func:`~.batch.iterate_batch`; arrays have the batch as their last axis.

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


#: largest iteration count or stride the kernels take (their counters are int64)
MAX_COUNT = int(np.iinfo(np.int64).max)


def _check_counts(**counts: int) -> None:
    for name, value in counts.items():
        integral = isinstance(value, int | np.integer) and not isinstance(value, bool)
        if not integral or not 0 <= value <= MAX_COUNT:
            raise ValueError(f"{name} must be an integer between 0 and {MAX_COUNT}, not {value!r}")


def check_schedule(
    *, steps: int, transient: int, keep: int, every: int, bound: float | None
) -> None:
    """Raise ValueError naming the value for counts that are not integers in ``[0, MAX_COUNT]``
    (``every`` at least 1, ``transient + steps`` within ``MAX_COUNT``) and for a ``bound`` that
    is not a positive number (NaN, zero or negative would flag every point as diverged)."""
    _check_counts(steps=steps, transient=transient, keep=keep, every=every)
    if every < 1:
        raise ValueError(f"every must be a positive integer, not {every!r}")
    if transient + steps > MAX_COUNT:
        raise ValueError(f"transient + steps = {transient + steps} exceeds {MAX_COUNT}")
    if bound is not None and not (isinstance(bound, int | float | np.number) and bound > 0):
        raise ValueError(f"bound must be a positive number (inf: none), not {bound!r}")


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
    batch run (the arguments as in :func:`~.batch.iterate_batch`)."""
    check_schedule(steps=steps, transient=transient, keep=keep, every=every, bound=bound)
    _check_counts(distinct_window=distinct_window)
    if keep > steps // every + (1 if steps % every else 0) and keep > 0:
        raise ValueError(
            f"keep={keep} states at stride every={every} do not fit in the {steps} iterations "
            f"after transient={transient}"
        )
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


def kept_slot(t: int, s: Schedule) -> int | None:
    """The slot of ``kept`` that the state after iteration ``t`` (1..steps, after the
    transient) goes to, or None: the last ``keep`` multiples of ``every`` counted back from the
    end, oldest first. (The numba kernel computes the same inline.)"""
    back = s.steps - t
    if back % s.every == 0 and back // s.every < s.keep:
        return s.keep - 1 - back // s.every
    return None


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


RunChunk = Callable[
    [Model, np.ndarray, np.ndarray, Schedule, Backend, Drive | None], tuple[np.ndarray, Outputs]
]


@dataclass(frozen=True)
class Runner:
    """A backend's batch runner: ``run_chunk`` (see the module docstring), ``threads``, the
    context manager setting its CPU threads, and optionally ``prepare(model, schedule, out,
    progress, drive)``, which compiles (or loads) the backend's kernel before the chunks run,
    so that the progress bar counts the chunks only."""

    name: str
    run_chunk: RunChunk
    threads: Callable[[int | None], contextlib.AbstractContextManager[None]]
    prepare: Callable[[Model, Schedule, Outputs, bool, Drive | None], None] | None = None


BUILTIN_RUNNER_MODULES = {"torch": "neurodyn.backends.torch_batch"}
"""Modules that register a built-in runner when imported, by backend name."""

_RUNNERS: dict[str, Runner] = {}


def register_runner(runner_: Runner) -> Runner:
    """Register a backend's runner under its name (replacing one of the same name)."""
    _RUNNERS[runner_.name] = runner_
    return runner_


def runner(name: str) -> Runner:
    """The runner of backend ``name`` (its module imported first if it is a built-in one)."""
    if name not in _RUNNERS and name in BUILTIN_RUNNER_MODULES:
        importlib.import_module(BUILTIN_RUNNER_MODULES[name])
    if name not in _RUNNERS:
        raise ValueError(f"no runner registered for backend {name!r} ({', '.join(_RUNNERS)})")
    return _RUNNERS[name]


def run_in_chunks(
    model: Model,
    X: np.ndarray,
    P: np.ndarray,
    schedule: Schedule,
    choice: Backend,
    threads: int | None,
    chunk_size: int,
    progress: bool,
    drive: Drive | None = None,
) -> Outputs:
    """Run ``schedule`` for states ``X`` and parameters ``P`` (and the noise and input
    ``drive``) chunk by chunk with the runner of ``choice``; returns the outputs and overwrites
    ``X`` with the final states. Points are independent and each draws its noise by its own
    counter, so the results do not depend on ``chunk_size``."""
    run = runner(choice.backend)
    batch = X.shape[1]
    out = empty_outputs(model.n_state, batch, schedule)
    starts = range(0, batch, max(1, int(chunk_size)))
    if run.prepare is not None:
        run.prepare(model, schedule, out, progress, drive)
    from tqdm.auto import tqdm  # imported here: it looks for a notebook, slowly

    with run.threads(threads):
        for start in tqdm(starts, desc=model.name, unit="chunk", disable=not progress):
            part = slice(start, min(start + chunk_size, batch))
            piece_drive = None if drive is None else drive.part(part)
            final, chunk = run.run_chunk(
                model, X[:, part], P[:, part], schedule, choice, piece_drive
            )
            for whole, piece in zip(out, chunk, strict=True):
                whole[..., part] = piece
            X[:, part] = final
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
