"""The model registry: list the catalogued models, get one by name, register new ones.

The catalogue lives in ``neurodyn/models/catalogue/*.yaml`` (one entry per model, with its
source). Entries are parsed by the restricted expression grammar, never evaluated as Python.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from .model import Model, ModelError, Parameter, StateVariable

__all__ = ["get_model", "list_models", "model_from_dict", "register_model"]

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
def _catalogue() -> dict[str, Model]:
    models = {}
    for path in sorted(resources.files("neurodyn.models.catalogue").iterdir()):
        if path.name.endswith(".yaml"):
            for name, entry in yaml.safe_load(path.read_text()).items():
                models[name] = model_from_dict(name, entry)
    return models


def list_models() -> list[str]:
    """Names of all available models, sorted."""
    return sorted({**_catalogue(), **_registered})


def get_model(name: str) -> Model:
    """The model called ``name``; :class:`ModelError` listing the known names otherwise."""
    models = {**_catalogue(), **_registered}
    if name not in models:
        raise ModelError(f"unknown model {name!r} (available: {', '.join(sorted(models))})")
    return models[name]


def register_model(model: Model) -> Model:
    """Make ``model`` available by name (networks and user-defined models)."""
    _registered[model.name] = model
    return model
