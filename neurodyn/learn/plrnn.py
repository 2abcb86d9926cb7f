"""Piecewise-linear RNNs for dynamical-systems reconstruction, and their symbolic codes.

All three map a latent state ``z`` (``latent`` variables) with an identity observation: the
first ``obs_dim`` latent variables are the (normalised) observations, so forcing replaces or
interpolates exactly those variables (Hess et al., ICML 2023). ``A`` is diagonal.

* PLRNN (Durstewitz, PLoS Comput. Biol. 2017; Koppe et al., PLoS Comput. Biol. 2019):
  ``z' = A z + W relu(z) + h``, ``W`` with zero diagonal.
* shallow PLRNN, shPLRNN (Hess, Monfared, Brenner, Durstewitz, ICML 2023):
  ``z' = A z + W1 relu(W2 z + h2) + h1`` with ``hidden`` ReLU units.
* almost-linear RNN, AL-RNN (Brenner, Hemmer, Monfared, Durstewitz, NeurIPS 2024):
  ``z' = A z + W phi(z) + h``, ``phi`` the identity on the first ``latent - relu_units``
  variables and a ReLU on the last ``relu_units``.

Each is linear within a region fixed by the signs of its ReLU arguments. The *symbolic code*
of a state is that sign pattern read as a binary number (bit ``k`` set when ReLU ``k`` is
active): a trajectory becomes a sequence of linear subregions (Brenner et al. 2024).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ..run_lengths import renamed_keywords
from .base import SequenceModel

__all__ = ["ALRNN", "PLRNN", "ShallowPLRNN", "symbolic_code", "symbolic_sequence"]


class _IdentityObserved(SequenceModel):
    """Latent models whose first ``obs_dim`` variables are the observations."""

    def _init_latent(self, latent: int, a_init: float) -> None:
        if int(latent) < self.obs_dim:
            raise ValueError(f"latent must be at least obs_dim = {self.obs_dim}, got {latent}")
        self.latent = self.state_dim = int(latent)
        self.A = nn.Parameter(torch.full((self.latent,), float(a_init)))
        self.h = nn.Parameter(torch.zeros(self.latent))

    def _with_input(self, p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([p, z[:, self.obs_dim :]], dim=1)

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        return h[..., : self.obs_dim]

    def relu_arguments(self, z: torch.Tensor) -> torch.Tensor:
        """The arguments of the ReLUs, ``(batch, n_relu)``; their signs give the subregion."""
        raise NotImplementedError


class PLRNN(_IdentityObserved):
    """``z' = A z + W relu(z) + h`` (Durstewitz 2017; Koppe et al. 2019)."""

    kind = "plrnn"
    source = "D. Durstewitz, PLoS Comput. Biol. 13, e1005542 (2017); Koppe et al., PLoS CB (2019)"

    def __init__(self, obs_dim: int, latent: int = 16, a_init: float = 0.95, w_scale: float = 0.1):
        super().__init__(obs_dim, {"latent": int(latent), "a_init": a_init, "w_scale": w_scale})
        self._init_latent(latent, a_init)
        self.W = nn.Parameter(torch.randn(self.latent, self.latent) * w_scale / np.sqrt(latent))
        self.register_buffer("off_diagonal", 1.0 - torch.eye(self.latent))

    def step(self, p: torch.Tensor, h: torch.Tensor, dt: Any = 1.0, prepared: Any = None):
        z = self._with_input(p, h)
        return z * self.A + torch.relu(z) @ (self.W * self.off_diagonal).T + self.h

    def relu_arguments(self, z: torch.Tensor) -> torch.Tensor:
        return z


