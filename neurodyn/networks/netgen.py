"""Generated numba code of the network kernel: one node step per node model, one sparse coupling.

For each node model (not each node) two functions are generated from its equations and its
symbolic Jacobian, with the common subexpressions of :mod:`neurodyn.models.codegen`:

``node_update(X, P, U, rows, prow, c0, m, bound, ok)``
    for every node ``k`` of that model (``rows[k * n_var + v]``: the state row of its variable
    ``v``, ``prow[k * n_par + q]`` the parameter row of its parameter ``q``) and every column
    ``c0 <= i < c0 + m``: ``x_v <- f_v(x, p) + U[row_v, i - c0]``, flagging divergence in ``ok``.
``node_tangent(X, P, i, rows, prow, Q, TQ)``
    ``TQ[rows_k, :] = J_node(x, p) @ Q[rows_k, :]`` at column ``i`` for every node ``k``.

With several columns the loop over columns vectorises; with one (a single trajectory) the
nodes are gathered in blocks of :data:`BLOCK` into contiguous rows, so the loop over the nodes
does (same expressions, same bits).

The network's ``advance(X, P, lo, hi, n, bound, ok, plan)`` and
``tangent(X, P, i, Q, TQ, plan)`` (generated per tuple of node models) first compute the
coupling input ``U`` of every state row from the old state (:func:`coupling_input`, CSR over
state rows) and then update the nodes in place, in sub-blocks of :data:`WIDTH` columns; the
tangent adds the coupling's Jacobian (:func:`coupling_tangent`). Nothing in the generated text
depends on the number of nodes or edges, so one compilation serves every network of the same
node models (compile time flat in N); the network's structure travels in ``plan``
(:class:`Plan`).
"""

from __future__ import annotations

import hashlib
import math
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..models import Model
from ..models.codegen import source_file
from ..models.generate import _cse_lines, _local_names
from ..models.jit import stable_jit
from ..models.vecmath import vexp

__all__ = ["WIDTH", "CouplingOperator", "Plan", "compile_network", "coupling_input", "pack"]

#: columns (batch points) advanced together; U holds n_state * WIDTH coupling inputs
WIDTH = 32
#: nodes of one model stepped together in a single column (gathered so the loop vectorises)
BLOCK = 64


class CouplingOperator(NamedTuple):
    """The coupling as CSR over state rows (row = receiving state variable).

    Diffusive entries ``e`` in ``d_ptr[r]:d_ptr[r+1]`` add ``d_w[e] * P[d_prow[e]] *
    (X[d_src[e]] - X[r])`` to row ``r``. Chemical entries add ``c_w[e] * P[c_prow[e]] *
    (P[c_vrow[e]] - X[r]) * G[c_gate[e]]``, where gate ``g`` is ``1 / (1 + exp(-P[g_lam[g]] *
    (X[g_src[g]] - P[g_th[g]])))``, computed once per step for all edges that share it.
    ``d_shared[r]``: the strength row common to all diffusive entries of row ``r`` (then
    factored out of the row's sum), or -1. ``d_rows`` and ``c_rows``: the rows whose
    diffusive (not by a stencil) and chemical input is summed from these entries.

    ``stencils`` (k, 5 flattened) and ``s_w`` (k): the nonlocal rings among the diffusive
    couplings, ``(base, stride, n, R, strength row)`` and the weight -- node ``i``'s row
    ``base + stride * i`` receives ``s_w * P[strength] * sum_{0 < |o| <= R} (x_{i+o} - x_i)``
    (mod n) -- computed from a sliding window sum (:func:`_ring_input`) instead of their CSR
    entries, which stay in the CSR for the tangent and the Jacobian's pattern.
    """

    d_ptr: np.ndarray
    d_src: np.ndarray
    d_w: np.ndarray
    d_prow: np.ndarray
    c_ptr: np.ndarray
    c_gate: np.ndarray
    c_w: np.ndarray
    c_prow: np.ndarray
    c_vrow: np.ndarray
    g_src: np.ndarray
    g_lam: np.ndarray
    g_th: np.ndarray
    d_shared: np.ndarray
    d_rows: np.ndarray
    c_rows: np.ndarray
    stencils: np.ndarray
    s_w: np.ndarray


