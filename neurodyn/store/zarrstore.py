"""Writing and reading result Datasets as Zarr v3 stores.

A result is an :class:`xarray.Dataset` (parameter axes as coordinates, one variable per measure,
attributes for model, parameters, conventions, seed and provenance). :func:`write_dataset` stores
it as a Zarr v3 directory store with consolidated metadata, atomically (see
:mod:`neurodyn.store._atomic`); :func:`open_dataset` opens it lazily without dask;
:func:`store_info` summarises a store for ``neurodyn info STORE``.

Two things in the stores are zarr-python conventions rather than settled Zarr v3 specification
(zarr-python warns about both; these warnings are silenced here): consolidated metadata inside the
root ``zarr.json``, and fixed-length Unicode arrays (numpy ``<U`` dtype, e.g. coordinates of state
variable names), stored with zarr-python's ``FixedLengthUTF32`` data type. zarr-python and xarray
read both; other Zarr implementations may not. Object-dtype string arrays are stored as
variable-length strings and read back with numpy's ``StringDType``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from neurodyn.provenance import provenance
from neurodyn.store import _atomic
from neurodyn.store.attrs import attr_value, json_attrs
from neurodyn.store.integrity import StoreError, check_chunks, mark_complete, open_error

__all__ = [
    "CREATED_KEY",
    "DEFAULT_CHUNK_BYTES",
    "PROVENANCE_KEYS",
    "auto_chunks",
    "check_writable",
    "is_store",
    "open_dataset",
    "store_info",
    "write_dataset",
]

#: Attribute holding the UTC time the store was written (ISO 8601, ending in ``Z``).
CREATED_KEY = "created_utc"
#: Attributes that :func:`write_dataset` (and :func:`~neurodyn.store.merge_stores`) add.
PROVENANCE_KEYS = ("package_versions", "git_revision", CREATED_KEY, "merged_from")
#: Target uncompressed size of one chunk of one variable.
DEFAULT_CHUNK_BYTES = 4 * 2**20

# Encoding keys kept from the input (how values are represented); chunking and codecs are chosen
# afresh so that a Dataset read from another store (even a Zarr v2 one) can be written again.
_KEEP_ENCODING = (
    "dtype",
    "_FillValue",
    "missing_value",
    "units",
    "calendar",
    "scale_factor",
    "add_offset",
)
_STORE_MARKERS = ("zarr.json", ".zgroup", ".zarray", ".zattrs")


@contextlib.contextmanager
def _quiet_zarr() -> Iterator[None]:
    """Silence two notices of zarr-python that are expected here (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Consolidated metadata is currently not part")
        warnings.filterwarnings("ignore", message=r"The data type \(FixedLengthUTF32")
        yield


def is_store(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory holding Zarr metadata (v3 ``zarr.json`` or v2)."""
    path = Path(path)
    return path.is_dir() and any((path / m).is_file() for m in _STORE_MARKERS)


def _utc_now() -> str:
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


def auto_chunks(
    ds: xr.Dataset,
    fixed: Mapping[str, int] | None = None,
    target_bytes: int = DEFAULT_CHUNK_BYTES,
) -> dict[str, int]:
    """One chunk length per dimension so that no variable's chunk exceeds ``target_bytes``.

    Starts from whole dimensions and repeatedly halves the longest chunked dimension of the
    variable with the largest chunk, which keeps small results in one chunk and makes large ones
    roughly balanced across their dimensions. Dimensions in ``fixed`` keep the given length.
    """
    fixed = dict(fixed or {})
    for dim, length in fixed.items():
        if dim not in ds.dims:
            raise ValueError(f"chunks: {dim!r} is not a dimension of the Dataset ({list(ds.dims)})")
        if not isinstance(length, int | np.integer) or isinstance(length, bool) or length < 1:
            raise ValueError(f"chunks[{dim!r}] = {length!r}: must be a positive integer")
    chunks = {dim: max(int(fixed.get(dim, size)), 1) for dim, size in ds.sizes.items()}
    variables = [v for v in ds.variables.values() if v.ndim]
    while variables:

        def nbytes(var: xr.Variable) -> int:
            return max(var.dtype.itemsize, 8) * math.prod(chunks[d] for d in var.dims)

        largest = max(variables, key=nbytes)
        if nbytes(largest) <= target_bytes:
            break
        free = [d for d in largest.dims if d not in fixed and chunks[d] > 1]
        if not free:
            variables.remove(largest)  # cannot shrink it further; look at the others
            continue
        dim = max(free, key=lambda d: chunks[d])
        chunks[dim] = -(-chunks[dim] // 2)
    return chunks


def _prepare(ds: xr.Dataset, chunks: Mapping[str, int] | None) -> xr.Dataset:
    """A shallow copy with JSON attributes, provenance and fresh chunk encodings."""
    out = ds.copy(deep=False)
    attrs = dict(ds.attrs)
    for key, value in provenance().items():
        attrs.setdefault(key, value)
    attrs.setdefault(CREATED_KEY, _utc_now())
    out.attrs = json_attrs(attrs, "Dataset attrs")
    dim_chunks = auto_chunks(ds, chunks)
    for name, var in out.variables.items():
        var.attrs = json_attrs(var.attrs, f"attrs of variable {name!r}")
        encoding = {k: v for k, v in var.encoding.items() if k in _KEEP_ENCODING}
        if var.ndim:
            encoding["chunks"] = tuple(dim_chunks[d] for d in var.dims)
        var.encoding = encoding
    return out


def write_dataset(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = True,
    chunks: Mapping[str, int] | None = None,
    durable: bool = True,
) -> Path:
    """Write ``ds`` to a Zarr v3 store at ``path`` atomically; return the store's path.

    * Format: Zarr v3 directory store, consolidated metadata (one read opens it), zstd-compressed
      chunks. Chunking: ``chunks`` (dimension -> length) where given, otherwise
      :func:`auto_chunks` (whole dimensions, halved until a chunk is at most
      :data:`DEFAULT_CHUNK_BYTES`).
    * Provenance: ``package_versions`` and ``git_revision`` (from :func:`neurodyn.provenance`) and
      ``created_utc`` are added to the Dataset attributes unless already present (a Dataset
      re-written after reading keeps the provenance of the code that computed it).
    * Attributes of the Dataset and of every variable are converted to JSON as documented in
      :mod:`neurodyn.store.attrs`; an attribute that cannot be stored raises
      :class:`~neurodyn.store.attrs.AttrsNotStorableError` before anything is written. ``ds`` itself
      is not modified.
    * Atomicity: the store is written to a hidden sibling ``.<name>.tmp-<uuid>``, flushed to disk
      (``durable=True``), then moved into place by one rename, or swapped with the existing store
      by ``renameat2(RENAME_EXCHANGE)``. A crash at any moment leaves the complete old store or
      the complete new one at ``path`` (see :mod:`neurodyn.store._atomic` for the one fallback
      window where exchange is unsupported); an exception leaves the old store untouched, or
      nothing if there was none, and removes the temporary directory. Leftovers of crashed writes
      are ignored by readers and removed by the next write to the same path.

    Raises :class:`FileExistsError` if ``path`` exists and ``overwrite`` is false, or if it exists
    and is neither a Zarr store nor an empty directory (nothing else is ever replaced).
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"write_dataset needs an xarray.Dataset, got {type(ds).__name__}")
    path = Path(path).expanduser().absolute()
    _check_target(path, overwrite)
    prepared = _prepare(ds, chunks)
    with store_writer(path, overwrite=overwrite, durable=durable) as tmp:
        _to_zarr(prepared, tmp)
    return path


@contextlib.contextmanager
def store_writer(
    path: str | os.PathLike[str], *, overwrite: bool = True, durable: bool = True
) -> Iterator[Path]:
    """A temporary directory that replaces ``path`` atomically when the block ends normally.

    The atomic write of :func:`write_dataset` for stores built in several steps (the streaming
    merge): fill the yielded directory, and it becomes the store at ``path``; an exception
    removes it and leaves ``path`` untouched.
    """
    path = Path(path).expanduser().absolute()
    _check_target(path, overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic.cleanup_leftovers(path)
    _check_target(path, overwrite)  # a restored store may have appeared
    with _atomic.locked_temp_dir(path) as tmp:
        yield Path(tmp)
        mark_complete(tmp)  # every chunk of the store was written (see .integrity)
        if durable:
            _atomic.fsync_tree(tmp)
        _atomic.replace_dir(tmp, path, overwrite=overwrite)


def write_into(
    ds: xr.Dataset, folder: str | os.PathLike[str], chunks: Mapping[str, int] | None = None
) -> None:
    """Write ``ds`` (attributes and encodings as :func:`write_dataset` sets them) into the
    empty ``folder`` as a consolidated Zarr v3 store, without the atomic replacement."""
    _to_zarr(_prepare(ds, chunks), folder)


def _to_zarr(prepared: xr.Dataset, folder: str | os.PathLike[str]) -> None:
    with _quiet_zarr():
        prepared.to_zarr(
            folder, mode="w-", zarr_format=3, consolidated=True, write_empty_chunks=True
        )


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Check, before computing, that :func:`write_dataset` (overwriting) can write ``path``.

    Raises :class:`FileExistsError` for a file, a symbolic link or a non-empty directory that
    is not a store at ``path``, :class:`NotADirectoryError` when a parent is a file, and
    :class:`PermissionError` when the folder it goes in cannot be written; all name the path.
    """
    path = Path(path).expanduser().absolute()
    _check_target(path, overwrite=True)
    folder = path.parent
    while not os.path.lexists(folder):
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(f"cannot write {path}: {folder} is not a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: no write permission in {folder}")
    return path


def _check_target(path: Path, overwrite: bool) -> None:
    if not os.path.lexists(path):
        return
    if not overwrite:
        raise FileExistsError(f"{path} already exists (pass overwrite=True to replace it)")
    if path.is_symlink():
        raise FileExistsError(f"{path} is a symbolic link; refusing to replace it")
    if not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a Zarr store; refusing to replace it")
    if not is_store(path) and any(path.iterdir()):
        raise FileExistsError(
            f"{path} is a non-empty directory without Zarr metadata; refusing to replace it"
        )


def _require_store(path: Path) -> None:
    if not os.path.lexists(path):
        msg = f"no Zarr store at {path}: the path does not exist"
        aside = [p for p in _atomic.leftovers(path) if ".old-" in p.name]
        if aside:
            msg += (
                f" (an interrupted write left the previous store at {aside[-1]}; the next "
                "write_dataset to this path restores it, or rename it yourself)"
            )
        raise FileNotFoundError(msg)
    if not path.is_dir():
        raise ValueError(f"{path} is not a Zarr store: it is a file, not a directory")
    if not is_store(path):
        raise ValueError(f"{path} is not a Zarr store: it holds no zarr.json (or Zarr v2) metadata")


def open_dataset(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a store lazily: coordinates are read now, data variables when first accessed.

    dask is not needed: with ``chunks=None`` xarray wraps each Zarr array in its own lazy
    indexing array, and a selection (``ds.x.sel(...)``, ``.values``, ``.load()``) reads only the
    chunks it touches. Values are read through the path, so re-open (or ``.load()`` first) if
    the store may be replaced by a new write while you hold the Dataset.

    Raises :class:`FileNotFoundError` if ``path`` does not exist and :class:`ValueError` if it is
    not a Zarr store, both naming the path; :class:`~neurodyn.store.integrity.StoreError` (a
    ValueError) naming the file for unreadable metadata, and naming the variable and chunk for
    a chunk file that is missing (:func:`~neurodyn.store.integrity.check_chunks`), which zarr
    would otherwise read as NaN.
    """
    path = Path(path).expanduser()
    _require_store(path)
    with _quiet_zarr():
        try:
            ds = _open_zarr(path)
            check_chunks(path)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the reader raises names the store
            raise open_error(path, exc) from None
    return ds


def _open_zarr(path: Path) -> xr.Dataset:
    try:
        return xr.open_zarr(path, chunks=None, consolidated=True)
    except (ValueError, KeyError) as exc:
        if "onsolidated" not in str(exc):
            raise
    # A store written without consolidated metadata (not by neurodyn): slower, still fine.
    return xr.open_zarr(path, chunks=None, consolidated=False)


# --------------------------------------------------------------------------- store_info


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _fmt_scalar(value: Any) -> str:
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, str | np.str_):
        return repr(str(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def _coord_summary(var: xr.Variable) -> str:
    """Range, count and spacing of a coordinate (loaded only when small)."""
    if var.size == 0:
        return "(empty)"
    if var.size > 1_000_000:
        return f"({var.size} values)"
    values = np.asarray(var.values)
    if values.ndim != 1:
        flat = values.ravel()
        if flat.dtype.kind in "iuf":
            return f"{_fmt_scalar(np.nanmin(flat))} … {_fmt_scalar(np.nanmax(flat))}"
        return f"({var.size} values)"
    if len(values) <= 6:
        return "[" + ", ".join(_fmt_scalar(v) for v in values) + "]"
    text = f"{_fmt_scalar(values[0])} … {_fmt_scalar(values[-1])} ({len(values)} values"
    if values.dtype.kind in "iuf":
        steps = np.diff(values.astype(float))
        if np.all(np.isfinite(steps)) and np.allclose(steps, steps[0], rtol=1e-9, atol=0):
            text += f", step {_fmt_scalar(steps[0])}"
    return text + ")"


def _attrs_inline(attrs: Mapping[str, Any]) -> str:
    return "  ".join(f"{k}={_short(v, 50)}" for k, v in attrs.items())


def _disk_usage(path: Path) -> tuple[int, int]:
    size = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                size += os.stat(os.path.join(root, name)).st_size
                files += 1
    return size, files


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def store_info(path: str | os.PathLike[str]) -> str:
    """A human-readable summary of a store for ``neurodyn info STORE``.

    Lists the dimensions, each coordinate with its range (count and step when evenly spaced),
    each data variable with its dimensions, dtype, chunks and attributes (units, convention, …),
    the Dataset attributes (model, seed, …) and the provenance (git revision, creation time,
    package versions). Mapping attributes are listed key by key; stores that hold them as JSON
    text (written before they were stored as mappings) are shown the same way. Only metadata
    and coordinates are read, never the data variables.
    """
    path = Path(path).expanduser()
    ds = open_dataset(path)
    size, files = _disk_usage(path)
    zarr_format = 3 if (path / "zarr.json").is_file() else 2
    lines = [f"Zarr store {path}  (Zarr v{zarr_format}, {_fmt_bytes(size)} in {files} files)"]
    lines.append("Dimensions: " + (", ".join(f"{d}={n}" for d, n in ds.sizes.items()) or "(none)"))

    def table(title: str, names: list[Any], coords: bool) -> None:
        lines.append(f"{title}:")
        if not names:
            lines.append("  (none)")
            return
        width = max(len(str(n)) for n in names)
        for name in names:
            var = ds.variables[name]
            dims = "(" + ", ".join(map(str, var.dims)) + ")"
            row = f"  {str(name):<{width}}  {dims:<14} {str(var.dtype):<8}"
            if coords:
                row += f"  {_coord_summary(var)}"
            elif var.encoding.get("chunks"):
                row += "  chunks " + "×".join(map(str, var.encoding["chunks"]))
            if var.attrs:
                row += f"  {_attrs_inline(var.attrs)}"
            lines.append(row.rstrip())

    table("Coordinates", list(ds.coords), coords=True)
    table("Data variables", list(ds.data_vars), coords=False)

    attrs = {key: attr_value(value) for key, value in ds.attrs.items()}
    prov = {k: attrs.pop(k) for k in PROVENANCE_KEYS if k in attrs}
    lines.append("Attributes:")
    if not attrs:
        lines.append("  (none)")
    first = [k for k in ("model", "seed") if k in attrs]
    for key in first + [k for k in attrs if k not in first]:
        value = attrs[key]
        if isinstance(value, Mapping) and value:
            lines.append(f"  {key}:")
            lines.extend(f"    {k}: {_short(v, 66)}" for k, v in value.items())
        else:
            lines.append(f"  {key}: {_short(value)}")
    lines.append("Provenance:")
    lines.append(f"  git revision: {prov.get('git_revision', '(not recorded)')}")
    lines.append(f"  created (UTC): {prov.get(CREATED_KEY, '(not recorded)')}")
    versions = prov.get("package_versions")
    if isinstance(versions, Mapping) and versions:
        lines.append("  package versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    else:
        lines.append("  package versions: (not recorded)")
    merged = prov.get("merged_from")
    if merged:
        lines.append(f"  merged from {len(merged)} parts")
    return "\n".join(lines)
