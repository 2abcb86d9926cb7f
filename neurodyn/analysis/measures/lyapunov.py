"""The ``lyapunov`` measure: Lyapunov spectra from the sweep's final states."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..lyapunov import lyapunov_spectrum
from .context import Context
from .registry import Measure, Option, Output, positive, register_measure

__all__ = ["segment_statistics"]


def segment_statistics(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the segments' estimates (segments, n_exponents, points),
    as (points, n_exponents) arrays, summed segment by segment in order: unlike numpy's
    reductions, whose summation order depends on the array's layout, this gives the same bits
    for a point whatever the batch it was computed in."""
    n = segments.shape[0]
    total = np.zeros(segments.shape[1:])
    for estimate in segments:
        total += estimate
    mean = total / n
    squares = np.zeros(segments.shape[1:])
    for estimate in segments:
        squares += (estimate - mean) ** 2
    stderr = np.sqrt(squares / (n - 1)) / math.sqrt(n) if n > 1 else np.full(mean.shape, np.nan)
    return mean.T, stderr.T


def _lyapunov(ctx: Context) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    opts, grid, model = ctx.options, ctx.grid, ctx.model
    steps = opts.lyapunov_steps or ctx.steps
    n_exponents = opts.n_exponents or min(model.n_state, 6)
    ok = ~grid.diverged
    exponents = np.full((ok.size, n_exponents), np.nan)
    stderr = np.full((ok.size, n_exponents), np.nan)
    unit = "per iteration" if model.kind == "map" else "per unit time"
    if ok.any():
        result = lyapunov_spectrum(
            model,
            grid.final[:, ok],
            grid.parameters[:, ok],
            steps=steps,
            transient=0,
            n_exponents=n_exponents,
            segments=opts.segments,
            threads=ctx.threads,
        )
        exponents[ok], stderr[ok] = segment_statistics(result.segments)
        unit = result.unit
    attrs = {
        "units": unit,
        "unit": unit,
        "method": "QR (Benettin) with the analytic Jacobian of the model's equations, tangent "
        "vectors re-orthonormalised every iteration (modified Gram-Schmidt)",
        "start": "the sweep's final states <v>_final, tangent vectors the identity",
        "steps": steps,
        "segments": opts.segments,
        "order": "descending along 'exponent' (1 = largest)",
        "diverged": "NaN",
    }
    return {"lyapunov": exponents, "lyapunov_stderr": stderr}, attrs


register_measure(
    Measure(
        name="lyapunov",
        kind="grid",
        function=_lyapunov,
        summary="Lyapunov spectrum by the QR method from the final states <v>_final, all grid "
        "points in one batched call (descending along 'exponent')",
        reads_states=False,
        options=(
            Option("n_exponents", None, "exponents computed (default: all, at most 6)"),
            Option("lyapunov_steps", None, "run length in iterations (default: steps)"),
            Option("segments", 10, "convergence segments of the run", positive),
        ),
        outputs=(
            Output(
                "lyapunov",
                "Lyapunov exponents",
                "per iteration (maps), per unit time (flows)",
                "λ",
                "Lyapunov exponents (1/iteration)",
                dims=("exponent",),
                figure="complexity",
                caption="the largest Lyapunov exponent",
                reference=0.0,
            ),
            Output(
                "lyapunov_stderr",
                "standard error of the Lyapunov exponents",
                "per iteration (maps), per unit time (flows)",
                "stderr of λ",
                "standard error of λ",
                attrs=lambda ctx: {
                    "convention": "standard deviation over the segments' estimates / "
                    "sqrt(segments)"
                },
                dims=("exponent",),
            ),
        ),
    )
)
