"""The study's ``continuation`` section: start cycles found by Newton, codim-1 branches along one
parameter, codim-2 curves in the two swept parameters, all in one store of labelled branches.

Steps (each with the tools of :mod:`neurodyn.analysis.bifurcation`):

1. Start points: :func:`~neurodyn.analysis.bifurcation.find_cycles` for every period of
   ``periods`` at the start parameters (``fixed``, then ``start``; a swept parameter not given
   sits at the middle of its range, like the orbit diagram, and the continued parameter at the
   low end of its range). ``stability: stable`` keeps the stable cycles only.
2. Codim-1: each start cycle is continued along ``parameter`` both ways
   (:func:`~neurodyn.analysis.bifurcation.continue_cycle`) within the parameter's sweep range,
   locating LP, PD, NS and BP; at the first PD of a branch the doubled cycle is continued
   (:func:`~neurodyn.analysis.bifurcation.switch_at_period_doubling`), ``doublings`` times.
3. Codim-2: every located point of a kind in ``curves`` (LP, PD, NS; one per kind, period and
   parameter value) starts a curve in the two swept parameters
   (:func:`~neurodyn.analysis.bifurcation.bifurcation_curve`, within the sweep ranges), with its
   codimension-2 points (CP, GPD, CH, R1-R4, LPPD, LPNS, PDNS, NSNS) and their coefficients;
   and one in each of the ``planes`` (two parameters with their ranges, one of them the
   continued parameter; the other starts at its ``fixed``/``start`` value), at most
   ``max_curves`` curves in all.

A curve whose start does not converge is left out and named in the store's ``notes``.

Store layout (one Dataset; :func:`branches_from_dataset` reads the branches back): dimension
``branch`` (coordinate ``branch``: labels ``P1.1+``, ``P2.1-``, ``PD.P1.1`` ...; variables
``branch_kind`` ("cycle", "LP", "PD", "NS"), ``branch_period``, ``branch_free`` (JSON list),
``branch_stop``), dimension ``point`` (all branches' points one after another: ``point_branch``,
the two swept parameters and those of the ``planes`` (attribute ``curve_parameters``),
``orbit`` (point, phase, state) NaN-padded to the longest period, ``multipliers``,
``stable``, ``coefficient_normal_form`` (``a``, ``c`` or ``d`` along LP, PD, NS curves),
``coefficient_kappa`` (NS curves)), dimension ``special`` (``special_label``, ``special_branch``,
``special_<parameter>`` for those parameters, ``special_period``, ``special_multipliers``,
``special_coefficient_<c>`` for ``c`` in a, c, d, theta, kappa).
Units: parameters as the model's; time in iterations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..models import ModelError
from ..store import write_dataset
from ..store.attrs import attr_value
from .config import StudyError, resolve_model, study_axes

__all__ = [
    "branches_from_dataset",
    "compute_continuation",
    "continuation_parameters",
    "continuation_planes",
    "run_continuation",
]

_COEFFICIENT = {"LP": "a", "PD": "c", "NS": "d"}
_SPECIAL_COEFFICIENTS = ("a", "c", "d", "theta", "kappa")


def continuation_parameters(config: Mapping[str, Any]) -> tuple[str, tuple[str, str], dict]:
    """``(parameter, (p1, p2), start)``: the continued parameter, the two swept parameters of
    the codim-2 curves and all start values (fixed, then the section's ``start``, then the
    defaults of the module docstring). Raises :class:`StudyError` for a parameter that is not
    one of the first two swept parameters."""
    spec = config["continuation"]
    axes = study_axes(config)
    names = list(axes)
    if len(names) < 2:
        raise StudyError("continuation: needs a sweep over two parameters (the codim-2 plane)")
    pair = (names[0], names[1])
    parameter = spec["parameter"]
    if parameter not in pair:
        raise StudyError(
            f"continuation/parameter: {parameter!r} is not one of the swept parameters {pair}"
        )
    start = {name: float(axis[len(axis) // 2]) for name, axis in axes.items()}
    start[parameter] = float(axes[parameter][0])
    start.update(config["fixed"])
    for name, value in spec.get("start", {}).items():
        if name not in pair and name not in config["fixed"]:
            raise StudyError(f"continuation/start: {name!r} is neither swept nor fixed")
        start[name] = float(value)
    return parameter, pair, start


def continuation_planes(config: Mapping[str, Any]) -> list[dict[str, tuple[float, float]]]:
    """The codim-2 planes as ``{name: (low, high)}``: the two swept parameters within their
    ranges, then the section's ``planes``. Raises :class:`StudyError` for a plane without the
    continued parameter, an empty range, or a start value (``fixed``, ``start`` or the model's
    default) outside its range."""
    parameter, pair, start = continuation_parameters(config)
    model = resolve_model(config["model"], config.get("model_options"))
    bounds = _bounds(config)
    planes = [{name: bounds[name] for name in pair}]
    for number, plane in enumerate(config["continuation"].get("planes", []), start=1):
        where = f"continuation/planes[{number}]"
        if parameter not in plane:
            raise StudyError(
                f"{where}: {sorted(plane)} lacks the continued parameter {parameter!r}"
            )
        ranges = {}
        for name, (low, high) in plane.items():
            if not low < high:
                raise StudyError(f"{where}/{name}: range [{low}, {high}] is empty")
            if name != parameter:
                value = start[name] if name in start else model.parameter(name).default
                if not low <= value <= high:
                    raise StudyError(
                        f"{where}/{name}: the start value {value} lies outside [{low}, {high}]"
                    )
            ranges[name] = (float(low), float(high))
        planes.append(ranges)
    return planes


def _bounds(config: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    return {
        name: (float(axis.min()), float(axis.max())) for name, axis in study_axes(config).items()
    }


def compute_continuation(config: Mapping[str, Any], threads: int | None = 1) -> xr.Dataset:
    """Run the ``continuation`` section of a checked study config (module docstring)."""
    from ..analysis.bifurcation import (
        ContinuationSettings,
        bifurcation_curve,
        continue_cycle,
        find_cycles,
        switch_at_period_doubling,
    )

    spec = config["continuation"]
    model = resolve_model(config["model"], config.get("model_options"))
    parameter, pair, start = continuation_parameters(config)
    bounds = _bounds(config)
    planes = continuation_planes(config)
    settings = ContinuationSettings(
        step=spec["step"], h_max=spec["h_max"], max_steps=spec["max_steps"]
    )
    notes: list[str] = []
    branches: list[tuple[str, Any]] = []
    for period in spec["periods"]:
        found = find_cycles(
            model,
            start,
            period=period,
            n_seeds=spec["n_seeds"],
            seed=config["simulation"]["seed"],
            threads=threads,
        )
        keep = [
            i
            for i in range(found.sizes["cycle"])
            if spec["stability"] == "all" or str(found["stability"].values[i]) == "stable"
        ]
        if not keep:
            notes.append(f"no {spec['stability']} cycle of period {period} found at {start}")
        for number, i in enumerate(keep, start=1):
            orbit = found["orbit"].values[i]
            for direction, sign in ((1, "+"), (-1, "-")):
                label = f"P{period}.{number}{sign}"
                try:
                    branch = continue_cycle(
                        model,
                        parameter,
                        orbit,
                        start,
                        period=period,
                        direction=direction,
                        settings=settings,
                        bounds={parameter: bounds[parameter]},
                    )
                except (ModelError, RuntimeError, np.linalg.LinAlgError) as err:
                    notes.append(f"{label}: {err}")
                    continue
                branches.append((label, branch))
                for level in range(1, spec["doublings"] + 1):
                    pds = branch.points("PD")
                    if not pds:
                        break
                    label = f"{label}/PD{level}"
                    try:
                        branch = switch_at_period_doubling(
                            branch, pds[0], settings=settings, bounds={parameter: bounds[parameter]}
                        )
                    except (ModelError, RuntimeError, np.linalg.LinAlgError) as err:
                        notes.append(f"{label}: {err}")
                        break
                    branches.append((label, branch))
    curve_settings = replace(settings, max_steps=spec["curve_steps"])
    seen: list[tuple[str, int, float]] = []
    n_curves = 0
    for label, branch in list(branches):
        for point in branch.special:
            if point.label not in spec["curves"]:
                continue
            value = point.parameters[parameter]
            key = (point.label, branch.period)
            if any(k == key[0] and p == key[1] and abs(v - value) < 1e-6 for k, p, v in seen):
                continue
            seen.append((*key, value))
            for number, plane in enumerate(planes):
                free = tuple(plane)
                name = f"{point.label}.P{branch.period}.{len(seen)}"
                if number:
                    name += "/" + next(p for p in free if p != parameter)
                if n_curves >= spec["max_curves"]:
                    notes.append(f"max_curves ({spec['max_curves']}) reached: {name} not continued")
                    continue
                n_curves += 1
                try:
                    curve = bifurcation_curve(
                        model,
                        point.label,
                        point.orbit,
                        {**branch.fixed, **point.parameters},
                        free,
                        settings=curve_settings,
                        bounds=plane,
                    )
                except (ModelError, RuntimeError, ValueError, np.linalg.LinAlgError) as err:
                    notes.append(f"{name} from {label}: {err}")
                    continue
                branches.append((name, curve))
    ds = branches_to_dataset(branches, pair, model, [p for plane in planes for p in plane])
    ds.attrs.update(
        study=config["study"],
        parameter=parameter,
        start_parameters=json.dumps(start),
        notes=json.dumps(notes),
    )
    return ds


def branches_to_dataset(
    branches: list[tuple[str, Any]],
    pair: tuple[str, str],
    model,
    parameters: list[str] | None = None,
) -> xr.Dataset:
    """Labelled branches (``(label, Branch)``) as one Dataset (module docstring); ``parameters``:
    those stored per point besides the swept ``pair`` (the planes')."""
    names = tuple(dict.fromkeys([*pair, *(parameters or [])]))
    n = model.n_state
    longest = max((b.period for _, b in branches), default=1)
    point_vars: dict[str, list] = {
        k: [] for k in ("branch", *names, "orbit", "multipliers", "coefficient", "kappa")
    }
    special_vars: dict[str, list] = {
        k: [] for k in ("label", "branch", "period", "multipliers", *names)
    }
    special_coefficients: dict[str, list] = {c: [] for c in _SPECIAL_COEFFICIENTS}
    for index, (_, branch) in enumerate(branches):
        m = len(branch.values)
        point_vars["branch"].append(np.full(m, index))
        for name in names:
            values = (
                branch.parameter(name) if name in branch.free else np.full(m, branch.fixed[name])
            )
            point_vars[name].append(values)
        orbit = np.full((m, longest, n), np.nan)
        orbit[:, : branch.period] = branch.orbits
        point_vars["orbit"].append(orbit)
        point_vars["multipliers"].append(branch.multipliers)
        coefficient = branch.coefficients.get(_COEFFICIENT.get(branch.kind, ""), np.full(m, np.nan))
        point_vars["coefficient"].append(coefficient)
        point_vars["kappa"].append(branch.coefficients.get("kappa", np.full(m, np.nan)))
        for p in branch.special:
            special_vars["label"].append(p.label)
            special_vars["branch"].append(index)
            for name in names:
                special_vars[name].append(p.parameters.get(name, branch.fixed[name]))
            special_vars["period"].append(branch.period)
            special_vars["multipliers"].append(p.multipliers)
            for c in _SPECIAL_COEFFICIENTS:
                special_coefficients[c].append(p.coefficients.get(c, np.nan))

    def cat(parts, shape, dtype=np.float64):
        return np.concatenate(parts) if parts else np.empty(shape, dtype=dtype)

    data = {
        "branch_kind": (("branch",), np.array([b.kind for _, b in branches], dtype="<U8")),
        "branch_period": (("branch",), np.array([b.period for _, b in branches], dtype=np.int64)),
        "branch_free": (
            ("branch",),
            np.array([json.dumps(list(b.free)) for _, b in branches], dtype="<U64"),
        ),
        "branch_stop": (
            ("branch",),
            np.array([b.stop_reason for _, b in branches], dtype="<U160"),
        ),
        "point_branch": (("point",), cat(point_vars["branch"], (0,), np.int64).astype(np.int64)),
        "orbit": (("point", "phase", "state"), cat(point_vars["orbit"], (0, longest, n))),
        "multipliers": (
            ("point", "multiplier"),
            cat(point_vars["multipliers"], (0, n), np.complex128).astype(np.complex128),
            {"long_name": "eigenvalues of the monodromy matrix, decreasing modulus"},
        ),
        "coefficient_normal_form": (
            ("point",),
            cat(point_vars["coefficient"], (0,)),
            {"long_name": "normal-form coefficient a (LP), c (PD) or d (NS) along the curve"},
        ),
        "coefficient_kappa": (
            ("point",),
            cat(point_vars["kappa"], (0,)),
            {"long_name": "cos theta (NS)"},
        ),
        "special_label": (("special",), np.array(special_vars["label"], dtype="<U8")),
        "special_branch": (("special",), np.array(special_vars["branch"], dtype=np.int64)),
        "special_period": (("special",), np.array(special_vars["period"], dtype=np.int64)),
        "special_multipliers": (
            ("special", "multiplier"),
            np.array(special_vars["multipliers"], dtype=np.complex128).reshape(-1, n),
        ),
    }
    for name in names:
        data[name] = (("point",), cat(point_vars[name], (0,)))
        data[f"special_{name}"] = (("special",), np.array(special_vars[name], dtype=np.float64))
    for c in _SPECIAL_COEFFICIENTS:
        data[f"special_coefficient_{c}"] = (
            ("special",),
            np.array(special_coefficients[c], dtype=np.float64),
        )
    data["stable"] = (("point",), np.all(np.abs(data["multipliers"][1]) < 1.0, axis=1))
    coords = {
        "branch": np.array([label for label, _ in branches], dtype="<U32"),
        "point": np.arange(data["point_branch"][1].size),
        "special": np.arange(len(special_vars["label"])),
        "phase": np.arange(longest),
        "state": list(model.state_names),
        "multiplier": np.arange(n),
    }
    fixed = branches[0][1].fixed if branches else {}
    attrs = {
        "model": model.name,
        "swept_parameters": json.dumps(list(pair)),
        "curve_parameters": json.dumps(list(names)),
        "fixed_parameters": json.dumps({k: v for k, v in fixed.items() if k not in names}),
        "time_unit": "iteration",
        "labels": "cycle branches P<period>.<n><direction>, /PD<k> after k period doublings; "
        "curves <LP|PD|NS>.P<period>.<n> in the two swept parameters, "
        "<LP|PD|NS>.P<period>.<n>/<other> in the plane of the continued parameter and <other>",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def branches_from_dataset(ds: xr.Dataset) -> list[tuple[str, Any]]:
    """The labelled branches of a continuation store as ``(label, Branch)`` (``model`` None,
    unknowns and tangents empty: enough to draw them and read their special points)."""
    from ..analysis.bifurcation import Branch, SpecialPoint

    pair = tuple(attr_value(ds.attrs["swept_parameters"]))
    names = tuple(attr_value(ds.attrs.get("curve_parameters", list(pair))))
    fixed = attr_value(ds.attrs.get("fixed_parameters", {}))
    point_branch = ds["point_branch"].values
    special_branch = ds["special_branch"].values
    out = []
    for index, label in enumerate(ds["branch"].values):
        rows = np.flatnonzero(point_branch == index)
        free = tuple(json.loads(str(ds["branch_free"].values[index])))
        period = int(ds["branch_period"].values[index])
        kind = str(ds["branch_kind"].values[index])
        here = {**fixed, **{p: float(ds[p].values[rows[0]]) for p in names if p not in free}}
        located = [p for p in names if p in free or p in pair]
        specials = [
            SpecialPoint(
                label=str(ds["special_label"].values[k]),
                index=0,
                parameters={p: float(ds[f"special_{p}"].values[k]) for p in located},
                orbit=np.empty((period, 0)),
                multipliers=ds["special_multipliers"].values[k],
                coefficients={
                    c: float(ds[f"special_coefficient_{c}"].values[k])
                    for c in _SPECIAL_COEFFICIENTS
                    if np.isfinite(ds[f"special_coefficient_{c}"].values[k])
                },
            )
            for k in np.flatnonzero(special_branch == index)
        ]
        coefficients = {}
        if kind in _COEFFICIENT:
            coefficients[_COEFFICIENT[kind]] = ds["coefficient_normal_form"].values[rows]
        if kind == "NS":
            coefficients["kappa"] = ds["coefficient_kappa"].values[rows]
        branch = Branch(
            model=None,
            kind=kind,
            period=period,
            free=free,
            fixed=here,
            orbits=ds["orbit"].values[rows, :period],
            values=np.column_stack([ds[p].values[rows] for p in free]),
            multipliers=ds["multipliers"].values[rows],
            tests={},
            special=specials,
            stop_reason=str(ds["branch_stop"].values[index]),
            u=np.empty((rows.size, 0)),
            tangents=np.empty((rows.size, 0)),
            coefficients=coefficients,
        )
        out.append((str(label), branch))
    return out


def run_continuation(
    config: Mapping[str, Any], out: str | os.PathLike[str], threads: int | None = 1
) -> Path:
    """:func:`compute_continuation` written to the store ``out``."""
    return write_dataset(compute_continuation(config, threads), out)
