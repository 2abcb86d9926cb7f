"""brian2 counterparts: the E–I LIF network matched to a Wilson–Cowan node, and map-neuron
networks written as brian2 code (an independent check of the generated numba kernels).

brian2 is an optional dependency (the ``spiking`` extra); it is imported when these functions
run. brian2 2.9 needs numpy < 2.4.
"""

from .ei_network import EINetwork, matched_wilson_cowan, mean_field_rates, siegert, simulate_ei
from .maps import brian2_map_network

__all__ = [
    "EINetwork",
    "brian2_map_network",
    "matched_wilson_cowan",
    "mean_field_rates",
    "siegert",
    "simulate_ei",
]
