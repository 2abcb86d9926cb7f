"""Merging the stores written by the jobs of one sweep into one store.

Snakemake deletes a ``directory()`` output before its job runs, so jobs cannot share one store:
each job writes a small store (a block of the parameter grid) and :func:`merge_stores` combines
them by their coordinates.

Parts are placed on the union of their coordinate values, dimension by dimension, which handles
blocks along one or several parameter axes in any order, parts that overlap (the overlap must hold
identical values) and repeated parts. Dtypes are kept (no NaN fill, so int and bool stay what
they are): the parts must therefore cover the whole grid; a missing block is an error, not a
hole. A *padded* dimension (the spike slots of stored spike trains) may have a different length
in every part: every variable over it names it in its ``padded_dim`` attribute with the value
of its unused slots in ``pad_value``; the merged length is the longest part's and each part's
values are padded with ``pad_value`` up to it. xarray's ``combine_by_coords`` is not used
because it silently keeps one of two parts with identical coordinates and concatenates
partially overlapping parts into duplicate labels.

:func:`merge_stores` streams: it reads the parts' coordinates and attributes (opening one part
at a time), writes the target's metadata, then copies the parts into it one part and one
variable at a time (raw Zarr values, so encodings are kept), so its memory is a few copies of
one part's largest variable plus a coverage mask of one byte (and an owner index of four) per
grid point. :func:`combine_parts` does the
same placement in memory for Datasets already loaded.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import xarray as xr
import zarr

from neurodyn.store.attrs import json_attrs
from neurodyn.store.integrity import StoreError, verify_store
from neurodyn.store.zarrstore import (
    CREATED_KEY,
    PROVENANCE_KEYS,
    _quiet_zarr,
    auto_chunks,
    open_dataset,
    store_writer,
    write_into,
)

__all__ = ["PAD_VALUE_ATTR", "PADDED_DIM_ATTR", "combine_parts", "merge_stores"]

PADDED_DIM_ATTR = "padded_dim"
"""Variable attribute naming its padded dimension (see the module docstring)."""
PAD_VALUE_ATTR = "pad_value"
"""Variable attribute holding the value of the unused slots along its padded dimension."""

T = TypeVar("T")

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

    The parts are streamed into ``out`` one at a time (see the module docstring): memory is
    bounded by one part, not by the grid. Raises :class:`ValueError` when parts disagree or
    overlap inconsistently or leave the grid incomplete (nothing is written then),
    :class:`FileNotFoundError` for a missing part.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("merge_stores: no part stores given")
    parts = _OpenedInTurn(paths)
    labels = [str(p) for p in paths]
    split, padded, attrs = _layout(parts, labels)
    attrs = _merged_attrs(attrs, labels, set(ignore_attrs), allow_mixed_provenance)
    template = _guarded(paths[0], lambda: parts[0].isel({d: slice(0, 1) for d in split}).load())
    template.attrs = attrs
    shape = {
        d: len(split[d]) if d in split else padded.get(d, n) for d, n in parts[0].sizes.items()
    }
    full = xr.Dataset(
        {
            name: (var.dims, np.broadcast_to(np.zeros((), var.dtype), [shape[d] for d in var.dims]))
            for name, var in parts[0].variables.items()
        }
    )
    # chunks along split dimensions as long as the first part's block: parts cut on a regular
    # grid (as the workflow cuts them) then fill whole chunks, never rewriting one
    aligned = {d: parts[0].sizes[d] for d in split}
    with store_writer(out, overwrite=overwrite) as tmp:
        write_into(template, tmp, chunks=auto_chunks(full, aligned))
        group = zarr.open_group(tmp, mode="r+", use_consolidated=False)
        for name in parts[0].variables:
            dims = parts[0].variables[name].dims
            if any(d in split or d in padded for d in dims):
                group[str(name)].resize(tuple(shape[d] for d in dims))
        with zarr.config.set({"array.write_empty_chunks": True}):  # a chunk of zeros too
            for dim, index in split.items():
                group[str(dim)][...] = np.asarray(index)
        source = functools.lru_cache(maxsize=1)(lambda n: zarr.open_group(paths[n], mode="r"))

        def read(number: int, name: str) -> np.ndarray:
            return _read(source(number), paths[number], name)

        def coordinate(number: int, dim: Any) -> Any:
            if split[dim].dtype.kind in "iuf":  # numbers: stored as they are
                return read(number, dim)
            return parts[number].indexes[dim]

        # every chunk gets its file, as write_dataset writes them (see .integrity)
        with zarr.config.set({"array.write_empty_chunks": True}):
            _place_all(
                parts[0],
                labels,
                split,
                padded,
                coordinate=coordinate,
                read=read,
                target=_ZarrTarget(group),
            )
        with _quiet_zarr():
            zarr.consolidate_metadata(tmp)
    return Path(out).expanduser().absolute()


def _read(group: Any, path: Path, name: str) -> np.ndarray:
    """Variable ``name`` of the part store at ``path`` (see :func:`_guarded`)."""
    return _guarded(path, lambda: np.asarray(group[str(name)][...]))


def _guarded(path: Path, read: Callable[[], T]) -> T:
    """``read()``; when it fails, the chunk that cannot be read is named with its variable
    (:func:`~neurodyn.store.integrity.verify_store`), or the part and the reader's error."""
    try:
        return read()
    except Exception as err:  # noqa: BLE001 - locate it, or name the part and the reader's error
        verify_store(path)
        raise StoreError(f"merge_stores: cannot read {path}: {type(err).__name__}: {err}") from None


