"""Iterate a model over a batch of (parameter point, initial state) pairs in one call.

:func:`iterate_batch` checks the run (:func:`~.schedule.prepare_batch`), hands it chunk by chunk
to the runner of the chosen backend (:func:`~.schedule.run_in_chunks`) and assembles the result
(:func:`~.schedule.finish_batch`). The ``numba`` runner is defined here: one parallel numba
kernel call per chunk (:mod:`.kernels`).
"""

from __future__ import annotations

import numpy as np

from ..models import Model, compile_model
from ..models.drive import Drive
from ..models.jit import prepare
from .choice import Backend, default_chunk_size, resolve_backend
from .kernels import Outputs, Schedule, iterate_kernel
from .schedule import (
    BatchResult,
    Runner,
    empty_outputs,
    finish_batch,
    prepare_batch,
    register_runner,
    run_in_chunks,
)
from .threads import scoped_threads, thread_count

__all__ = [
    "BatchResult",
    "empty_outputs",
    "finish_batch",
    "iterate_batch",
    "prepare_batch",
    "scoped_threads",
    "thread_count",
]


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
    chunk_size: int | None = None,
    progress: bool = False,
    backend: str = "numba",
    device: str = "auto",
    dtype: str = "float64",
    drive: Drive | None = None,
) -> BatchResult:
    """Iterate ``model`` from ``initial`` (n_state, batch) with ``parameters`` (n_param, batch).

    For a flow one iteration is one integrator step of length ``dt`` (a parameter).

    Runs ``transient`` + ``steps`` iterations per point. The batch is processed in chunks of
    ``chunk_size`` points (default: :func:`~.choice.default_chunk_size` of the device; a
    progress bar counts them when ``progress``); results do not depend on ``chunk_size`` or
    ``threads``. ``bound`` defaults to ``model.bound``.

    ``backend``, ``device``, ``dtype``: the numba kernels (float64, CPU) or the generated torch
    code (:mod:`neurodyn.backends`); ``threads`` sets the CPU threads of either.

    ``drive``: noise and input of a map (:class:`~neurodyn.models.drive.Drive`, one column per
    point of the batch), iterated as :func:`neurodyn.models.noise.drive_step` says.
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
    if choice.backend != "numba" and not (
        isinstance(model, Model) or hasattr(model, "torch_model")
    ):
        raise ValueError(
            f"{model.name!r} has no torch step (it is neither a model built from equations nor "
            f"a network); it runs on the numba backend only, not on {choice.backend}"
        )
    if drive is not None:
        check_drive(model, drive, X.shape[1], transient + steps)
    if chunk_size is None:
        chunk_size = default_chunk_size(choice.device)
    out = run_in_chunks(model, X, P, schedule, choice, threads, chunk_size, progress, drive)
    return finish_batch(X, out, schedule, choice)


def check_drive(model: Model, drive: Drive, batch: int, iterations: int) -> None:
    """ValueError unless ``drive`` fits a map ``model``, ``batch`` points and ``iterations``."""
    if model.kind != "map" or not isinstance(model, Model):
        raise ValueError(
            f"noise and inputs in batch runs apply to maps built from equations; {model.name} is "
            "not one (a network of the network kernel has no noisy step on either backend: "
            "network_model() builds it as equations; trajectory() integrates noisy flows)"
        )
    shapes = {
        "state_noise": (model.n_state, batch),
        "parameter_noise": (len(model.parameters), batch),
        "input_amplitude": (model.n_state, batch),
        "points": (batch,),
        "ics": (batch,),
    }
    for name, shape in shapes.items():
        if getattr(drive, name).shape != shape:
            raise ValueError(f"drive.{name} must have shape {shape}")
    if drive.input_series.shape not in ((1, model.n_state), (iterations, model.n_state)):
        raise ValueError(
            f"drive.input_series must have shape (1 or {iterations}, {model.n_state}), not "
            f"{drive.input_series.shape}"
        )


def _kernel(model: Model, driven: bool):
    compiled = compile_model(model)
    rhs = compiled.rhs if driven else None
    return compiled, iterate_kernel(compiled.advance, compiled.plan is not None, rhs)


def _run_numba_chunk(
    model: Model,
    x: np.ndarray,
    p: np.ndarray,
    schedule: Schedule,
    choice: Backend,
    drive: Drive | None = None,
) -> tuple[np.ndarray, Outputs]:
    """One chunk through the numba kernel (contiguous copies of ``x`` and ``p``)."""
    final = x.copy()
    out = empty_outputs(model.n_state, final.shape[1], schedule)
    compiled, kernel = _kernel(model, drive is not None)
    kernel(final, p.copy(), schedule, compiled.plan, drive, *out)
    return final, out


def _prepare_numba(
    model: Model, schedule: Schedule, out: Outputs, progress: bool, drive: Drive | None = None
) -> None:
    """Compile the numba kernel for ``model`` (or load it from the disk cache), announced on
    stderr when ``progress``."""
    compiled, kernel = _kernel(model, drive is not None)
    empty = np.empty((model.n_state, 0))
    no_parameters = np.empty((len(model.parameters), 0))
    none = None if drive is None else drive.part(slice(0, 0))
    arguments = (empty, no_parameters, schedule, compiled.plan, none, *(a[..., :0] for a in out))
    prepare(kernel, arguments, model.name, notify=progress)


register_runner(Runner("numba", _run_numba_chunk, thread_count, _prepare_numba))
