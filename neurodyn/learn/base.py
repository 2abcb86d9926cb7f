"""The interface every trained model of dynamics implements, and the loops that run it.

A model is a recurrent map on a state ``h`` (``(batch, state_dim)``) driven by observations
``x`` (``(batch, obs_dim)``):

* ``h_{t+1} = step(project_input(x_t), h_t, dt_t)``: one step, ``dt_t`` the time elapsed from
  ``x_t`` to ``x_{t+1}`` in the model's time unit (one sample, ``dt = 1``, unless the data are
  irregular); ``project_input`` is the input-only part of the step, which sequences may compute
  for all times at once.
* ``x_hat_{t+1} = observe(h_{t+1})``: the prediction of the next observation.

Models work in normalised coordinates: :meth:`SequenceModel.normalise` subtracts the training
data's mean and divides by its standard deviation (buffers set by the trainer), and
:meth:`SequenceModel.rollout` takes and returns raw observations. Closed loop means feeding
``observe(h)`` back as the next input (:meth:`SequenceModel.closed_loop_step`).

:meth:`SequenceModel.rollout` implements :func:`neurodyn.forecasting.rollout` (see that module
for the open/closed-loop conventions); :func:`forced_predictions` runs teacher forcing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ..run_lengths import renamed_keywords

__all__ = ["SequenceModel", "forced_predictions", "free_predictions"]


class SequenceModel(nn.Module):
    """Base class: a recurrent map with a readout (see the module docstring).

    Subclasses set ``kind`` and ``source`` (paper, year), define ``state_dim``, :meth:`step`
    and :meth:`observe`, and may override :meth:`project_input` and :meth:`prepare` (work done
    once per sequence, handed to every :meth:`step`).
    """

    kind: str = ""
    source: str = ""

    def __init__(self, obs_dim: int, config: dict[str, Any]):
        super().__init__()
        if int(obs_dim) < 1:
            raise ValueError(f"obs_dim must be a positive integer, got {obs_dim}")
        self.obs_dim = int(obs_dim)
        self._config = {"kind": self.kind, "obs_dim": self.obs_dim, **config}
        self.register_buffer("obs_mean", torch.zeros(self.obs_dim))
        self.register_buffer("obs_scale", torch.ones(self.obs_dim))

    state_dim: int

    def config(self) -> dict[str, Any]:
        """JSON-ready constructor arguments; :func:`neurodyn.learn.build_model` rebuilds it."""
        return dict(self._config)

    def set_normalisation(self, mean: np.ndarray, scale: np.ndarray) -> None:
        """Set the per-variable mean and scale (standard deviation) of the observations."""
        scale = np.asarray(scale, dtype=np.float64)
        if np.any(~np.isfinite(scale)) or np.any(scale <= 0):
            raise ValueError("the observation scale must be positive and finite")
        self.obs_mean.copy_(torch.as_tensor(np.asarray(mean, dtype=np.float64)))
        self.obs_scale.copy_(torch.as_tensor(scale))

    def _tensor(self, values: Any) -> torch.Tensor:
        """``values`` as a tensor of the model's dtype on its device."""
        ref = self.obs_mean
        return torch.as_tensor(np.asarray(values), dtype=ref.dtype, device=ref.device)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.obs_mean) / self.obs_scale

    def denormalise(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.obs_scale + self.obs_mean

    def initial_state(self, batch: int) -> torch.Tensor:
        """The state before the first observation: zeros."""
        ref = self.obs_mean
        return torch.zeros(batch, self.state_dim, dtype=ref.dtype, device=ref.device)

    def prepare(self) -> Any:
        """Per-sequence work shared by all steps (constrained weights, masks); default None."""
        return None

    def project_input(self, x: torch.Tensor) -> torch.Tensor:
        """The input-only part of a step, for ``x`` of shape ``(..., obs_dim)``; default ``x``."""
        return x

    def step(
        self, p: torch.Tensor, h: torch.Tensor, dt: torch.Tensor | float, prepared: Any = None
    ) -> torch.Tensor:
        raise NotImplementedError

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        """Prediction of the next observation from states ``(..., state_dim)``."""
        raise NotImplementedError

    def closed_loop_step(
        self, h: torch.Tensor, dt: torch.Tensor | float = 1.0, prepared: Any = None
    ) -> torch.Tensor:
        """The autonomous map ``h -> step(project_input(observe(h)), h, dt)``."""
        return self.step(self.project_input(self.observe(h)), h, dt, prepared)

    def forward(
        self,
        inputs: torch.Tensor,
        dt: torch.Tensor | float = 1.0,
        h0: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fully forced run over normalised ``inputs`` ``(batch, T, obs_dim)``.

        ``dt``: a number, or ``(batch, T)`` elapsed times. Returns the predictions
        ``(batch, T, obs_dim)`` (row ``t`` predicts ``inputs[:, t + 1]``) and the last state.
        """
        batch, length, _ = inputs.shape
        h = self.initial_state(batch) if h0 is None else h0
        prepared = self.prepare()
        projected = self.project_input(inputs)
        states = []
        for t in range(length):
            h = self.step(projected[:, t], h, _elapsed(dt, t), prepared)
            states.append(h)
        return self.observe(torch.stack(states, dim=1)), h

    @torch.no_grad()
    @renamed_keywords(n_steps="steps")
    def rollout(
        self, warmup: np.ndarray, steps: int, drive: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecast ``steps`` raw observations after ``warmup`` (``(T_w, obs_dim)``), closed
        loop or open loop along ``drive``, as :func:`neurodyn.forecasting.rollout` defines."""
        warm = self.normalise(self._tensor(warmup))[None]
        _, h = self.forward(warm)
        prepared = self.prepare()
        driven = None if drive is None else self.project_input(self.normalise(self._tensor(drive)))
        out = []
        for t in range(int(steps)):
            prediction = self.observe(h)
            out.append(prediction)
            p = self.project_input(prediction) if driven is None else driven[t : t + 1]
            h = self.step(p, h, 1.0, prepared)
        return self.denormalise(torch.cat(out)).cpu().numpy().astype(np.float64)


def _elapsed(dt: torch.Tensor | float, t: int) -> torch.Tensor | float:
    """Elapsed time of step ``t``: a number, or column ``t`` of a ``(batch, T)`` tensor as
    ``(batch, 1)``."""
    if isinstance(dt, torch.Tensor) and dt.ndim == 2:
        return dt[:, t : t + 1]
    return dt


def forced_predictions(
    model: SequenceModel,
    data: torch.Tensor,
    alpha: float,
    interval: int = 1,
    dt: torch.Tensor | float = 1.0,
) -> torch.Tensor:
    """Predictions along normalised ``data`` ``(batch, T, obs_dim)`` under teacher forcing.

    The input after step ``t`` is ``(1 - alpha) x_hat_{t+1} + alpha x_{t+1}`` at every
    ``interval``-th step and the model's own prediction ``x_hat_{t+1}`` otherwise. With
    ``interval = 1`` this is generalised teacher forcing (Hess et al., ICML 2023: for models
    whose observation is the first ``obs_dim`` state variables it interpolates those variables
    between model and data); with ``alpha = 1`` and ``interval = tau`` it is sparse teacher
    forcing (Mikhaeil et al., NeurIPS 2022); ``alpha = 1, interval = 1`` is full forcing (each
    input is the data) and ``alpha = 0`` free running from ``x_0``.

    Returns ``(batch, T - 1, obs_dim)``: row ``t`` predicts ``data[:, t + 1]``.
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if int(interval) < 1:
        raise ValueError(f"interval must be a positive integer, got {interval}")
    batch, length, _ = data.shape
    h = model.initial_state(batch)
    prepared = model.prepare()
    x_in = data[:, 0]
    predictions = []
    for t in range(length - 1):
        h = model.step(model.project_input(x_in), h, _elapsed(dt, t), prepared)
        prediction = model.observe(h)
        predictions.append(prediction)
        target = data[:, t + 1]
        if (t + 1) % interval != 0 or alpha == 0.0:
            x_in = prediction
        elif alpha == 1.0:
            x_in = target
        else:
            x_in = (1.0 - alpha) * prediction + alpha * target
    return torch.stack(predictions, dim=1)


@renamed_keywords(n_steps="steps")
def free_predictions(
    model: SequenceModel, x0: torch.Tensor, steps: int, dt: torch.Tensor | float = 1.0
) -> torch.Tensor:
    """Free run from the normalised observations ``x0`` ``(batch, obs_dim)``: ``(batch,
    steps, obs_dim)`` predictions of ``x_1 .. x_n``."""
    h = model.initial_state(x0.shape[0])
    prepared = model.prepare()
    x_in = x0
    predictions = []
    for t in range(int(steps)):
        h = model.step(model.project_input(x_in), h, _elapsed(dt, t), prepared)
        x_in = model.observe(h)
        predictions.append(x_in)
    return torch.stack(predictions, dim=1)
