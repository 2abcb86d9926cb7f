"""Measures of one scalar series per point: the 0-1 test for chaos, sample and permutation
entropy."""

from __future__ import annotations

import math

import numpy as np

from ..chaos01 import zero_one_test
from ..entropy import permutation_entropy, sample_entropy
from .context import Context, constant_in_time
from .registry import Measure, Option, Output, positive, register_measure


def _chaos01(ctx: Context, states: np.ndarray) -> tuple[float]:
    x = ctx.scalar(states)
    if constant_in_time(x):
        return (math.nan,)
    return (zero_one_test(x, n_c=ctx.options.n_c, seed=ctx.seed, oversampling_lag=None).K,)


def _sample_entropy(ctx: Context, states: np.ndarray) -> tuple[float]:
    x = ctx.scalar(states)
    if constant_in_time(x):
        return (math.nan,)
    return (sample_entropy(x, ctx.options.m, ctx.options.r, tie=ctx.options.tie),)


def _permutation_entropy(ctx: Context, states: np.ndarray) -> tuple[float]:
    return (permutation_entropy(ctx.scalar(states), ctx.options.order, ctx.options.delay),)


register_measure(
    Measure(
        name="chaos01",
        cost=(5.5e-3, 5e-6),
        kind="series",
        function=_chaos01,
        summary="Gottwald-Melbourne 0-1 test for chaos K of the scalar series",
        min_samples=100,
        options=(Option("n_c", 100, "frequencies c of the 0-1 test", positive),),
        outputs=(
            Output(
                "chaos01_K",
                "0-1 test for chaos, K (about 1 chaotic, about 0 regular)",
                "1",
                "0-1 test K",
                "Gottwald–Melbourne 0-1 test K",
                attrs=lambda ctx: {
                    "method": "Gottwald-Melbourne correlation method (2009): K = median over c "
                    "of corr(n, D_c(n)), n = 1..N//10, D_c the mean-square displacement less "
                    "its oscillatory term",
                    "n_c": ctx.options.n_c,
                    "c_range": [math.pi / 5, 4 * math.pi / 5],
                    "seed": ctx.seed,
                    "seed_convention": "frequencies c drawn with numpy.random.default_rng(seed), "
                    "the same for every point",
                    "undefined": "NaN for a constant series (fixed point)",
                },
                figure="complexity",
                caption="Gottwald-Melbourne 0-1 test K (near 1 chaotic, near 0 regular)",
            ),
        ),
    )
)

register_measure(
    Measure(
        name="sample_entropy",
        cost=(3.3e-4, 8e-8),
        kind="series",
        function=_sample_entropy,
        summary="sample entropy SampEn(m, r) of the scalar series, in nats",
        options=(
            Option("m", 2, "template length of the sample entropy"),
            Option("r", 0.2, "tolerance of the sample entropy, relative to the standard deviation"),
            Option("tie", "<=", "match at distance equal to the tolerance ('<=') or not ('<')"),
        ),
        outputs=(
            Output(
                "sample_entropy",
                "sample entropy SampEn(m, r)",
                "nats",
                "sample entropy",
                "sample entropy (nats)",
                attrs=lambda ctx: {
                    "m": ctx.options.m,
                    "r": ctx.options.r,
                    "tolerance": "r * std(series, ddof=0)",
                    "tie": ctx.options.tie,
                    "tie_convention": f"templates match when their Chebyshev distance "
                    f"{ctx.options.tie} the tolerance, at every series length",
                    "convention": "-ln(A/B) over the same N - m templates for lengths m and "
                    "m + 1, self-matches excluded (Richman & Moorman 2000); inf when A = 0",
                    "undefined": "NaN for a constant series (fixed point) or when B = 0",
                },
                figure="complexity",
                caption="sample entropy",
            ),
        ),
    )
)

register_measure(
    Measure(
        name="permutation_entropy",
        cost=(5e-5, 7e-8),
        kind="series",
        function=_permutation_entropy,
        summary="permutation entropy of the scalar series, normalised to [0, 1]",
        options=(
            Option("order", 3, "pattern length of the permutation entropy"),
            Option("delay", 1, "delay of the permutation entropy, in samples"),
        ),
        outputs=(
            Output(
                "permutation_entropy",
                "permutation entropy (normalised)",
                "1",
                "permutation entropy",
                "normalised permutation entropy",
                attrs=lambda ctx: {
                    "order": ctx.options.order,
                    "delay": ctx.options.delay,
                    "normalize": True,
                    "convention": "Shannon entropy in bits of the ordinal patterns divided by "
                    "log2(order!) (Bandt & Pompe 2002); ties ranked by position (earlier "
                    "sample lower)",
                },
                figure="complexity",
                caption="permutation entropy",
            ),
        ),
    )
)
