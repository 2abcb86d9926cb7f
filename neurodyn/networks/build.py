"""Build a network of map neurons as one :class:`~neurodyn.models.Model`.

A network of maps is itself a map model: its state variables are the nodes' variables renamed
with the node's label (``x`` and ``y`` of node 3 become ``x_3`` and ``y_3``), its equations are
each node's equation (renamed with :func:`~neurodyn.models.rename_symbols`) plus the coupling
terms, all as equation text. The Jacobian (symbolic), the generated numba step, batched
simulation, sweeps and every analysis then work on networks unchanged.

Naming
------
* state: ``{variable}_{label}``, node by node in order (``x_0, y_0, x_1, y_1, ...``);
* node parameters: ``{parameter}_{label}`` per node, with the node model's default, range and
  unit; or one ``{parameter}`` for all nodes that have it when it is listed in ``shared``
  (``shared=True`` shares every node parameter: one ``k`` for all Chialvo nodes);
* coupling parameters: the names the couplings give (``sigma``, per edge ``sigma_{i}_{j}``);
* parameter order (the rows of ``P``): node parameters in node order (a shared one where it
  first appears), then each coupling's parameters.

Labels default to the node indices ``0..n-1``; give ``labels=(1, 2, 3)`` to number nodes from 1
as a paper does (adjacency indices stay positions from 0).

Size limit
----------
Equations are symbolic, and three costs grow with the network (measured on this machine, one
core, Chialvo nodes, diffusive coupling):

* building the model (equation text here, parsing in :class:`~neurodyn.models.Model`): a
  300-node ring (600 state variables) about 3 s, a 100-node all-to-all network about 5 s;
* the symbolic Jacobian (``n_state**2`` derivatives, when first needed): 300-node ring ~50 s;
* numba compilation of the generated step and Jacobian (:func:`~neurodyn.models.compile_model`),
  which dominates: 50-node ring ~40 s for the step, 100-node ring ~75 s for the step and ~75 s
  for the Jacobian, 300-node ring more than 15 min for the step alone.

So with the generated kernels the practical limit is about a hundred sparsely coupled nodes
(rings, small-world, sparse random graphs) and a few dozen all-to-all nodes (whose equations
hold ``n**2`` terms). Larger networks need a hand-written kernel behind the same interface.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from ..models import Model, ModelError, Parameter, StateVariable, get_model, rename_symbols
from ..models.nodes import node_rows
from .coupling import Coupling, NodeContext, merge_parameters

__all__ = ["network_model", "node_rows"]

_LABEL = re.compile(r"[A-Za-z0-9]+")


def _resolve_nodes(nodes: Sequence[Model | str]) -> tuple[Model, ...]:
    if isinstance(nodes, str | Model) or len(nodes) == 0:
        raise ModelError("nodes must be a non-empty list of models or model names")
    models = []
    for i, node in enumerate(nodes):
        model = get_model(node) if isinstance(node, str) else node
        if not isinstance(model, Model):
            raise ModelError(f"node {i} must be a Model or a model name, not {node!r}")
        if model.kind != "map":
            raise ModelError(
                f"node {i} ({model.name}) is a {model.kind}; network_model couples maps only"
            )
        models.append(model)
    return tuple(models)


def _resolve_labels(labels: Sequence[int | str] | None, n: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(i) for i in range(n))
    result = tuple(str(v) for v in labels)
    if len(result) != n:
        raise ModelError(f"{len(result)} labels for {n} nodes")
    if len(set(result)) != n:
        raise ModelError(f"node labels must be unique, not {result}")
    for label in result:
        if not _LABEL.fullmatch(label):
            raise ModelError(f"node label {label!r} must be letters and digits only")
    return result


def _shared_names(shared: bool | Iterable[str], models: tuple[Model, ...]) -> set[str]:
    every = {p for m in models for p in m.parameter_names}
    if shared is True:
        return every
    if shared is False:
        return set()
    names = {shared} if isinstance(shared, str) else set(shared)
    unknown = names - every
    if unknown:
        raise ModelError(
            f"shared parameter(s) {', '.join(sorted(unknown))} belong to no node "
            f"(node parameters: {', '.join(sorted(every))})"
        )
    return names


def _node_parameters(
    models: tuple[Model, ...], labels: tuple[str, ...], shared: set[str]
) -> tuple[list[Parameter], list[dict[str, str]]]:
    """Network parameters of the nodes and, per node, the renaming of its symbols."""
    parameters: dict[str, Parameter] = {}
    owner: dict[str, int] = {}
    renames = []
    for i, (model, label) in enumerate(zip(models, labels, strict=True)):
        mapping = {v: f"{v}_{label}" for v in model.state_names}
        for p in model.parameters:
            if p.name in shared:
                mapping[p.name] = p.name
                known = parameters.get(p.name)
                if known is None:
                    description = f"{p.description} (shared by all nodes)".lstrip()
                    parameters[p.name] = Parameter(
                        p.name, p.default, p.low, p.high, p.unit, description
                    )
                    owner[p.name] = i
                elif (known.default, known.low, known.high, known.unit) != (
                    p.default,
                    p.low,
                    p.high,
                    p.unit,
                ):
                    first = owner[p.name]
                    raise ModelError(
                        f"shared parameter {p.name!r} is defined differently by node "
                        f"{labels[first]} ({models[first].name}) and node {label} ({model.name});"
                        f" do not share it"
                    )
            else:
                name = f"{p.name}_{label}"
                mapping[p.name] = name
                description = f"{p.description} (node {label}, {model.name})".lstrip()
                parameters[name] = Parameter(name, p.default, p.low, p.high, p.unit, description)
        renames.append(mapping)
    return list(parameters.values()), renames


def _check_unique(state: list[str], node_params: list[Parameter], coupling_params: list[Parameter]):
    seen: dict[str, str] = {}
    for name, origin in [
        *((s, "a node state variable") for s in state),
        *((p.name, "a node parameter") for p in node_params),
        *((p.name, "a coupling parameter") for p in coupling_params),
    ]:
        if name in seen:
            raise ModelError(
                f"name {name!r} is both {seen[name]} and {origin}; rename the coupling strength "
                f"or do not share that node parameter"
            )
        seen[name] = origin


def _apply_defaults(parameters: list[Parameter], defaults: Mapping[str, float] | None, name: str):
    if not defaults:
        return parameters
    by_name = {p.name: p for p in parameters}
    unknown = set(defaults) - set(by_name)
    if unknown:
        raise ModelError(
            f"defaults for unknown parameter(s) {', '.join(sorted(unknown))} of network {name!r} "
            f"(parameters: {', '.join(by_name)})"
        )
    result = []
    for p in parameters:
        if p.name in defaults:
            value = p.check(defaults[p.name], name)
            p = Parameter(p.name, value, p.low, p.high, p.unit, p.description)
        result.append(p)
    return result


def network_model(
    nodes: Sequence[Model | str],
    couplings: Sequence[Coupling] = (),
    *,
    name: str = "network",
    labels: Sequence[int | str] | None = None,
    shared: bool | Iterable[str] = False,
    defaults: Mapping[str, float] | None = None,
    description: str = "",
    source: str = "",
    notes: str = "",
) -> Model:
    """The map model of ``nodes`` (models or registry names, possibly different) coupled by
    ``couplings`` (:mod:`.coupling`); see the module docstring for names and order.

    ``defaults`` overrides parameter defaults of the network (checked against their ranges).
    ``source`` defaults to the nodes' and couplings' sources. Raises :class:`ModelError` for a
    flow node, a coupling on a variable a node lacks, an adjacency of the wrong size, or a name
    that would mean two things.
    """
    models = _resolve_nodes(nodes)
    node_labels = _resolve_labels(labels, len(models))
    context = NodeContext(models, node_labels)
    node_params, renames = _node_parameters(models, node_labels, _shared_names(shared, models))

    added: dict[tuple[int, str], list[str]] = {}
    coupling_params: list[Parameter] = []
    for coupling in couplings:
        if not isinstance(coupling, Coupling):
            raise ModelError(f"couplings must be Coupling objects, not {coupling!r}")
        terms, parameters = coupling.contributions(context)
        for key, texts in terms.items():
            added.setdefault(key, []).extend(texts)
        coupling_params.extend(parameters)
    coupling_params = merge_parameters(coupling_params)

    state, equations = [], []
    for i, (model, label) in enumerate(zip(models, node_labels, strict=True)):
        for variable, equation in zip(model.state, model.equations, strict=True):
            state.append(
                StateVariable(
                    f"{variable.name}_{label}",
                    variable.initial,
                    variable.low,
                    variable.high,
                    f"{variable.description} of node {label} ({model.name})".lstrip(),
                )
            )
            text = rename_symbols(equation, renames[i])
            extra = added.get((i, variable.name), [])
            equations.append(" + ".join([f"({text})", *extra]) if extra else text)
    _check_unique([s.name for s in state], node_params, coupling_params)
    parameters = _apply_defaults([*node_params, *coupling_params], defaults, name)

    kinds = sorted({m.name for m in models})
    if not description:
        coupled = "; ".join(c.describe() for c in couplings) or "uncoupled"
        description = f"network of {len(models)} map nodes ({', '.join(kinds)}): {coupled}"
    if not source:
        sources = [m.source for m in models] + [getattr(c, "source", "") for c in couplings]
        source = "; ".join(dict.fromkeys(s for s in sources if s))
    if not notes:
        notes = (
            "state x_<label> is variable x of node <label>; A[i, j] is the edge from node j to "
            "node i; per-edge strength <name>_<i>_<j> is node j acting on node i"
        )
    return Model(
        name=name,
        kind="map",
        state=tuple(state),
        parameters=tuple(parameters),
        equations=tuple(equations),
        description=description,
        source=source,
        notes=notes,
        bound=min(m.bound for m in models),
    )
