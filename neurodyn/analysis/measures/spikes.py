"""Spike-train measures of each point: rate, ISI statistics and bursts of the scalar series,
and spike-time synchrony (STTC) of the nodes of a network (:mod:`neurodyn.analysis.spikes`).

With the option ``spike_times`` (of both measures) the sweep also keeps every point's spike
trains, padded (the layout of :func:`~neurodyn.analysis.spikes.padded_spike_trains`):

- ``spike_count`` (grid dims, ``node``; int64): spikes of each train, -1 where the point
  diverged (no train);
- ``spike_time`` (grid dims, ``node``, ``spike``; int64): the sample index of each spike in
  the series (the series the measures read: kept states, or states continued from the final
  ones; attrs ``source``, ``samples``), then :data:`~neurodyn.analysis.spikes.SPIKE_PAD`
  (-1) up to the longest train of the sweep. Integers throughout, so no slot reads back as
  NaN; ``spike`` has no coordinate and is padded when stores are merged
  (:func:`neurodyn.store.merge_stores`, attrs ``padded_dim`` and ``pad_value``).

Where the sweep kept no states, the trains come from the continued series, simulated once more
for them (deterministic: the same series the measures read).

``node`` is each node's ``node_variable`` for a network (the trains of ``spike_synchrony``)
and one node, the scalar series (the train of ``spikes``), otherwise.
:func:`stored_spike_trains` reads one point's trains back as arrays or ``neo.SpikeTrain``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from ..spikes import (
    SPIKE_PAD,
    SPIKE_STATISTICS,
    padded_spike_trains,
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

__all__ = ["BURST_ISI", "STTC_WINDOW", "stored_spike_trains"]

STTC_WINDOW = 5.0
"""Default STTC window ±Δt, in iterations (chosen: a few intra-burst intervals)."""


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


SPIKE_TIMES = Option(
    "spike_times",
    False,
    "also store each point's spike trains (spike_count, spike_time)",
    _boolean,
)


def _spikes(ctx: Context, states: np.ndarray) -> tuple[float, ...]:
    row = spike_statistics(ctx.scalar(states), ctx.options.threshold, max_isi=ctx.options.burst_isi)
    return tuple(float(v) for v in row)


def _spike_synchrony(ctx: Context, states: np.ndarray) -> tuple[float]:
    nodes = ctx.nodes(states)
    trains = [
        spike_indices(nodes[:, j], ctx.options.threshold).astype(float)
        for j in range(nodes.shape[1])
    ]
    t_stop = float(nodes.shape[0])
    values = [
        spike_time_tiling_coefficient(a, b, ctx.options.sttc_window, 0.0, t_stop)
        for a, b in itertools.combinations(trains, 2)
    ]
    return (float(np.mean(values)) if values and not np.any(np.isnan(values)) else math.nan,)


def _trains(ctx: Context, states: np.ndarray) -> np.ndarray:
    """The series (samples, nodes) whose trains are stored: the nodes of a network, else the
    scalar series."""
    return ctx.nodes(states) if ctx.network is not None else ctx.scalar(states)[:, None]


def _spike_trains(ctx: Context) -> xr.Dataset | None:
    """``spike_count`` and ``spike_time`` of every point (see the module docstring)."""
    if not ctx.options.spike_times:
        return None
    grid, source = ctx.grid, ctx.source
    counts, times = [], []
    for points, states in source.blocks():
        series = np.stack([_trains(ctx, states[:, :, c]).T for c in range(points.size)])
        series[grid.diverged[points]] = np.nan  # no train where the point diverged
        count, time = padded_spike_trains(series, ctx.options.threshold)
        counts.append(count)
        times.append(time)
    longest = max(t.shape[-1] for t in times)
    time = np.concatenate(
        [
            np.pad(t, [(0, 0), (0, 0), (0, longest - t.shape[-1])], constant_values=SPIKE_PAD)
            for t in times
        ]
    )
    count = np.concatenate(counts)
    nodes = np.arange(count.shape[1])
    description = (
        f"{ctx.node_variable} of each node"
        if ctx.network is not None
        else f"one node: the scalar series, {ctx.series}"
    )
    common = {
        **_common_attrs(ctx),
        "source": source.description,
        "samples": int(states.shape[0]),
        "series": description,
    }
    return xr.Dataset(
        {
            "spike_count": grid.variable(
                count,
                {
                    "long_name": "number of spikes of each train",
                    "units": "1",
                    **common,
                    "diverged": "-1 (no train)",
                },
                ("node",),
            ),
            "spike_time": grid.variable(
                time,
                {
                    "long_name": "spike times, padded",
                    "units": "sample",
                    **common,
                    "convention": "sample index t of the series (0-based) of each spike; slots "
                    "beyond spike_count hold pad_value",
                    "padded_dim": "spike",
                    "pad_value": SPIKE_PAD,
                },
                ("node", "spike"),
            ),
        },
        coords={"node": ("node", nodes, {"long_name": description})},
    )


def stored_spike_trains(
    ds: xr.Dataset,
    point: Mapping[str, Any] | None = None,
    *,
    neo: bool = False,
    dt: float = 1.0,
    units: str = "ms",
) -> list:
    """The spike trains of one point of a sweep stored with ``spike_times`` (see the module
    docstring), one per node: int64 sample indices, or with ``neo`` ``neo.SpikeTrain`` objects
    with times ``index * dt`` in ``units`` over ``[0, samples * dt)`` (as
    :func:`~neurodyn.analysis.spikes.to_neo`, so elephant's rates use the whole series).

    ``point`` selects one value (by label) of every grid dimension of ``spike_count``.
    Raises ValueError when the Dataset holds no spike trains, when ``point`` leaves a grid
    dimension unselected, or when the point diverged (it has no train).
    """
    if "spike_time" not in ds or "spike_count" not in ds:
        raise ValueError(
            "the Dataset holds no spike trains: add the measure 'spikes' or "
            "'spike_synchrony' with spike_times=True"
        )
    selected = ds[["spike_count", "spike_time"]].sel(dict(point or {}))
    left = [d for d in selected["spike_count"].dims if d != "node"]
    if left:
        raise ValueError(
            f"point {dict(point or {})!r} leaves {left} unselected; give one value of each"
        )
    count = selected["spike_count"].values
    if np.any(count < 0):
        raise ValueError(f"the point {dict(point or {})!r} diverged: it has no spike train")
    time = selected["spike_time"].values
    trains = [time[j, : count[j]] for j in range(count.size)]
    if not neo:
        return trains
    import neo as neo_module
    import quantities as pq

    unit = pq.Quantity(1.0, units)
    t_stop = int(ds["spike_time"].attrs["samples"]) * dt * unit
    return [neo_module.SpikeTrain(t * dt * unit, t_start=0.0 * unit, t_stop=t_stop) for t in trains]


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
    "isi_cv": (
        "coefficient of variation of the ISIs",
        "1",
        "CV of ISI",
        "CV of the inter-spike intervals (std / mean, ddof 0)",
    ),
    "n_bursts": ("number of bursts", "1", "bursts", "burst count"),
    "burst_length": ("mean spikes per burst", "1", "spikes/burst", "mean spikes per burst"),
    "burst_duration": (
        "mean burst duration",
        "iteration",
        "burst duration",
        "mean burst duration (first to last spike)",
    ),
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
        stores=_spike_trains,
        options=(
            Option("threshold", SPIKE_THRESHOLD, "spike threshold on the series"),
            SPIKE_TIMES,
            Option(
                "burst_isi",
                BURST_ISI,
                "longest inter-spike interval inside a burst, in iterations",
                positive_number,
            ),
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
        stores=_spike_trains,
        options=(
            Option("threshold", SPIKE_THRESHOLD, "spike threshold on the series"),
            SPIKE_TIMES,
            Option("sttc_window", STTC_WINDOW, "STTC window ±dt, in iterations", positive_number),
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