class Plan(NamedTuple):
    """A network's structure: the coupling, per node model the ``rows`` (n_nodes, n_var) and
    ``prow`` (n_nodes, n_par) index arrays of its nodes, and all of it ``packed`` for the
    kernels (:func:`pack`)."""

    operator: CouplingOperator
    nodes: tuple
    packed: np.ndarray


_FLOATS = ("d_w", "c_w", "s_w")


def pack(operator: CouplingOperator, nodes: tuple) -> np.ndarray:
    """One int64 array: ``plan[f]:plan[f + 1]`` is field ``f`` (the operator's fields in order,
    then ``rows`` and ``prow`` of each node model, flattened)."""
    fields = [
        np.ascontiguousarray(getattr(operator, name), dtype=np.float64).view(np.int64)
        if name in _FLOATS
        else np.ascontiguousarray(getattr(operator, name), dtype=np.int64)
        for name in CouplingOperator._fields
    ]
    fields += [np.ascontiguousarray(a, dtype=np.int64).reshape(-1) for pair in nodes for a in pair]
    sizes = np.array([f.size for f in fields], dtype=np.int64)
    header = len(fields) + 1 + np.concatenate([[0], np.cumsum(sizes)])
    return np.concatenate([header, *fields]).astype(np.int64)


@stable_jit(inline="always")
def _field(plan, f):
    return plan[plan[f] : plan[f + 1]]


@stable_jit(inline="always")
def _weights(plan, f):
    return plan[plan[f] : plan[f + 1]].view(np.float64)


@stable_jit(inline="always")
def _gate(lam, x, theta):
    return 1.0 / (1.0 + vexp(-lam * (x - theta)))


@stable_jit(inline="always")
def _row_sum(X, c0, xr, first, last, src, w):
    """``sum_e w[e] * (X[src[e], c0] - xr)`` over ``first <= e < last`` in four interleaved
    partial sums (independent additions, so the sum is not bound by the latency of one chain;
    each term is exactly 0 where ``X[src[e], c0] == xr``)."""
    a0 = a1 = a2 = a3 = 0.0
    e = first
    while e + 4 <= last:
        a0 += w[e] * (X[src[e], c0] - xr)
        a1 += w[e + 1] * (X[src[e + 1], c0] - xr)
        a2 += w[e + 2] * (X[src[e + 2], c0] - xr)
        a3 += w[e + 3] * (X[src[e + 3], c0] - xr)
        e += 4
    while e < last:
        a0 += w[e] * (X[src[e], c0] - xr)
        e += 1
    return (a0 + a1) + (a2 + a3)


