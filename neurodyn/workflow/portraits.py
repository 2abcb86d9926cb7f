"""The study's ``phase_portraits`` and ``basins`` sections: long trajectories from several
initial states at chosen parameter points, and the basins of attraction at one point.

Parameter points: the values a section gives, over ``fixed``, over the middle of every swept
range (as the orbit diagram and the continuation). Without given points they are picked from
the merged sweep store (:func:`pick_points`): one point per attractor class the ``period``
measure found (each period; period 0 split into chaotic and quasi-periodic by the largest
Lyapunov exponent where ``lyapunov`` was measured) and the point with the most coexisting
attractors (``coexistence``; among equals, the one whose initial states reach the most
different attractors, :func:`_coexistence_index`); the basins section takes that coexistence point.

``phase_portraits.zarr`` (one Dataset): ``trajectory`` (point, ic, iteration, state), the states
after ``transient`` iterations, every ``every``-th of ``steps``; ``period`` (point, ic) by the
``period`` measure's convention; per point its ``label``, the ``reason`` it was chosen and every
parameter that differs between points as a coordinate ``<parameter>`` (point); the parameters
shared by all points in the attribute ``parameters`` (JSON). Initial states: ``n_initial`` drawn
in the model's box with the study's seed (:func:`neurodyn.sim.initial_states`, the sweep's own
draw when the sweep draws as many).

``basins.zarr``: :func:`neurodyn.analysis.basins.basins` at the section's point, with the
study's values there (``point``, JSON: swept and fixed parameters) and the ``reason`` for the
point in its attributes. Units: the model's; time in iterations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..store import write_dataset
from .config import StudyError, resolve_model, study_axes

__all__ = [
    "compute_basins",
    "compute_phase_portraits",
    "gives_points",
    "pick_points",
    "point_parameters",
    "run_basins",
    "run_phase_portraits",
    "section_params",
]

#: largest exponent above which a non-periodic point counts as chaotic (per iteration)
CHAOS_THRESHOLD = 1e-3


def gives_points(config: Mapping[str, Any], name: str) -> bool:
    """Whether section ``name`` (``phase_portraits`` or ``basins``) gives its points; if not,
    its job picks them from the merged sweep store (an input of its rule)."""
    return bool((config.get(name) or {}).get("point" if name == "basins" else "points"))


def section_params(config: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The parts of the study config that section ``name``'s job reads (its rule's params, so
    that editing anything else reruns no job of it)."""
    keys = ("study", "model", "model_options", "fixed", "sweep")
    return {
        **{key: config.get(key) for key in keys},
        "simulation": {key: config["simulation"].get(key) for key in ("seed", "bound")},
        name: config.get(name),
    }


