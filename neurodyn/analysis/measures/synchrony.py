"""Measures of the node series of a network: cross-correlation and Kuramoto order parameter."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..sync import (
    cross_correlation_coefficient,
    hilbert_phases,
    kuramoto_order_parameter,
    spike_phases,
)
from .context import Context, constant_in_time
from .registry import Measure, Option, Output, register_measure

__all__ = ["SPIKE_THRESHOLD"]

SPIKE_THRESHOLD = 0.5
"""Default spike threshold on ``x`` for phases of maps: above a Chialvo neuron's resting ``x``
(about k = 0.03 at the classic set) and below its spike peaks (1.2 and up), and crossed upward
once per spike inside the bursts of the chaotic Rulkov (2001) map (spike peaks about 0.5-1.6,
silent phase below -1)."""


def _cross_correlation(ctx: Context, states: np.ndarray) -> tuple[float]:
    return (cross_correlation_coefficient(ctx.nodes(states), on_constant="nan").gamma,)


def _kuramoto(ctx: Context, states: np.ndarray) -> tuple[float, float]:
    nodes = ctx.nodes(states)
    if ctx.phase == "spike":
        phases = spike_phases(nodes, ctx.options.threshold)
    elif constant_in_time(nodes):
        return math.nan, math.nan
    else:
        phases = hilbert_phases(nodes)
    if not np.any(np.all(np.isfinite(phases), axis=1)):
        return math.nan, math.nan
    result = kuramoto_order_parameter(phases)
    return result.mean, result.std


def _phase_attrs(ctx: Context) -> dict[str, Any]:
    if ctx.phase == "spike":
        phases = {
            "phase": "spike timing: a spike is an upward crossing x[t-1] < threshold <= x[t]; "
            "the phase grows linearly by 2 pi between successive spikes",
            "threshold": ctx.options.threshold,
        }
    else:
        phases = {
            "phase": "Hilbert transform of each mean-removed node series (scipy.signal."
            "hilbert, FFT, edge effects at both ends)"
        }
    return {
        **phases,
        "undefined": "NaN where no time has a phase for every node (fewer than two spikes of "
        "some node, or a constant node)",
    }


def _check_phase(name: str, value: Any) -> None:
    if value not in (None, "spike", "hilbert"):
        raise ValueError(f"{name} must be 'spike' or 'hilbert', got {value!r}")


register_measure(
    Measure(
        name="cross_correlation",
        cost=(8e-5, 2.4e-8),
        kind="network",
        function=_cross_correlation,
        summary="cross-correlation coefficient of the nodes' series (networks)",
        outputs=(
            Output(
                "cross_correlation",
                "cross-correlation coefficient of the network",
                "1",
                "cross-correlation Γ",
                "cross-correlation coefficient",
                attrs=lambda ctx: {
                    "convention": "mean over node pairs i != j of the Pearson correlation in "
                    "time of the deviations from each node's time mean (Nair et al. 2024; "
                    "Ghosh et al. 2024)",
                    "undefined": "NaN when a node is constant in time",
                },
                figure="synchrony",
                caption="cross-correlation coefficient (mean Pearson correlation of the nodes' "
                "activity over all pairs; 1 for complete synchrony)",
            ),
        ),
    )
)

register_measure(
    Measure(
        name="kuramoto",
        cost=(1e-4, 1.6e-7),
        kind="network",
        function=_kuramoto,
        summary="Kuramoto order parameter R of the nodes' phases, time mean and fluctuation "
        "(networks)",
        options=(
            Option(
                "phase",
                None,
                "phases from spike timing ('spike', default for maps) or the Hilbert "
                "transform ('hilbert', default for flows)",
                _check_phase,
            ),
            Option("threshold", SPIKE_THRESHOLD, "spike threshold on the node variable"),
        ),
        outputs=(
            Output(
                "kuramoto_R",
                "Kuramoto order parameter R, time average",
                "1",
                "Kuramoto R",
                "Kuramoto order parameter, time mean",
                attrs=lambda ctx: {
                    **_phase_attrs(ctx),
                    "convention": "R(t) = |mean over nodes of exp(i phi_j(t))|, averaged over "
                    "the times at which every node has a phase",
                },
                figure="synchrony",
                caption="Kuramoto order parameter R (time average; shaded: plus and minus its "
                "standard deviation over time)",
                band="kuramoto_R_std",
            ),
            Output(
                "kuramoto_R_std",
                "fluctuation of the Kuramoto order parameter",
                "1",
                "std of R",
                "fluctuation of R over time",
                attrs=lambda ctx: {
                    **_phase_attrs(ctx),
                    "convention": "standard deviation (ddof=0) of R(t) over the times at which "
                    "every node has a phase",
                },
            ),
        ),
    )
)
