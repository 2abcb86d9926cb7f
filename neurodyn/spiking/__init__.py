"""brian2 counterparts: the E–I LIF network matched to a Wilson–Cowan node, and map-neuron
networks written as brian2 code (an independent check of the generated numba kernels).

Spiking networks are data (``networks.yaml``, :mod:`.definition`): equations, threshold, reset,
refractory period, synapses, populations and parameters with their source; their brian2 code
is printed by :mod:`.brian2gen`, the printer of the catalogued maps, and built by
:mod:`.populations`.

brian2 is an optional dependency (the ``spiking`` extra); it is imported when these functions
run. brian2 2.9 needs numpy < 2.4.
"""

from .definition import SpikingNetwork, get_spiking_network, list_spiking_networks
from .ei_network import EINetwork, matched_wilson_cowan, mean_field_rates, siegert, simulate_ei
from .maps import brian2_map_network
from .populations import brian2_spiking_network

__all__ = [
    "EINetwork",
    "SpikingNetwork",
    "brian2_map_network",
    "brian2_spiking_network",
    "get_spiking_network",
    "list_spiking_networks",
    "matched_wilson_cowan",
    "mean_field_rates",
    "siegert",
    "simulate_ei",
]
