"""Counter-based Gaussian noise, the Euler–Maruyama / stochastic Heun steps of flows and the
noisy, driven step of maps.

Random numbers come from Philox4x64-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers:
as easy as 1, 2, 3", SC'11), a counter-based generator: the 256 random bits of one call are a
pure function of a 128-bit key and a 256-bit counter. neurodyn keys it with the seed and counts
with the (step, point, block, ic) that needs the numbers, so the noise a point sees at a step
does not depend on how a batch is split into chunks, blocks, threads or jobs, nor on what else
runs. The implementation equals numpy's :class:`numpy.random.Philox` bit for bit (tested), and
:mod:`neurodyn.backends.torch_noise` draws the same bits in torch.

Layout of one call: ``key = (seed, stream)``; ``counter = (step, point, block, ic)``. Its four
64-bit outputs give four standard normals by the Box–Muller transform (two pairs), for noise
channels ``4 * block .. 4 * block + 3`` of that point at that step. ``point`` is the index of a
trajectory's row or a sweep's global grid point, ``ic`` a sweep's initial state (0 otherwise).
``stream`` separates independent uses of one seed (for instance the noise of an SDE and of its
initial states).

Stochastic integration of ``dX = f(X) dt + g dW`` with additive noise (``g`` a per-variable
amplitude, ``dW ~ N(0, dt)``):

* ``euler`` (Euler–Maruyama): ``X' = X + dt f(X) + g sqrt(dt) xi``;
* ``heun`` (stochastic Heun, as in The Virtual Brain's HeunStochastic, strong order 1 for
  additive noise): ``Y = X + dt f(X) + g sqrt(dt) xi``, ``X' = X + dt/2 (f(X) + f(Y)) + g
  sqrt(dt) xi``, the same ``xi`` in both stages.

Maps take noise per iteration: ``X' = f(X; P + h xi_P) + g xi_X + u_n``, additive state noise
``g``, parameter (multiplicative) noise ``h`` redrawn at every iteration, and an external input
``u_n`` (constant, pulse train or any series); see :func:`sde_kernel` (trajectories) and
:func:`drive_step` (sweeps; the specification: :mod:`.drive`).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from numba import njit, prange, uint64

from .jit import stable_jit

__all__ = [
    "NOISE_INTEGRATORS",
    "drive_step",
    "fill_normals",
    "gaussians",
    "philox4x64",
    "sde_kernel",
    "seed64",
    "standard_normal",
]

NOISE_INTEGRATORS = ("euler", "heun", "map")
"""Steps with a stochastic version: the flows' Euler–Maruyama and stochastic Heun, and the
noisy map step (see :func:`sde_kernel`)."""

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT32 = np.uint64(32)
_TWO_PI = 2.0 * math.pi
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always", cache=True)
def _mulhilo(a, b):
    """The high and low 64-bit halves of the 128-bit product a * b (unsigned)."""
    a_lo = a & _MASK32
    a_hi = a >> _SHIFT32
    b_lo = b & _MASK32
    b_hi = b >> _SHIFT32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> _SHIFT32) + (hi_lo & _MASK32) + lo_hi
    hi = hi_hi + (hi_lo >> _SHIFT32) + (cross >> _SHIFT32)
    return hi, a * b


@njit(cache=True)
def philox4x64(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 of the counter ``(c0, c1, c2, c3)`` under the key ``(k0, k1)`` (uint64)."""
    c0 = uint64(c0)
    c1 = uint64(c1)
    c2 = uint64(c2)
    c3 = uint64(c3)
    k0 = uint64(k0)
    k1 = uint64(k1)
    for r in range(10):
        if r > 0:
            k0 = k0 + _W0
            k1 = k1 + _W1
        hi0, lo0 = _mulhilo(_M0, c0)
        hi1, lo1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@njit(inline="always", cache=True)
def _unit_open(bits):
    """A double in (0, 1] from the top 53 bits."""
    return (float(bits >> uint64(11)) + 1.0) * _TO_UNIT


@njit(inline="always", cache=True)
def _unit(bits):
    """A double in [0, 1) from the top 53 bits."""
    return float(bits >> uint64(11)) * _TO_UNIT