def _merged_attrs(
    parts: Sequence[Mapping[str, Any]], labels: Sequence[str], ignore: set[str], allow_mixed: bool
) -> dict[str, Any]:
    """The merged store's attributes from the parts' attributes (see :func:`merge_stores`)."""
    ref = json_attrs(parts[0])
    skip = set(PROVENANCE_KEYS)
    common = {k: v for k, v in ref.items() if k not in skip}
    for part, label in zip(parts[1:], labels[1:], strict=True):
        other = json_attrs(part)
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
        values = [json_attrs(p).get(key) for p in parts]
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
            "git_revision": part.get("git_revision"),
            CREATED_KEY: part.get(CREATED_KEY),
            **({"package_versions": part.get("package_versions")} if allow_mixed else {}),
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
    without coordinates (except padded ones), variable attributes and dtypes must be the same
    in every part.
    """
    if not parts:
        raise ValueError("combine_parts: no parts given")
    labels = list(labels) if labels is not None else [f"part {i}" for i in range(len(parts))]
    split, padded, _ = _layout(parts, labels)
    first = parts[0]
    arrays = {
        name: np.empty(
            tuple(len(split[d]) if d in split else padded.get(d, var.sizes[d]) for d in var.dims),
            var.dtype,
        )
        for name, var in first.variables.items()
        if name not in split and any(d in split or d in padded for d in var.dims)
    }
    _place_all(
        first,
        labels,
        split,
        padded,
        coordinate=lambda number, dim: parts[number].indexes[dim],
        read=lambda number, name: np.asarray(parts[number].variables[name].values),
        target=_MemoryTarget(arrays),
    )
    variables: dict[Any, xr.Variable] = {}
    for name, ref in first.variables.items():
        if name in split:  # a split index coordinate: the union itself
            variables[name] = xr.Variable(name, np.asarray(split[name]), ref.attrs, ref.encoding)
        elif name in arrays:
            variables[name] = xr.Variable(ref.dims, arrays[name], ref.attrs, ref.encoding)
        else:
            variables[name] = ref
    coord_names = set(first.coords)
    data_vars = {k: v for k, v in variables.items() if k not in coord_names}
    coords = {k: v for k, v in variables.items() if k in coord_names}
    return xr.Dataset(data_vars, coords=coords, attrs=dict(first.attrs))


def _layout(
    parts: Sequence[xr.Dataset], labels: Sequence[str]
) -> tuple[dict[Any, pd.Index], dict[Any, int], list[dict[str, Any]]]:
    """Check that the parts fit together; return the split dimensions with their union labels,
    the padded dimensions with their merged (longest) length, and the parts' attributes.

    Reads coordinates and metadata only, looking at each part once, so that it works on lazily
    opened stores (:class:`_OpenedInTurn`). Values are compared by :func:`_place_all`.
    """
    first = parts[0]
    names, dims = set(first.variables), list(first.dims)
    sizes: dict[Any, list[int]] = {dim: [] for dim in dims}
    indexes: dict[Any, list[pd.Index | None]] = {dim: [] for dim in dims}
    attrs = []
    for part, label in zip(parts, labels, strict=True):
        attrs.append(dict(part.attrs))
        if set(part.variables) != names:
            extra, missing = set(part.variables) - names, names - set(part.variables)
            raise ValueError(
                f"merge_stores: {label} has different variables than {labels[0]}"
                f" (extra: {sorted(map(str, extra))}, missing: {sorted(map(str, missing))})"
            )
        if set(part.dims) != set(dims):
            raise ValueError(
                f"merge_stores: {label} has dimensions {list(part.dims)} but {labels[0]} has {dims}"
            )
        for dim in dims:
            sizes[dim].append(part.sizes[dim])
            if dim not in part.indexes:
                indexes[dim].append(None)
            elif (
                indexes[dim]
                and indexes[dim][0] is not None
                and part.indexes[dim].equals(indexes[dim][0])
            ):  # the first part's labels: keep one copy (parts may hold thousands of labels)
                indexes[dim].append(indexes[dim][0])
            else:
                indexes[dim].append(_index(part, dim, label))
        for name, ref in first.variables.items():
            var = part.variables[name]
            if var.dims != ref.dims or var.dtype != ref.dtype:
                raise ValueError(
                    f"merge_stores: variable {name!r} is {var.dims} {var.dtype} in {label} but "
                    f"{ref.dims} {ref.dtype} in {labels[0]}"
                )
            if name not in part.indexes and json_attrs(var.attrs) != json_attrs(ref.attrs):
                raise ValueError(
                    f"merge_stores: attributes of variable {name!r} differ between {labels[0]} "
                    f"({_show(dict(ref.attrs))}) and {label} ({_show(dict(var.attrs))})"
                )

    split: dict[Any, pd.Index] = {}
    padded: dict[Any, int] = {}
    for dim in dims:
        if dim not in first.indexes and len(set(sizes[dim])) == 1:
            continue
        over = [v for v in first.variables.values() if dim in v.dims]
        if dim not in first.indexes and all(
            v.attrs.get(PADDED_DIM_ATTR) == dim and PAD_VALUE_ATTR in v.attrs for v in over
        ):
            padded[dim] = max(sizes[dim])
            continue
        found = [
            ix if ix is not None else _index(parts[i], dim, labels[i])
            for i, ix in enumerate(indexes[dim])
        ]
        if all(ix.equals(found[0]) for ix in found[1:]):
            continue
        split[dim] = _union(found)

    return split, padded, attrs


class _OpenedInTurn(Sequence[xr.Dataset]):
    """Part stores opened lazily when asked for, the first and the latest kept open.

    Holding hundreds of opened stores costs memory (metadata and lazy arrays of each); going
    through them one at a time keeps the merge's memory independent of the number of parts.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self.paths = list(paths)
        self.first = open_dataset(self.paths[0])
        self.latest: tuple[int, xr.Dataset] = (0, self.first)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index):  # noqa: ANN001, ANN204 (int or slice, as Sequence)
        if isinstance(index, slice):  # iterated once, in turn (zip(parts[1:], ...))
            return (self[i] for i in range(*index.indices(len(self))))
        index = range(len(self))[index]
        if index == 0:
            return self.first
        if self.latest[0] != index:
            self.latest = (index, open_dataset(self.paths[index]))
        return self.latest[1]


