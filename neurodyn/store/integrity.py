"""Checks that a store's chunks and metadata are all there and readable.

Zarr reads a chunk file that does not exist as the array's fill value (NaN for floats), which
would turn a deleted or lost chunk into NaN without a word. :func:`~neurodyn.store.write_dataset`
therefore writes every chunk, even one holding only the fill value (``write_empty_chunks``), and
records so in the file :data:`COMPLETE_MARKER` at the store's root (zarr ignores it), so that in
such a store every chunk of the grid has its file, and:

* :func:`check_chunks` (run by :func:`~neurodyn.store.open_dataset`, hence by the merge and
  ``neurodyn info``) lists the store's files once and raises :class:`StoreError` naming the
  store, the variable and the chunk for the first chunk file that is missing;
* :func:`verify_store` (``neurodyn info --verify``) also reads every chunk and names the
  variable, chunk and file of one that cannot be decoded (a corrupt or truncated file);
* :func:`open_error` turns a failure to open a store into an error naming the metadata file
  that is not valid JSON, or the variable and chunk that cannot be read (a coordinate is read
  when the store is opened).

Stores without the marker (written by older neurodyn versions, which skipped chunks holding
only NaN, or by other programs) are not checked for missing chunks; rewriting one with
``write_dataset(open_dataset(path).load(), path)`` adds the marker.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "COMPLETE_MARKER",
    "StoreError",
    "check_chunks",
    "mark_complete",
    "open_error",
    "verify_store",
]

#: file at a store's root saying that every chunk was written (so a missing one is an error)
COMPLETE_MARKER = "neurodyn-chunks.json"

_METADATA = ("zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata")


class StoreError(ValueError):
    """A store that cannot be read as written: missing or corrupt chunk, garbled metadata."""


def _arrays(path: Path) -> Iterator[tuple[str, Any]]:
    import zarr

    try:
        arrays = sorted(zarr.open_group(path, mode="r").arrays(), key=lambda item: item[0])
    except Exception as err:  # noqa: BLE001 - whatever the reader raises names the store
        raise _garbled(path) or _unreadable(path, err) from None
    yield from arrays


def _chunk_keys(array: Any) -> Iterator[tuple[tuple[int, ...], str]]:
    for coords in np.ndindex(*array.cdata_shape):
        yield coords, array.metadata.encode_chunk_key(coords)


def mark_complete(path: str | os.PathLike[str]) -> None:
    """Record in the store at ``path`` that every chunk of every array was written."""
    marker = {"all_chunks_written": True, "see": "neurodyn.store.integrity"}
    (Path(path) / COMPLETE_MARKER).write_text(json.dumps(marker) + "\n")


def check_chunks(path: str | os.PathLike[str]) -> None:
    """Raise :class:`StoreError` naming the store, variable and chunk of the first chunk file
    that is missing (only file names are listed; no chunk is read). Stores without
    :data:`COMPLETE_MARKER` are not checked (a chunk holding only the fill value may be absent)."""
    path = Path(path)
    if not (path / COMPLETE_MARKER).is_file():
        return
    present = {
        os.path.relpath(os.path.join(root, name), path)
        for root, _dirs, names in os.walk(path)
        for name in names
    }
    for name, array in _arrays(path):
        for coords, key in _chunk_keys(array):
            if os.path.join(name, *key.split("/")) not in present:
                raise StoreError(
                    f"store {path}: chunk {key} (block {coords}) of variable {name!r} is missing "
                    f"(no file {path / name / key}); its values cannot be read"
                )


def verify_store(path: str | os.PathLike[str]) -> int:
    """Read every chunk of every variable of the store; return the number of chunks read.

    Raises :class:`StoreError` naming store, variable, chunk and file for a missing chunk or one
    that cannot be decoded.
    """
    path = Path(path)
    check_chunks(path)
    complete = (path / COMPLETE_MARKER).is_file()
    count = 0
    for name, array in _arrays(path):
        for coords, key in _chunk_keys(array):
            if not complete and not (path / name / key).is_file():
                continue  # a chunk holding only the fill value, not written
            try:
                array.get_block_selection(coords)
            except Exception as err:  # noqa: BLE001 - any decoding failure names the file
                raise StoreError(
                    f"store {path}: chunk {key} of variable {name!r} cannot be read "
                    f"({type(err).__name__}: {err}); file {path / name / key}"
                ) from None
            count += 1
    return count


def open_error(path: str | os.PathLike[str], error: Exception) -> StoreError:
    """The error to raise when the store at ``path`` cannot be opened: naming the metadata file
    that is not valid JSON, else the variable and chunk that cannot be read, else the store and
    the reader's message."""
    path = Path(path)
    garbled = _garbled(path)
    if garbled:
        return garbled
    try:
        verify_store(path)
    except StoreError as located:
        return located
    return _unreadable(path, error)


def _unreadable(path: Path, error: Exception) -> StoreError:
    return StoreError(f"store {path} cannot be opened: {type(error).__name__}: {error}")


def _garbled(path: Path) -> StoreError | None:
    """An error naming the first metadata file of the store that is not valid JSON, if any."""
    for root, _dirs, names in sorted(os.walk(path)):
        for name in sorted(names):
            if name in _METADATA:
                file = Path(root) / name
                try:
                    json.loads(file.read_bytes())
                except (ValueError, OSError) as err:
                    return StoreError(f"store {path}: metadata file {file} is unreadable: {err}")
    return None
