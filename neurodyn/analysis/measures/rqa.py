"""Recurrence quantification of each point's scalar series (:mod:`neurodyn.analysis.recurrence`)."""

from __future__ import annotations

import math

import numpy as np

from ..recurrence import rqa
from .context import Context, constant_in_time
from .registry import Measure, Option, Output, positive, positive_number, register_measure

_FIELDS = ("RR", "DET", "L", "ENTR", "LAM", "TT")


def _rqa(ctx: Context, states: np.ndarray) -> tuple[float, ...]:
    x = ctx.scalar(states)[-ctx.options.rqa_samples :]
    if constant_in_time(x):
        return (math.nan,) * len(_FIELDS)
    eps = ctx.options.rqa_eps * float(np.std(x))
    result = rqa(x, eps, dim=ctx.options.rqa_dim, delay=ctx.options.rqa_delay)
    return tuple(float(getattr(result, f)) for f in _FIELDS)


_OUTPUTS = {
    "RR": ("recurrence rate", "1", "RR", "recurrence rate"),
    "DET": ("determinism", "1", "DET", "determinism (recurrences on diagonal lines >= 2)"),
    "L": ("mean diagonal line length", "iteration", "L", "mean diagonal line length"),
    "ENTR": ("entropy of diagonal line lengths", "nats", "ENTR",
             "Shannon entropy of the diagonal line lengths"),
    "LAM": ("laminarity", "1", "LAM", "laminarity (recurrences on vertical lines >= 2)"),
    "TT": ("trapping time", "iteration", "TT", "trapping time (mean vertical line length)"),
}

register_measure(
    Measure(
        name="rqa",
        cost=(1.2e-2, 0.0),
        kind="series",
        function=_rqa,
        summary="recurrence quantification (RR, DET, L, ENTR, LAM, TT) of the last rqa_samples "
        "samples of the scalar series, delay-embedded",
        min_samples=10,
        options=(
            Option("rqa_eps", 0.1, "recurrence threshold, relative to the series' standard "
                   "deviation", positive_number),
            Option("rqa_dim", 2, "embedding dimension of the recurrence plot", positive),
            Option("rqa_delay", 1, "embedding delay of the recurrence plot, in samples",
                   positive),
            Option("rqa_samples", 2000, "samples (the last ones) in the recurrence plot",
                   positive),
        ),
        outputs=tuple(
            Output(
                f"rqa_{field}",
                *_OUTPUTS[field],
                attrs=lambda ctx: {
                    "threshold": f"{ctx.options.rqa_eps} * std(series, ddof=0), strict <",
                    "metric": "supremum",
                    "embedding": f"dim {ctx.options.rqa_dim}, delay {ctx.options.rqa_delay}",
                    "samples": ctx.options.rqa_samples,
                    "convention": "pyunicorn's RecurrencePlot: l_min = v_min = 2, diagonal "
                    "lines exclude the line of identity, vertical lines include it",
                    "undefined": "NaN for a constant series or without lines of length 2",
                },
            )
            for field in _FIELDS
        ),
    )
)
