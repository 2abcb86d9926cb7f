"""Reservoir computing: echo state networks and map-neuron reservoirs, ridge and RLS readouts,
forecasting through :func:`neurodyn.forecasting.rollout`, benchmark tasks and sweeps.

* :class:`ESN` -- echo state networks (leaky, deep, residual, output feedback), numba kernels;
* :class:`MapReservoir` -- reservoirs of catalogue map neurons (Chialvo, Rulkov);
* :func:`ridge_regression`, ``ESN.fit_rls`` -- readouts (batch ridge, online RLS / FORCE);
* :mod:`.tasks` -- Mackey–Glass, NARMA-10, Lorenz-63 series and memory capacity;
* :func:`reservoir_sweep` -- spectral radius x leak rate x size as an ``xarray.Dataset``, the
  function the workflow's reservoir rule calls (see :mod:`.sweep` for protocol and conventions);
* :func:`ridge_grid` -- spectral radius x leak rate x input scaling x ridge in one batched run
  (:mod:`.grid`).
"""

from .base import ReservoirForecaster, forecasting_pairs
from .esn import ESN, ESNConfig
from .grid import ridge_grid
from .maps import MapReservoir
from .readout import ridge_regression
from .sweep import reservoir_sweep
from .tasks import (
    LORENZ63_LYAPUNOV,
    lorenz63_series,
    mackey_glass_series,
    memory_capacity,
    narma10,
)

__all__ = [
    "ESN",
    "LORENZ63_LYAPUNOV",
    "ESNConfig",
    "MapReservoir",
    "ReservoirForecaster",
    "forecasting_pairs",
    "lorenz63_series",
    "mackey_glass_series",
    "memory_capacity",
    "narma10",
    "reservoir_sweep",
    "ridge_grid",
    "ridge_regression",
]
