"""Study configurations: validation against the schema and the model, grids and chunks.

A study config (YAML, see ``workflows/config/default.yaml`` and ``schema.yaml``) names a model,
its fixed parameters, up to three swept parameters, the simulation schedule, the measures, an
optional one-parameter orbit diagram and report options. :func:`check_study` validates it twice:
its structure against the JSON schema (unknown keys, wrong types), then its content against the
model (unknown model or parameter, values outside their range, malformed grids). Errors are
:class:`StudyError` naming the offending key.

Chunks: the sweep is split along its first swept parameter into jobs of ``chunk_size`` values
each; chunk ``i`` covers values ``i * chunk_size`` to ``(i + 1) * chunk_size - 1``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..analysis.measures import MEASURES
from ..models import Model, ModelError, resolve_model
from ..sim import SweepSpecError, parse_axis

__all__ = [
    "StudyError",
    "check_study",
    "chunk_axes",
    "load_study",
    "n_chunks",
    "resolve_model",
    "section",
    "study_axes",
    "with_defaults",
    "workflow_root",
]


class StudyError(ValueError):
    """A study config that cannot run: the message names the key and what is wrong."""


def workflow_root() -> Path:
    """The folder holding the ``Snakefile`` and ``workflows/`` (the repository root).

    ``NEURODYN_WORKFLOW`` overrides it; otherwise the checkout this package is installed from.
    """
    root = Path(os.environ.get("NEURODYN_WORKFLOW", Path(__file__).resolve().parents[2]))
    if not (root / "Snakefile").is_file():
        raise StudyError(
            f"no Snakefile in {root}: run from a neurodyn checkout (pip install -e) or set "
            "NEURODYN_WORKFLOW to the folder holding the Snakefile"
        )
    return root


def _axis(key: str, name: str, spec: str) -> np.ndarray:
    try:
        return parse_axis(f"{name}={spec}")[1]
    except SweepSpecError as err:
        raise StudyError(f"{key}: {err}") from None


def _fill_defaults(instance: Any, schema: Mapping[str, Any]) -> None:
    for name, sub in schema.get("properties", {}).items():
        if not isinstance(instance, dict):
            return
        if name not in instance and "default" in sub:
            instance[name] = copy.deepcopy(sub["default"])
        if name in instance:
            _fill_defaults(instance[name], sub)


def load_study(path: str | os.PathLike[str], schema: str | os.PathLike[str] | None = None):
    """Read a study config from YAML and :func:`check_study` it."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"no study config at {path}")
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise StudyError(f"{path} is not valid YAML: {err}") from None
    return check_study(config, schema)


def check_study(
    config: Mapping[str, Any], schema: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Validate ``config`` and return a copy with the schema's defaults filled in.

    ``schema`` defaults to ``workflows/config/schema.yaml`` of :func:`workflow_root`.
    """
    import jsonschema

    if not isinstance(config, Mapping):
        raise StudyError(f"a study config is a mapping of keys to values, not {type(config)}")
    schema_path = Path(schema) if schema else workflow_root() / "workflows/config/schema.yaml"
    rules = yaml.safe_load(schema_path.read_text())
    rules["properties"]["measures"]["items"]["enum"] = list(MEASURES)
    config = copy.deepcopy(dict(config))
    errors = sorted(
        jsonschema.Draft202012Validator(rules).iter_errors(config), key=lambda e: list(e.path)
    )
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise StudyError(f"study config, {where}: {errors[0].message}")
    _fill_defaults(config, rules)
    try:
        model = resolve_model(config["model"], config.get("model_options"))
        for name in config["fixed"]:
            model.parameter(name)
        axes = study_axes(config, model)
        model.resolve_parameters({**config["fixed"], **axes})
        overlap = set(axes) & set(config["fixed"])
        if overlap:
            raise StudyError(f"sweep and fixed both set {sorted(overlap)}")
        bif = config.get("bifurcation")
        if bif:
            if model.kind != "map":
                raise StudyError(f"bifurcation: orbit diagrams need a map, {model.name} is a flow")
            values = _axis("bifurcation/values", bif["parameter"], bif["values"])
            model.resolve_parameters({**config["fixed"], bif["parameter"]: values})
        if config.get("continuation"):
            from .continuation import continuation_parameters

            if model.kind != "map":
                raise StudyError(f"continuation: needs a map, {model.name} is a flow")
            model.resolve_parameters(continuation_parameters(config)[2])
    except ModelError as err:
        raise StudyError(f"study config: {err}") from None
    classifier = config.get("classifier")
    if classifier is not None and classifier["data"] != "digits":
        if not Path(classifier["data"]).expanduser().is_file():
            raise StudyError(
                f"classifier/data: no image file at {classifier['data']} (give 'digits' or an "
                ".npz file with arrays 'images' and 'labels', e.g. MNIST)"
            )
    simulation = config["simulation"]
    initial = simulation.get("initial")
    if initial is not None and any(len(state) != model.n_state for state in initial):
        raise StudyError(
            f"simulation/initial: each state needs {model.n_state} values "
            f"({', '.join(model.state_names)})"
        )
    kept = simulation["keep"] * simulation["every"]
    if kept > simulation["steps"]:
        raise StudyError(
            f"simulation: keep*every = {kept} exceeds steps = {simulation['steps']}"
        )
    reading = {name for name in config["measures"] if MEASURES[name].reads_states}
    if reading and simulation["keep"] < 2:
        raise StudyError(f"measures {sorted(reading)} need simulation/keep >= 2 states")
    return config


def study_axes(config: Mapping[str, Any], model: Model | None = None) -> dict[str, np.ndarray]:
    """The swept parameters' values, in the config's order."""
    axes = {name: _axis(f"sweep/{name}", name, spec) for name, spec in config["sweep"].items()}
    if model is not None:
        for name in axes:
            model.parameter(name)
    return axes


def n_chunks(config: Mapping[str, Any]) -> int:
    """Number of sweep jobs: the first axis's values in groups of ``chunk_size``."""
    first = next(iter(study_axes(config).values()))
    return -(-len(first) // int(config["chunk_size"]))


def chunk_axes(config: Mapping[str, Any], index: int) -> dict[str, np.ndarray]:
    """The axes of chunk ``index``: a slice of the first axis, the others whole."""
    axes = study_axes(config)
    if not 0 <= index < n_chunks(config):
        raise StudyError(f"chunk {index} does not exist (the study has {n_chunks(config)})")
    first = next(iter(axes))
    size = int(config["chunk_size"])
    axes[first] = axes[first][index * size : (index + 1) * size]
    return axes


def with_defaults(
    config: Mapping[str, Any], default: str | os.PathLike[str]
) -> dict[str, Any]:
    """``config`` if it names a ``study``, else the study in ``default`` updated by ``config``.

    Sections are replaced, not merged: a study's ``sweep`` never inherits the default's axes.
    """
    if "study" in config:
        return dict(config)
    return {**yaml.safe_load(Path(default).read_text()), **config}


def section(config: Mapping[str, Any], *drop: str) -> dict[str, Any]:
    """``config`` without the keys ``drop``: what one job depends on (its Snakemake params)."""
    return {key: value for key, value in config.items() if key not in drop}
