"""Trained recurrent models of dynamics (torch): baselines (RNN, GRU, LSTM), liquid
time-constant and closed-form continuous-time networks with sparse wirings, and the
piecewise-linear family (PLRNN, shPLRNN, AL-RNN) with their export to map models and exact
cycles; teacher-forced training; evaluation by dynamical-systems-reconstruction measures against
ground-truth floors.
"""

from .base import SequenceModel, forced_predictions, free_predictions
from .cfc import CfC
from .evaluate import evaluate, model_lyapunov_spectrum, true_lyapunov_spectrum, write_evaluation
from .export import LinearForm, linear_form, to_model
from .jacobian import closed_loop_jacobians
from .ltc import LTC
from .metrics import power_spectrum_distance, state_space_divergence
from .pl_cycles import pl_cycles
from .plrnn import ALRNN, PLRNN, ShallowPLRNN, symbolic_code, symbolic_sequence
from .reconstruct import reconstruct, reconstruct_regimes
from .registry import MODELS, build_model
from .rnn import GRU, LSTM, VanillaRNN
from .training import (
    TrainingConfig,
    TrainingResult,
    choose_device,
    load_model,
    read_series,
    train,
    train_from_config,
)
from .wiring import Wiring, explicit_wiring, full_wiring, ncp_wiring, random_wiring

__all__ = [
    "ALRNN",
    "GRU",
    "LinearForm",
    "LSTM",
    "LTC",
    "MODELS",
    "PLRNN",
    "CfC",
    "SequenceModel",
    "TrainingConfig",
    "TrainingResult",
    "ShallowPLRNN",
    "VanillaRNN",
    "Wiring",
    "build_model",
    "choose_device",
    "closed_loop_jacobians",
    "evaluate",
    "linear_form",
    "load_model",
    "model_lyapunov_spectrum",
    "pl_cycles",
    "power_spectrum_distance",
    "read_series",
    "reconstruct",
    "reconstruct_regimes",
    "state_space_divergence",
    "to_model",
    "train",
    "train_from_config",
    "true_lyapunov_spectrum",
    "write_evaluation",
    "explicit_wiring",
    "forced_predictions",
    "free_predictions",
    "full_wiring",
    "ncp_wiring",
    "random_wiring",
    "symbolic_code",
    "symbolic_sequence",
]
