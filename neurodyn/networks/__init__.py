"""Networks of map neurons: topologies, couplings, and the network as one model.

``network_model(nodes, couplings)`` turns map nodes (possibly different models) and couplings
into a single map :class:`~neurodyn.models.Model`, so its Jacobian, generated step, batched
simulation and analyses are those of any model. Adjacency convention: ``A[i, j]`` is the weight
of the edge from node ``j`` to node ``i``.
"""

from .build import network_model, node_rows
from .coupling import ChemicalSynapse, Coupling, DiffusiveCoupling, HigherOrderCoupling
from .presets import PRESETS, chialvo_ring_star, chialvo_rulkov_chain, network_preset
from .topology import (
    all_to_all,
    chain,
    clique_triangles,
    erdos_renyi,
    from_matrix,
    ring,
    ring_star,
    star,
    validate_triangles,
    watts_strogatz,
)

__all__ = [
    "PRESETS",
    "ChemicalSynapse",
    "Coupling",
    "DiffusiveCoupling",
    "HigherOrderCoupling",
    "all_to_all",
    "chain",
    "chialvo_ring_star",
    "chialvo_rulkov_chain",
    "clique_triangles",
    "erdos_renyi",
    "from_matrix",
    "network_model",
    "network_preset",
    "node_rows",
    "ring",
    "ring_star",
    "star",
    "validate_triangles",
    "watts_strogatz",
]
