"""numba kernels of echo state networks: the state update, state harvesting (teacher forced),
closed-loop generation and recursive least squares.

The network is a :class:`Network` (a named tuple of arrays). Its state ``z`` concatenates the
layers; layer ``l`` holds rows ``bounds[l]:bounds[l + 1]``. One update with input ``u`` (``d``
values) and fed-back output ``y``:

``a_i = (b_i + sum_k Win_ik u_k) + sum_j W_ij z_j + sum_j L_ij z'_j + sum_m Wfb_im y_m``,
``z'_i = alpha_i z_{perm_i} + beta_i f(a_i)``

``W`` (recurrent), ``L`` (inter-layer: it reads the *updated* state, so a layer is driven by
the layer below it at the same time step) and ``Wfb`` (feedback) are CSR triples; ``Win`` is
stored by input column (CSC), so that the input, which reaches few units, is scattered onto
the bias once per step instead of visiting every row. ``f = tanh`` or the identity.
``alpha = 1 - leak``, ``beta = leak`` and ``perm = identity`` (stored as an empty array, so
that the leak needs no gather) give the leaky ESN; a cyclic ``perm`` gives the residual ESN
with a cyclic orthogonal branch. Every unit's sum is
accumulated in an order fixed by the network (terms in the order above, each product in the
order of :func:`row_dot`): the same inputs give the same bits.

The recurrent product is always a CSR product: at the densities reservoirs use (connectivity
<= 0.1 in the usual set-ups) it reads 10 bytes per non-zero (uint16 index, float64 value)
against 8 bytes per entry for a dense row, and measured here it stays ahead of a dense row dot
up to a density of about 0.3. The kernels run on one thread: a step splits into independent
rows, but a parallel region per step (one barrier per step) on the two shared cores here was
1.6-10 times slower with numba's workqueue layer, and with OpenMP busy-waiting 1.6 times
faster at N = 2000 and no faster at N = 500; sweeps parallelise over configurations instead.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from numba import njit

from ..models.vecmath import vexp

__all__ = [
    "Network", "autonomous", "csr_arrays", "csr_matvec", "harvest", "readout_features", "rls",
    "row_dot",
]


class Network(NamedTuple):
    """Arrays of an echo state network (see the module docstring)."""

    w_ptr: np.ndarray
    w_idx: np.ndarray
    w_val: np.ndarray
    in_ptr: np.ndarray
    in_idx: np.ndarray
    in_val: np.ndarray
    inter_ptr: np.ndarray
    inter_idx: np.ndarray
    inter_val: np.ndarray
    fb_ptr: np.ndarray
    fb_idx: np.ndarray
    fb_val: np.ndarray
    bias: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    perm: np.ndarray
    bounds: np.ndarray
    linear: bool


def csr_arrays(matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(indptr, indices, data)`` of a scipy sparse matrix in the kernels' types: int32
    row pointers, sorted column indices in the narrowest unsigned type that holds them (uint16
    up to 65536 columns: two bytes per non-zero read instead of four, which the gathers of
    :func:`row_dot` feel) and float64 values."""
    matrix = sp.csr_array(matrix)
    matrix.sort_indices()
    narrow = np.uint16 if matrix.shape[1] <= 1 << 16 else np.uint32
    return (
        matrix.indptr.astype(np.int32),
        matrix.indices.astype(narrow),
        matrix.data.astype(np.float64),
    )


# tanh of Cephes (S. L. Moshier): x + x^3 P(x^2)/Q(x^2) for |x| < 0.625, else
# sign(x) (1 - 2 / (exp(2|x|) + 1)); exp(40) makes the second form exactly 1
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)