@stable_jit(inline="always")
def _two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e == a + b`` exactly (Knuth)."""
    s = a + b
    t = s - a
    return s, (a - (s - t)) + (b - t)


@stable_jit(inline="always")
def _ring_input(X, P, c0, m, U, H, base, stride, n, radius, prow, w):
    """Add a nonlocal ring's input ``P[prow] * w * sum_{0 < |o| <= radius} (x_{i+o} - x_i)``
    to row ``base + stride * i`` of ``U`` for every node ``i``, at columns ``c0 .. c0 + m``.

    The window sum ``W_i = sum_{|o| <= radius} x_{i+o}`` slides along the ring in O(1) per
    node: two new values in, one pair out, kept as an unevaluated double-double ``H[0] +
    H[1]`` (error-free sums), so ``W_i`` is exact to about 1e-32 relative and rounds to the
    double nearest the exact sum. The input is ``w * (fl(W_i) - fl((2R + 1) x_i))``: 0 exactly
    when all ``2R + 1`` values are equal (a synchronous state stays synchronous), otherwise
    equal to the edge-wise sum to a few units in the last place of ``W_i``."""
    width = 2 * radius + 1
    if m == 1:  # one column: the sums in registers
        wsum = lsum = 0.0
        for o in range(-radius, radius + 1):
            wsum, e = _two_sum(wsum, X[base + stride * ((o + n) % n), c0])
            lsum += e
        into, out = base + stride * (radius + 1), base + stride * (n - radius)
        end = base + stride * n
        for r in range(base, end, stride):
            U[r, 0] += P[prow, c0] * (w * ((wsum + lsum) - width * X[r, c0]))
            into = base if into == end else into
            out = base if out == end else out
            d, de = _two_sum(X[into, c0], -X[out, c0])
            wsum, e = _two_sum(wsum, d)
            lsum += e + de
            into += stride
            out += stride
        return
    hi, lo = H[0, :m], H[1, :m]
    for b in range(m):
        hi[b] = 0.0
        lo[b] = 0.0
    for o in range(-radius, radius + 1):
        Xj = X[base + stride * ((o + n) % n), c0 : c0 + m]
        for b in range(m):
            s, e = _two_sum(hi[b], Xj[b])
            hi[b] = s
            lo[b] += e
    into, out = radius + 1, n - radius
    for i in range(n):
        r = base + stride * i
        Xr, Ur, Ps = X[r, c0 : c0 + m], U[r, :m], P[prow, c0 : c0 + m]
        into = 0 if into == n else into
        out = 0 if out == n else out
        Xin = X[base + stride * into, c0 : c0 + m]
        Xout = X[base + stride * out, c0 : c0 + m]
        into += 1
        out += 1
        for b in range(m):
            Ur[b] += Ps[b] * (w * ((hi[b] + lo[b]) - width * Xr[b]))
            d, de = _two_sum(Xin[b], -Xout[b])
            s, e = _two_sum(hi[b], d)
            hi[b] = s
            lo[b] += e + de


@stable_jit(error_model="numpy")
def coupling_input(X, P, c0, m, U, G, H, plan):
    """``U[r, b]``: the coupling's input to state row ``r`` at column ``c0 + b``, ``b < m``;
    ``G`` holds the chemical gates, ``H`` (2, m) is scratch (fields as in
    :class:`CouplingOperator`). Rings with a stencil first (:func:`_ring_input`), then CSR sums
    over the rows that have entries: for one column scalar sums over a row's entries, for
    several each row's sum as a loop over columns."""
    d_ptr, d_src, d_w, d_prow = _field(plan, 0), _field(plan, 1), _weights(plan, 2), _field(plan, 3)
    c_ptr, c_gate, c_w = _field(plan, 4), _field(plan, 5), _weights(plan, 6)
    c_prow, c_vrow = _field(plan, 7), _field(plan, 8)
    g_src, g_lam, g_th = _field(plan, 9), _field(plan, 10), _field(plan, 11)
    d_shared, d_rows, c_rows = _field(plan, 12), _field(plan, 13), _field(plan, 14)
    stencils, s_w = _field(plan, 15), _weights(plan, 16)
    for r in range(X.shape[0]):
        for b in range(m):
            U[r, b] = 0.0
    for g in range(g_src.shape[0]):
        s, lam, th = g_src[g], g_lam[g], g_th[g]
        for b in range(m):
            G[g, b] = _gate(P[lam, c0 + b], X[s, c0 + b], P[th, c0 + b])
    for k in range(s_w.shape[0]):
        f = stencils[5 * k : 5 * k + 5]
        _ring_input(X, P, c0, m, U, H, f[0], f[1], f[2], f[3], f[4], s_w[k])
    if m == 1:
        for r in d_rows:
            xr = X[r, c0]
            shared = d_shared[r]
            if shared >= 0:
                acc = P[shared, c0] * _row_sum(X, c0, xr, d_ptr[r], d_ptr[r + 1], d_src, d_w)
            else:
                acc = 0.0
                for e in range(d_ptr[r], d_ptr[r + 1]):
                    acc += d_w[e] * P[d_prow[e], c0] * (X[d_src[e], c0] - xr)
            U[r, 0] = acc
        for r in c_rows:
            xr = X[r, c0]
            acc = U[r, 0]
            for e in range(c_ptr[r], c_ptr[r + 1]):
                acc += c_w[e] * P[c_prow[e], c0] * (P[c_vrow[e], c0] - xr) * G[c_gate[e], 0]
            U[r, 0] = acc
        return
    for r in d_rows:
        Ur, Xr = U[r, :m], X[r, c0 : c0 + m]
        shared = d_shared[r]
        for e in range(d_ptr[r], d_ptr[r + 1]):
            Xj, w = X[d_src[e], c0 : c0 + m], d_w[e]
            if shared >= 0:
                for b in range(m):
                    Ur[b] += w * (Xj[b] - Xr[b])
            else:
                Pe = P[d_prow[e], c0 : c0 + m]
                for b in range(m):
                    Ur[b] += w * Pe[b] * (Xj[b] - Xr[b])
        if shared >= 0:
            Ps = P[shared, c0 : c0 + m]
            for b in range(m):
                Ur[b] *= Ps[b]
    for r in c_rows:
        Ur, Xr = U[r, :m], X[r, c0 : c0 + m]
        for e in range(c_ptr[r], c_ptr[r + 1]):
            Pe, Ve = P[c_prow[e], c0 : c0 + m], P[c_vrow[e], c0 : c0 + m]
            Ge, w = G[c_gate[e]], c_w[e]
            for b in range(m):
                Ur[b] += w * Pe[b] * (Ve[b] - Xr[b]) * Ge[b]


