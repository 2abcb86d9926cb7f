"""Noise and external input of a map run, as data: the one definition that ``trajectory()``,
``sweep()``, the torch backend and study configs read.

A noisy, driven map iterates ``X' = f(X; P + h ξ_P) + g ξ_X + A u_n`` (:mod:`.noise`):

``noise``
    a mapping from a state variable to its additive noise amplitude ``g`` (in the variable's
    unit per iteration), or from a parameter to the amplitude ``h`` of the noise on it, redrawn
    every iteration (multiplicative noise); amplitudes are finite and >= 0.
``inputs``
    a mapping from a state variable to its external input ``A u_n``, added at iteration
    ``n = 1 .. transient + steps``: a number (a constant, ``A`` = the number), a series of at
    least that many values (``A`` = 1), ``{"pulse_train": {"period": P, "width": W, "start":
    S, "amplitude": A}}`` (iterations counted from 0, :func:`pulse_train`) or ``{"store": path,
    "variable": name, "amplitude": A}`` (a 1-D variable of a Zarr store, its first values).

In a sweep, the axis ``noise_<name>`` sets the noise amplitude on ``<name>`` and
``input_<name>`` the input amplitude ``A`` on state variable ``<name>`` (a constant input of 1
when ``inputs`` gives none), point by point; a model parameter of that very name stays a
parameter.

Random numbers: column ``i`` of a run draws the normals of iteration ``n`` from the Philox
counter ``(n, point[i], channel block, ic[i])`` under the key ``(seed, stream)``
(:func:`.noise.gaussians`); ``point`` and ``ic`` are the global grid-point and initial-state
indices of a sweep (a trajectory batch: the row, ic 0), so a point's noise is the same however
the grid is split into chunks, threads or jobs, and on every backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .model import ModelInterface

__all__ = [
    "INPUT_PREFIX",
    "NOISE_PREFIX",
    "Drive",
    "drive_axis",
    "drive_spec_attrs",
    "input_series",
    "input_waveform",
    "make_drive",
    "noise_amplitudes",
    "per_point",
    "pulse_train",
]

NOISE_PREFIX = "noise_"
INPUT_PREFIX = "input_"


class Drive(NamedTuple):
    """Noise and input of a batch of map runs (the batch along the last axis).

    ``state_noise`` ``g`` (n_state, batch); ``parameter_noise`` ``h`` (n_param, batch);
    ``input_amplitude`` ``A`` (n_state, batch); ``input_series`` ``u`` (T, n_state), T the
    iteration count or 1 for constant inputs; ``points`` and ``ics`` (batch,) uint64, the
    counter words of each column; ``seed`` and ``stream`` the uint64 key.
    """

    state_noise: np.ndarray
    parameter_noise: np.ndarray
    input_amplitude: np.ndarray
    input_series: np.ndarray
    points: np.ndarray
    ics: np.ndarray
    seed: np.uint64
    stream: np.uint64

    def part(self, cut: slice) -> Drive:
        """The drive of columns ``cut``."""
        return self._replace(
            state_noise=np.ascontiguousarray(self.state_noise[:, cut]),
            parameter_noise=np.ascontiguousarray(self.parameter_noise[:, cut]),
            input_amplitude=np.ascontiguousarray(self.input_amplitude[:, cut]),
            points=np.ascontiguousarray(self.points[cut]),
            ics=np.ascontiguousarray(self.ics[cut]),
        )


def pulse_train(
    steps: int, *, period: int, width: int = 1, amplitude: float = 1.0, start: int = 0
) -> np.ndarray:
    """An input series of ``steps`` values: ``amplitude`` for ``width`` iterations every
    ``period`` iterations from iteration ``start`` (0-based), zero otherwise."""
    integral = all(
        isinstance(v, int | np.integer) and not isinstance(v, bool)
        for v in (steps, period, width, start)
    )
    if not integral or not (0 < width <= period) or start < 0 or steps < 1:
        raise ValueError(
            f"a pulse train needs integers steps >= 1, 0 < width <= period and start >= 0; got "
            f"steps={steps!r}, period={period!r}, width={width!r}, start={start!r}"
        )
    n = np.arange(steps)
    return np.where((n >= start) & ((n - start) % period < width), float(amplitude), 0.0)


def per_point(what: str, value: object, n_points: int) -> np.ndarray:
    """``value`` (a number or one value per point) as ``n_points`` floats; ValueError naming
    ``what`` otherwise."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_points):
        raise ValueError(f"{what} must be a number or {n_points} values")
    return np.broadcast_to(arr, (n_points,))


def _amplitude(name: str, value: object, n_points: int) -> np.ndarray:
    arr = per_point(f"noise amplitude of {name!r}", value, n_points)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"noise amplitude of {name!r} must be finite and >= 0, got {value!r}")
    return arr