@njit(cache=True)
def gaussians(seed, stream, step, point, block, ic, out):
    """Four standard normals for ``(step, point, block, ic)`` under ``(seed, stream)``, into
    ``out[0:4]`` (Box–Muller on the four outputs of one Philox call)."""
    r0, r1, r2, r3 = philox4x64(step, point, block, ic, seed, stream)
    rad = math.sqrt(-2.0 * math.log(_unit_open(r0)))
    angle = _TWO_PI * _unit(r1)
    out[0] = rad * math.cos(angle)
    out[1] = rad * math.sin(angle)
    rad = math.sqrt(-2.0 * math.log(_unit_open(r2)))
    angle = _TWO_PI * _unit(r3)
    out[2] = rad * math.cos(angle)
    out[3] = rad * math.sin(angle)


@njit(cache=True)
def fill_normals(seed, stream, step, point, ic, out):
    """Standard normals for channels ``0 .. len(out) - 1`` of ``(point, ic)`` at ``step``."""
    four = np.empty(4)
    n = out.shape[0]
    for block in range((n + 3) // 4):
        gaussians(seed, stream, step, point, uint64(block), ic, four)
        for lane in range(4):
            channel = 4 * block + lane
            if channel < n:
                out[channel] = four[lane]


def standard_normal(
    seed: int, shape: tuple[int, ...], *, step: int = 0, stream: int = 0
) -> np.ndarray:
    """Standard normals of shape ``(points, channels)`` (or ``(points,)``): row ``i`` holds the
    numbers of point ``i`` at ``step`` -- the same numbers the SDE kernels draw, so that a point's
    noise can be regenerated alone."""
    shape = tuple(int(s) for s in shape)
    points, channels = (shape[0], 1) if len(shape) == 1 else shape
    out = np.empty((points, channels))
    _normals_grid(seed64(seed), np.uint64(stream), np.uint64(step), out)
    return out.reshape(shape)


@njit(cache=True)
def _normals_grid(seed, stream, step, out):
    for i in range(out.shape[0]):
        fill_normals(seed, stream, step, uint64(i), uint64(0), out[i])


def seed64(seed: int) -> np.uint64:
    """``seed`` as the uint64 key of the noise streams; ValueError unless an integer in
    [0, 2**64)."""
    if isinstance(seed, bool | np.bool_) or int(seed) != seed or not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), not {seed!r}")
    return np.uint64(int(seed))


@cache
def sde_kernel(rhs, integrator: str):
    """``kernel(X, P, G, H, U, seed, stream, first_step, steps, every, transient, dt_row, index0,
    out, bound, ok)`` advancing every column of ``X`` in parallel with noise and input.

    ``rhs`` is a generated :func:`~neurodyn.models.codegen` ``rhs``; ``G`` (n_state, batch) the
    additive noise amplitudes. For a flow (``integrator`` ``euler`` or ``heun``) the step
    integrates ``dX = f dt + G dW``. For a map (``integrator`` ``"map"``) the step is

        X' = f(X; P + H ξ_P) + G ξ_X + U_t,

    with ``H`` (n_param, batch) the amplitudes of parameter (multiplicative) noise, redrawn every
    iteration, and ``U`` (T, n_state, 1 or batch) an external input added at iteration t
    (``T`` = 0: none; otherwise ``T`` = ``steps``). ``ξ_X`` are noise channels 0..n_state-1 and
    ``ξ_P`` channels n_state.. of the same draws, so adding parameter noise leaves the state
    noise unchanged. Flows take no ``H`` or ``U`` (pass zeros and an empty ``U``).

    Column ``i`` draws its noise as point ``index0 + i`` at steps ``first_step + 1, ...``.
    After the ``transient`` steps, every ``every``-th state is written to ``out``
    (n_out, n_state, batch). ``ok`` turns False when a state leaves ``[-bound, bound]`` or is
    not finite; such a column stops being advanced.
    """
    if integrator not in NOISE_INTEGRATORS:
        raise ValueError(
            f"integrator {integrator!r} has no stochastic version "
            f"(available: {', '.join(NOISE_INTEGRATORS)})"
        )
    heun = integrator == "heun"
    is_map = integrator == "map"

    @njit(parallel=True)
    def kernel(
        X,
        P,
        G,
        H,
        U,
        seed,
        stream,
        first_step,
        steps,
        every,
        transient,
        dt_row,
        index0,
        out,
        bound,
        ok,
    ):
        n, batch = X.shape
        n_param = P.shape[0]
        parameter_noise = False
        for r in range(n_param):
            for i in range(batch):
                if H[r, i] != 0.0:
                    parameter_noise = True
        n_channels = n + n_param if parameter_noise else n
        for i in prange(batch):
            x = X[:, i : i + 1].copy()
            p = P[:, i : i + 1].copy()
            k1 = np.empty_like(x)
            k2 = np.empty_like(x)
            y = np.empty_like(x)
            xi = np.empty(n_channels)
            dt = 1.0 if is_map else p[dt_row, 0]
            root = math.sqrt(dt)
            column = np.int64(i) if U.shape[2] > 1 else np.int64(0)
            slot = 0
            for t in range(steps):
                if not ok[i]:
                    break
                fill_normals(
                    seed, stream, uint64(first_step + t + 1), uint64(index0 + i), uint64(0), xi
                )
                if is_map:
                    if parameter_noise:
                        for r in range(n_param):
                            p[r, 0] = P[r, i] + H[r, i] * xi[n + r]
                    rhs(x, p, k1, 0, 1)
                    for r in range(n):
                        x[r, 0] = k1[r, 0] + G[r, i] * xi[r]
                    if U.shape[0] > 0:
                        for r in range(n):
                            x[r, 0] += U[t, r, column]
                else:
                    rhs(x, p, k1, 0, 1)
                    if heun:
                        for r in range(n):
                            y[r, 0] = x[r, 0] + dt * k1[r, 0] + G[r, i] * root * xi[r]
                        rhs(y, p, k2, 0, 1)
                        for r in range(n):
                            x[r, 0] = (
                                x[r, 0] + 0.5 * dt * (k1[r, 0] + k2[r, 0]) + G[r, i] * root * xi[r]
                            )
                    else:
                        for r in range(n):
                            x[r, 0] = x[r, 0] + dt * k1[r, 0] + G[r, i] * root * xi[r]
                for r in range(n):
                    if not abs(x[r, 0]) <= bound:
                        ok[i] = False
                done = t + 1
                if done > transient and (done - transient) % every == 0 and slot < out.shape[0]:
                    for r in range(n):
                        out[slot, r, i] = x[r, 0]
                    slot += 1
            for r in range(n):
                X[r, i] = x[r, 0]

    return kernel