@njit(cache=True, inline="always", error_model="numpy")
def _tanh(x):
    """tanh in float64 from arithmetic and :func:`~neurodyn.models.vecmath.vexp` only, so a
    loop calling it vectorises (libm's ``tanh`` is a scalar call of about 30 ns here); relative
    error within a few 1e-16 of ``numpy.tanh`` (checked in the tests). Branch free: both forms
    are computed and one is selected, so vector and scalar iterations give the same bits.
    Callers compile with ``error_model="numpy"``: a division check would stop vectorisation."""
    s = x * x
    p = (_TANH_P[0] * s + _TANH_P[1]) * s + _TANH_P[2]
    q = ((s + _TANH_Q[0]) * s + _TANH_Q[1]) * s + _TANH_Q[2]
    small = x + x * s * (p / q)
    ax = abs(x)
    big = 1.0 - 2.0 / (vexp(min(2.0 * ax, 40.0)) + 1.0)
    big = big if x >= 0.0 else -big
    y = small if ax < 0.625 else big
    return y if ax > 0.0 else x  # x itself for +-0 (keeps the sign) and NaN


@njit(cache=True, inline="always")
def row_dot(ptr, idx, val, x, i):
    """``sum_k val[k] x[idx[k]]`` over row ``i`` of a CSR matrix, in four interleaved partial
    sums (entries ``0, 1, 2, 3 (mod 4)`` of the row; the remainder goes to the first), added as
    ``(s0 + s1) + (s2 + s3)``. The partial sums break the chain of dependent additions and the
    row slices spare the negative-index checks; the order depends on the row alone."""
    v = val[ptr[i] : ptr[i + 1]]
    c = idx[ptr[i] : ptr[i + 1]]
    m = v.shape[0]
    q = m - m % 4
    s0 = s1 = s2 = s3 = 0.0
    for k in range(0, q, 4):
        s0 += v[k] * x[c[k]]
        s1 += v[k + 1] * x[c[k + 1]]
        s2 += v[k + 2] * x[c[k + 2]]
        s3 += v[k + 3] * x[c[k + 3]]
    for k in range(q, m):
        s0 += v[k] * x[c[k]]
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def csr_matvec(ptr, idx, val, x, y):
    """``y = A x`` for the CSR matrix ``(ptr, idx, val)``, row by row with :func:`row_dot`
    (the recurrent product of the update; used for the spectral radius)."""
    for i in range(y.shape[0]):
        y[i] = row_dot(ptr, idx, val, x, i)


@njit(cache=True, error_model="numpy")
def _update(net, z, znew, u, y, a):
    """One step from ``z`` into ``znew``; ``a`` is scratch for the pre-activations. The bias
    and the input first (input column by column), then layer by layer every unit's products
    (scalar, gathers; the inter-layer and feedback ones only when the network has them),
    then the activation and the leak over the layer's rows (loops that vectorise)."""
    a[:] = net.bias
    for k in range(u.shape[0]):
        uk = u[k]
        for e in range(net.in_ptr[k], net.in_ptr[k + 1]):
            a[net.in_idx[e]] += net.in_val[e] * uk
    inter, feedback = net.inter_val.shape[0] > 0, net.fb_val.shape[0] > 0
    for layer in range(net.bounds.shape[0] - 1):
        lo, hi = net.bounds[layer], net.bounds[layer + 1]
        for i in range(lo, hi):
            a[i] += row_dot(net.w_ptr, net.w_idx, net.w_val, z, i)
        if inter:
            for i in range(lo, hi):
                a[i] += row_dot(net.inter_ptr, net.inter_idx, net.inter_val, znew, i)
        if feedback:
            for i in range(lo, hi):
                a[i] += row_dot(net.fb_ptr, net.fb_idx, net.fb_val, y, i)
        # slices: indices from 0 need no negative-index check, which would stop vectorisation
        f, alpha, beta, out = a[lo:hi], net.alpha[lo:hi], net.beta[lo:hi], znew[lo:hi]
        if not net.linear:
            for i in range(f.shape[0]):
                f[i] = _tanh(f[i])
        if net.perm.shape[0] > 0:
            perm = net.perm[lo:hi]
            for i in range(f.shape[0]):
                out[i] = alpha[i] * z[perm[i]] + beta[i] * f[i]
        else:
            previous = z[lo:hi]
            for i in range(f.shape[0]):
                out[i] = alpha[i] * previous[i] + beta[i] * f[i]


