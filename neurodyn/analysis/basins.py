"""Basins of attraction of a map on a 2-D grid of initial states, and the attractors found.

Convention: at one parameter point, every cell of a grid over two state variables (the other
variables held at given values) is iterated ``transient`` times by the batched kernels
(:func:`neurodyn.sim.iterate_batch`), then ``samples`` more states are kept. Each cell gets

* its period by :func:`~neurodyn.analysis.bifurcation.periods.detect_period` (the ``period``
  measure's convention: 0 none up to ``max_period``, -1 diverged);
* its attractor class by :func:`~neurodyn.analysis.measures.coexistence.attractor_classes` (the
  ``coexistence`` measure's convention and tolerances): two cells reached the same attractor when
  their sample sets lie within each other's neighbourhood, so a cycle is one attractor whatever
  phase a cell lands on it in. Cells on a cycle first share a class when their cycles, rotated to
  start at the cycle point of smallest first variable and rounded to ``decimals`` decimals, are
  equal; the classes so found are then merged by the coexistence test, so rounding never splits
  an attractor.

Classes are numbered 0, 1, ... by period (fixed points first, then cycles of increasing period,
then the non-periodic attractors: chaotic or quasi-periodic or longer than ``max_period``) and,
within a period, by the first cell (in C order of the grid) that reached them; diverged cells get
-1. Units: states in the model's units, time in iterations.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..models import Model
from ..provenance import provenance
from ..sim import iterate_batch
from .bifurcation.periods import PERIOD_CONVENTION, detect_period
from .measures.coexistence import attractor_classes

__all__ = ["BASINS_CONVENTION", "attractor_kind", "basins", "canonical_cycle", "classify_cells"]

BASINS_CONVENTION = __doc__.split("Convention: ", 1)[1].split("\n\nClasses", 1)[0].strip()


def canonical_cycle(states: np.ndarray, period: int) -> np.ndarray:
    """The last ``period`` states of ``states`` (time, n_state) rotated to start at the state of
    smallest first variable: the same array whichever phase of the cycle the run ended in."""
    cycle = states[-period:]
    return np.roll(cycle, -int(np.argmin(cycle[:, 0])), axis=0)


def attractor_kind(period: int) -> str:
    """``"fixed point"``, ``"period-k cycle"`` or ``"non-periodic"`` for a class's period."""
    if period == 1:
        return "fixed point"
    if period > 1:
        return f"period-{period} cycle"
    return "non-periodic"


def classify_cells(
    samples: np.ndarray,
    *,
    max_period: int = 32,
    period_tol: float = 1e-6,
    rtol: float = 0.05,
    atol: float = 1e-6,
    decimals: int = 6,
) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, periods)`` of cells from their last states ``samples`` (cells, time, n_state;
    a cell with non-finite samples diverged) by the module's convention; ``labels`` are the
    attractor classes (-1 diverged), ``periods`` each cell's own period."""
    periods = detect_period(
        samples, max_period=max_period, tol=period_tol, time_axis=1, state_axis=2
    )
    finite = np.all(np.isfinite(samples), axis=(1, 2))
    periods[~finite] = -1
    heads: dict[tuple, int] = {}  # (period, rounded canonical cycle) -> first cell
    group = np.full(len(samples), -1, dtype=np.int64)
    for cell in np.flatnonzero(periods > 0):
        cycle = canonical_cycle(samples[cell], int(periods[cell]))
        key = (int(periods[cell]), np.round(cycle, decimals).tobytes())
        group[cell] = heads.setdefault(key, cell)
    chaotic = np.flatnonzero(periods == 0)
    group[chaotic] = chaotic
    reps = sorted(set(group[group >= 0].tolist()), key=lambda c: (periods[c] == 0, periods[c], c))
    labels = np.full(len(samples), -1, dtype=np.int64)
    if not reps:
        return labels, periods
    found = attractor_classes(samples[reps], rtol, atol)
    first: dict[int, tuple] = {}
    for rep, label in zip(reps, found, strict=True):
        order = (periods[rep] == 0, int(periods[rep]), rep)
        first[label] = min(first.get(label, order), order)
    renumber = {label: k for k, label in enumerate(sorted(first, key=first.get))}
    by_rep = {rep: renumber[label] for rep, label in zip(reps, found, strict=True)}
    for cell in np.flatnonzero(group >= 0):
        labels[cell] = by_rep[int(group[cell])]
    return labels, periods


