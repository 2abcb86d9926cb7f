"""Spatiotemporal measures of a network's node series: synchronisation error and the strength
of incoherence and discontinuity (chimera index) of :mod:`neurodyn.analysis.spatiotemporal`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..spatiotemporal import chimera_index, synchronization_error
from .context import Context
from .registry import Measure, Option, Output, positive, register_measure


def _sync_error(ctx: Context, states: np.ndarray) -> tuple[float]:
    return (synchronization_error(ctx.nodes(states)).mean,)


def _chimera(ctx: Context, states: np.ndarray) -> tuple[float, float]:
    nodes = ctx.nodes(states)
    spread = float(nodes.max() - nodes.min())
    groups = min(ctx.options.chimera_groups, nodes.shape[1])
    if spread == 0.0 or groups < 2:
        return math.nan, math.nan
    result = chimera_index(nodes, groups, ctx.options.chimera_threshold * spread)
    return result.strength_of_incoherence, result.discontinuity


def _check_fraction(name: str, value: Any) -> None:
    if not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")


def _chimera_attrs(ctx: Context) -> dict[str, Any]:
    return {
        "convention": "Gopal, Chandrasekar, Venkatesan & Lakshmanan, Phys. Rev. E 89, 052914 "
        "(2014): z_i = x_i - x_{i+1} on the ring in node order, groups of consecutive nodes "
        "(numpy.array_split), a group coherent when the time mean of its local standard "
        "deviation of z is below threshold * (max - min of x over the series)",
        "groups": ctx.options.chimera_groups,
        "threshold": ctx.options.chimera_threshold,
        "undefined": "NaN for a network constant in time and space or of fewer than 2 nodes",
    }


register_measure(
    Measure(
        name="sync_error",
        kind="network",
        function=_sync_error,
        summary="synchronisation error: RMS deviation of the nodes from their mean, time "
        "average (networks)",
        outputs=(
            Output(
                "sync_error",
                "synchronisation error of the network",
                "units of the node variable",
                "sync error E",
                "RMS deviation of the nodes from the network mean, time average",
                attrs=lambda ctx: {
                    "convention": "E(t) = sqrt(mean over nodes of (x_i(t) - mean_j x_j(t))^2), "
                    "averaged over time; exactly 0 on the synchronous manifold",
                },
            ),
        ),
    )
)

register_measure(
    Measure(
        name="chimera",
        kind="network",
        function=_chimera,
        summary="strength of incoherence and discontinuity measure (chimera states; rings)",
        options=(
            Option("chimera_groups", 20, "number of groups of consecutive nodes", positive),
            Option(
                "chimera_threshold",
                0.05,
                "coherence threshold as a fraction of the range of the node variable",
                _check_fraction,
            ),
        ),
        outputs=(
            Output(
                "strength_of_incoherence",
                "strength of incoherence SI",
                "1",
                "SI",
                "strength of incoherence: 0 coherent, 1 incoherent, between: chimera",
                attrs=_chimera_attrs,
            ),
            Output(
                "discontinuity",
                "discontinuity measure eta (number of coherent domains)",
                "1",
                "eta",
                "discontinuity measure: 1 chimera, 2 or more multi-chimera",
                attrs=_chimera_attrs,
            ),
        ),
    )
)
