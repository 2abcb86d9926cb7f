"""Trained recurrent models of dynamics (torch): baselines (RNN, GRU, LSTM), liquid
time-constant and closed-form continuous-time networks with sparse wirings, and the
piecewise-linear family (PLRNN, shPLRNN, AL-RNN); teacher-forced training; evaluation by
dynamical-systems-reconstruction measures against ground-truth floors.
"""

from .base import SequenceModel, forced_predictions, free_predictions
from .cfc import CfC
from .ltc import LTC
from .plrnn import ALRNN, PLRNN, ShallowPLRNN, symbolic_code, symbolic_sequence
from .registry import MODELS, build_model
from .rnn import GRU, LSTM, VanillaRNN
from .wiring import Wiring, explicit_wiring, full_wiring, ncp_wiring, random_wiring

__all__ = [
    "ALRNN",
    "GRU",
    "LSTM",
    "LTC",
    "MODELS",
    "PLRNN",
    "CfC",
    "SequenceModel",
    "ShallowPLRNN",
    "VanillaRNN",
    "Wiring",
    "build_model",
    "explicit_wiring",
    "forced_predictions",
    "free_predictions",
    "full_wiring",
    "ncp_wiring",
    "random_wiring",
    "symbolic_code",
    "symbolic_sequence",
]
