"""Spike-train measures of each point: rate, ISI statistics and bursts of the scalar series,
and spike-time synchrony (STTC) of the nodes of a network (:mod:`neurodyn.analysis.spikes`)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..spikes import (
    SPIKE_STATISTICS,
    spike_indices,
    spike_statistics,
    spike_time_tiling_coefficient,
)
from .context import Context
from .registry import Measure, Option, Output, positive_number, register_measure
from .synchrony import SPIKE_THRESHOLD

BURST_ISI = 20.0
"""Default longest inter-spike interval inside a burst, in iterations: chosen between the
intra-burst ISIs of the Rulkov maps at their classic parameters (2-10 iterations) and their
inter-burst intervals (hundreds)."""

STTC_WINDOW = 5.0
"""Default STTC window ±Δt, in iterations (chosen: a few intra-burst intervals)."""


def _spikes(ctx: Context, states: np.ndarray) -> tuple[float, ...]:
    row = spike_statistics(ctx.scalar(states), ctx.options.threshold,
                           max_isi=ctx.options.burst_isi)
    return tuple(float(v) for v in row)


def _spike_synchrony(ctx: Context, states: np.ndarray) -> tuple[float]:
    nodes = ctx.nodes(states)
    trains = [spike_indices(nodes[:, j], ctx.options.threshold).astype(float)
              for j in range(nodes.shape[1])]
    t_stop = float(nodes.shape[0])
    values = [spike_time_tiling_coefficient(a, b, ctx.options.sttc_window, 0.0, t_stop)
              for a, b in itertools.combinations(trains, 2)]
    return (float(np.mean(values)) if values and not np.any(np.isnan(values)) else math.nan,)


def _common_attrs(ctx: Context) -> dict[str, object]:
    return {
        "spike": "upward crossing x[t-1] < threshold <= x[t]",
        "threshold": ctx.options.threshold,
        "time_unit": "iteration (sample of the series)",
    }


_FIELDS = {
    "n_spikes": ("number of spikes", "1", "spikes", "spike count"),
    "rate": ("firing rate", "1/iteration", "rate", "spikes per iteration"),
    "isi_mean": ("mean inter-spike interval", "iteration", "mean ISI", "mean ISI"),
    "isi_cv": ("coefficient of variation of the ISIs", "1", "CV of ISI",
               "CV of the inter-spike intervals (std / mean, ddof 0)"),
    "n_bursts": ("number of bursts", "1", "bursts", "burst count"),
    "burst_length": ("mean spikes per burst", "1", "spikes/burst", "mean spikes per burst"),
    "burst_duration": ("mean burst duration", "iteration", "burst duration",
                       "mean burst duration (first to last spike)"),
}

register_measure(
    Measure(
        name="spikes",
        cost=(5e-5, 2e-9),
        kind="series",
        function=_spikes,
        summary="spike count, firing rate, ISI mean and CV, burst count, length and duration of "
        "the scalar series",
        min_samples=2,
        options=(
            Option("threshold", SPIKE_THRESHOLD, "spike threshold on the series"),
            Option("burst_isi", BURST_ISI,
                   "longest inter-spike interval inside a burst, in iterations",
                   positive_number),
        ),
        outputs=tuple(
            Output(
                f"spike_{field}",
                *_FIELDS[field],
                attrs=lambda ctx: {
                    **_common_attrs(ctx),
                    "bursts": "maximal runs of >= 2 spikes with every ISI <= burst_isi",
                    "burst_isi": ctx.options.burst_isi,
                    "undefined": "NaN: ISI with < 2 spikes, CV with < 3, burst means without "
                    "bursts",
                },
            )
            for field in SPIKE_STATISTICS
        ),
    )
)

register_measure(
    Measure(
        name="spike_synchrony",
        kind="network",
        function=_spike_synchrony,
        summary="spike-time tiling coefficient (Cutts & Eglen 2014), mean over node pairs",
        min_samples=2,
        options=(
            Option("threshold", SPIKE_THRESHOLD, "spike threshold on the series"),
            Option("sttc_window", STTC_WINDOW, "STTC window ±dt, in iterations",
                   positive_number),
        ),
        outputs=(
            Output(
                "spike_sttc",
                "spike-time tiling coefficient, mean over node pairs",
                "1",
                "STTC",
                "spike-time tiling coefficient (mean over pairs)",
                attrs=lambda ctx: {
                    **_common_attrs(ctx),
                    "window": ctx.options.sttc_window,
                    "convention": "STTC of Cutts & Eglen (2014) over [0, samples), as "
                    "elephant's spike_time_tiling_coefficient",
                    "undefined": "NaN when a node has no spike",
                },
            ),
        ),
    )
)
