"""Networks of map neurons: topologies, couplings, and the network as one model.

``network_model(nodes, couplings)`` turns map nodes (possibly different models) and couplings
into a single map :class:`~neurodyn.models.Model`, so its Jacobian, generated step, batched
simulation and analyses are those of any model (up to about a hundred nodes).
``network(nodes, couplings)`` builds the same network for the network kernel (one generated step
per node model, a sparse coupling operator): thousands of nodes, the same simulators.
Adjacency convention: ``A[i, j]`` is the weight of the edge from node ``j`` to node ``i``.
"""

from .build import network_model, node_rows
from .coupling import ChemicalSynapse, Coupling, DiffusiveCoupling, Edges, HigherOrderCoupling
from .kernel import Network, jacobian_matrix, network
from .presets import PRESETS, chialvo_ring_star, chialvo_rulkov_chain, network_preset
from .topology import (
    all_to_all,
    as_csr,
    chain,
    clique_triangles,
    erdos_renyi,
    from_matrix,
    lattice_2d,
    load_adjacency,
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
    "Edges",
    "HigherOrderCoupling",
    "Network",
    "all_to_all",
    "as_csr",
    "chain",
    "chialvo_ring_star",
    "chialvo_rulkov_chain",
    "clique_triangles",
    "erdos_renyi",
    "from_matrix",
    "jacobian_matrix",
    "lattice_2d",
    "load_adjacency",
    "network",
    "network_model",
    "network_preset",
    "node_rows",
    "ring",
    "ring_star",
    "star",
    "validate_triangles",
    "watts_strogatz",
]
