"""Study configurations: validation against the schema and the model, grids and chunks.

A study config (YAML, see ``workflows/config/default.yaml`` and ``schema.yaml``) names a model,
its fixed parameters, up to three swept parameters, the simulation schedule, the measures, an
optional one-parameter orbit diagram and report options. :func:`check_study` validates it twice:
its structure against the JSON schema (unknown keys, wrong types), then its content against the
model (unknown model or parameter, values outside their range, malformed grids). Errors are
:class:`StudyError` naming the offending key.

Bounds: a config file is at most :data:`MAX_CONFIG_BYTES`; it may expand to at most
:data:`MAX_CONFIG_VALUES` values (mappings, lists and scalars, a YAML alias or merge counted at
every use, so an alias bomb is refused while loading, before anything walks it) nested at most
:data:`MAX_CONFIG_DEPTH` deep. The open sections (``measure_options``, ``model_options``,
``report``, ``reservoir.hyperparameters``, ``train``) hold scalars only and their keys are checked
against the measures, the preset builders, the model and the sweep before any job runs; result
paths (``study``, ``train`` names and checkpoints) stay inside ``results``.

How the sweep is split into jobs (``chunk_size``) and what each job needs: :mod:`.plan`.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..analysis.measures import MEASURES
from ..models import Model, ModelError, resolve_model
from ..models.drive import drive_axis, make_drive
from ..run_lengths import sweep_window
from ..sim import SweepSpecError, parse_axis

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_CONFIG_VALUES",
    "StudyError",
    "check_study",
    "load_study",
    "read_yaml",
    "resolve_model",
    "section",
    "parameter_axes",
    "study_axes",
    "with_defaults",
    "workflow_root",
]


#: largest config file read, in bytes
MAX_CONFIG_BYTES = 1 << 20
#: most values a config may expand to (each use of a YAML alias counts its whole value)
MAX_CONFIG_VALUES = 100_000
#: deepest nesting of mappings and lists in a config
MAX_CONFIG_DEPTH = 32


class StudyError(ValueError):
    """A study config that cannot run: the message names the key and what is wrong."""


def _expanded_size(root: Any, children: Callable[[Any], list | None], where: str) -> int:
    """Values ``root`` expands to when every shared (aliased) value is counted at each use.

    Computed without recursion, once per distinct container, so a bomb costs its size in
    memory, not its expansion; :class:`StudyError` beyond the limits or for a value that
    contains itself.
    """
    sizes: dict[int, int] = {}
    pending: set[int] = set()
    stack = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        kids = children(node)
        if kids is None:
            continue
        key = id(node)
        if done:
            pending.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(kid), 1) for kid in kids)
            if sizes[key] > MAX_CONFIG_VALUES:
                raise StudyError(
                    f"{where} expands to more than {MAX_CONFIG_VALUES} values (YAML aliases "
                    "count at every use)"
                )
        elif key in pending:
            raise StudyError(f"{where}: a YAML alias refers to a value that contains it")
        elif key not in sizes:
            if depth > MAX_CONFIG_DEPTH:
                raise StudyError(f"{where} is nested deeper than {MAX_CONFIG_DEPTH} levels")
            pending.add(key)
            stack.append((node, depth, True))
            stack.extend((kid, depth + 1, False) for kid in kids)
    return sizes.get(id(root), 1)


def _value_children(value: Any) -> list | None:
    if isinstance(value, Mapping):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _node_children(node: yaml.Node) -> list | None:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return None


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file within the bounds above: its size, then its expansion counted on the
    composed nodes before any Python value is built."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"no study config at {path}")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise StudyError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, _node_children, str(path))
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as err:
        raise StudyError(f"{path} is not valid YAML: {err}") from None
    except UnicodeDecodeError as err:
        raise StudyError(f"{path} is not UTF-8 text: {err}") from None
    except RecursionError:
        raise StudyError(f"{path} is nested deeper than {MAX_CONFIG_DEPTH} levels") from None


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
    return check_study(read_yaml(path), schema)


def _import_jsonschema():
    """``jsonschema``, imported without the optional ``rfc3987_syntax``: jsonschema imports its
    format checkers' libraries eagerly, and that one builds about 40 parsers on import (1 s on
    an idle core here, paid by every workflow job). The study schema checks no formats."""
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError meanwhile
        try:
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
    import jsonschema

    return jsonschema


def check_study(
    config: Mapping[str, Any], schema: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Validate ``config`` and return a copy with the schema's defaults filled in.

    ``schema`` defaults to ``workflows/config/schema.yaml`` of :func:`workflow_root`.
    """
    jsonschema = _import_jsonschema()

    if not isinstance(config, Mapping):
        raise StudyError(f"a study config is a mapping of keys to values, not {type(config)}")
    _expanded_size(config, _value_children, "study config")
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
    simulation = config["simulation"]
    kept = simulation["keep"] * simulation["every"]
    if kept > simulation["steps"]:
        raise StudyError(f"simulation: keep*every = {kept} exceeds steps = {simulation['steps']}")
    simulation["transient"], simulation["steps"] = sweep_window(
        simulation["steps"],
        simulation.get("transient"),
        simulation["keep"],
        simulation["every"],
        where="study config, simulation",
    )
    try:
        model = resolve_model(config["model"], config.get("model_options"))
        for name in config["fixed"]:
            model.parameter(name)
        axes = study_axes(config, model)
        model.resolve_parameters({**config["fixed"], **parameter_axes(model, axes)})
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
            from .continuation import continuation_parameters, continuation_planes

            if model.kind != "map":
                raise StudyError(f"continuation: needs a map, {model.name} is a flow")
            model.resolve_parameters(continuation_parameters(config)[2])
            for plane in continuation_planes(config):
                model.resolve_parameters({k: np.array(v) for k, v in plane.items()})
        _check_sections(config, model, axes)
        _check_simulation(config, model, axes)
        _check_drive(config, model, axes)
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
    if initial is not None:  # the states given are the initial states: n_initial counts them
        if simulation["n_initial"] not in (1, len(initial)):
            raise StudyError(
                f"simulation: n_initial = {simulation['n_initial']} but {len(initial)} initial "
                "states are given (leave n_initial out)"
            )
        simulation["n_initial"] = len(initial)
    reading = {name for name in config["measures"] if MEASURES[name].reads_states}
    if reading and simulation["keep"] < 2:
        raise StudyError(f"measures {sorted(reading)} need simulation/keep >= 2 states")
    return config