@stable_jit()
def coupling_tangent(X, P, i, Q, TQ, plan):
    """Add the coupling's Jacobian times ``Q`` at column ``i`` to ``TQ``."""
    d_ptr, d_src, d_w, d_prow = _field(plan, 0), _field(plan, 1), _weights(plan, 2), _field(plan, 3)
    c_ptr, c_gate, c_w = _field(plan, 4), _field(plan, 5), _weights(plan, 6)
    c_prow, c_vrow = _field(plan, 7), _field(plan, 8)
    g_src, g_lam, g_th = _field(plan, 9), _field(plan, 10), _field(plan, 11)
    n_vec = Q.shape[1]
    for r in range(X.shape[0]):
        for e in range(d_ptr[r], d_ptr[r + 1]):
            a = d_w[e] * P[d_prow[e], i]
            j = d_src[e]
            for c in range(n_vec):
                TQ[r, c] += a * (Q[j, c] - Q[r, c])
        for e in range(c_ptr[r], c_ptr[r + 1]):
            g = c_gate[e]
            j = g_src[g]
            lam = P[g_lam[g], i]
            gate = _gate(lam, X[j, i], P[g_th[g], i])
            a = c_w[e] * P[c_prow[e], i]
            to_source = a * (P[c_vrow[e], i] - X[r, i]) * lam * gate * (1.0 - gate)
            to_self = -a * gate
            for c in range(n_vec):
                TQ[r, c] += to_source * Q[j, c] + to_self * Q[r, c]


def _node_reads(model: Model, column: str, indent: str) -> list[str]:
    lines = [f"{indent}s_{n} = X[r{v}, {column}]" for v, n in enumerate(model.state_names)]
    lines += [f"{indent}p_{n} = P[q{v}, {column}]" for v, n in enumerate(model.parameter_names)]
    return lines


def _node_rows(model: Model, indent: str) -> list[str]:
    n, p = model.n_state, len(model.parameters)
    lines = [f"{indent}r{v} = rows[k * {n} + {v}]" for v in range(n)]
    lines += [f"{indent}q{v} = prow[k * {p} + {v}]" for v in range(p)]
    return lines


def _step_lines(model: Model, body: str) -> list[str]:
    """The lines computing ``n<v>`` = next value plus coupling input and storing it."""
    cse, values = _cse_lines(list(model.expressions), _local_names(model), body)
    lines = [*cse, *(f"{body}n{v} = {value} + U{v}[b]" for v, value in enumerate(values))]
    return lines + [f"{body}X{v}[b] = n{v}" for v in range(model.n_state)]


