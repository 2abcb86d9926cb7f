"""Networks from the papers neurodyn is built to redo, with their sources.

Each preset is one :class:`~neurodyn.models.builders.Preset` record (registered in
:mod:`neurodyn.models.builders`, listed in :data:`PRESETS`): its builder, source, defaults, and
its node models, topology and couplings in ``details``. What could not be checked against the
papers' text is said in each record's ``details["unconfirmed"]``. Adding a preset: write its
builder here and register its record at the end of this module.
"""

from __future__ import annotations

import re

from ..models import Model
from ..models.builders import Preset, build_preset, register_preset
from .build import network_model
from .coupling import NAIR_2024, DiffusiveCoupling, HigherOrderCoupling
from .topology import chain, clique_triangles, ring_star

__all__ = ["PRESETS", "chialvo_ring_star", "chialvo_rulkov_chain", "network_preset"]

network_preset = build_preset
"""Build a network preset by name (:func:`neurodyn.models.builders.build_preset`)."""

GHOSH_2024 = (
    "I. Ghosh, A. S. Nair, H. O. Fatoyinbo, S. S. Muni, Dynamical properties of a small "
    "heterogeneous chain network of neurons in discrete time, Eur. Phys. J. Plus (2024), "
    "doi:10.1140/epjp/s13360-024-05363-0, arXiv:2405.05675"
)


def chialvo_ring_star(
    n_peripheral: int = 3,
    radius: int = 1,
    *,
    higher_order: bool = True,
    ordered_pairs: bool = True,
    shared: bool = True,
    name: str | None = None,
) -> Model:
    """Ring-star network of Chialvo neurons with pairwise and higher-order diffusive coupling.

    Nair, Ghosh, Fatoyinbo & Muni (2024), arXiv:2405.06000: one central (node 0) and
    ``n_peripheral`` peripheral Chialvo maps (3 in the paper, a complete graph), coupled on the
    activation ``x`` by ``sigma1 * sum_j A_ij (x_j - x_i)`` over the edges of
    :func:`~.topology.ring_star` and, if ``higher_order``, by
    ``sigma2 * sum_{j,k} B_ijk (x_j + x_k - 2 x_i)`` over the triangles of its clique complex.
    With ``shared`` the nodes share ``a, b, c, k`` (identical neurons); otherwise each node has
    its own (``k_0, k_1, ...``). See :data:`PRESETS` for what is not confirmed.
    """
    preset = PRESETS["chialvo_ring_star"]
    A = ring_star(n_peripheral, radius)
    couplings = [DiffusiveCoupling(A, "x", "sigma1", source=NAIR_2024)]
    if higher_order:
        couplings.append(
            HigherOrderCoupling(clique_triangles(A), "x", "sigma2", ordered_pairs=ordered_pairs)
        )
    defaults = {k: v for k, v in preset.defaults.items() if higher_order or k != "sigma2"}
    return network_model(
        ["chialvo"] * (n_peripheral + 1),
        couplings,
        name=name or f"chialvo_ring_star_{n_peripheral}",
        shared=shared,
        defaults=defaults,
        source=NAIR_2024,
        notes=f"node 0 is the hub. Not confirmed from the paper: {preset.details['unconfirmed']}",
    )


def chialvo_rulkov_chain(
    *, rulkov: str = "rulkov2001", name: str = "chialvo_rulkov_chain"
) -> Model:
    """Heterogeneous Chialvo–Rulkov–Chialvo chain (six variables), Ghosh et al. (2024).

    Nodes 1 and 3 are Chialvo maps, node 2 a Rulkov map (``rulkov``, default the chaotic 2001
    map); state ``x_1, y_1, x_2, y_2, x_3, y_3``; node parameters per node (``a_1, ..., k_1``,
    ``alpha_2, mu_2, sigma_2``, ``a_3, ..., k_3``); bidirectional diffusive coupling on ``x``
    with one strength per direction: node i's x gains ``sigma_i_j * (x_j - x_i)`` for each
    neighbour j, so ``sigma_1_2`` (σ12) is node 2 acting on node 1 and ``sigma_2_1`` (σ21) node 1
    acting on node 2. See :data:`PRESETS` for what is not confirmed.
    """
    preset = PRESETS["chialvo_rulkov_chain"]
    return network_model(
        ["chialvo", rulkov, "chialvo"],
        [DiffusiveCoupling(chain(3), "x", "sigma", per_edge=True, source=GHOSH_2024)],
        name=name,
        labels=(1, 2, 3),
        defaults=dict(preset.defaults),
        source=GHOSH_2024,
        notes=f"Not confirmed from the paper: {preset.details['unconfirmed']}",
    )


def _ring_star_names(model_name: str) -> list[dict[str, int]]:
    match = re.fullmatch(r"chialvo_ring_star_(\d+)", model_name)
    return [{"n_peripheral": int(match.group(1))}] if match else []


def _chain_names(model_name: str) -> list[dict[str, str]]:
    if model_name != "chialvo_rulkov_chain":
        return []
    return [{"rulkov": rulkov} for rulkov in ("rulkov2001", "rulkov2002", "rulkov2002_simple")]


RING_STAR = register_preset(
    Preset(
        name="chialvo_ring_star",
        build=chialvo_ring_star,
        source=NAIR_2024,
        defaults={"sigma1": 0.01, "sigma2": 0.01},
        details={
            "nodes": "chialvo (classic set a=0.89, b=0.6, c=0.28, k=0.03 of the catalogue)",
            "topology": "ring_star(n_peripheral): hub 0 and a ring of peripherals; "
            "n_peripheral=3 is the complete graph on 4 nodes of the paper",
            "couplings": "pairwise diffusive sigma1*A_ij*(x_j - x_i) and higher-order diffusive "
            "sigma2*sum_jk B_ijk*(x_j + x_k - 2x_i) on x over the triangles of the clique "
            "complex",
            "unconfirmed": "node-parameter and coupling values of the paper's figures; whether "
            "its double sum counts each triangle once or twice (ordered_pairs); the names "
            "sigma1/sigma2",
        },
        built_names=_ring_star_names,
    )
)
RULKOV_CHAIN = register_preset(
    Preset(
        name="chialvo_rulkov_chain",
        build=chialvo_rulkov_chain,
        source=GHOSH_2024,
        defaults={"sigma_1_2": 0.01, "sigma_2_1": 0.01, "sigma_2_3": 0.01, "sigma_3_2": 0.01},
        details={
            "nodes": "chialvo - rulkov2001 - chialvo, labelled 1, 2, 3 (six state variables)",
            "topology": "chain(3), bidirectional",
            "couplings": "diffusive on x with one strength per edge: sigma_1_2 (node 2 acting "
            "on node 1), sigma_2_1, sigma_2_3, sigma_3_2",
            "unconfirmed": "the paper's index order of sigma_ij (taken as: sigma_ij in node i's "
            "equation); that its Rulkov node is the chaotic 2001 map (a smooth map, consistent "
            "with its Jacobian and noninvertibility analysis); its node-parameter and coupling "
            "values",
        },
        built_names=_chain_names,
    )
)

PRESETS = {preset.name: preset for preset in (RING_STAR, RULKOV_CHAIN)}
"""The network presets of this module by name."""