def study_axes(config: Mapping[str, Any], model: Model | None = None) -> dict[str, np.ndarray]:
    """The swept parameters' (and noise and input amplitudes') values, in the config's order;
    with ``model``, each name checked to be a parameter or a ``noise_<name>`` or
    ``input_<name>`` axis of it (:mod:`neurodyn.models.drive`)."""
    axes = {name: _axis(f"sweep/{name}", name, spec) for name, spec in config["sweep"].items()}
    if model is not None:
        for name in axes:
            if drive_axis(model, name) is None:
                model.parameter(name)
    return axes


def parameter_axes(model: Model, axes: Mapping[str, Any]) -> dict[str, Any]:
    """The axes of ``axes`` that set parameters of ``model`` (not noise or input amplitudes)."""
    return {name: values for name, values in axes.items() if drive_axis(model, name) is None}


def with_defaults(config: Mapping[str, Any], default: str | os.PathLike[str]) -> dict[str, Any]:
    """``config`` if it names a ``study``, else the study in ``default`` updated by ``config``.

    Sections are replaced, not merged: a study's ``sweep`` never inherits the default's axes.
    """
    if "study" in config:
        return dict(config)
    return {**read_yaml(default), **config}


def section(config: Mapping[str, Any], *drop: str) -> dict[str, Any]:
    """``config`` without the keys ``drop``: what one job depends on (its Snakemake params)."""
    return {key: value for key, value in config.items() if key not in drop}


def _check_simulation(config: dict[str, Any], model: Model, axes: Mapping[str, Any]) -> None:
    """The schedule's counts and bound as the sweep checks them. (Whether the jobs fit in
    memory and on disk is the pre-flight estimate's to say, :func:`.plan.preflight`: it knows
    whether they run here or on a cluster's nodes.)"""
    from ..sim.schedule import check_schedule

    simulation = config["simulation"]
    try:
        check_schedule(
            steps=simulation["steps"],
            transient=simulation["transient"],
            keep=simulation["keep"],
            every=simulation["every"],
            bound=simulation.get("bound"),
        )
    except ValueError as err:
        raise StudyError(f"simulation: {err}") from None


