"""The ``coexistence`` measure: which attractor each initial state reached, and how many distinct
attractors each parameter point has (the coexistence map).

Convention: the attractor reached from one initial state is represented by its last
``coexistence_samples`` states (kept states of the sweep where it kept that many, else as many
iterations continued from ``<v>_final``). Two initial states at the same parameter point reached
the same attractor when each sample set lies close to the other: the 90 % quantile of the
Euclidean distances (in the state's units) from each sample of one set to its nearest sample in
the other, taken both ways, is at most ``coexistence_rtol * size + coexistence_atol``, with
``size`` the larger of the two sets' diameters (the norm of their 5 %-95 % quantile spreads).
A cycle matches itself in any phase, a chaotic attractor matches another sampling of itself
(even when a slow variable has drifted, as in bursting), two fixed points match only within
``coexistence_atol``; quantiles make the test robust to rare bursts. Classes are numbered 0,
1, ... in the order of the initial states (the first state's attractor is 0) by comparing each
state with the first state of every class found before it. Diverged states get class -1 and
are not counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .context import Context, continue_states, kept_states
from .registry import Measure, Option, Output, positive, register_measure


def _size(samples: np.ndarray) -> float:
    low, high = np.quantile(samples, [0.05, 0.95], axis=0)
    return float(np.linalg.norm(high - low))


def _near(a: np.ndarray, tree_b: cKDTree) -> float:
    """90 % quantile of the distances from the samples of ``a`` to their nearest in the samples
    that ``tree_b`` holds."""
    return float(np.quantile(tree_b.query(a)[0], 0.9))


def attractor_classes(samples: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Class of each initial state from its samples (n_ic, samples, n_state; a state with
    non-finite samples diverged, class -1) by the module's convention. Each state's tree and
    size are built once and the classes' first states' kept, so a state costs one tree and two
    queries per class it is compared with."""
    classes = np.full(samples.shape[0], -1, dtype=np.int64)
    heads: list[tuple[np.ndarray, cKDTree, float]] = []
    for i, own in enumerate(samples):
        if not np.all(np.isfinite(own)):
            continue
        tree, size = cKDTree(own), _size(own)
        for label, (other, other_tree, other_size) in enumerate(heads):
            tol = rtol * max(size, other_size) + atol
            if _near(own, other_tree) <= tol and _near(other, tree) <= tol:
                classes[i] = label
                break
        else:
            classes[i] = len(heads)
            heads.append((own, tree, size))
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
    states = states.copy()
    states[:, :, grid.diverged] = np.nan
    # (samples, n_state, points) -> grid shape with ic before the samples: (..., n_ic, T, n)
    samples = states.transpose(2, 0, 1).reshape(*grid.shape, window, ctx.model.n_state)
    ic_axis = grid.dims.index("ic") if "ic" in grid.dims else None
    if ic_axis is None:
        samples = samples[..., None, :, :]
        ic_axis = len(grid.shape)
    moved = np.moveaxis(samples, ic_axis, -3)
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
        "distinct attractors at its parameter point (int64): two states reached the same one "
        "when their last coexistence_samples states lie within each other's neighbourhood",
        options=(
            Option(
                "coexistence_samples",
                1000,
                "last states compared per initial state, in iterations",
                positive,
            ),
            Option("coexistence_rtol", 0.05, "tolerance relative to the attractor's size"),
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
