"""Reservoir computing: echo state networks and map-neuron reservoirs, ridge and RLS readouts,
forecasting through :func:`neurodyn.forecasting.rollout`, benchmark tasks and sweeps."""

from .base import ReservoirForecaster, forecasting_pairs
from .esn import ESN, ESNConfig
from .maps import MapReservoir
from .readout import ridge_regression

__all__ = [
    "ESN",
    "ESNConfig",
    "MapReservoir",
    "ReservoirForecaster", "forecasting_pairs", "ridge_regression",
]