def _check_drive(config: dict[str, Any], model: Model, axes: Mapping[str, Any]) -> None:
    """The ``noise`` and ``inputs`` of the simulation and the swept amplitudes, as the sweep
    reads them: known targets, amplitudes >= 0, well-formed pulse trains and series, a map
    built from equations, measures that read the kept (noisy) states."""
    simulation = config["simulation"]
    swept = [name for name in axes if drive_axis(model, name) is not None]
    if not (simulation.get("noise") or simulation.get("inputs") or swept):
        return
    where = "sweep" if swept else "simulation"
    if model.kind != "map" or not isinstance(model, Model):
        raise StudyError(f"{where}: noise and inputs apply to maps; {model.name} is not one")
    deterministic = sorted(m for m in config["measures"] if not MEASURES[m].reads_states)
    if deterministic:
        raise StudyError(
            f"measures: {deterministic} compute from the map without its noise and input "
            "(measures that read the kept states apply)"
        )
    length = simulation["transient"] + simulation["steps"]
    try:
        make_drive(
            model,
            simulation.get("noise"),
            simulation.get("inputs"),
            {},
            length,
            simulation["seed"],
            np.zeros(1, np.uint64),
            np.zeros(1, np.uint64),
        )
    except ValueError as err:
        raise StudyError(f"simulation: {err}") from None
    for name in swept:
        values = axes[name]
        try:
            make_drive(
                model,
                simulation.get("noise"),
                simulation.get("inputs"),
                {name: values},
                length,
                simulation["seed"],
                np.arange(values.size, dtype=np.uint64),
                np.zeros(values.size, np.uint64),
            )
        except ValueError as err:
            raise StudyError(f"sweep/{name}: {err}") from None


def _check_sections(config: dict[str, Any], model: Model, axes: Mapping[str, Any]) -> None:
    """Check the keys of the open sections against what reads them, before any job runs."""
    options = config["measure_options"]
    _check_measure_options(options)
    for key in ("variable", "node_variable"):
        name = options.get(key)
        nodes = any(s.startswith(f"{name}_") for s in model.state_names)
        if name is not None and name not in model.state_names and not nodes:
            raise StudyError(
                f"measure_options/{key}: {name!r} is not a state variable of {model.name} "
                f"({', '.join(model.state_names)})"
            )
    report = config["report"]
    variable = report.get("orbit_variable")
    if variable is not None and variable not in model.state_names:
        raise StudyError(
            f"report/orbit_variable: {variable!r} is not a state variable of {model.name} "
            f"({', '.join(model.state_names)})"
        )
    for k, point in enumerate(report.get("points", [])):
        unknown = sorted(set(point) - set(axes) - {"label", "ic"})
        if unknown:
            raise StudyError(
                f"report/points/{k}: {unknown} are not swept parameters ({', '.join(axes)})"
            )
        if point.get("ic", 0) >= config["simulation"]["n_initial"]:
            raise StudyError(
                f"report/points/{k}: ic={point['ic']} but simulation/n_initial is "
                f"{config['simulation']['n_initial']}"
            )
    _check_portraits(config, model)
    _check_basins(config, model)
    _check_reservoir(config.get("reservoir"))
    for name, settings in config.get("train", {}).items():
        _check_train(f"train/{name}", settings, config["results"])


def _check_point(where: str, values: Mapping[str, Any], config: Mapping[str, Any], model) -> None:
    from .portraits import point_parameters

    for name in values:
        if name != "label" and name not in model.parameter_names:
            raise StudyError(
                f"{where}: {name!r} is not a parameter of {model.name} "
                f"({', '.join(model.parameter_names)})"
            )
    try:
        model.resolve_parameters(
            point_parameters(config, {k: v for k, v in values.items() if k != "label"})
        )
    except ModelError as err:
        raise StudyError(f"{where}: {err}") from None


def _check_state_names(where: str, names, model) -> None:
    for name in names:
        if name not in model.state_names:
            raise StudyError(
                f"{where}: {name!r} is not a state variable of {model.name} "
                f"({', '.join(model.state_names)})"
            )


def _check_portraits(config: dict[str, Any], model: Model) -> None:
    """The ``phase_portraits`` section's points and variables."""
    spec = config.get("phase_portraits")
    if spec is None:
        return
    for k, point in enumerate(spec.get("points", [])):
        _check_point(f"phase_portraits/points/{k}", point, config, model)
    _check_state_names("phase_portraits/variables", spec.get("variables", []), model)
    if spec["steps"] // spec["every"] < 2:
        raise StudyError("phase_portraits: steps/every must keep at least 2 states")


