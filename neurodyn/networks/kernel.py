"""Networks of thousands of map neurons: one generated step per node model, a sparse coupling.

:func:`network` takes the same nodes, couplings and options as
:func:`~neurodyn.networks.network_model` and gives a :class:`Network` with the same state
variables and parameters, in the same order, and the same dynamics -- but nothing of it is
symbolic at the network's size. Each node model's step and Jacobian are generated once
(:mod:`.netgen`) and applied to all its nodes; the couplings become one sparse operator over
state rows (:class:`~.netgen.CouplingOperator`, from :meth:`Coupling.edges`). Building a
network costs milliseconds per thousand nodes, and compiling is the same for any size (one
compilation per tuple of node models, cached on disk, so that a later process loads it
in about a second). A nonlocal ring (uniform weights, one strength) is summed by a sliding
window instead of edge by edge (:func:`~.netgen._ring_input`), in O(1) per node for any range.

A :class:`Network` has the interface that simulators read from a model
(:class:`~neurodyn.models.ModelInterface`: ``state``, ``parameters``, ``name``, ``kind``,
``bound``, ``equations``), and :func:`~neurodyn.models.compile_model` returns its compiled kernel,
so :func:`~neurodyn.sim.iterate_batch`, :func:`~neurodyn.sim.sweep` (grid x initial states,
reducers, divergence flags, stores) and :func:`~neurodyn.analysis.lyapunov_spectrum` (first
``k`` exponents through the sparse tangent map) run it unchanged on the numba backend.
On the torch backend (``backend="torch"``, ``device`` cpu or cuda, float64 or float32)
``iterate_batch`` and ``sweep`` run it too: :meth:`Network.torch_model` gives the same step in
torch (:class:`.torch_kernel.TorchNetwork`, a sparse matrix product for the diffusive
couplings), under the torch backend's schedule, reducers and divergence flags; in float64 equal
to the numba sweep to 1e-12 (tested on the CPU; the CUDA path is the same code, untested on a
GPU here). What the torch path has not, it refuses naming the network: Lyapunov exponents
(no tangent map in torch), and -- on either backend -- noise and inputs.
:func:`jacobian_matrix` gives the sparse Jacobian, for Newton steps (:mod:`.newton`).

Per-node parameter values: ``node_values={"k": array}`` sets the defaults of ``k_0, k_1, ...``
(the parameter must not be shared).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..models import Model, ModelError, ModelInterface, Parameter, StateVariable, rename_symbols
from .build import (
    _apply_defaults,
    _check_unique,
    _node_parameters,
    _resolve_labels,
    _resolve_nodes,
    _shared_names,
    describe_network,
    node_state,
)
from .coupling import Coupling, Edges, NodeContext, merge_parameters
from .netgen import CouplingOperator, Plan, compile_network, pack

if TYPE_CHECKING:
    from .torch_kernel import TorchNetwork

__all__ = ["CompiledNetwork", "Network", "jacobian_matrix", "network"]


@dataclass(frozen=True, eq=False)
class Network(ModelInterface):
    """A network of map nodes run by the network kernel (see the module docstring).

    ``node_models`` are the distinct node models, ``node_type[i]`` the index of node ``i``'s
    model among them, ``labels`` the node labels, ``plan`` the kernel's index arrays.
    """

    name: str
    state: tuple[StateVariable, ...]
    parameters: tuple[Parameter, ...]
    node_models: tuple[Model, ...]
    node_type: np.ndarray
    labels: tuple[str, ...]
    couplings: tuple[Coupling, ...]
    plan: Plan
    description: str = ""
    source: str = ""
    notes: str = ""
    bound: float = 1e6

    kind = "map"
    integrator = "rk4"

    @property
    def n_nodes(self) -> int:
        return len(self.labels)

    @cached_property
    def equations(self) -> tuple[str, ...]:
        """Each state variable's node equation (renamed), followed by ``+ coupling`` where a
        coupling adds to it; the coupling terms themselves are in :attr:`plan`."""
        coupled = np.diff(self.plan.operator.d_ptr) + np.diff(self.plan.operator.c_ptr) > 0
        texts = []
        for i, label in enumerate(self.labels):
            model = self.node_models[self.node_type[i]]
            mapping = {v: f"{v}_{label}" for v in model.state_names}
            for equation in model.equations:
                texts.append(rename_symbols(equation, mapping))
        return tuple(t + " + coupling" if c else t for t, c in zip(texts, coupled, strict=True))

    def compile(self) -> CompiledNetwork:
        """The compiled kernel (called by :func:`~neurodyn.models.compile_model`)."""
        advance, tangent = compile_network(self.node_models)
        return CompiledNetwork(self, advance, tangent, self.plan.packed)

    def torch_model(self) -> TorchNetwork:
        """The step in torch, for the torch backend (called by
        :func:`~neurodyn.backends.torch_model.torch_model`; needs torch)."""
        from .torch_kernel import TorchNetwork

        return TorchNetwork(self)


@dataclass(frozen=True)
class CompiledNetwork:
    """``advance(X, P, lo, hi, n, bound, ok, plan)`` as a model's (with the ``plan``
    argument, the network's packed :class:`~.netgen.Plan`), ``tangent(X, P, i, Q, TQ, plan)``:
    ``TQ = J(X[:, i]) @ Q``."""

    model: Network
    advance: object
    tangent: object
    plan: np.ndarray


def _distinct(models: tuple[Model, ...]) -> tuple[tuple[Model, ...], np.ndarray]:
    kinds: dict[int, int] = {}
    distinct: list[Model] = []
    node_type = np.empty(len(models), dtype=np.int64)
    for i, model in enumerate(models):
        if id(model) not in kinds:
            kinds[id(model)] = len(distinct)
            distinct.append(model)
        node_type[i] = kinds[id(model)]
    return tuple(distinct), node_type


def _node_values(
    defaults: dict[str, float], node_values: Mapping[str, object] | None, labels, shared
) -> dict[str, float]:
    for base, values in (node_values or {}).items():
        if base in shared:
            raise ModelError(f"node_values for {base!r}, which is shared by all nodes")
        array = np.asarray(values, dtype=np.float64)
        if array.shape != (len(labels),):
            raise ModelError(
                f"node_values[{base!r}] needs one value per node ({len(labels)}), "
                f"not shape {array.shape}"
            )
        for label, value in zip(labels, array, strict=True):
            defaults.setdefault(f"{base}_{label}", float(value))
    return defaults


def _operator(
    all_edges: list[Edges],
    models: tuple[Model, ...],
    offsets: np.ndarray,
    row_of: dict[str, int],
    n_state: int,
) -> CouplingOperator:
    """The CSR over state rows of all couplings (rows sorted, coupling order kept in a row)."""

    def rows(nodes: np.ndarray, variable: str) -> np.ndarray:
        index = {id(m): m.state_names.index(variable) for m in models if variable in m.state_names}
        local = np.array([index.get(id(m), -1) for m in models], dtype=np.int64)
        return offsets[nodes] + local[nodes]

    def strength(e: Edges) -> np.ndarray:
        return np.array([row_of[s] for s in e.strengths], dtype=np.int64)[e.strength_index]

    def by_row(kind: str, columns: list) -> tuple[np.ndarray, list[np.ndarray]]:
        chosen = [e for e in all_edges if e.kind == kind]
        target = np.concatenate([rows(e.targets, e.variable) for e in chosen] or [[]])
        order = np.argsort(target, kind="stable")
        ptr = np.zeros(n_state + 1, dtype=np.int64)
        np.cumsum(np.bincount(target.astype(np.int64), minlength=n_state), out=ptr[1:])
        gathered = [
            np.concatenate([f(e) for e in chosen])[order] if chosen else np.zeros(0)
            for f in columns
        ]
        return ptr, gathered

    def same(name: str):
        return lambda e: np.full(e.sources.size, row_of[getattr(e, name)], dtype=np.int64)

    d_ptr, (d_src, d_w, d_prow) = by_row(
        "diffusive", [lambda e: rows(e.sources, e.variable), lambda e: e.weights, strength]
    )
    c_ptr, (c_src, c_lam, c_th, c_w, c_prow, c_vrow) = by_row(
        "chemical",
        [
            lambda e: rows(e.sources, e.variable),
            same("slope"),
            same("threshold"),
            lambda e: e.weights,
            strength,
            same("reversal"),
        ],
    )
    gates, c_gate = np.unique(
        np.stack([c_src, c_lam, c_th], axis=1).astype(np.int64), axis=0, return_inverse=True
    )

    def ints(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.int64).reshape(-1)

    first = np.full(n_state, -1, dtype=np.int64)
    rows_with = np.flatnonzero(np.diff(d_ptr))
    first[rows_with] = d_prow[d_ptr[rows_with]]
    row_of_entry = np.repeat(np.arange(n_state), np.diff(d_ptr))
    mixed = np.unique(row_of_entry[d_prow != first[row_of_entry]])
    d_shared = first.copy()
    d_shared[mixed] = -1

    weights: list[float] = []
    diffusive = [e for e in all_edges if e.kind == "diffusive"]
    stencils = []
    by_stencil = np.zeros(n_state, dtype=bool)
    for e in diffusive:
        found = _ring_window(
            e,
            rows(np.arange(len(models)), e.variable)
            if e.variable in _common_variables(models)
            else None,
        )
        if found is None:
            continue
        base, stride, count, radius = found
        targets = base + stride * np.arange(count)
        others = [rows(o.targets, o.variable) for o in diffusive if o is not e]
        if any(np.isin(t, targets).any() for t in others):
            continue
        stencils.append((base, stride, count, radius, row_of[e.strengths[0]]))
        weights.append(float(e.weights[0]))
        by_stencil[targets] = True
    s_fields = np.array(stencils, dtype=np.int64).reshape(-1, 5)
    d_rows = np.flatnonzero((np.diff(d_ptr) > 0) & ~by_stencil)

    return CouplingOperator(
        ints(d_ptr),
        ints(d_src),
        np.ascontiguousarray(d_w, dtype=np.float64),
        ints(d_prow),
        ints(c_ptr),
        ints(c_gate),
        np.ascontiguousarray(c_w, dtype=np.float64),
        ints(c_prow),
        ints(c_vrow),
        ints(gates[:, 0]),
        ints(gates[:, 1]),
        ints(gates[:, 2]),
        d_shared,
        ints(d_rows),
        ints(np.flatnonzero(np.diff(c_ptr))),
        ints(s_fields),
        np.array(weights, dtype=np.float64),
    )


def _common_variables(models: tuple[Model, ...]) -> set[str]:
    """State variables that every node has (a ring stencil needs each node's row)."""
    return set.intersection(*(set(m.state_names) for m in models))


def _ring_window(e: Edges, node_rows: np.ndarray | None) -> tuple[int, int, int, int] | None:
    """``(base, stride, n, R)`` when ``e`` is a nonlocal ring over all ``n`` nodes -- node
    ``i`` receives from ``i - R, ..., i + R`` (mod n, not itself) with one weight and one
    strength -- whose coupled rows are ``base + stride * i``; else None."""
    if node_rows is None or len(e.strengths) != 1 or e.weights.size == 0:
        return None
    n = node_rows.size
    radius, rest = divmod(e.sources.size, 2 * n)
    if rest or radius < 1 or 2 * radius >= n or np.any(e.weights != e.weights[0]):
        return None
    stride = node_rows[1] - node_rows[0] if n > 1 else 1
    if np.any(node_rows != node_rows[0] + stride * np.arange(n)):
        return None
    shifts = np.concatenate([np.arange(-radius, 0), np.arange(1, radius + 1)])
    window = (np.arange(n)[:, None] + shifts[None, :]) % n
    window.sort(axis=1)
    if not (
        np.array_equal(e.targets, np.repeat(np.arange(n), 2 * radius))
        and np.array_equal(e.sources, window.reshape(-1))
    ):
        return None
    return int(node_rows[0]), int(stride), n, radius


def network(
    nodes: Sequence[Model | str],
    couplings: Sequence[Coupling] = (),
    *,
    name: str = "network",
    labels: Sequence[int | str] | None = None,
    shared: bool | Iterable[str] = False,
    defaults: Mapping[str, float] | None = None,
    node_values: Mapping[str, object] | None = None,
    description: str = "",
    source: str = "",
    notes: str = "",
) -> Network:
    """The network of ``nodes`` coupled by ``couplings`` for the network kernel.

    Arguments as :func:`~neurodyn.networks.network_model` (same state and parameter names and
    order), plus ``node_values``: per-node defaults of a node parameter (see the module
    docstring). Raises :class:`~neurodyn.models.ModelError` as ``network_model`` does.
    """
    models = _resolve_nodes(nodes)
    node_labels = _resolve_labels(labels, len(models))
    context = NodeContext(models, node_labels)
    shared_names = _shared_names(shared, models)
    node_params, renames = _node_parameters(models, node_labels, shared_names)
    for coupling in couplings:
        if not isinstance(coupling, Coupling):
            raise ModelError(f"couplings must be Coupling objects, not {coupling!r}")
    coupling_params = merge_parameters(p for c in couplings for p in c.parameters(context))
    all_edges = [c.edges(context) for c in couplings]
    state = node_state(models, node_labels)
    _check_unique([s.name for s in state], node_params, coupling_params)
    values = _node_values(dict(defaults or {}), node_values, node_labels, shared_names)
    parameters = _apply_defaults([*node_params, *coupling_params], values, name)

    row_of = {p.name: r for r, p in enumerate(parameters)}
    sizes = np.array([m.n_state for m in models])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    node_models, node_type = _distinct(models)
    groups = []
    for t, model in enumerate(node_models):
        members = np.flatnonzero(node_type == t)
        rows = offsets[members, None] + np.arange(model.n_state)[None, :]
        prow = np.array(
            [[row_of[renames[i][p]] for p in model.parameter_names] for i in members],
            dtype=np.int64,
        ).reshape(len(members), len(model.parameters))
        groups.append((np.ascontiguousarray(rows, dtype=np.int64), prow))
    groups = tuple(groups)
    operator = _operator(all_edges, models, offsets, row_of, len(state))
    return Network(
        name=name,
        state=state,
        parameters=tuple(parameters),
        node_models=node_models,
        node_type=node_type,
        labels=node_labels,
        couplings=tuple(couplings),
        plan=Plan(operator, groups, pack(operator, groups)),
        bound=min(m.bound for m in node_models),
        **describe_network(models, couplings, description, source, notes),
    )


def jacobian_matrix(net: Network, x: np.ndarray, parameters: np.ndarray) -> sp.csr_array:
    """The Jacobian ``J[r, c] = d x'_r / d x_c`` of one step at state ``x`` (n_state,) with
    parameter values ``parameters`` (n_param,), as a sparse matrix.

    Exact (analytic), computed by the tangent kernel applied to the few seed vectors of a
    column colouring of its sparsity pattern (node blocks and coupling edges): columns of one
    colour share no row, so each entry is read off one product.
    """
    X = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 1))
    P = np.ascontiguousarray(np.asarray(parameters, dtype=np.float64).reshape(-1, 1))
    if X.shape[0] != net.n_state or P.shape[0] != len(net.parameters):
        raise ValueError(f"x must have {net.n_state} values and parameters {len(net.parameters)}")
    pattern = _pattern(net)
    colour = _colouring(pattern)
    seeds = np.zeros((net.n_state, int(colour.max()) + 1))
    seeds[np.arange(net.n_state), colour] = 1.0
    product = np.zeros_like(seeds)
    compiled = net.compile()
    compiled.tangent(X, P, 0, seeds, product, compiled.plan)
    coo = pattern.tocoo()
    values = product[coo.row, colour[coo.col]]
    return sp.csr_array((values, (coo.row, coo.col)), shape=pattern.shape)


