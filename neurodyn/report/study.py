"""What a report reads from the stores: the swept axes, the measures, the chosen points.

A sweep store is a :func:`neurodyn.sim.sweep` Dataset (dims: the swept parameters, ``ic`` and,
where states were kept, ``iteration``) to which measures have been added under the names of
:data:`MEASURES` (the outputs of the measure registry). The report depends on those names only;
a measure that is absent is reported as absent, not guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.measures import OUTPUTS, Output

__all__ = [
    "MEASURES",
    "Point",
    "attr_value",
    "choose_points",
    "missing_measures",
    "node_variables",
    "normalise_sweep",
    "point_values",
    "swept_parameters",
]


#: The measures' outputs the report looks for in a sweep store, by variable name, in the
#: order they are shown: a live view of the measure registry (:mod:`neurodyn.analysis.measures`),
#: each with its ``label`` and ``description``.
MEASURES: Mapping[str, Output] = OUTPUTS

_NON_PARAMETER_DIMS = ("ic", "iteration", "exponent", "state", "mode")


@dataclass
class Point:
    """A point of the sweep grid shown in the report: grid ``parameters`` (exact coordinate
    values), initial-state index ``ic``, a ``label`` and a file-name ``slug``; ``requested``
    holds the values asked for when the point came from the configuration."""

    label: str
    parameters: dict[str, float]
    ic: int
    slug: str
    requested: dict[str, float] = field(default_factory=dict)

    def selection(self) -> dict[str, Any]:
        """Indexers for ``Dataset.sel`` that pick this point."""
        return {**self.parameters, "ic": self.ic}


def attr_value(value: Any) -> Any:
    """An attribute as a Python value: JSON text (as the sweep writes dicts and lists) is
    decoded, everything else is returned as it is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def swept_parameters(ds: xr.Dataset) -> list[str]:
    """The swept parameters: the ``swept_parameters`` attribute, else the dimensions of
    ``diverged`` (or of the first variable) other than ``ic``, ``iteration`` and ``exponent``."""
    names = attr_value(ds.attrs.get("swept_parameters"))
    if isinstance(names, list) and all(n in ds.dims for n in names):
        return [str(n) for n in names]
    ref = ds["diverged"] if "diverged" in ds else next(iter(ds.data_vars.values()))
    return [str(d) for d in ref.dims if d not in _NON_PARAMETER_DIMS]


def normalise_sweep(ds: xr.Dataset) -> xr.Dataset:
    """Give an ``exponent`` dimension without a coordinate the labels 1, 2, ... (exponent 1 is
    the largest), so that points and tables can name exponents."""
    if "exponent" in ds.dims and "exponent" not in ds.coords:
        ds = ds.assign_coords(exponent=np.arange(1, ds.sizes["exponent"] + 1))
    return ds


def missing_measures(ds: xr.Dataset) -> list[str]:
    """Names of :data:`MEASURES` that the store does not hold."""
    return [name for name in MEASURES if name not in ds]


def node_variables(ds: xr.Dataset) -> dict[str, list[str]]:
    """Kept state variables (those with an ``iteration`` dimension) grouped by node.

    A network's state variables are named ``<variable>_<node>`` (``x_1, y_1, x_2, ...``); when
    the names do not split into nodes of at least two variables each, all kept variables form
    one group named after the model. Empty when no states were kept."""
    kept = [str(v) for v in ds.data_vars if "iteration" in ds[v].dims]
    groups: dict[str, list[str]] = {}
    for name in kept:
        match = re.fullmatch(r"(.+?)_([^_]+)", name)
        groups.setdefault(match.group(2) if match else "", []).append(name)
    if len(groups) > 1 and all(len(names) >= 2 for names in groups.values()):
        return groups
    return {str(ds.attrs.get("model", "state")): kept} if kept else {}


def _largest_exponent(ds: xr.Dataset, name: str) -> xr.DataArray:
    var = ds[name]
    return var.isel(exponent=0) if "exponent" in var.dims else var