def node_source(model: Model) -> str:
    """Source of ``node_update`` and ``node_tangent`` for node model ``model`` (see module)."""
    n, n_par = model.n_state, len(model.parameters)
    checks = " & ".join(f"(abs(n{v}) <= bound)" for v in range(n))
    lines = ["def node_update(X, P, U, rows, prow, c0, m, bound, ok):"]
    # one column (a single trajectory): blocks of BLOCK nodes gathered into rows of T (state,
    # coupling input, parameters), so that the loop over the nodes of a block vectorises
    body = " " * 12
    lines += [
        "    if m == 1:",
        "        good = True",
        f"        T = np.empty(({2 * n + n_par}, BLOCK))",
    ]
    lines += [f"        for k0 in range(0, rows.shape[0] // {n}, BLOCK):"]
    lines += [
        f"            kn = min(BLOCK, rows.shape[0] // {n} - k0)",
        "            for t in range(kn):",
    ]
    inner = " " * 16
    lines += [f"{inner}k = k0 + t"]
    lines += _node_rows(model, inner)
    lines += [f"{inner}T[{v}, t] = X[r{v}, c0]" for v in range(n)]
    lines += [f"{inner}T[{n + v}, t] = U[r{v}, 0]" for v in range(n)]
    lines += [f"{inner}T[{2 * n + q}, t] = P[q{q}, c0]" for q in range(n_par)]
    lines += [f"{body}X{v} = T[{v}, :kn]" for v in range(n)]
    lines += [f"{body}U{v} = T[{n + v}, :kn]" for v in range(n)]
    lines += [f"{body}P{q} = T[{2 * n + q}, :kn]" for q in range(n_par)]
    lines += [f"{body}for b in range(kn):"]
    lines += [f"{inner}s_{name} = X{v}[b]" for v, name in enumerate(model.state_names)]
    lines += [f"{inner}p_{name} = P{q}[b]" for q, name in enumerate(model.parameter_names)]
    lines += _step_lines(model, inner)
    lines += [f"{body}for t in range(kn):", f"{inner}k = k0 + t"]
    lines += [f"{inner}r{v} = rows[k * {n} + {v}]" for v in range(n)]
    lines += [f"{inner}n{v} = X{v}[t]" for v in range(n)]
    lines += [f"{inner}X[r{v}, c0] = n{v}" for v in range(n)]
    lines += [f"{inner}good = good & {checks}", "        ok[c0] = ok[c0] & good", "        return"]
    # several columns: rows taken as 1-D views, the loop over columns vectorises
    body = " " * 12
    lines += [f"    for k in range(rows.shape[0] // {n}):"]
    lines += _node_rows(model, " " * 8)
    lines += [f"        X{v} = X[r{v}, c0:c0 + m]" for v in range(n)]
    lines += [f"        U{v} = U[r{v}, :m]" for v in range(n)]
    lines += [f"        P{q} = P[q{q}, c0:c0 + m]" for q in range(n_par)]
    lines += ["        okb = ok[c0:c0 + m]", "        for b in range(m):"]
    lines += [f"{body}s_{name} = X{v}[b]" for v, name in enumerate(model.state_names)]
    lines += [f"{body}p_{name} = P{q}[b]" for q, name in enumerate(model.parameter_names)]
    lines += _step_lines(model, body)
    lines += [f"{body}okb[b] = okb[b] & {checks}", ""]

    body = " " * 8
    lines += ["def node_tangent(X, P, i, rows, prow, Q, TQ):"]
    lines += [f"    for k in range(rows.shape[0] // {n}):"]
    lines += _node_rows(model, body)
    lines += _node_reads(model, "i", body)
    jac = list(model.jacobian_expressions)
    entries = [(r, c) for r in range(n) for c in range(n) if jac[r * n + c] != 0]
    cse, values = _cse_lines([jac[r * n + c] for r, c in entries], _local_names(model), body)
    lines += cse
    lines += [f"{body}j{r}_{c} = {v}" for (r, c), v in zip(entries, values, strict=True)]
    lines += [f"{body}for c in range(Q.shape[1]):"]
    for r in range(n):
        terms = [f"j{r}_{c} * Q[r{c}, c]" for rr, c in entries if rr == r]
        lines.append(f"{body}    TQ[r{r}, c] = {' + '.join(terms) if terms else '0.0'}")
    return "\n".join([*lines, ""])


