"""The ``period`` measure: the period of the attractor at every point."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..bifurcation.periods import PERIOD_CONVENTION, detect_period
from .context import Context, continue_states, kept_states
from .registry import Measure, Option, Output, positive, register_measure


def _period(ctx: Context) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    opts, grid, ds = ctx.options, ctx.grid, ctx.data
    window = 2 * opts.max_period
    kept = kept_states(ds, ctx.model.state_names, grid.dims)
    consecutive = kept is not None and np.all(np.diff(ds["iteration"].values) == 1)
    if consecutive and kept.shape[0] >= window:
        states = kept
        source = f"the last {window} kept states of the sweep"
    else:
        states = continue_states(ctx.model, grid, window, 1, ctx.threads)
        source = f"{window} iterations continued from the final states <v>_final"
    period = detect_period(
        states, max_period=opts.max_period, tol=opts.period_tol, time_axis=0, state_axis=1
    )
    period[grid.diverged] = -1
    return {"period": period.astype(np.int64)}, {"source": source}


register_measure(
    Measure(
        name="period",
        cost=(7e-5, 0.0),
        kind="grid",
        function=_period,
        summary="period of the attractor (int64; 0 none up to max_period, -1 diverged), from "
        "the last 2 * max_period consecutive kept states, else as many continued from <v>_final",
        options=(
            Option("max_period", 32, "longest period looked for, in iterations", positive),
            Option("period_tol", 1e-6, "tolerance of the return to a state"),
        ),
        outputs=(
            Output(
                "period",
                "period of the attractor",
                "iterations",
                "period",
                "period of the attractor (0 none, -1 diverged)",
                attrs=lambda ctx: {
                    "convention": PERIOD_CONVENTION,
                    "max_period": ctx.options.max_period,
                    "tol": ctx.options.period_tol,
                },
            ),
        ),
    )
)
