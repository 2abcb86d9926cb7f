"""Model kinds by name, and models rebuilt from their configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from .base import SequenceModel
from .cfc import CfC
from .ltc import LTC
from .plrnn import ALRNN, PLRNN, ShallowPLRNN
from .rnn import GRU, LSTM, VanillaRNN

__all__ = ["MODELS", "build_model"]

MODELS: dict[str, type[SequenceModel]] = {
    cls.kind: cls for cls in (VanillaRNN, GRU, LSTM, LTC, CfC, PLRNN, ShallowPLRNN, ALRNN)
}


def build_model(config: Mapping[str, Any], seed: int | None = None) -> SequenceModel:
    """A model from ``{"kind": ..., "obs_dim": ..., **arguments}`` (``model.config()``).

    With ``seed``, the initial weights are drawn from torch's generator seeded with it; the
    global random state is restored afterwards.
    """
    options = dict(config)
    kind = options.pop("kind", None)
    if kind not in MODELS:
        raise ValueError(f"model kind must be one of {sorted(MODELS)}, got {kind!r}")
    if seed is None:
        return MODELS[kind](**options)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return MODELS[kind](**options)
