"""The batched iteration with streaming reducers, in torch (CPU or CUDA, float64 or float32).

The same schedule and outputs as the numba kernel (:mod:`neurodyn.sim.kernels`): ``transient``
iterations, then ``steps`` iterations over which min, max and the sum are taken, the states at
the last ``keep`` multiples of ``every`` counted back from the end kept, distinct values of one
state variable counted over the last ``distinct_window`` iterations (two values are the same
when they differ by at most ``distinct_tol * max(1, |known|)``; a count of ``max_distinct + 1``
means more), and ``ok`` cleared for good at the first iteration with a state value that is NaN,
inf or past ``bound`` in magnitude. Every point is independent, so results do not depend on the
chunking. The whole batch of a chunk advances together: a Python loop over iterations, each one a
few whole-tensor operations (no host synchronisation inside the loop). With a noise and input
``drive`` each iteration is the noisy, driven map step of :mod:`.torch_noise`, drawing the same
counter-based normals as the numba kernel.
"""

from __future__ import annotations

import numpy as np
import torch

from ..models import Model
from ..models.drive import Drive
from ..sim.choice import Backend
from ..sim.kernels import Outputs, Schedule
from ..sim.schedule import Runner, kept_slot, register_runner
from .runtime import torch_threads
from .torch_model import torch_model
from .torch_noise import DriveStep

__all__ = ["count_distinct", "run_torch_chunk"]


def count_distinct(value: torch.Tensor, values: torch.Tensor, count: torch.Tensor, s: Schedule):
    """Add ``value`` (batch,) to each point's list of distinct values ``values``
    (max_distinct, batch) and count ``count`` (batch,), in place (convention: module docstring)."""
    limit = s.max_distinct
    if limit == 0:
        count += count == 0
        return
    slots = torch.arange(limit, device=value.device)[:, None]
    close = (value - values).abs() <= s.distinct_tol * torch.clamp(values.abs(), min=1.0)
    found = (close & (slots < count)).any(0)
    new = (count <= limit) & ~found
    position = count.clamp(max=limit - 1)[None]
    current = values.gather(0, position)
    values.scatter_(0, position, torch.where((new & (count < limit))[None], value, current))
    count += new


def _run_chunk(
    model: Model, X: torch.Tensor, P: torch.Tensor, s: Schedule, drive: Drive | None
) -> tuple:
    """Advance ``X`` through the schedule; returns the final state and the filled outputs."""
    if drive is None:
        plain = torch_model(model).step

        def step(X: torch.Tensor, P: torch.Tensor, t: int) -> torch.Tensor:
            return plain(X, P)
    else:
        step = DriveStep(torch_model(model).equations, drive, X)
    n, batch = X.shape
    options = {"dtype": X.dtype, "device": X.device}
    ok = torch.ones(batch, dtype=torch.bool, device=X.device)
    for t in range(s.transient):
        X = step(X, P, t)
        ok &= (X.abs() <= s.bound).all(0)
    minimum = torch.full((n, batch), torch.inf, **options)
    maximum = torch.full((n, batch), -torch.inf, **options)
    total = torch.zeros((n, batch), **options)
    kept = torch.full((s.keep, n, batch), torch.nan, **options)
    distinct_values = torch.zeros((s.max_distinct, batch), **options)
    distinct_count = torch.zeros(batch, dtype=torch.int64, device=X.device)
    for t in range(1, s.steps + 1):
        X = step(X, P, s.transient + t - 1)
        ok &= (X.abs() <= s.bound).all(0)
        torch.minimum(minimum, X, out=minimum)
        torch.maximum(maximum, X, out=maximum)
        total += X
        slot = kept_slot(t, s)
        if slot is not None:
            kept[slot] = X
        if s.steps - t < s.distinct_window:
            count_distinct(X[s.distinct_variable], distinct_values, distinct_count, s)
    seen = distinct_values[:0]  # scratch: not returned (see Outputs)
    return X, Outputs(kept, minimum, maximum, total, seen, distinct_count, ok)


def run_torch_chunk(
    model: Model,
    x: np.ndarray,
    p: np.ndarray,
    schedule: Schedule,
    choice: Backend,
    drive: Drive | None = None,
) -> tuple[np.ndarray, Outputs]:
    """One chunk (float64 numpy) through the schedule on ``choice``'s device and dtype; the
    final states and outputs come back as float64 numpy arrays (the runner of the ``torch``
    backend, :func:`neurodyn.sim.schedule.run_in_chunks`)."""
    options = {"dtype": getattr(torch, choice.dtype), "device": choice.device}
    with torch.no_grad():
        final, chunk = _run_chunk(
            model, torch.as_tensor(x, **options), torch.as_tensor(p, **options), schedule, drive
        )
        out = Outputs(*(piece.cpu().numpy() for piece in chunk))
        return final.cpu().numpy(), out


register_runner(Runner("torch", run_torch_chunk, torch_threads))
