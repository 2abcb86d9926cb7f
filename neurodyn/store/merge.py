"""Merging the stores written by the jobs of one sweep into one store.

Snakemake deletes a ``directory()`` output before its job runs, so jobs cannot share one store:
each job writes a small store (a block of the parameter grid) and :func:`merge_stores` combines
them by their coordinates.

Parts are placed on the union of their coordinate values, dimension by dimension, which handles
blocks along one or several parameter axes in any order, parts that overlap (the overlap must hold
identical values) and repeated parts. Dtypes are kept (no NaN fill, so int and bool stay what
they are): the parts must therefore cover the whole grid; a missing block is an error, not a
hole. xarray's ``combine_by_coords`` is not used because it silently keeps one of two parts with
identical coordinates and concatenates partially overlapping parts into duplicate labels.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from neurodyn.store.attrs import json_attrs
from neurodyn.store.integrity import StoreError, verify_store
from neurodyn.store.zarrstore import CREATED_KEY, PROVENANCE_KEYS, open_dataset, write_dataset

__all__ = ["combine_parts", "merge_stores"]

_RUN_PROVENANCE = ("git_revision", "package_versions")


def merge_stores(
    paths: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    overwrite: bool = True,
    ignore_attrs: Iterable[str] = (),
    allow_mixed_provenance: bool = False,
) -> Path:
    """Combine the part stores of one sweep into the store ``out`` (written atomically).

    The parts are combined by coordinates (see :func:`combine_parts`). Their Dataset attributes
    (model, seed, schedule, parameters, conventions, …) must agree, except the provenance keys and
    those named in ``ignore_attrs`` (which are dropped where they differ). ``git_revision`` and
    ``package_versions`` must agree too unless ``allow_mixed_provenance``; then ``git_revision``
    lists the revisions joined by ``" | "``. The merged store records its parts in
    ``merged_from`` (path, git revision and creation time of each) and gets a new
    ``created_utc``.

    The parts are read fully into memory (no dask). Raises :class:`ValueError` when parts disagree
    or overlap inconsistently or leave the grid incomplete, :class:`FileNotFoundError` for a
    missing part.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("merge_stores: no part stores given")
    parts = [open_dataset(p) for p in paths]
    labels = [str(p) for p in paths]
    attrs = _merged_attrs(parts, labels, set(ignore_attrs), allow_mixed_provenance)
    merged = combine_parts([_load(p, path) for p, path in zip(parts, paths, strict=True)], labels)
    merged.attrs = attrs
    return write_dataset(merged, out, overwrite=overwrite)


def _load(part: xr.Dataset, path: Path) -> xr.Dataset:
    """The part's values in memory; a chunk that cannot be read is named with its variable."""
    try:
        return part.load()
    except Exception as err:  # noqa: BLE001 - locate it, or name the part and the reader's error
        verify_store(path)
        raise StoreError(f"merge_stores: cannot read {path}: {type(err).__name__}: {err}") from None


