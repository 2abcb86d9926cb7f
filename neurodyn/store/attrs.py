"""Conversion of attributes to what Zarr v3 can store: plain JSON.

Zarr v3 keeps attributes in ``zarr.json`` as JSON, so every attribute of a stored Dataset, of its
variables and of its coordinates must be a JSON value. :func:`json_attrs` converts, recursively:

==========================================  =================================================
value                                       stored as
==========================================  =================================================
``None``, ``bool``, ``int``, ``str``        itself
finite ``float``                            itself
``numpy.bool_`` / integer / floating        ``bool`` / ``int`` / ``float``
``numpy.str_``                              ``str``
``numpy.ndarray`` (any shape), 0-d array    nested lists / a scalar, elements converted as here
``list``, ``tuple``                         ``list`` (so a tuple reads back as a list)
``dict`` / any ``Mapping`` with str keys    ``dict`` (nested mappings are converted too)
``datetime``, ``date``, ``numpy.datetime64`` ISO 8601 string
``os.PathLike`` (``pathlib.Path``)          ``str``
==========================================  =================================================

Everything else is refused with :class:`AttrsNotStorableError`, which names the attribute and the
path inside it (``attrs['params']['a'][2]``): complex numbers, ``bytes``, sets, arbitrary objects,
mapping keys that are not strings (JSON would silently turn ``1`` into ``"1"``), and NaN or
infinite floats (``NaN`` is not JSON; zarr-python writes it anyway but other Zarr readers reject
the whole ``zarr.json``, so store ``None`` or a string such as ``"nan"`` instead).

Mappings and lists (``equations``, ``fixed_parameters``, ``package_versions``, …) are stored as
JSON objects and arrays, so they read back as ``dict`` and ``list``. Stores written before this
held some of them as JSON text; :func:`attr_value` reads either.

The coordinates that every result store shares carry the attributes defined once here:
:data:`IC_ATTRS`, :data:`ITERATION_ATTRS` and :data:`EXPONENT_ATTRS`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = [
    "EXPONENT_ATTRS",
    "IC_ATTRS",
    "ITERATION_ATTRS",
    "AttrsNotStorableError",
    "attr_value",
    "json_attrs",
    "json_value",
]

#: Attributes of the ``ic`` coordinate: the index of the initial state (0 = the first).
IC_ATTRS = {"long_name": "index of the initial state", "units": "1"}
#: Attributes of the ``iteration`` coordinate of kept states.
ITERATION_ATTRS = {
    "long_name": "iteration number of the kept state (the state after that many iterations)",
    "units": "iterations",
}
#: Attributes of the ``exponent`` coordinate of Lyapunov spectra.
EXPONENT_ATTRS = {"long_name": "rank of the Lyapunov exponent (1 = largest)", "units": "1"}


class AttrsNotStorableError(TypeError, ValueError):
    """An attribute value cannot be stored as JSON in a Zarr v3 store."""


def json_attrs(attrs: Mapping[Any, Any], where: str = "attrs") -> dict[str, Any]:
    """Return a JSON-ready copy of an attribute mapping (see the module docstring for the rules).

    ``where`` names the mapping in error messages, e.g. ``"variable 'x' attrs"``.
    """
    return json_value(attrs, where) if attrs else {}


def attr_value(value: Any) -> Any:
    """An attribute as a Python value: JSON text of an object or array (as stores written before
    mappings were stored natively hold them) is decoded, everything else is returned as is."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def json_value(value: Any, where: str = "value") -> Any:
    """Convert one attribute value to plain JSON types; ``where`` locates it in error messages."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):  # includes numpy.str_ and str enums
        return str(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            raise AttrsNotStorableError(
                f"{where} = {number!r}: NaN and infinity are not JSON and cannot be stored as Zarr "
                "attributes; store None or a string such as 'nan' instead"
            )
        return number
    if isinstance(value, np.datetime64):
        return str(np.datetime_as_string(value))
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.ndarray):
        return _json_array(value, where)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AttrsNotStorableError(
                    f"{where}: key {key!r} ({type(key).__name__}) is not a string; JSON objects "
                    "only have string keys, so convert it explicitly"
                )
            out[str(key)] = json_value(item, f"{where}[{str(key)!r}]")
        return out
    if isinstance(value, list | tuple):
        return [json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    hint = ""
    if isinstance(value, complex | np.complexfloating):
        hint = "; store the real and imaginary parts separately"
    elif isinstance(value, set | frozenset):
        hint = "; store a sorted list instead"
    elif isinstance(value, bytes | bytearray):
        hint = "; decode it to str (or base64) first"
    raise AttrsNotStorableError(
        f"{where} = {value!r:.80}: a {type(value).__module__}.{type(value).__qualname__} "
        f"cannot be stored as a Zarr attribute (JSON only){hint}"
    )


def _json_array(array: np.ndarray, where: str) -> Any:
    """A numpy array as (nested) lists of JSON values; a 0-d array as its scalar."""
    if array.dtype.kind == "M":
        array = np.datetime_as_string(array)
    if array.ndim == 0:
        return json_value(array[()], where)
    if array.dtype.kind in "biu":
        return array.tolist()
    if array.dtype.kind == "f":
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            index = "".join(f"[{i}]" for i in bad[0])
            raise AttrsNotStorableError(
                f"{where}{index} = {array[tuple(bad[0])]!r}: NaN and infinity are not JSON and "
                "cannot be stored as Zarr attributes; store None or a string such as 'nan' instead"
            )
        return array.tolist()
    if array.dtype.kind in "UO":
        return [json_value(item, f"{where}[{i}]") for i, item in enumerate(array)]
    raise AttrsNotStorableError(
        f"{where}: a numpy array of dtype {array.dtype} cannot be stored as a Zarr attribute "
        "(JSON only)"
    )