@njit(cache=True)
def harvest(net, z, U, Y, out):
    """Drive the network from state ``z`` (updated in place) with inputs ``U[t]`` and fed-back
    outputs ``Y[t]`` (``Y`` may have zero columns); write the state after step ``t`` to
    ``out[t]``. Each step reads the previous row of ``out`` and writes its own (no copies)."""
    a = np.empty_like(z)
    previous = z
    for t in range(U.shape[0]):
        _update(net, previous, out[t], U[t], Y[t], a)
        previous = out[t]
    z[:] = previous


@njit(cache=True)
def readout_features(z, u, squared, with_input, f):
    """Readout features: the state (units with even index squared when ``squared``, as in
    Pathak et al. 2018), followed by the input when ``with_input``."""
    n = z.shape[0]
    for i in range(n):
        f[i] = z[i] * z[i] if squared and i % 2 == 0 else z[i]
    if with_input:
        for k in range(u.shape[0]):
            f[n + k] = u[k]


@njit(cache=True)
def autonomous(net, z, u, w_out, b_out, squared, with_input, feedback, out):
    """Closed loop from state ``z`` reached after input ``u``: ``out[t]`` is the readout, which
    becomes the next input (and fed-back output when ``feedback``)."""
    n_features, d_out = w_out.shape
    f = np.empty(n_features)
    znew = np.empty_like(z)
    y = np.empty(d_out)
    empty = np.empty(0)
    a = np.empty_like(z)
    for t in range(out.shape[0]):
        readout_features(z, u, squared, with_input, f)
        for m in range(d_out):
            acc = b_out[m]
            for k in range(n_features):
                acc += f[k] * w_out[k, m]
            y[m] = acc
        out[t] = y
        if t + 1 < out.shape[0]:
            _update(net, z, znew, y, y if feedback else empty, a)
            z[:] = znew
            u = y.copy()


@njit(cache=True)
def rls(net, z, U, Y, P, w_out, squared, with_input, force, errors):
    """Recursive least squares on the readout while the network runs (Sussillo & Abbott,
    Neuron 63, 544-557, 2009). Features carry a constant 1 as their last entry (the bias row of
    ``w_out``). At step ``t`` the network takes ``U[t]`` and, as fed-back output, the teacher
    ``Y[t - 1]`` or, when ``force``, its own current output (FORCE learning); then
    ``k = P f``, ``P -= k k^T / (1 + f^T k)``, ``w_out -= k e^T / (1 + f^T k)`` with the a
    priori error ``e = w_out^T f - Y[t]``, written to ``errors[t]``."""
    n_features, d_out = w_out.shape
    f = np.zeros(n_features)
    f[n_features - 1] = 1.0
    k = np.empty(n_features)
    znew = np.empty_like(z)
    y_prev = np.zeros(d_out)
    a = np.empty_like(z)
    for t in range(U.shape[0]):
        _update(net, z, znew, U[t], y_prev, a)
        z[:] = znew
        readout_features(z, U[t], squared, with_input, f)
        for i in range(n_features):
            acc = 0.0
            for j in range(n_features):
                acc += P[i, j] * f[j]
            k[i] = acc
        denominator = 1.0
        for i in range(n_features):
            denominator += f[i] * k[i]
        c = 1.0 / denominator
        for m in range(d_out):
            acc = 0.0
            for i in range(n_features):
                acc += w_out[i, m] * f[i]
            e = acc - Y[t, m]
            errors[t, m] = e
            for i in range(n_features):
                w_out[i, m] -= c * e * k[i]
            y_prev[m] = acc if force else Y[t, m]
        for i in range(n_features):
            for j in range(n_features):
                P[i, j] -= c * k[i] * k[j]