def _merged_attrs(
    parts: Sequence[xr.Dataset], labels: Sequence[str], ignore: set[str], allow_mixed: bool
) -> dict[str, Any]:
    ref = json_attrs(parts[0].attrs)
    skip = set(PROVENANCE_KEYS)
    common = {k: v for k, v in ref.items() if k not in skip}
    for part, label in zip(parts[1:], labels[1:], strict=True):
        other = json_attrs(part.attrs)
        keys = (set(common) | set(other)) - skip
        for key in sorted(keys):
            mine, theirs = common.get(key, _MISSING), other.get(key, _MISSING)
            if mine == theirs:
                continue
            if key in ignore:
                common.pop(key, None)
                continue
            raise ValueError(
                f"merge_stores: attribute {key!r} disagrees between parts: {_show(mine)} in "
                f"{labels[0]} but {_show(theirs)} in {label}; parts of one sweep must share it "
                "(pass ignore_attrs=[...] to drop attributes that may differ)"
            )
    for key in _RUN_PROVENANCE:
        values = [json_attrs(p.attrs).get(key) for p in parts]
        distinct = [v for i, v in enumerate(values) if v not in values[:i]]
        if len(distinct) == 1:
            if distinct[0] is not None:
                common[key] = distinct[0]
            continue
        if not allow_mixed:
            raise ValueError(
                f"merge_stores: parts were computed with different {key}: "
                + "; ".join(f"{lab}: {_show(v)}" for lab, v in zip(labels, values, strict=True))
                + " (pass allow_mixed_provenance=True to merge them anyway)"
            )
        if key == "git_revision":
            common[key] = " | ".join(str(v) for v in distinct)
        else:
            common[key] = "mixed (see merged_from)"
    common["merged_from"] = [
        {
            "path": label,
            "git_revision": part.attrs.get("git_revision"),
            CREATED_KEY: part.attrs.get(CREATED_KEY),
            **({"package_versions": part.attrs.get("package_versions")} if allow_mixed else {}),
        }
        for part, label in zip(parts, labels, strict=True)
    ]
    return common


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _index(ds: xr.Dataset, dim: str, label: str) -> pd.Index:
    if dim not in ds.indexes:
        raise ValueError(
            f"merge_stores: dimension {dim!r} of {label} has no coordinate, so parts cannot be "
            "placed along it; give it a coordinate or keep it whole in every part"
        )
    index = ds.indexes[dim]
    if isinstance(index, pd.MultiIndex):
        raise ValueError(f"merge_stores: {label}: MultiIndex dimension {dim!r} is not supported")
    if not index.is_unique:
        raise ValueError(f"merge_stores: {label} has repeated {dim!r} values")
    return index


