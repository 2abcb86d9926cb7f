"""Result stores: labelled xarray Datasets in Zarr v3, written atomically, merged, read lazily.

* :func:`write_dataset` — write a Dataset (JSON attributes, provenance, chunking) atomically.
* :func:`open_dataset` — open a store lazily (no dask needed).
* :func:`store_info` — a human-readable summary of a store (``neurodyn info STORE``).
* :func:`merge_stores` — combine the part stores of one sweep by coordinates.
* :func:`verify_store` — read every chunk; a missing or corrupt one is a :class:`StoreError`.
* :func:`attr_value` — an attribute as a Python value (decodes JSON text of older stores).
"""

from neurodyn.store.attrs import AttrsNotStorableError, attr_value, json_attrs
from neurodyn.store.integrity import StoreError, verify_store
from neurodyn.store.merge import combine_parts, merge_stores
from neurodyn.store.zarrstore import (
    CREATED_KEY,
    PROVENANCE_KEYS,
    auto_chunks,
    check_writable,
    is_store,
    open_dataset,
    store_info,
    write_dataset,
)

__all__ = [
    "CREATED_KEY",
    "PROVENANCE_KEYS",
    "AttrsNotStorableError",
    "StoreError",
    "attr_value",
    "auto_chunks",
    "check_writable",
    "combine_parts",
    "is_store",
    "json_attrs",
    "merge_stores",
    "open_dataset",
    "store_info",
    "verify_store",
    "write_dataset",
]
