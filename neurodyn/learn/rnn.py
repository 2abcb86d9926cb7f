"""Baselines: vanilla (Elman) RNN, GRU and LSTM with a linear readout of the next observation.

* RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (Elman, Cognitive Science 1990).
* GRU: Cho et al., EMNLP 2014. LSTM: Hochreiter & Schmidhuber, Neural Computation 1997
  (with forget gate, Gers et al. 2000); its state is ``[h, c]``.

The prediction of the next observation is ``W_out h + b_out``. Gates and cells are torch's
(``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``), with torch's default initialisation.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .base import SequenceModel

__all__ = ["GRU", "LSTM", "VanillaRNN"]


class _TorchCellModel(SequenceModel):
    cell_class: type[nn.Module]

    def __init__(self, obs_dim: int, units: int = 32):
        super().__init__(obs_dim, {"units": int(units)})
        if int(units) < 1:
            raise ValueError(f"units must be a positive integer, got {units}")
        self.units = int(units)
        self.state_dim = self.units
        self.cell = self.cell_class(self.obs_dim, self.units)
        self.readout = nn.Linear(self.units, self.obs_dim)

    def step(self, p: torch.Tensor, h: torch.Tensor, dt: Any = 1.0, prepared: Any = None):
        return self.cell(p, h)

    def observe(self, h: torch.Tensor) -> torch.Tensor:
        return self.readout(h[..., : self.units])


class VanillaRNN(_TorchCellModel):
    """Elman RNN with tanh units (Elman 1990)."""

    kind = "rnn"
    source = "J. L. Elman, Finding structure in time, Cognitive Science 14, 179-211 (1990)"
    cell_class = nn.RNNCell


class GRU(_TorchCellModel):
    """Gated recurrent unit (Cho et al. 2014)."""

    kind = "gru"
    source = "K. Cho et al., Learning phrase representations using RNN encoder-decoder, EMNLP 2014"
    cell_class = nn.GRUCell


class LSTM(_TorchCellModel):
    """Long short-term memory (Hochreiter & Schmidhuber 1997); state ``[h, c]``."""

    kind = "lstm"
    source = "S. Hochreiter, J. Schmidhuber, Long short-term memory, Neural Comput. 9 (1997)"
    cell_class = nn.LSTMCell

    def __init__(self, obs_dim: int, units: int = 32):
        super().__init__(obs_dim, units)
        self.state_dim = 2 * self.units

    def step(self, p: torch.Tensor, h: torch.Tensor, dt: Any = 1.0, prepared: Any = None):
        hidden, cell = self.cell(p, (h[:, : self.units], h[:, self.units :]))
        return torch.cat([hidden, cell], dim=1)