def _check_basins(config: dict[str, Any], model: Model) -> None:
    """The ``basins`` section: a map, its point, two distinct state variables (filled in: the
    model's first two), ordered ranges and enough samples."""
    spec = config.get("basins")
    if spec is None:
        return
    if model.kind != "map":
        raise StudyError(f"basins: needs a map, {model.name} is a flow")
    if model.n_state < 2:
        raise StudyError(f"basins: needs two state variables, {model.name} has one")
    if "point" in spec:
        _check_point("basins/point", spec["point"], config, model)
    spec.setdefault("x", model.state_names[0])
    spec.setdefault("y", model.state_names[1])
    _check_state_names("basins", (spec["x"], spec["y"]), model)
    _check_state_names("basins/base", spec.get("base", {}), model)
    if spec["x"] == spec["y"]:
        raise StudyError(f"basins: x and y are both {spec['x']!r}; give two state variables")
    for key in ("x_range", "y_range"):
        low, high = spec.get(key, (0.0, 1.0))
        if not low < high:
            raise StudyError(f"basins/{key}: low {low} is not below high {high}")
    if spec["samples"] < 2 * spec["max_period"]:
        raise StudyError(
            f"basins: samples = {spec['samples']} is less than 2*max_period = "
            f"{2 * spec['max_period']}"
        )


def _check_measure_options(options: Mapping[str, Any]) -> None:
    """Each option a registered measure (or every series measure) declares, of the type of its
    default and passing the option's own check; ``variable``, ``node_variable`` and ``steps``
    are :func:`~neurodyn.analysis.add_measures`'s own keywords."""
    from ..analysis.measures import COMMON_OPTIONS, MEASURES
    from ..analysis.measures.registry import positive

    known = {o.name: o for m in MEASURES.values() for o in m.options}
    known.update({o.name: o for o in COMMON_OPTIONS})
    own = {"variable": str, "node_variable": str, "steps": int}
    for name, value in options.items():
        if name not in known and name not in own:
            names = ", ".join(sorted([*known, *own]))
            raise StudyError(f"measure_options: unknown option {name!r} (known: {names})")
        default = known[name].default if name in known else own[name]()
        kind = (int, float) if isinstance(default, float) else type(default)
        if default is not None and (
            isinstance(value, bool) != isinstance(default, bool) or not isinstance(value, kind)
        ):
            raise StudyError(
                f"measure_options/{name}: {value!r} is not of the type of its default {default!r}"
            )
        check = positive if name == "steps" else known.get(name) and known[name].check
        try:
            if check:
                check(name, value)
        except ValueError as err:
            raise StudyError(f"measure_options/{name}: {err}") from None


def _check_reservoir(settings: Mapping[str, Any] | None) -> None:
    if not settings or not settings.get("hyperparameters"):
        return
    from ..reservoir import ESNConfig

    known = {f.name for f in dataclasses.fields(ESNConfig)}
    known -= {"spectral_radius", "leak_rate", "units", "seed"}
    unknown = sorted(set(settings["hyperparameters"]) - known)
    if unknown:
        raise StudyError(
            f"reservoir/hyperparameters: unknown {unknown} (known: {', '.join(sorted(known))})"
        )


def _check_train(where: str, settings: Mapping[str, Any], results: str) -> None:
    from ..learn.registry import MODELS
    from ..learn.training import TrainingConfig

    if not ("store" in settings["data"]) ^ ("array" in settings["data"]):
        raise StudyError(f"{where}/data: give one of 'store' (a Zarr store) or 'array' (.npy)")
    kind = settings["model"]["kind"]
    if kind not in MODELS:
        raise StudyError(f"{where}/model/kind: {kind!r} is not one of {sorted(MODELS)}")
    known = set(inspect.signature(MODELS[kind]).parameters)
    unknown = sorted(set(settings["model"]) - known - {"kind"})
    if unknown:
        raise StudyError(f"{where}/model: {kind} takes no {unknown} (known: {sorted(known)})")
    try:
        TrainingConfig.from_dict(settings.get("training", {}))
    except (TypeError, ValueError) as err:
        raise StudyError(f"{where}/training: {err}") from None
    checkpoint = settings.get("checkpoint")
    root = Path(os.path.abspath(results))
    if checkpoint is not None and root not in Path(os.path.abspath(checkpoint)).parents:
        raise StudyError(f"{where}/checkpoint: {checkpoint!r} is outside results {results!r}")