def _union(indexes: Sequence[pd.Index]) -> pd.Index:
    """Union of the parts' labels, descending if every part is descending, else ascending."""
    values = np.concatenate([np.asarray(ix) for ix in indexes])
    union = pd.Index(pd.unique(values), name=indexes[0].name)
    try:
        union = union.sort_values()
    except TypeError:  # unorderable labels: keep first-seen order
        return union
    if union.dtype.kind == "f" and len(union) > 1:
        values = np.asarray(union)
        gaps = np.diff(values)
        scale = np.maximum(np.abs(values[1:]), np.abs(values[:-1]))
        close = np.nonzero(np.abs(gaps) <= 1e-9 * scale)[0]
        if close.size:
            i = close[0]
            raise ValueError(
                f"merge_stores: coordinate {union.name!r} has values {float(values[i])!r} and "
                f"{float(values[i + 1])!r} in different parts: nearly equal but not identical, "
                "so the parts cannot be aligned; take every part's coordinates from one grid"
            )
    descending = all(ix.is_monotonic_decreasing and len(ix) > 1 for ix in indexes)
    return union[::-1] if descending else union


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality where NaN equals NaN (NaN marks a diverged point, a real result)."""
    equal = a == b
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        equal |= np.isnan(a) & np.isnan(b)
    elif a.dtype.kind in "mM" and b.dtype.kind in "mM":
        equal |= np.isnat(a) & np.isnat(b)
    return np.asarray(equal, dtype=bool)


def combine_parts(parts: Sequence[xr.Dataset], labels: Sequence[str] | None = None) -> xr.Dataset:
    """Combine in-memory parts by coordinates into one Dataset (attributes of the first part).

    A dimension whose coordinate differs between parts is a *split* dimension: the result's
    coordinate is the union of the parts' values (sorted). Every variable is placed by label;
    where parts overlap the values must be identical (NaN equals NaN), and every grid point of a
    variable must be covered by some part. Variables without a split dimension, dimensions
    without coordinates, variable attributes and dtypes must be the same in every part.
    """
    if not parts:
        raise ValueError("combine_parts: no parts given")
    labels = list(labels) if labels is not None else [f"part {i}" for i in range(len(parts))]
    first = parts[0]
    names = set(first.variables)
    for part, label in zip(parts[1:], labels[1:], strict=True):
        if set(part.variables) != names:
            extra, missing = set(part.variables) - names, names - set(part.variables)
            raise ValueError(
                f"merge_stores: {label} has different variables than {labels[0]}"
                f" (extra: {sorted(map(str, extra))}, missing: {sorted(map(str, missing))})"
            )
    dims = list(first.dims)
    for part, label in zip(parts[1:], labels[1:], strict=True):
        if set(part.dims) != set(dims):
            raise ValueError(
                f"merge_stores: {label} has dimensions {list(part.dims)} but {labels[0]} has {dims}"
            )

    split: dict[Any, pd.Index] = {}
    for dim in dims:
        if dim not in first.indexes and all(p.sizes[dim] == first.sizes[dim] for p in parts):
            continue
        indexes = [_index(p, dim, lab) for p, lab in zip(parts, labels, strict=True)]
        if all(ix.equals(indexes[0]) for ix in indexes[1:]):
            continue
        split[dim] = _union(indexes)

    variables: dict[Any, xr.Variable] = {}
    for name in first.variables:
        ref = first.variables[name]
        if name in split:  # a split index coordinate: the union itself
            variables[name] = xr.Variable(name, np.asarray(split[name]), ref.attrs, ref.encoding)
            continue
        for part, label in zip(parts[1:], labels[1:], strict=True):
            var = part.variables[name]
            if var.dims != ref.dims or var.dtype != ref.dtype:
                raise ValueError(
                    f"merge_stores: variable {name!r} is {var.dims} {var.dtype} in {label} but "
                    f"{ref.dims} {ref.dtype} in {labels[0]}"
                )
            if json_attrs(var.attrs) != json_attrs(ref.attrs):
                raise ValueError(
                    f"merge_stores: attributes of variable {name!r} differ between {labels[0]} "
                    f"({_show(dict(ref.attrs))}) and {label} ({_show(dict(var.attrs))})"
                )
        if not any(d in split for d in ref.dims):
            for part, label in zip(parts[1:], labels[1:], strict=True):
                if not part.variables[name].equals(ref):
                    raise ValueError(
                        f"merge_stores: variable {name!r} has no split dimension "
                        f"({', '.join(map(str, split)) or 'none'}) but differs between "
                        f"{labels[0]} and {label}"
                    )
            variables[name] = ref
            continue
        variables[name] = _scatter(name, ref, parts, labels, split)

    coord_names = set(first.coords)
    data_vars = {k: v for k, v in variables.items() if k not in coord_names}
    coords = {k: v for k, v in variables.items() if k in coord_names}
    return xr.Dataset(data_vars, coords=coords, attrs=dict(first.attrs))


def _scatter(
    name: Any,
    ref: xr.Variable,
    parts: Sequence[xr.Dataset],
    labels: Sequence[str],
    split: dict[Any, pd.Index],
) -> xr.Variable:
    """Place every part's values of one variable on the union grid, checking overlaps."""
    shape = tuple(len(split[d]) if d in split else ref.sizes[d] for d in ref.dims)
    data = np.empty(shape, dtype=ref.dtype)
    filled = np.zeros(shape, dtype=bool)
    owner = np.zeros(shape, dtype=np.intp)  # which part set each value
    for number, (part, label) in enumerate(zip(parts, labels, strict=True)):
        var = part.variables[name]
        where = []
        for dim in var.dims:
            if dim in split:
                where.append(split[dim].get_indexer(part.indexes[dim]))
            else:
                where.append(np.arange(var.sizes[dim]))
        block = np.ix_(*where)
        values = np.asarray(var.values)
        seen = filled[block]
        if seen.any():
            clash = seen & ~_same(data[block], values)
            if clash.any():
                at = tuple(int(i[0]) for i in np.nonzero(clash))
                point = ", ".join(
                    f"{d}={_show(part.variables[d].values[i] if d in part.variables else i)}"
                    for d, i in zip(var.dims, at, strict=True)
                )
                raise ValueError(
                    f"merge_stores: parts overlap inconsistently: variable {name!r} at {point} "
                    f"is {_show(values[at])} in {label} but {_show(data[block][at])} in "
                    f"{labels[owner[block][at]]}"
                )
        data[block] = values
        filled[block] = True
        owner[block] = number
    if not filled.all():
        at = tuple(int(i[0]) for i in np.nonzero(~filled))
        point = ", ".join(
            f"{d}={_show(split[d][i]) if d in split else i}"
            for d, i in zip(ref.dims, at, strict=True)
        )
        raise ValueError(
            f"merge_stores: the parts do not cover the whole grid: variable {name!r} has no value "
            f"at {point} ({int((~filled).sum())} points missing); is a part missing?"
        )
    return xr.Variable(ref.dims, data, ref.attrs, ref.encoding)