class _MemoryTarget:
    """Placed variables as numpy arrays."""

    def __init__(self, arrays: dict[Any, np.ndarray]) -> None:
        self.arrays = arrays

    def get(self, name: Any, where: tuple[np.ndarray, ...]) -> np.ndarray:
        return self.arrays[name][np.ix_(*where)]

    def set(self, name: Any, where: tuple[np.ndarray, ...], values: np.ndarray) -> None:
        self.arrays[name][np.ix_(*where)] = values


class _ZarrTarget:
    """Placed variables as the arrays of an open Zarr group (orthogonal selections)."""

    def __init__(self, group: zarr.Group) -> None:
        self.group = group
        self.arrays: dict[Any, zarr.Array] = {}

    def _array(self, name: Any) -> zarr.Array:
        if name not in self.arrays:
            self.arrays[name] = self.group[str(name)]
        return self.arrays[name]

    def get(self, name: Any, where: tuple[np.ndarray, ...]) -> np.ndarray:
        return np.asarray(self._array(name).get_orthogonal_selection(where))

    def set(self, name: Any, where: tuple[np.ndarray, ...], values: np.ndarray) -> None:
        self._array(name).set_orthogonal_selection(where, values)


def _pad(values: np.ndarray, var: xr.Variable, padded: dict[Any, int]) -> np.ndarray:
    """``values`` of ``var`` padded with its ``pad_value`` to the merged padded length."""
    widths = [
        (0, padded[d] - n if d in padded else 0)
        for d, n in zip(var.dims, values.shape, strict=True)
    ]
    if not any(w for _, w in widths):
        return values
    return np.pad(values, widths, constant_values=var.attrs[PAD_VALUE_ATTR])