@cache
def drive_step(rhs):
    """``step(X, P, lo, hi, first, n, bound, ok, drive)``: ``n`` noisy, driven map iterations
    of columns ``lo <= i < hi``, in place, after ``first`` iterations -- the step of
    :func:`sde_kernel` for a map, vectorised over a block of a sweep:

        X' = f(X; P + h ξ_P) + g ξ_X + A u_t,

    with ``drive`` a :class:`~.drive.Drive`: column ``i`` draws the normals of iteration
    ``first + t + 1`` as ``(drive.points[i], drive.ics[i])``; ``u_t`` is row ``first + t`` of
    ``drive.input_series`` (row 0 when it has one). ``ok[i]`` turns False when a new value is
    NaN, inf or past ``bound`` (the point keeps being iterated, as by the generated
    ``advance``). ``rhs`` is a generated map ``rhs``.
    """

    @stable_jit(rhs, "drive_step", inline="always")
    def step(X, P, lo, hi, first, n, bound, ok, drive):
        n_state = X.shape[0]
        n_param = P.shape[0]
        m = hi - lo
        G, H, A, U = (
            drive.state_noise,
            drive.parameter_noise,
            drive.input_amplitude,
            drive.input_series,
        )
        parameter_noise = False
        for r in range(n_param):
            for i in range(lo, hi):
                if H[r, i] != 0.0:
                    parameter_noise = True
        xi = np.empty(n_state + n_param if parameter_noise else n_state)
        kicks = np.empty((n_state, m))
        noisy = P[:, lo:hi].copy()
        nxt = np.empty((n_state, m))
        block = X[:, lo:hi]
        for t in range(n):
            count = uint64(first + t + 1)
            for j in range(m):
                i = lo + j
                fill_normals(drive.seed, drive.stream, count, drive.points[i], drive.ics[i], xi)
                for r in range(n_state):
                    kicks[r, j] = G[r, i] * xi[r]
                if parameter_noise:
                    for r in range(n_param):
                        noisy[r, j] = P[r, i] + H[r, i] * xi[n_state + r]
            rhs(block, noisy, nxt, 0, m)
            row = first + t if U.shape[0] > 1 else 0
            for r in range(n_state):
                u = U[row, r]
                for j in range(m):
                    value = nxt[r, j] + kicks[r, j] + A[r, lo + j] * u
                    block[r, j] = value
                    ok[lo + j] = ok[lo + j] & (abs(value) <= bound)

    return step
