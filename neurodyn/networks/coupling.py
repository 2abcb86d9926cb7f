"""Couplings between the nodes of a network of maps, written as equation text.

A coupling adds terms to the equation of one state variable (``variable``, e.g. ``"x"``) of the
nodes it touches; the terms are text in the grammar of :mod:`neurodyn.models.expressions`, so
the network's Jacobian comes from the same symbolic differentiation as any model's. Every
coupling strength is a model parameter (with default, range and unit), so it can be swept.

Adjacency convention: ``A[i, j]`` is the weight of the edge from node ``j`` to node ``i``
(:mod:`.topology`). Below ``x_i`` is ``variable`` of node ``i`` at the current iteration, and a
term is added to the next value of ``x_i``.

* :class:`DiffusiveCoupling` (linear, "electrical"):
  ``sigma * sum_j c_ij (x_j - x_i)`` with one strength for all edges, or
  ``sum_j sigma_i_j (x_j - x_i)`` with one strength per edge (``per_edge=True``), where
  ``sigma_i_j`` is the strength with which node ``j`` acts on node ``i`` (σ_ij of Ghosh et al.
  2024, so σ12 ≠ σ21 in general). ``c_ij = A_ij``, or ``A_ij / sum_j A_ij`` (normalised by the
  in-degree, the σ/2R of ring networks) with ``normalise="in_degree"``.
* :class:`HigherOrderCoupling` (linear diffusive over 2-simplices):
  ``sigma2 * sum_j sum_k B_ijk (x_j + x_k - 2 x_i)`` with ``B_ijk = 1`` when ``{i, j, k}`` is
  one of the given triangles (any order of ``j, k``) and 0 otherwise, as in Nair, Ghosh,
  Fatoyinbo & Muni (2024), arXiv:2405.06000, and in the general form of Gambuzza et al., Nat.
  Commun. 12, 1255 (2021). The double sum runs over ordered pairs ``(j, k)``, so each triangle
  containing ``i`` contributes twice; ``ordered_pairs=False`` counts it once (σ₂ halved).
  A linear diffusive 2-simplex coupling equals a pairwise one with weights "number of shared
  triangles", which is why it can be written this way.
* :class:`ChemicalSynapse`: ``g * (V_s - x_i) * sum_j A_ij Γ(x_j)`` with the sigmoid
  ``Γ(x) = 1 / (1 + exp(-lambda_s (x - theta_s)))`` (fast threshold modulation; Belykh, de
  Lange & Hasler, Phys. Rev. Lett. 94, 188101 (2005), whose Hindmarsh–Rose values ``V_s = 2``,
  ``lambda_s = 10``, ``theta_s = -0.25`` are the defaults; choose ``V_s`` and ``theta_s`` on the
  scale of the node's ``x``). Self-loops (autapses, ``A_ii != 0``) are kept.

All state variables and parameters of maps are dimensionless; so are the strengths (unit "1").

Each coupling also gives its numeric form, :meth:`Coupling.edges` (an :class:`Edges` list of
weighted edges with the parameter each edge's strength is read from), from which the network
kernel (:mod:`.kernel`) builds its sparse operator; both forms use the parameters of
:meth:`Coupling.parameters`. Adjacencies may be dense arrays or ``scipy.sparse`` matrices.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ..models import Model, ModelError, Parameter
from .topology import as_csr, from_matrix, validate_triangles

__all__ = [
    "ChemicalSynapse",
    "Coupling",
    "DiffusiveCoupling",
    "Edges",
    "HigherOrderCoupling",
    "NodeContext",
]

BELYKH_2005 = (
    "I. Belykh, E. de Lange, M. Hasler, Synchronization of bursting neurons: what matters in "
    "the network topology, Phys. Rev. Lett. 94, 188101 (2005)"
)
NAIR_2024 = (
    "A. S. Nair, I. Ghosh, H. O. Fatoyinbo, S. S. Muni, On the higher-order smallest ring-star "
    "network of Chialvo neurons under diffusive couplings, arXiv:2405.06000, Chaos (2024)"
)


@dataclass(frozen=True)
class NodeContext:
    """What a coupling needs to know about the nodes: their models and name suffixes."""

    models: tuple[Model, ...]
    labels: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.models)

    def state_name(self, i: int, variable: str, coupling: str) -> str:
        """The network name of ``variable`` of node ``i``; ModelError if the node lacks it."""
        model = self.models[i]
        if variable not in model.state_names:
            raise ModelError(
                f"{coupling} couples state variable {variable!r}, but node {self.labels[i]} "
                f"({model.name}) has no such variable (its state: {', '.join(model.state_names)})"
            )
        return f"{variable}_{self.labels[i]}"

    def edge_name(self, strength: str, i: int, j: int) -> str:
        """Name of the per-edge strength with which node ``j`` acts on node ``i``."""
        return f"{strength}_{self.labels[i]}_{self.labels[j]}"


Terms = dict[tuple[int, str], list[str]]


# Each edge's (or triangle's) term is written as strength * (difference) and kept apart: sympy
# would merge "sigma*((x_1 - x_0) + (x_2 - x_0))" into "sigma*(x_1 + x_2 - 2*x_0)", whose
# floating-point value at x_0 = x_1 = x_2 depends on the summation order and need not be 0.
# Written apart, every term is exactly 0 on the synchronous manifold, so identical nodes with
# symmetric coupling stay exactly synchronised and strength 0 decouples exactly.


def _number(value: float) -> str:
    """A float as equation text that parses back to the same double."""
    return repr(float(value))


def _times(weight: float, text: str) -> str:
    if weight == 1.0:
        return text
    return f"{int(weight)}*{text}" if float(weight).is_integer() else f"{_number(weight)}*{text}"


def _strength(name: str, default: float, low: float, high: float, description: str) -> Parameter:
    if not name.isidentifier():
        raise ModelError(f"coupling strength name {name!r} is not an identifier")
    if not (low <= default <= high) or not math.isfinite(default):
        raise ModelError(
            f"default {default} of coupling parameter {name!r} is outside its range [{low}, {high}]"
        )
    return Parameter(name, float(default), float(low), float(high), "1", description)


@dataclass(frozen=True)
class Edges:
    """A coupling in numeric form: edge ``e`` (node ``sources[e]`` acting on node
    ``targets[e]``, sorted by target then source) adds to ``variable`` of its target

    * ``"diffusive"``: ``weights[e] * s_e * (x_source - x_target)``,
    * ``"chemical"``: ``weights[e] * s_e * (V_s - x_target) / (1 + exp(-lambda_s (x_source -
      theta_s)))`` with ``V_s``, ``lambda_s``, ``theta_s`` the parameters named by
      ``reversal``, ``slope``, ``threshold``,

    where ``s_e`` is the parameter ``strengths[strength_index[e]]``.
    """

    kind: Literal["diffusive", "chemical"]
    variable: str
    targets: np.ndarray
    sources: np.ndarray
    weights: np.ndarray
    strengths: tuple[str, ...]
    strength_index: np.ndarray
    reversal: str = ""
    slope: str = ""
    threshold: str = ""


def _edge_list(
    C: sp.csr_array, strength: str, per_edge: bool, context: NodeContext
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...], np.ndarray]:
    """Targets, sources, weights, strength names and indices of the non-zeros of ``C``: one
    strength for all edges (weight ``C_ij``), or one per edge (weight 1, see ``per_edge``)."""
    targets = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
    sources = C.indices.astype(np.int64)
    if per_edge:
        names = tuple(
            context.edge_name(strength, int(i), int(j))
            for i, j in zip(targets, sources, strict=True)
        )
        return targets, sources, np.ones(targets.size), names, np.arange(targets.size)
    return targets, sources, C.data.copy(), (strength,), np.zeros(targets.size, dtype=np.int64)


class Coupling:
    """Base of the couplings: ``contributions(context)`` returns the terms to add to node
    equations, keyed by ``(node index, node variable)``, and the parameters they use;
    ``parameters(context)`` the parameters alone; ``edges(context)`` the numeric form."""

    variable: str

    def contributions(self, context: NodeContext) -> tuple[Terms, list[Parameter]]:
        raise NotImplementedError

    def parameters(self, context: NodeContext) -> list[Parameter]:
        raise NotImplementedError

    def edges(self, context: NodeContext) -> Edges:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def _check_variable(self, context: NodeContext, nodes: np.ndarray, what: str) -> None:
        """ModelError if one of ``nodes`` lacks the coupled variable."""
        for i in np.unique(nodes):
            context.state_name(int(i), self.variable, what)


def _check_size(adjacency, context: NodeContext, what: str) -> None:
    if adjacency.shape[0] != context.n:
        raise ModelError(
            f"{what}: adjacency of {adjacency.shape[0]} nodes for a network of {context.n} nodes"
        )


@dataclass(frozen=True, eq=False)
class DiffusiveCoupling(Coupling):
    """Linear diffusive coupling ``sigma * c_ij * (x_j - x_i)`` over the edges of ``adjacency``.

    ``strength`` names the parameter (``sigma``); with ``per_edge`` each edge ``j -> i`` gets its
    own parameter ``{strength}_{i}_{j}`` (node labels), default ``default * c_ij``. The diagonal
    of ``adjacency`` is ignored. ``default``, ``low``, ``high``: the strength's default and
    valid range. See the module docstring for the formula and conventions.
    """

    adjacency: np.ndarray
    variable: str = "x"
    strength: str = "sigma"
    per_edge: bool = False
    default: float = 0.01
    low: float = -1.0
    high: float = 1.0
    normalise: Literal["in_degree"] | None = None
    source: str = field(default="")

    def __post_init__(self):
        object.__setattr__(self, "adjacency", from_matrix(self.adjacency))
        if self.normalise not in (None, "in_degree"):
            raise ValueError(f"normalise must be None or 'in_degree', not {self.normalise!r}")

    def describe(self) -> str:
        each = "per edge" if self.per_edge else "one strength"
        norm = ", normalised by in-degree" if self.normalise else ""
        return f"diffusive on {self.variable} ({self.strength}, {each}{norm})"

    def _coefficients(self) -> sp.csr_array:
        """``c_ij`` as CSR: the adjacency without its diagonal, normalised if asked."""
        C = as_csr(self.adjacency)
        C.setdiag(0.0)
        C.eliminate_zeros()
        if self.normalise == "in_degree":
            degree = C.sum(axis=1)
            rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))
            C.data = C.data / degree[rows]
        return C

    def parameters(self, context: NodeContext) -> list[Parameter]:
        _check_size(self.adjacency, context, f"diffusive coupling {self.strength!r}")
        meaning = f"diffusive coupling strength on {self.variable}"
        if not self.per_edge:
            return [
                _strength(
                    self.strength,
                    self.default,
                    self.low,
                    self.high,
                    f"{meaning}: {self.strength}*c_ij*(x_j - x_i) for every edge j -> i",
                )
            ]
        C = self._coefficients().tocoo()
        return [
            _strength(
                context.edge_name(self.strength, int(i), int(j)),
                self.default * c,
                self.low,
                self.high,
                f"{meaning}: node {context.labels[j]} acts on node {context.labels[i]}",
            )
            for i, j, c in zip(C.row, C.col, C.data, strict=True)
        ]

    def edges(self, context: NodeContext) -> Edges:
        _check_size(self.adjacency, context, f"diffusive coupling {self.strength!r}")
        C = self._coefficients()
        targets, sources, weights, names, index = _edge_list(
            C, self.strength, self.per_edge, context
        )
        self._check_variable(context, np.concatenate([targets, sources]),
                             f"diffusive coupling {self.strength!r}")
        return Edges("diffusive", self.variable, targets, sources, weights, names, index)

    def contributions(self, context: NodeContext) -> tuple[Terms, list[Parameter]]:
        what = f"diffusive coupling {self.strength!r}"
        parameters = self.parameters(context)
        C = self._coefficients().toarray()
        terms: Terms = {}
        for i in range(context.n):
            sources = np.flatnonzero(C[i])
            if sources.size == 0:
                continue
            xi = context.state_name(i, self.variable, what)
            parts = []
            for j in sources:
                difference = f"({context.state_name(int(j), self.variable, what)} - {xi})"
                if self.per_edge:
                    edge = context.edge_name(self.strength, i, int(j))
                    parts.append(f"{edge}*{difference}")
                else:
                    parts.append(_times(C[i, j], f"{self.strength}*{difference}"))
            terms[(i, self.variable)] = [" + ".join(parts)]
        return terms, parameters


@dataclass(frozen=True, eq=False)
class HigherOrderCoupling(Coupling):
    """Linear diffusive coupling over 2-simplices: ``sigma2 * sum_{j,k} B_ijk (x_j + x_k - 2x_i)``.

    ``triangles``: the 2-simplices as node-index triples (e.g. from
    :func:`~.topology.clique_triangles`). ``ordered_pairs=True`` sums over ordered pairs
    ``(j, k)`` (each triangle counted twice, the literal double sum); ``False`` counts each
    triangle once. See the module docstring.
    """

    triangles: Sequence[Sequence[int]]
    variable: str = "x"
    strength: str = "sigma2"
    ordered_pairs: bool = True
    default: float = 0.01
    low: float = -1.0
    high: float = 1.0
    source: str = field(default=NAIR_2024)

    def __post_init__(self):
        object.__setattr__(self, "triangles", tuple(tuple(t) for t in self.triangles))

    def describe(self) -> str:
        count = "ordered pairs" if self.ordered_pairs else "each triangle once"
        return f"higher-order diffusive on {self.variable} ({self.strength}, {count})"

    def _triangles(self, context: NodeContext) -> list[tuple[int, int, int]]:
        try:
            return validate_triangles(self.triangles, context.n)
        except ValueError as err:
            raise ModelError(f"higher-order coupling {self.strength!r}: {err}") from None

    def parameters(self, context: NodeContext) -> list[Parameter]:
        self._triangles(context)
        return [
            _strength(
                self.strength,
                self.default,
                self.low,
                self.high,
                f"higher-order (2-simplex) diffusive coupling strength on {self.variable}",
            )
        ]

    def edges(self, context: NodeContext) -> Edges:
        """The equivalent pairwise diffusive coupling: weight of ``j -> i`` = number of
        triangles holding both (times 2 with ``ordered_pairs``)."""
        triangles = np.array(self._triangles(context), dtype=np.int64).reshape(-1, 3)
        factor = 2.0 if self.ordered_pairs else 1.0
        pairs = [(a, b) for a in range(3) for b in range(3) if a != b]
        targets = np.concatenate([triangles[:, a] for a, _ in pairs])
        sources = np.concatenate([triangles[:, b] for _, b in pairs])
        W = as_csr(
            sp.coo_array((np.full(targets.size, factor), (targets, sources)),
                         shape=(context.n, context.n))
        )
        targets, sources, weights, names, index = _edge_list(W, self.strength, False, context)
        self._check_variable(context, targets, f"higher-order coupling {self.strength!r}")
        return Edges("diffusive", self.variable, targets, sources, weights, names, index)

    def contributions(self, context: NodeContext) -> tuple[Terms, list[Parameter]]:
        what = f"higher-order coupling {self.strength!r}"
        triangles = self._triangles(context)
        factor = 2 if self.ordered_pairs else 1
        parts: dict[int, list[str]] = {}
        for triangle in triangles:
            for i in triangle:
                j, k = (v for v in triangle if v != i)
                xi, xj, xk = (context.state_name(v, self.variable, what) for v in (i, j, k))
                term = f"{self.strength}*({xj} + {xk} - 2*{xi})"
                parts.setdefault(i, []).append(_times(factor, term))
        terms: Terms = {(i, self.variable): [" + ".join(p)] for i, p in parts.items()}
        return terms, self.parameters(context)


@dataclass(frozen=True, eq=False)
class ChemicalSynapse(Coupling):
    """Chemical synapses ``g * (V_s - x_i) * sum_j A_ij / (1 + exp(-lambda_s (x_j - theta_s)))``.

    ``strength``, ``reversal``, ``slope``, ``threshold`` name the parameters g, V_s, lambda_s
    and theta_s (shared by all synapses of this coupling; give other names for a second
    population, e.g. inhibitory). With ``per_edge`` each edge ``j -> i`` has its own
    ``{strength}_{i}_{j}`` (default ``default * A_ij``) in place of ``g * A_ij``.
    """

    adjacency: np.ndarray
    variable: str = "x"
    strength: str = "g"
    reversal: str = "V_s"
    slope: str = "lambda_s"
    threshold: str = "theta_s"
    per_edge: bool = False
    default: float = 0.05
    low: float = 0.0
    high: float = 1.0
    reversal_default: float = 2.0
    slope_default: float = 10.0
    threshold_default: float = -0.25
    source: str = field(default=BELYKH_2005)

    def __post_init__(self):
        object.__setattr__(self, "adjacency", from_matrix(self.adjacency))

    def describe(self) -> str:
        each = "per edge" if self.per_edge else "one strength"
        return f"chemical synapses on {self.variable} ({self.strength}, {each})"

    def parameters(self, context: NodeContext) -> list[Parameter]:
        _check_size(self.adjacency, context, f"chemical synapse {self.strength!r}")
        parameters = [
            _strength(
                self.reversal,
                self.reversal_default,
                -10.0,
                10.0,
                f"synaptic reversal potential V_s (scale of {self.variable})",
            ),
            _strength(
                self.slope,
                self.slope_default,
                0.0,
                1000.0,
                "slope lambda_s of the presynaptic sigmoid",
            ),
            _strength(
                self.threshold,
                self.threshold_default,
                -10.0,
                10.0,
                f"threshold theta_s of the presynaptic sigmoid (scale of {self.variable})",
            ),
        ]
        if not self.per_edge:
            parameters.append(
                _strength(
                    self.strength,
                    self.default,
                    self.low,
                    self.high,
                    f"chemical synaptic coupling strength g on {self.variable}",
                )
            )
            return parameters
        A = as_csr(self.adjacency).tocoo()
        parameters += [
            _strength(
                context.edge_name(self.strength, int(i), int(j)),
                self.default * a,
                self.low,
                self.high,
                f"chemical synapse strength from node {context.labels[j]} "
                f"to node {context.labels[i]}",
            )
            for i, j, a in zip(A.row, A.col, A.data, strict=True)
        ]
        return parameters

    def edges(self, context: NodeContext) -> Edges:
        _check_size(self.adjacency, context, f"chemical synapse {self.strength!r}")
        targets, sources, weights, names, index = _edge_list(
            as_csr(self.adjacency), self.strength, self.per_edge, context
        )
        self._check_variable(context, np.concatenate([targets, sources]),
                             f"chemical synapse {self.strength!r}")
        return Edges(
            "chemical", self.variable, targets, sources, weights, names, index,
            reversal=self.reversal, slope=self.slope, threshold=self.threshold,
        )

    def contributions(self, context: NodeContext) -> tuple[Terms, list[Parameter]]:
        what = f"chemical synapse {self.strength!r}"
        parameters = self.parameters(context)
        A = as_csr(self.adjacency).toarray()
        terms: Terms = {}
        for i in range(context.n):
            sources = np.flatnonzero(A[i])
            if sources.size == 0:
                continue
            xi = context.state_name(i, self.variable, what)
            parts = []
            for j in sources:
                xj = context.state_name(int(j), self.variable, what)
                gate = f"1/(1 + exp(-{self.slope}*({xj} - {self.threshold})))"
                if self.per_edge:
                    parts.append(f"{context.edge_name(self.strength, i, int(j))}*{gate}")
                else:
                    parts.append(_times(A[i, j], gate))
            total = " + ".join(parts)
            scale = "" if self.per_edge else f"{self.strength}*"
            terms[(i, self.variable)] = [f"{scale}({self.reversal} - {xi})*({total})"]
        return terms, parameters


def merge_parameters(groups: Iterable[Parameter]) -> list[Parameter]:
    """Parameters in first-seen order; one name twice must mean the same parameter."""
    merged: dict[str, Parameter] = {}
    for parameter in groups:
        known = merged.get(parameter.name)
        if known is None:
            merged[parameter.name] = parameter
        elif (known.default, known.low, known.high, known.unit) != (
            parameter.default,
            parameter.low,
            parameter.high,
            parameter.unit,
        ):
            raise ModelError(
                f"parameter {parameter.name!r} is defined twice with different defaults or ranges "
                f"({known.default} in [{known.low}, {known.high}] and {parameter.default} in "
                f"[{parameter.low}, {parameter.high}]); give the couplings different strength names"
            )
    return list(merged.values())
