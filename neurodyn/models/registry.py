"""The model registry: list the catalogued models, get one by name, register new ones.

The catalogue lives in ``neurodyn/models/catalogue/*.yaml`` (one entry per model, with its
source). Entries are parsed by the restricted expression grammar, never evaluated as Python.

An entry may carry named parameter sets under ``presets`` (each with ``values``, ``source`` and
``description``): ``get_model("wilson_cowan:neurolib")`` (or ``get_model("wilson_cowan",
preset="neurolib")``) is the model with that preset's values as its defaults, named
``"wilson_cowan:neurolib"``; :func:`list_presets` lists them.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from importlib import resources

import yaml

from .model import Model, ModelError, Parameter, StateVariable

__all__ = [
    "get_model",
    "list_models",
    "list_presets",
    "model_from_dict",
    "register_model",
    "with_defaults",
]

_registered: dict[str, Model] = {}


def model_from_dict(name: str, entry: dict) -> Model:
    """Build a :class:`Model` from a catalogue-style mapping (see ``catalogue/maps.yaml``)."""
    try:
        state = tuple(
            StateVariable(
                name=v,
                initial=float(spec.get("initial", 0.0)),
                low=float(spec.get("box", (-1.0, 1.0))[0]),
                high=float(spec.get("box", (-1.0, 1.0))[1]),
                description=str(spec.get("description", "")),
            )
            for v, spec in entry["state"].items()
        )
        parameters = tuple(
            Parameter(
                name=p,
                default=float(spec["default"]),
                low=float(spec.get("range", (float("-inf"), float("inf")))[0]),
                high=float(spec.get("range", (float("-inf"), float("inf")))[1]),
                unit=str(spec.get("unit", "1")),
                description=str(spec.get("description", "")),
            )
            for p, spec in entry["parameters"].items()
        )
        if entry.get("kind") == "flow" and "dt" not in entry["parameters"]:
            parameters += (
                Parameter(
                    "dt",
                    float(entry.get("dt", 0.01)),
                    1e-12,
                    1e3,
                    str(entry.get("time_unit", "1")),
                    "integration time step",
                ),
            )
        equations = tuple(str(entry["equations"][v.name]) for v in state)
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as err:
        raise ModelError(f"malformed definition of model {name!r}: {err!r}") from None
    return Model(
        name=name,
        kind=entry.get("kind", "map"),
        state=state,
        parameters=parameters,
        equations=equations,
        description=str(entry.get("description", "")),
        source=str(entry.get("source", "")),
        notes=str(entry.get("notes", "")),
        bound=float(entry.get("bound", 1e6)),
        integrator=str(entry.get("integrator", "rk4")),
    )


@cache
def _entries() -> dict[str, dict]:
    entries = {}
    for path in sorted(resources.files("neurodyn.models.catalogue").iterdir()):
        if path.name.endswith(".yaml"):
            entries.update(yaml.safe_load(path.read_text()))
    return entries


@cache
def _catalogue() -> dict[str, Model]:
    return {name: model_from_dict(name, entry) for name, entry in _entries().items()}


def list_presets(name: str) -> dict[str, dict[str, object]]:
    """The named parameter sets of catalogued model ``name``: ``{preset: {"values": {...},
    "source": ..., "description": ...}}`` (empty when it has none)."""
    get_model(name)
    presets = _entries().get(name, {}).get("presets", {}) or {}
    return {
        preset: {
            "values": {k: float(v) for k, v in entry["values"].items()},
            "source": str(entry.get("source", "")),
            "description": str(entry.get("description", "")),
        }
        for preset, entry in presets.items()
    }


def with_defaults(model: Model, values: dict[str, float], name: str | None = None) -> Model:
    """``model`` with the defaults of the parameters in ``values`` replaced (each checked against
    its range), optionally renamed."""
    unknown = set(values) - set(model.parameter_names)
    if unknown:
        model.parameter(sorted(unknown)[0])  # raises, naming the known parameters
    parameters = tuple(
        dataclasses.replace(p, default=p.check(values[p.name], model.name))
        if p.name in values
        else p
        for p in model.parameters
    )
    return dataclasses.replace(model, parameters=parameters, name=name or model.name)


def list_models() -> list[str]:
    """Names of all available models, sorted."""
    return sorted({**_catalogue(), **_registered})


def get_model(name: str, preset: str | None = None) -> Model:
    """The model called ``name``; :class:`ModelError` listing the known names otherwise.

    ``preset`` (or ``name`` written ``"model:preset"``) selects a named parameter set of a
    catalogued model: the returned model has the preset's values as defaults and is named
    ``"model:preset"``.
    """
    if preset is None and ":" in name:
        name, preset = name.split(":", 1)
    models = {**_catalogue(), **_registered}
    if name not in models:
        raise ModelError(f"unknown model {name!r} (available: {', '.join(sorted(models))})")
    if preset is None:
        return models[name]
    presets = list_presets(name)
    if preset not in presets:
        known = ", ".join(presets) or "none"
        raise ModelError(f"unknown preset {preset!r} of model {name!r} (presets: {known})")
    entry = presets[preset]
    model = with_defaults(models[name], entry["values"], name=f"{name}:{preset}")
    notes = f"preset {preset}: {entry['description']} Source: {entry['source']}. {model.notes}"
    return dataclasses.replace(model, notes=notes.strip())


def register_model(model: Model) -> Model:
    """Make ``model`` available by name (networks and user-defined models)."""
    _registered[model.name] = model
    return model
