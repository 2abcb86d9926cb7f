"""The ``coexistence`` measure: which attractor each initial state reached, and how many distinct
attractors each parameter point has (the coexistence map).

Convention: the attractor reached from one initial state is summarised by its signature, the
time mean, minimum and maximum of every state variable over the last ``coexistence_samples``
states (kept states of the sweep where it kept that many, else as many iterations continued
from ``<v>_final``). Two initial states at the same parameter point reached the same attractor
when every entry of their signatures differs by at most
``coexistence_rtol * extent + coexistence_atol``, with ``extent`` the larger of the two
attractors' ranges (max - min) in that variable: a cycle matches itself in any phase, a chaotic
attractor matches its own samples (whose means and extremes fluctuate by a small part of its
extent), two fixed points match only within ``coexistence_atol``. Classes are numbered 0, 1, ...
in the order of the initial states (the first state's attractor is 0) by comparing each state
with the first state of every class found before it. Diverged states get class -1 and are not
counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .context import Context, continue_states, kept_states
from .registry import Measure, Option, Output, positive, register_measure


def attractor_classes(signatures: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Class of each row of ``signatures`` (n_ic, n_state, 3: mean, min, max; NaN rows are
    diverged, class -1) by the module's convention."""
    classes = np.full(signatures.shape[0], -1, dtype=np.int64)
    heads: list[int] = []
    for i, sig in enumerate(signatures):
        if not np.all(np.isfinite(sig)):
            continue
        for label, j in enumerate(heads):
            other = signatures[j]
            extent = np.maximum(sig[:, 2] - sig[:, 1], other[:, 2] - other[:, 1])
            if np.all(np.abs(sig - other) <= (rtol * extent + atol)[:, None]):
                classes[i] = label
                break
        else:
            classes[i] = len(heads)
            heads.append(i)
    return classes


def _coexistence(ctx: Context) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    opts, grid, ds = ctx.options, ctx.grid, ctx.data
    window = opts.coexistence_samples
    kept = kept_states(ds, ctx.model.state_names, grid.dims)
    if kept is not None and kept.shape[0] >= window:
        states = kept[-window:]
        source = f"the last {window} kept states of the sweep"
    else:
        states = continue_states(ctx.model, grid, window, 1, ctx.threads)
        source = f"{window} iterations continued from the final states <v>_final"
    signature = np.stack([states.mean(axis=0), states.min(axis=0), states.max(axis=0)], axis=-1)
    signature[:, grid.diverged] = np.nan
    # (n_state, points, 3) -> grid shape with ic last: (..., n_ic, n_state, 3)
    signature = signature.transpose(1, 0, 2).reshape(*grid.shape, ctx.model.n_state, 3)
    ic_axis = grid.dims.index("ic") if "ic" in grid.dims else None
    if ic_axis is None:
        signature = signature[..., None, :, :]
        ic_axis = len(grid.shape)
    moved = np.moveaxis(signature, ic_axis, -3)
    flat = moved.reshape(-1, *moved.shape[-3:])
    classes = np.stack(
        [attractor_classes(s, opts.coexistence_rtol, opts.coexistence_atol) for s in flat]
    )
    counts = np.repeat((classes.max(axis=1) + 1)[:, None], classes.shape[1], axis=1)
    out = {}
    for name, values in (("attractor", classes), ("n_attractors", counts)):
        values = np.moveaxis(values.reshape(moved.shape[:-2]), -1, ic_axis)
        out[name] = values.reshape(-1).astype(np.int64)
    return out, {"source": source}


def _attrs(ctx: Context) -> dict[str, Any]:
    return {
        "convention": __doc__.split("Convention: ", 1)[1].strip(),
        "samples": ctx.options.coexistence_samples,
        "rtol": ctx.options.coexistence_rtol,
        "atol": ctx.options.coexistence_atol,
    }


register_measure(
    Measure(
        name="coexistence",
        kind="grid",
        function=_coexistence,
        summary="attractor class of each initial state (int64, -1 diverged) and the number of "
        "distinct attractors at its parameter point (int64), from the time mean, minimum and "
        "maximum of every state variable over the last coexistence_samples states",
        options=(
            Option("coexistence_samples", 500, "states per signature, in iterations", positive),
            Option("coexistence_rtol", 0.05, "tolerance relative to the attractor's extent"),
            Option("coexistence_atol", 1e-6, "absolute tolerance, in the state's units"),
        ),
        outputs=(
            Output(
                "attractor",
                "attractor class reached from the initial state",
                "1",
                "attractor",
                "class of the attractor reached (0, 1, ... by initial state; -1 diverged)",
                attrs=_attrs,
            ),
            Output(
                "n_attractors",
                "number of distinct attractors at the parameter point",
                "1",
                "attractors",
                "number of coexisting attractors at the point",
                attrs=_attrs,
            ),
        ),
    )
)