def basins(
    model: Model,
    parameters: Mapping[str, float],
    x: tuple[str, np.ndarray],
    y: tuple[str, np.ndarray],
    *,
    base: Mapping[str, float] | None = None,
    transient: int = 5000,
    samples: int = 256,
    max_period: int = 32,
    period_tol: float = 1e-6,
    rtol: float = 0.05,
    atol: float = 1e-6,
    bound: float | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """Basins of attraction of the map ``model`` at ``parameters`` (others at their defaults).

    ``x``, ``y``: ``(state variable, values)`` of the grid's two axes; the other state
    variables start at ``base`` (default: the model's initial state). Each cell runs
    ``transient`` iterations, then ``samples`` (at least ``2 * max_period``) kept ones that are
    classified by the module's convention with the ``period`` measure's ``max_period`` and
    ``period_tol`` and the ``coexistence`` measure's ``rtol`` and ``atol``.

    Returns a Dataset with dims ``<x>``, ``<y>`` (the grid; ``basin``: the attractor class
    reached, int64, -1 diverged;
    ``period`` int64, each cell's own) and ``attractor`` (the table: ``attractor_period``,
    ``attractor_kind``, ``attractor_cells``, ``attractor_fraction`` of all cells, ``cycle``
    (attractor, phase, state): the cycle from its smallest first variable, NaN-padded and NaN
    for non-periodic ones, and ``attractor_mean``, ``attractor_min``, ``attractor_max`` (attractor,
    state) over its first cell's samples).
    """
    if model.kind != "map":
        raise ValueError(f"basins need a map, {model.name} is a flow")
    (xname, xs), (yname, ys) = x, y
    for name in (xname, yname):
        if name not in model.state_names:
            raise ValueError(
                f"{name!r} is not a state variable of {model.name} ({', '.join(model.state_names)})"
            )
    if xname == yname:
        raise ValueError(f"the grid needs two different state variables, not {xname!r} twice")
    if samples < 2 * max_period:
        raise ValueError(f"samples = {samples} is less than 2 * max_period = {2 * max_period}")
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    start = model.initial_state().copy()
    for name, value in dict(base or {}).items():
        if name not in model.state_names:
            raise ValueError(f"base: {name!r} is not a state variable of {model.name}")
        start[model.state_names.index(name)] = float(value)
    n = xs.size * ys.size
    X = np.tile(start[:, None], (1, n))
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    X[model.state_names.index(xname)] = gx.reshape(-1)
    X[model.state_names.index(yname)] = gy.reshape(-1)
    from ..flows.trajectory import parameter_batch

    P = parameter_batch(model, dict(parameters), n)
    result = iterate_batch(
        model, X, P, steps=samples, transient=transient, keep=samples, bound=bound, threads=threads
    )
    states = np.moveaxis(result.kept, 2, 0)  # (cells, time, n_state)
    states[result.diverged] = np.nan
    labels, periods = classify_cells(
        states, max_period=max_period, period_tol=period_tol, rtol=rtol, atol=atol
    )
    return _dataset(
        model,
        parameters,
        (xname, xs),
        (yname, ys),
        states,
        labels,
        periods,
        {
            "transient": transient,
            "samples": samples,
            "max_period": max_period,
            "period_tol": period_tol,
            "rtol": rtol,
            "atol": atol,
            "base": start,
            "bound": result.schedule.bound,
        },
    )


def _dataset(model, parameters, x, y, states, labels, periods, settings) -> xr.Dataset:
    (xname, xs), (yname, ys) = x, y
    classes = int(labels.max()) + 1 if labels.size else 0
    firsts = [int(np.flatnonzero(labels == k)[0]) for k in range(classes)]
    max_period = settings["max_period"]
    cycle = np.full((classes, max_period, model.n_state), np.nan)
    for k, cell in enumerate(firsts):
        if periods[cell] > 0:
            cycle[k, : periods[cell]] = canonical_cycle(states[cell], int(periods[cell]))
    head = states[firsts] if firsts else np.empty((0, 1, model.n_state))
    counts = np.array([(labels == k).sum() for k in range(classes)], dtype=np.int64)
    shape = (xs.size, ys.size)
    resolved = model.resolve_parameters(dict(parameters))
    data = {
        "basin": (
            (xname, yname),
            labels.reshape(shape),
            {"long_name": "attractor class reached from the cell (-1 diverged)", "units": "1"},
        ),
        "period": (
            (xname, yname),
            periods.reshape(shape),
            {"long_name": "period of the cell's final states", "convention": PERIOD_CONVENTION},
        ),
        "attractor_period": (("attractor",), periods[firsts].astype(np.int64)),
        "attractor_kind": (
            ("attractor",),
            np.array([attractor_kind(int(periods[c])) for c in firsts], dtype="<U24"),
        ),
        "attractor_cells": (("attractor",), counts),
        "attractor_fraction": (("attractor",), counts / labels.size),
        "cycle": (
            ("attractor", "phase", "state"),
            cycle,
            {"long_name": "the cycle from its point of smallest first variable (NaN: none)"},
        ),
        "attractor_mean": (("attractor", "state"), head.mean(axis=1)),
        "attractor_min": (("attractor", "state"), head.min(axis=1)),
        "attractor_max": (("attractor", "state"), head.max(axis=1)),
    }
    coords = {
        xname: (xname, xs, {"long_name": f"initial {xname}"}),
        yname: (yname, ys, {"long_name": f"initial {yname}"}),
        "attractor": np.arange(classes),
        "phase": np.arange(max_period),
        "state": list(model.state_names),
    }
    attrs = {
        "model": model.name,
        "parameters": json.dumps({k: float(v) for k, v in resolved.items()}),
        "grid_variables": json.dumps([xname, yname]),
        "base_state": json.dumps(
            dict(zip(model.state_names, map(float, settings["base"]), strict=True))
        ),
        "diverged_fraction": float((labels < 0).mean()),
        "convention": BASINS_CONVENTION,
        "transient": settings["transient"],
        "samples": settings["samples"],
        "max_period": max_period,
        "period_tol": settings["period_tol"],
        "rtol": settings["rtol"],
        "atol": settings["atol"],
        "bound": float(settings["bound"]),
        "time_unit": "iteration",
        **provenance(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)