def _place_all(
    first: xr.Dataset,
    labels: Sequence[str],
    split: dict[Any, pd.Index],
    padded: dict[Any, int],
    coordinate: Callable[[int, Any], Any],
    read: Callable[[int, Any], np.ndarray],
    target: _MemoryTarget | _ZarrTarget,
) -> None:
    """Place every part's values of the variables with a split dimension, part by part.

    ``coordinate(number, dim)`` and ``read(number, name)`` give part ``number``'s labels along a
    split dimension and a variable's values; values over a padded dimension are padded to its
    merged length first. Variables without a split dimension must equal the
    first part's. Coverage is tracked per set of split dimensions (every part holds every
    variable, so all variables over the same split dimensions are covered alike): ``filled`` and
    ``owner`` (the part that set a value, for messages) have one entry per point of those
    dimensions only. Where a part lands on covered points its values must equal what is there
    (NaN equals NaN).
    """
    placed = {
        name: tuple(d for d in var.dims if d in split)
        for name, var in first.variables.items()
        if name not in split and any(d in split for d in var.dims)
    }

    def padded_read(number: int, name: Any) -> np.ndarray:
        return _pad(read(number, name), first.variables[name], padded)

    fixed = {
        name: padded_read(0, name)
        for name in first.variables
        if name not in split and name not in placed
    }
    cover = {
        key: (
            np.zeros([len(split[d]) for d in key], bool),
            np.zeros([len(split[d]) for d in key], np.int32),
        )
        for key in set(placed.values())
    }
    for number, label in enumerate(labels):
        for name, ref in fixed.items():
            values = padded_read(number, name) if number else ref
            if values.shape != ref.shape or not _same(values, ref).all():
                raise ValueError(
                    f"merge_stores: variable {name!r} has no split dimension "
                    f"({', '.join(map(str, split)) or 'none'}) but differs between "
                    f"{labels[0]} and {label}"
                )
        at = {d: split[d].get_indexer(coordinate(number, d)) for d in split}
        blocks = {key: np.ix_(*[at[d] for d in key]) for key in cover}
        seen = {key: filled[blocks[key]] for key, (filled, _) in cover.items()}
        for name, key in placed.items():
            dims = first.variables[name].dims
            where = tuple(
                at[d] if d in split else np.arange(padded.get(d, first.sizes[d])) for d in dims
            )
            values = padded_read(number, name)
            if seen[key].any():
                shape = [len(at[d]) if d in split else 1 for d in dims]
                there = target.get(name, where)
                clash = seen[key].reshape(shape) & ~_same(there, values)
                if clash.any():
                    point = tuple(int(i[0]) for i in np.nonzero(clash))
                    _overlap_error(
                        name,
                        dims,
                        first,
                        split,
                        where,
                        point,
                        values,
                        there,
                        label,
                        labels,
                        cover[key][1][blocks[key]],
                        key,
                    )
            target.set(name, where, values)
        for key, (filled, owner) in cover.items():
            filled[blocks[key]] = True
            owner[blocks[key]] = number
    for key, (filled, _) in cover.items():
        if not filled.all():
            name = next(n for n, k in placed.items() if k == key)
            point = ", ".join(
                f"{d}={_show(split[d][int(i[0])])}"
                for d, i in zip(key, np.nonzero(~filled), strict=True)
            )
            raise ValueError(
                f"merge_stores: the parts do not cover the whole grid: variable {name!r} has no "
                f"value at {point} ({int((~filled).sum())} grid points missing); is a part "
                "missing?"
            )


def _overlap_error(
    name: Any,
    dims: tuple[Any, ...],
    first: xr.Dataset,
    split: dict[Any, pd.Index],
    where: tuple[np.ndarray, ...],
    point: tuple[int, ...],
    values: np.ndarray,
    there: np.ndarray,
    label: str,
    labels: Sequence[str],
    owners: np.ndarray,
    key: tuple[Any, ...],
) -> None:
    shown = []
    for d, i, w in zip(dims, point, where, strict=True):
        if d in split:
            shown.append(f"{d}={_show(split[d][w[i]])}")
        else:
            label_ = first.variables[d].values[i] if d in first.variables else i
            shown.append(f"{d}={_show(label_)}")
    owner = owners[tuple(i for d, i in zip(dims, point, strict=True) if d in key)]
    raise ValueError(
        f"merge_stores: parts overlap inconsistently: variable {name!r} at {', '.join(shown)} is "
        f"{_show(values[point])} in {label} but {_show(there[point])} in {labels[owner]}"
    )