def network_source(n_types: int) -> str:
    """Source of ``make(coupling_input, coupling_tangent, field, node_update_0,
    node_tangent_0, ...)``, which returns the network's ``advance`` and ``tangent`` over
    ``n_types`` node models as closures over the functions it is given (see the module
    docstring)."""
    first = len(CouplingOperator._fields)
    nodes = [
        f"field(plan, {first + 2 * t}), field(plan, {first + 2 * t + 1})" for t in range(n_types)
    ]
    functions = "".join(f", node_update_{t}, node_tangent_{t}" for t in range(n_types))
    lines = [
        "import numpy as np",
        "",
        "",
        f"def make(coupling_input, coupling_tangent, field{functions}):",
        "    def advance(X, P, lo, hi, n, bound, ok, plan):",
        f"        width = min({WIDTH}, hi - lo)",
        "        U = np.empty((X.shape[0], width))",
        "        G = np.empty((plan[10] - plan[9], width))",
        "        H = np.empty((2, width))",
        f"        for c0 in range(lo, hi, {WIDTH}):",
        f"            m = min({WIDTH}, hi - c0)",
        "            for _ in range(n):",
        "                coupling_input(X, P, c0, m, U, G, H, plan)",
    ]
    lines += [
        f"                node_update_{t}(X, P, U, {rows}, c0, m, bound, ok)"
        for t, rows in enumerate(nodes)
    ]
    lines += ["", "    def tangent(X, P, i, Q, TQ, plan):"]
    lines += [f"        node_tangent_{t}(X, P, i, {rows}, Q, TQ)" for t, rows in enumerate(nodes)]
    lines += ["        coupling_tangent(X, P, i, Q, TQ, plan)", ""]
    lines += ["    return advance, tangent", ""]
    return "\n".join(lines)


_NODES: dict[str, dict[str, object]] = {}
_NETWORKS: dict[tuple, dict[str, object]] = {}


def _node_functions(model: Model) -> dict[str, object]:
    source = node_source(model)
    if source not in _NODES:
        namespace: dict[str, object] = {"math": math, "np": np, "vexp": vexp, "BLOCK": BLOCK}
        exec(compile(source, f"<neurodyn node {model.name}>", "exec"), namespace)  # noqa: S102
        _NODES[source] = {
            name: stable_jit(source, name, cache=False, error_model="numpy")(namespace[name])
            for name in ("node_update", "node_tangent")
        }
    return _NODES[source]


def compile_network(node_models: tuple[Model, ...]) -> tuple[object, object]:
    """The jit-compiled ``(advance, tangent)`` of a network whose node models are
    ``node_models`` (in the order of ``plan.nodes``); cached per tuple of node models.

    Both are cached on disk by numba: their source is a file of the generated-source cache
    (:func:`~neurodyn.models.codegen.source_file`) named by a digest of its text and of this
    module, and the node functions they call are closure variables, whose code is part of
    numba's cache key. A process that finds both caches loads them without compiling."""
    functions = [_node_functions(m) for m in node_models]
    key = tuple(f["node_update"]._uuid for f in functions)
    if key not in _NETWORKS:
        source = network_source(len(node_models))
        digest = hashlib.sha256(source.encode() + _module_digest()).hexdigest()[:40]
        path, source = source_file(f"network_{digest}.py", lambda: source)
        namespace: dict[str, object] = {"__name__": __name__}  # numba's cache imports it
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
        nodes = [f[name] for f in functions for name in ("node_update", "node_tangent")]
        made = namespace["make"](coupling_input, coupling_tangent, _field, *nodes)
        _NETWORKS[key] = {
            name: stable_jit(source, *key, name, cache=path.is_file(), error_model="numpy")(
                function
            )
            for name, function in zip(("advance", "tangent"), made, strict=True)
        }
    return _NETWORKS[key]["advance"], _NETWORKS[key]["tangent"]


@cache
def _module_digest() -> bytes:
    """This module's code (the coupling kernels the network kernels call)."""
    return hashlib.sha256(Path(__file__).read_bytes()).digest()
