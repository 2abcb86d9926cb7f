"""Jacobians of a model's autonomous (closed-loop) map by automatic differentiation."""

from __future__ import annotations

import torch

from .base import SequenceModel

__all__ = ["closed_loop_jacobians"]


def closed_loop_jacobians(
    model: SequenceModel, states: torch.Tensor, dt: float = 1.0, chunk: int = 4096
) -> torch.Tensor:
    """``d h' / d h`` of ``h' = model.closed_loop_step(h)`` at each row of ``states``
    (``(n, state_dim)``): ``(n, state_dim, state_dim)``, row index = output variable.

    One reverse pass per state variable over a chunk of states (rows do not interact), so any
    model works, including those with custom autograd functions.
    """
    blocks = []
    prepared = model.prepare()
    for start in range(0, states.shape[0], chunk):
        h = states[start : start + chunk].detach().requires_grad_(True)
        with torch.enable_grad():
            out = model.closed_loop_step(h, dt, prepared)
            rows = [
                torch.autograd.grad(out[:, i].sum(), h, retain_graph=True)[0]
                for i in range(out.shape[1])
            ]
        blocks.append(torch.stack(rows, dim=1))
    return torch.cat(blocks).detach()