def _extreme(ds: xr.Dataset, name: str, largest: bool) -> dict[str, Any] | None:
    values = _largest_exponent(ds, name)
    data = np.asarray(values.values, dtype=np.float64)
    if not np.isfinite(data).any():
        return None
    flat = np.nanargmax(data) if largest else np.nanargmin(data)
    index = np.unravel_index(flat, data.shape)
    return {d: values[d].values[i].item() for d, i in zip(values.dims, index, strict=True)}


_REPRESENTATIVE = (
    ("most synchronised", "cross_correlation", True),
    ("least synchronised", "cross_correlation", False),
    ("largest λ1", "lyapunov", True),
    ("smallest λ1", "lyapunov", False),
)


def _slug(label: str) -> str:
    text = label.replace("λ1", "lambda1").lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "point"


def _nearest(ds: xr.Dataset, parameters: list[str], requested: dict[str, Any]) -> dict[str, float]:
    unknown = set(requested) - set(parameters)
    if unknown:
        raise ValueError(
            f"point {requested} names {sorted(unknown)}, which are not swept parameters "
            f"of the store ({', '.join(parameters)})"
        )
    out = {}
    for name in parameters:
        coord = ds[name].values
        target = float(requested.get(name, coord[len(coord) // 2]))
        out[name] = float(coord[int(np.argmin(np.abs(coord - target)))])
    return out


def choose_points(ds: xr.Dataset, requested: list[dict[str, Any]] | None = None) -> list[Point]:
    """The points the report shows in detail.

    ``requested``: dicts of parameter values (the nearest grid point is taken; an unnamed
    parameter takes its middle grid value) with optional ``ic`` (default 0) and ``label``.
    Without them: the most and least synchronised points (cross-correlation) and those of
    largest and smallest λ1, over all grid points and initial states, as far as those measures
    are present; the grid's centre when none is. Duplicates are dropped; a label that repeats
    gets a numbered ``slug`` (the phase portrait's file name).
    """
    parameters = swept_parameters(ds)
    points: list[Point] = []
    if requested:
        for k, entry in enumerate(requested, start=1):
            entry = dict(entry)
            label = str(entry.pop("label", f"point {k}"))
            ic = int(entry.pop("ic", 0))
            if not 0 <= ic < ds.sizes.get("ic", 1):
                raise ValueError(f"point {label!r}: ic={ic} outside 0..{ds.sizes['ic'] - 1}")
            grid = _nearest(ds, parameters, entry)
            asked = {name: float(value) for name, value in entry.items()}
            points.append(Point(label, grid, ic, _slug(label), asked))
    else:
        for label, name, largest in _REPRESENTATIVE:
            if name not in ds:
                continue
            found = _extreme(ds, name, largest)
            if found is not None:
                grid = {p: float(found[p]) for p in parameters}
                points.append(Point(label, grid, int(found.get("ic", 0)), _slug(label)))
        if not points:
            points.append(Point("grid centre", _nearest(ds, parameters, {}), 0, "grid_centre"))
    unique: list[Point] = []
    for point in points:
        if all(point.selection() != other.selection() for other in unique):
            if any(point.slug == other.slug for other in unique):
                point.slug = f"{point.slug}_{len(unique) + 1}"
            unique.append(point)
    return unique


def point_values(ds: xr.Dataset, point: Point) -> list[tuple[str, dict[str, Any], Any]]:
    """The measures of :data:`MEASURES` present in ``ds`` at ``point``, as
    ``(variable, extra indexers, value)``: one entry per exponent for ``lyapunov`` and
    ``lyapunov_stderr``, one for every other measure, then the ``diverged`` flag."""
    rows = []
    names = [n for n in MEASURES if n in ds] + (["diverged"] if "diverged" in ds else [])
    for name in names:
        var = ds[name].sel(point.selection())
        extra_dims = [d for d in var.dims]
        if not extra_dims:
            rows.append((name, {}, var.values.item()))
            continue
        stacked = var.stack(_entry=extra_dims)
        for k in range(stacked.sizes["_entry"]):
            entry = stacked.isel(_entry=k)
            extra = {d: entry[d].values.item() for d in extra_dims}
            rows.append((name, extra, entry.values.item()))
    return rows