def point_parameters(config: Mapping[str, Any], values: Mapping[str, float]) -> dict[str, float]:
    """All parameter values of a point: the middle of every swept range, then ``fixed``, then
    ``values`` (which may name any parameter of the model)."""
    start = {name: float(axis[len(axis) // 2]) for name, axis in study_axes(config).items()}
    start.update({k: float(v) for k, v in config["fixed"].items()})
    start.update({k: float(v) for k, v in values.items()})
    return start


def _classes(ds: xr.Dataset) -> tuple[xr.DataArray, dict[int, str]]:
    """Attractor class of every (point, ic) of a sweep store and the classes' names: period
    k >= 1 is class k, non-periodic is 0 (or -2 chaotic with ``lyapunov``), diverged -1."""
    period = ds["period"]
    classes = period.copy()
    names = {int(p): f"period {int(p)}" for p in np.unique(period.values) if p > 0}
    if "lyapunov" in ds:
        largest = ds["lyapunov"].isel(exponent=0)
        chaotic = (period == 0) & (largest > CHAOS_THRESHOLD)
        classes = classes.where(~chaotic, -2)
        names.update({0: "quasi-periodic", -2: "chaotic"})
    else:
        names[0] = "non-periodic (chaotic or quasi-periodic)"
    present = set(np.unique(classes.values).tolist())
    return classes, {k: v for k, v in names.items() if k in present}


def _central(mask: np.ndarray) -> tuple[int, ...]:
    """The grid index of ``mask`` nearest (in index units) to the median of its True cells."""
    cells = np.argwhere(mask)
    centre = np.median(cells, axis=0)
    return tuple(int(i) for i in cells[np.argmin(((cells - centre) ** 2).sum(axis=1))])


def pick_points(ds: xr.Dataset, max_points: int | None = None) -> list[dict[str, Any]]:
    """Points of a sweep store in distinct attractor classes (module docstring), each a dict of
    the swept parameters' grid values with its ``label``, ``reason`` and ``ic`` (an initial state
    that reached the class). First the point with the most coexisting attractors (where
    ``n_attractors`` is stored and exceeds 1, :func:`_coexistence_index`), then one per class,
    the classes reached by most (point, initial state) pairs of the sweep first, each where
    most of its initial states reach the class and nearest the middle of those points; at
    most ``max_points``. The grid's centre where the sweep has neither measure."""
    dims = [str(d) for d in ds["diverged"].dims if d != "ic"]
    picked: list[dict[str, Any]] = []

    def add(index: tuple[int, ...], label: str, reason: str, ic: int) -> None:
        values = {d: float(ds[d].values[i]) for d, i in zip(dims, index, strict=True)}
        if any(all(p[d] == values[d] for d in dims) for p in picked):
            return
        picked.append({**values, "label": label, "reason": reason, "ic": ic})

    coexisting = _coexistence_index(ds, dims)
    if coexisting is not None:
        index, count = coexisting
        add(index, f"{count} attractors", f"most coexisting attractors ({count})", 0)
    if "period" in ds:
        classes, names = _classes(ds)
        values = classes.transpose(*dims, "ic").values
        for k in sorted(names, key=lambda k: (-int((values == k).sum()), k)):
            share = (values == k).mean(axis=-1)
            index = _central(share == share.max())
            ic = int(np.flatnonzero(values[index] == k)[0])
            add(index, names[k], f"attractor class {names[k]} (sweep's period measure)", ic)
    if not picked:
        centre = tuple(ds.sizes[d] // 2 for d in dims)
        add(centre, "grid centre", "the sweep has no period or coexistence measure", 0)
    return picked[:max_points] if max_points else picked


def _coexistence_index(ds: xr.Dataset, dims: list[str]) -> tuple[tuple[int, ...], int] | None:
    """The grid index with the most coexisting attractors (``n_attractors``) and their number;
    among equals, those whose initial states reach the most distinct classes of
    :func:`_classes` (where ``period`` is stored: attractors that differ in kind, not only in
    place), then the largest spread of the largest Lyapunov exponent over the initial states
    (where ``lyapunov`` is stored), then the one nearest their middle. None without two
    coexisting attractors."""
    if "n_attractors" not in ds:
        return None
    count = ds["n_attractors"].max("ic").transpose(*dims).values
    top = int(count.max())
    if top < 2:
        return None
    best = count == top
    if "period" in ds:
        values = _classes(ds)[0].transpose(*dims, "ic").values
        kinds = np.apply_along_axis(lambda v: np.unique(v[v != -1]).size, -1, values)
        best &= kinds == kinds[best].max()
    if "lyapunov" in ds:
        largest = ds["lyapunov"].isel(exponent=0).transpose(*dims, "ic").values
        with np.errstate(invalid="ignore"):
            spread = np.nan_to_num(np.nanmax(largest, -1) - np.nanmin(largest, -1), nan=-1.0)
        best &= spread == spread[best].max()
    return _central(best), top


def _sweep(config: Mapping[str, Any], sweep_store: str | os.PathLike[str] | None) -> xr.Dataset:
    from ..store import open_dataset

    if sweep_store is None:
        raise StudyError("automatic points need the study's sweep store")
    return open_dataset(sweep_store)


def compute_phase_portraits(
    config: Mapping[str, Any],
    sweep_store: str | os.PathLike[str] | None = None,
    threads: int | None = 1,
) -> xr.Dataset:
    """The ``phase_portraits`` section of a checked study config (module docstring);
    ``sweep_store`` is read when the section gives no points."""
    from ..analysis.bifurcation.periods import PERIOD_CONVENTION, detect_period
    from ..flows.trajectory import parameter_batch
    from ..sim import initial_states, iterate_batch

    spec = config["phase_portraits"]
    model = resolve_model(config["model"], config.get("model_options"))
    given = spec.get("points")
    if given:
        chosen = [
            {**p, "label": p.get("label", f"point {k}"), "reason": "given in the config"}
            for k, p in enumerate(given, start=1)
        ]
    else:
        chosen = pick_points(_sweep(config, sweep_store), spec["max_points"])
    meta = ("label", "reason", "ic")
    points = [
        point_parameters(config, {k: v for k, v in p.items() if k not in meta}) for p in chosen
    ]
    names = list(points[0])
    varying = [n for n in names if len({p[n] for p in points}) > 1]
    ics = initial_states(model, spec["n_initial"], config["simulation"]["seed"])
    n_ic, n_points = ics.shape[0], len(points)
    P = parameter_batch(
        model, {n: np.repeat([p[n] for p in points], n_ic) for n in names}, n_points * n_ic
    )
    X = np.tile(ics.T, (1, n_points))
    keep = spec["steps"] // spec["every"]
    result = iterate_batch(
        model,
        X,
        P,
        steps=keep * spec["every"],
        transient=spec["transient"],
        every=spec["every"],
        keep=keep,
        bound=config["simulation"].get("bound"),
        threads=threads,
    )
    trajectory = result.kept.transpose(2, 0, 1).reshape(n_points, n_ic, keep, model.n_state)
    max_period = min(32, keep // 2)
    period = detect_period(trajectory, max_period=max_period, time_axis=2, state_axis=3)
    from ..store.attrs import IC_ATTRS, ITERATION_ATTRS

    coords = {
        "point": np.arange(n_points),
        "ic": ("ic", np.arange(n_ic), IC_ATTRS),
        "iteration": ("iteration", result.kept_iterations, ITERATION_ATTRS),
        "state": list(model.state_names),
        "label": ("point", np.array([str(p["label"]) for p in chosen])),
        "reason": ("point", np.array([str(p["reason"]) for p in chosen])),
        **{n: ("point", np.array([p[n] for p in points])) for n in varying},
    }
    data = {
        "trajectory": (
            ("point", "ic", "iteration", "state"),
            trajectory,
            {"long_name": "states after the transient (NaN after divergence)"},
        ),
        "initial": (("ic", "state"), ics, {"long_name": "initial states"}),
        "period": (
            ("point", "ic"),
            period,
            {"convention": PERIOD_CONVENTION, "max_period": max_period, "tol": 1e-6},
        ),
    }
    shared = {n: points[0][n] for n in names if n not in varying}
    attrs = {
        "study": config["study"],
        "model": model.name,
        "parameters": json.dumps(shared),
        "varying_parameters": json.dumps(varying),
        "variables": json.dumps(spec.get("variables") or list(model.state_names)),
        "transient": spec["transient"],
        "steps": keep * spec["every"],
        "every": spec["every"],
        "seed": config["simulation"]["seed"],
        "time_unit": "iteration",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def compute_basins(
    config: Mapping[str, Any],
    sweep_store: str | os.PathLike[str] | None = None,
    threads: int | None = 1,
) -> xr.Dataset:
    """The ``basins`` section of a checked study config (module docstring); ``sweep_store``
    is read when the section gives no point."""
    from ..analysis.basins import basins

    spec = config["basins"]
    model = resolve_model(config["model"], config.get("model_options"))
    if "point" in spec:
        values, reason = spec["point"], "given in the config"
    else:
        ds = _sweep(config, sweep_store)
        dims = [str(d) for d in ds["diverged"].dims if d != "ic"]
        found = _coexistence_index(ds, dims)
        if found is None:
            index = tuple(ds.sizes[d] // 2 for d in dims)
            reason = "the grid's centre (the sweep found no coexisting attractors)"
        else:
            index, count = found
            reason = f"most coexisting attractors in the sweep ({count})"
        values = {d: float(ds[d].values[i]) for d, i in zip(dims, index, strict=True)}
    parameters = point_parameters(config, values)
    axes = {}
    for key in ("x", "y"):
        name = spec[key]
        variable = model.state[model.state_names.index(name)]
        low, high = spec.get(f"{key}_range", (variable.low, variable.high))
        axes[key] = (name, np.linspace(low, high, spec["resolution"]))
    out = basins(
        model,
        parameters,
        axes["x"],
        axes["y"],
        base=spec.get("base"),
        transient=spec["transient"],
        samples=spec["samples"],
        max_period=spec["max_period"],
        period_tol=spec["period_tol"],
        rtol=spec["rtol"],
        atol=spec["atol"],
        bound=config["simulation"].get("bound"),
        threads=threads,
    )
    out.attrs.update(study=config["study"], reason=reason, point=json.dumps(parameters))
    return out


def run_phase_portraits(
    config: Mapping[str, Any],
    out: str | os.PathLike[str],
    sweep_store: str | os.PathLike[str] | None = None,
    threads: int | None = 1,
) -> Path:
    """:func:`compute_phase_portraits` written to the store ``out``."""
    return write_dataset(compute_phase_portraits(config, sweep_store, threads), out)


def run_basins(
    config: Mapping[str, Any],
    out: str | os.PathLike[str],
    sweep_store: str | os.PathLike[str] | None = None,
    threads: int | None = 1,
) -> Path:
    """:func:`compute_basins` written to the store ``out``."""
    return write_dataset(compute_basins(config, sweep_store, threads), out)