def _pattern(net: Network) -> sp.csr_array:
    """Structural non-zeros of the Jacobian: full node blocks, coupling edges, diagonal."""
    rows, cols = [np.arange(net.n_state)], [np.arange(net.n_state)]
    for block, _ in net.plan.nodes:
        d = block.shape[1]
        rows.append(np.repeat(block, d, axis=1).reshape(-1))
        cols.append(np.tile(block, (1, d)).reshape(-1))
    op = net.plan.operator
    for ptr, src in ((op.d_ptr, op.d_src), (op.c_ptr, op.g_src[op.c_gate])):
        rows.append(np.repeat(np.arange(net.n_state), np.diff(ptr)))
        cols.append(src)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_array((np.ones(r.size), (r, c)), shape=(net.n_state, net.n_state))


def _colouring(pattern: sp.csr_array) -> np.ndarray:
    """Greedy colouring of columns such that two columns of one colour share no row."""
    columns = pattern.tocsc()
    n = pattern.shape[1]
    colour = np.full(n, -1, dtype=np.int64)
    for c in range(n):
        rows = columns.indices[columns.indptr[c] : columns.indptr[c + 1]]
        neighbours = np.unique(
            np.concatenate(
                [pattern.indices[pattern.indptr[r] : pattern.indptr[r + 1]] for r in rows]
            )
        )
        used = set(colour[neighbours][colour[neighbours] >= 0].tolist())
        k = 0
        while k in used:
            k += 1
        colour[c] = k
    return colour