def noise_amplitudes(
    model: ModelInterface, noise: Mapping[str, object], n_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """State ``g`` (n_state, n_points) and parameter ``h`` (n_param, n_points) amplitudes of
    ``noise`` (numbers or one value per point); ValueError naming an unknown target."""
    G = np.zeros((model.n_state, n_points))
    H = np.zeros((len(model.parameter_names), n_points))
    for name, value in noise.items():
        if name in model.state_names:
            G[model.state_names.index(name)] = _amplitude(name, value, n_points)
        elif name in model.parameter_names and model.kind == "map":
            H[model.parameter_names.index(name)] = _amplitude(name, value, n_points)
        else:
            accepted = model.state_names + (model.parameter_names if model.kind == "map" else ())
            raise ValueError(
                f"noise on {name!r}: not a state variable{' or parameter' * (model.kind == 'map')}"
                f" of {model.name} (accepted: {', '.join(accepted)})"
            )
    return G, H


def _input_target(model: ModelInterface, name: str) -> int:
    if model.kind != "map":
        raise ValueError(f"inputs apply to maps; {model.name} is a flow (add a parameter)")
    if name not in model.state_names:
        raise ValueError(
            f"input on {name!r}: not a state variable of {model.name} "
            f"({', '.join(model.state_names)})"
        )
    return model.state_names.index(name)


def input_series(
    model: ModelInterface, inputs: Mapping[str, object], n_points: int, steps: int
) -> np.ndarray:
    """A trajectory's external input (steps, n_state, 1 or n_points) from numbers, series of
    ``steps`` values or ``(n_points, steps)`` arrays; shape (0, n_state, 1) for none."""
    if not inputs:
        return np.zeros((0, model.n_state, 1))
    per_point_series = any(np.ndim(v) == 2 for v in inputs.values())
    U = np.zeros((steps, model.n_state, n_points if per_point_series else 1))
    for name, value in inputs.items():
        row = _input_target(model, name)
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim == 2:
            arr = arr.T
        elif arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim > 2 or arr.shape[0] not in (1, steps) and arr.ndim != 0:
            raise ValueError(
                f"input on {name!r} must be a number, {steps} values or ({n_points}, {steps}) "
                f"values; got shape {np.shape(value)}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"input on {name!r} contains NaN or inf")
        U[:, row, :] = arr
    return U


def _read_store_series(name: str, spec: Mapping[str, object]) -> np.ndarray:
    import xarray as xr  # imported when a store is read

    path, variable = spec.get("store"), spec.get("variable")
    try:
        ds = xr.open_zarr(str(path))
    except (FileNotFoundError, ValueError, OSError) as err:
        raise ValueError(f"input on {name!r}: cannot open the store {path!r} ({err})") from None
    if variable not in ds:
        raise ValueError(
            f"input on {name!r}: the store {path!r} has no variable {variable!r} "
            f"({', '.join(map(str, ds.data_vars))})"
        )
    values = ds[variable].values
    if values.ndim != 1:
        raise ValueError(
            f"input on {name!r}: {variable!r} of {path!r} has shape {values.shape}, not 1-D"
        )
    return values


_INPUT_KEYS = {
    "pulse_train": {"period", "width", "start", "amplitude"},
    "store": {"store", "variable", "amplitude"},
}


def input_waveform(name: str, spec: object, length: int) -> tuple[np.ndarray, float]:
    """An input specification (module docstring) as its shape ``u`` -- ``length`` values, or
    one for a constant -- and its amplitude ``A``; ValueError naming ``name`` and what is
    wrong."""
    if isinstance(spec, Mapping):
        kind = "pulse_train" if "pulse_train" in spec else "store" if "store" in spec else None
        given = set(spec[kind]) if kind == "pulse_train" else set(spec)
        if kind is None or (kind == "pulse_train" and len(spec) != 1):
            raise ValueError(
                f"input on {name!r}: give a number, a series, {{pulse_train: {{period, width, "
                f"start, amplitude}}}} or {{store, variable, amplitude}}; got keys {sorted(spec)}"
            )
        if not given <= _INPUT_KEYS[kind]:
            raise ValueError(
                f"input on {name!r}: unknown {kind} keys {sorted(given - _INPUT_KEYS[kind])} "
                f"(known: {', '.join(sorted(_INPUT_KEYS[kind]))})"
            )
        options = dict(spec[kind]) if kind == "pulse_train" else dict(spec)
        amplitude = options.pop("amplitude", 1.0)
        if kind == "pulse_train":
            if "period" not in options:
                raise ValueError(f"input on {name!r}: a pulse train needs a period")
            try:
                shape = pulse_train(length, **options)
            except ValueError as err:
                raise ValueError(f"input on {name!r}: {err}") from None
        else:
            values = _read_store_series(name, options)
            if values.shape[0] < length:
                raise ValueError(
                    f"input on {name!r}: {options['variable']!r} of {options['store']!r} has "
                    f"{values.shape[0]} values, fewer than the {length} iterations"
                )
            shape = np.asarray(values[:length], dtype=np.float64)
    elif np.ndim(spec) == 0:
        shape, amplitude = np.ones(1), spec
    else:
        shape, amplitude = np.asarray(spec, dtype=np.float64), 1.0
        if shape.ndim != 1 or shape.shape[0] < length:
            raise ValueError(
                f"input on {name!r}: a series needs at least {length} values (one per "
                f"iteration), got shape {shape.shape}"
            )
        shape = shape[:length]
    if isinstance(amplitude, bool) or not isinstance(amplitude, int | float | np.number):
        raise ValueError(f"input on {name!r}: amplitude must be a number, not {amplitude!r}")
    if not (np.all(np.isfinite(shape)) and np.isfinite(amplitude)):
        raise ValueError(f"input on {name!r} contains NaN or inf")
    return shape, float(amplitude)


def drive_axis(model: ModelInterface, name: str) -> tuple[str, str] | None:
    """``("noise", target)`` or ``("input", target)`` when the sweep axis ``name`` sets a noise
    or input amplitude (module docstring), None when it is a parameter or unknown."""
    if name in model.parameter_names:
        return None
    for kind, prefix in (("noise", NOISE_PREFIX), ("input", INPUT_PREFIX)):
        target = name[len(prefix) :]
        if name.startswith(prefix) and (
            target in model.state_names or kind == "noise" and target in model.parameter_names
        ):
            return kind, target
    return None


def make_drive(
    model: ModelInterface,
    noise: Mapping[str, object] | None,
    inputs: Mapping[str, object] | None,
    columns: Mapping[str, np.ndarray],
    length: int,
    seed: int,
    points: np.ndarray,
    ics: np.ndarray,
) -> Drive:
    """The :class:`Drive` of a batch: ``noise`` and ``inputs`` as in the module docstring,
    ``columns`` the per-column values of the sweep's drive axes (``noise_<name>``,
    ``input_<name>``), ``length`` the iterations run (transient + steps), ``points`` and
    ``ics`` the counter words of each column."""
    from .noise import seed64

    batch = points.shape[0]
    noise = dict(noise or {})
    amplitudes: dict[str, object] = {}
    for axis, values in columns.items():
        kind, target = drive_axis(model, axis) or (None, None)
        if kind == "noise":
            noise[target] = values
        elif kind == "input":
            amplitudes[target] = values
        else:
            raise ValueError(f"sweep axis {axis!r} is not a noise or input amplitude")
    G, H = noise_amplitudes(model, noise, batch)
    A = np.zeros((model.n_state, batch))
    shapes: dict[int, np.ndarray] = {}
    for name in {**dict(inputs or {}), **amplitudes}:
        row = _input_target(model, name)
        spec = (inputs or {}).get(name, 1.0)
        shapes[row], amplitude = input_waveform(name, spec, length)
        A[row] = per_point(f"input amplitude of {name!r}", amplitudes.get(name, amplitude), batch)
        if not np.all(np.isfinite(A[row])):
            raise ValueError(f"input amplitude of {name!r} must be finite")
    T = length if any(s.shape[0] > 1 for s in shapes.values()) else 1
    U = np.zeros((T, model.n_state))
    for row, shape in shapes.items():
        U[:, row] = shape  # a constant broadcasts along T
    return Drive(
        G,
        H,
        A,
        U,
        np.ascontiguousarray(points, dtype=np.uint64),
        np.ascontiguousarray(ics, dtype=np.uint64),
        seed64(seed),
        np.uint64(0),
    )


def drive_spec_attrs(
    noise: Mapping[str, object] | None,
    inputs: Mapping[str, object] | None,
    swept: Sequence[str] = (),
) -> dict[str, object]:
    """The noise and input specification as JSON-ready attrs of a store: numbers as given,
    a series by its length, the swept drive axes by name, and the convention."""

    def describe(value: object) -> object:
        if isinstance(value, Mapping):
            return {k: describe(v) for k, v in value.items()}
        if np.ndim(value) == 0:
            return value if isinstance(value, str) else float(value)
        return f"series of {np.shape(value)[0]} values"

    return {
        "noise": {k: describe(v) for k, v in (noise or {}).items()},
        "inputs": {k: describe(v) for k, v in (inputs or {}).items()},
        "drive_axes": list(swept),
        "noise_convention": "X' = f(X; P + h xi_P) + g xi_X + A u_n; Philox4x64-10 normals "
        "keyed by (seed, iteration, global grid point, channel block, initial state)",
    }
