"""Parameter grids: parse sweep specifications and lay a grid out as a batch."""

from __future__ import annotations

import math
import os
import re

import numpy as np

from ..models import Model, ModelError

__all__ = [
    "MAX_AXIS_VALUES",
    "SweepSpecError",
    "check_memory",
    "grid_batch",
    "grid_columns",
    "memory_bytes",
    "parse_assignment",
    "parse_axis",
]


class SweepSpecError(ValueError):
    """A malformed ``name=value`` or ``name=start:stop:num`` specification."""


#: most values one sweep axis may have (the grid as a whole is bounded by :func:`check_memory`)
MAX_AXIS_VALUES = 10_000_000


def memory_bytes() -> int:
    """This machine's physical memory in bytes (the bound of :func:`check_memory`)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_memory(nbytes: int, what: str) -> None:
    """Raise :class:`SweepSpecError` when ``what`` needs about ``nbytes`` bytes, more than the
    machine's physical memory: refused before anything is allocated."""
    available = memory_bytes()
    if nbytes > available:
        raise SweepSpecError(
            f"{what} needs about {nbytes / 2**30:.3g} GiB, more than this machine's "
            f"{available / 2**30:.3g} GiB of memory"
        )


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_assignment(text: str) -> tuple[str, float]:
    """Parse ``name=value`` (as given to ``--set``)."""
    match = re.fullmatch(rf"\s*([A-Za-z_]\w*)\s*=\s*({_NUMBER})\s*", text)
    if not match:
        raise SweepSpecError(f"malformed setting {text!r}: expected name=value, e.g. k=0.03")
    return match.group(1), float(match.group(2))


def parse_axis(text: str) -> tuple[str, np.ndarray]:
    """Parse a sweep axis: ``name=start:stop:num`` (inclusive, evenly spaced) or ``name=v1,v2,...``.

    >>> parse_axis("b=0.1:0.7:7")[1]
    array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    """
    match = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*=\s*(.+?)\s*", text)
    if not match:
        raise SweepSpecError(
            f"malformed sweep {text!r}: expected name=start:stop:num or name=v1,v2"
        )
    name, body = match.groups()
    range_match = re.fullmatch(rf"({_NUMBER}):({_NUMBER}):(\d+)", body.replace(" ", ""))
    if range_match:
        start, stop, num = float(range_match[1]), float(range_match[2]), int(range_match[3])
        if num < 1:
            raise SweepSpecError(f"sweep {text!r}: the number of values must be at least 1")
        if num > MAX_AXIS_VALUES:
            raise SweepSpecError(
                f"sweep {text!r}: {num} values is more than the {MAX_AXIS_VALUES} an axis may have"
            )
        return name, np.linspace(start, stop, num)
    items = body.replace(" ", "").split(",")
    if all(re.fullmatch(_NUMBER, item) for item in items):
        return name, np.array([float(item) for item in items])
    raise SweepSpecError(f"malformed sweep {text!r}: expected name=start:stop:num or name=v1,v2")


def grid_columns(axes: dict[str, np.ndarray], n_initial: int) -> dict[str, np.ndarray]:
    """The value of each axis at every column of the batch of a full grid over ``axes``: points
    in C order over the axes (the last axis fastest), each repeated for its ``n_initial``
    initial states (the initial-state index fastest)."""
    for name, values in axes.items():
        if np.ndim(values) != 1 or len(values) == 0:
            raise SweepSpecError(f"sweep axis {name!r} must be a non-empty 1-D list of values")
    mesh = np.meshgrid(*[np.asarray(v, dtype=np.float64) for v in axes.values()], indexing="ij")
    return {
        name: np.repeat(grid.reshape(-1), n_initial) for name, grid in zip(axes, mesh, strict=True)
    }


def grid_batch(
    model: Model,
    axes: dict[str, np.ndarray],
    fixed: dict[str, float],
    n_initial: int,
    others: tuple[str, ...] = (),
) -> np.ndarray:
    """The parameter array ``(n_param, n_points * n_initial)`` of a full grid over ``axes``
    (laid out as :func:`grid_columns` says).

    Every value is checked against the parameter's range; a parameter may not be both swept and
    fixed. Axes named in ``others`` (noise and input amplitudes) shape the grid but set no
    parameter.
    """
    both = set(axes) & set(fixed)
    if both:
        raise ModelError(f"parameter(s) {', '.join(sorted(both))} both swept and fixed")
    columns = grid_columns(axes, n_initial)
    own = {name: values for name, values in axes.items() if name not in others}
    resolved = model.resolve_parameters({**fixed, **own})
    n_runs = math.prod(len(v) for v in axes.values()) * n_initial
    rows = [
        columns[name] if name in own else np.full(n_runs, resolved[name], dtype=np.float64)
        for name in model.parameter_names
    ]
    return np.array(rows, dtype=np.float64).reshape(len(model.parameters), n_runs)