class ShallowPLRNN(_IdentityObserved):
    """``z' = A z + W1 relu(W2 z + h2) + h1`` (Hess et al., ICML 2023)."""

    kind = "shplrnn"
    source = (
        "F. Hess, Z. Monfared, M. Brenner, D. Durstewitz, Generalized teacher forcing for "
        "learning chaotic dynamics, ICML 2023"
    )

    def __init__(
        self,
        obs_dim: int,
        latent: int = 3,
        hidden: int = 32,
        a_init: float = 0.95,
        w_scale: float = 0.1,
    ):
        super().__init__(
            obs_dim,
            {"latent": int(latent), "hidden": int(hidden), "a_init": a_init, "w_scale": w_scale},
        )
        if int(hidden) < 1:
            raise ValueError(f"hidden must be a positive integer, got {hidden}")
        self._init_latent(latent, a_init)
        self.hidden = int(hidden)
        self.W1 = nn.Parameter(torch.randn(self.latent, self.hidden) * w_scale / np.sqrt(hidden))
        self.W2 = nn.Parameter(torch.randn(self.hidden, self.latent) / np.sqrt(latent))
        self.h2 = nn.Parameter(torch.randn(self.hidden) * 0.5)

    def step(self, p: torch.Tensor, h: torch.Tensor, dt: Any = 1.0, prepared: Any = None):
        z = self._with_input(p, h)
        return z * self.A + torch.relu(self.relu_arguments(z)) @ self.W1.T + self.h

    def relu_arguments(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.W2.T + self.h2


class ALRNN(_IdentityObserved):
    """``z' = A z + W phi(z) + h`` with ``relu_units`` ReLUs (Brenner et al., NeurIPS 2024)."""

    kind = "alrnn"
    source = (
        "M. Brenner, C. J. Hemmer, Z. Monfared, D. Durstewitz, Almost-linear RNNs yield highly "
        "interpretable symbolic codes in dynamical systems reconstruction, NeurIPS 2024"
    )

    def __init__(
        self,
        obs_dim: int,
        latent: int = 16,
        relu_units: int = 4,
        a_init: float = 0.95,
        w_scale: float = 0.1,
    ):
        super().__init__(
            obs_dim,
            {
                "latent": int(latent),
                "relu_units": int(relu_units),
                "a_init": a_init,
                "w_scale": w_scale,
            },
        )
        self._init_latent(latent, a_init)
        if not 0 <= int(relu_units) <= self.latent:
            raise ValueError(f"relu_units must be between 0 and latent = {latent}")
        self.relu_units = int(relu_units)
        self.W = nn.Parameter(torch.randn(self.latent, self.latent) * w_scale / np.sqrt(latent))

    def step(self, p: torch.Tensor, h: torch.Tensor, dt: Any = 1.0, prepared: Any = None):
        z = self._with_input(p, h)
        split = self.latent - self.relu_units
        phi = torch.cat([z[:, :split], torch.relu(z[:, split:])], dim=1)
        return z * self.A + phi @ self.W.T + self.h

    def relu_arguments(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, self.latent - self.relu_units :]


def symbolic_code(model: _IdentityObserved, states: torch.Tensor | np.ndarray) -> np.ndarray:
    """Integer code of the linear subregion of each state ``(T, latent)``: bit ``k`` is set when
    ReLU ``k``'s argument is positive. Needs at most 62 ReLUs."""
    z = torch.as_tensor(np.asarray(states), dtype=model.A.dtype, device=model.A.device)
    with torch.no_grad():
        active = (model.relu_arguments(z) > 0).cpu().numpy()
    if active.shape[1] > 62:
        raise ValueError(f"{active.shape[1]} ReLUs do not fit a 64-bit code (at most 62)")
    weights = np.left_shift(np.int64(1), np.arange(active.shape[1], dtype=np.int64))
    return active.astype(np.int64) @ weights


@torch.no_grad()
@renamed_keywords(n_steps="steps")
def symbolic_sequence(
    model: _IdentityObserved, warmup: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-loop latent trajectory after ``warmup`` (raw observations, teacher-forced) and its
    symbolic codes: ``(states (steps, latent), codes (steps,))``."""
    _, z = model.forward(model.normalise(model._tensor(warmup))[None])
    states = []
    for _ in range(int(steps)):
        z = model.closed_loop_step(z)
        states.append(z[0])
    states = torch.stack(states)
    return states.cpu().numpy().astype(np.float64), symbolic_code(model, states)
