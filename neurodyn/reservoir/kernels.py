"""numba kernels of echo state networks: the state update, state harvesting (teacher forced),
closed-loop generation and recursive least squares.

The network is a :class:`Network` (a named tuple of arrays, one CSR triple per matrix). Its
state ``z`` concatenates the layers; layer ``l`` holds rows ``bounds[l]:bounds[l + 1]``. One
update with input ``u`` (``d`` values) and fed-back output ``y``:

``a_i = sum_j W_ij z_j + sum_k Win_ik v_k + sum_m Wfb_im y_m + b_i``,
``z'_i = alpha_i z_{perm_i} + beta_i f(a_i)``

with ``v = (u, z')`` (column ``k < d`` of ``Win`` reads the input, column ``d + j`` reads
unit ``j`` of the *updated* state, so a layer is driven by the layer below it at the same time
step), and ``f = tanh`` or the identity. ``alpha = 1 - leak``, ``beta = leak`` and
``perm = identity`` give the leaky ESN; a cyclic ``perm`` gives the residual ESN with a cyclic
orthogonal branch. Rows are updated in order, so every unit's sum is accumulated in the same
order on every run: the same inputs give the same bits.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["Network", "autonomous", "harvest", "readout_features", "rls"]


class Network(NamedTuple):
    """Arrays of an echo state network (see the module docstring)."""

    w_ptr: np.ndarray
    w_idx: np.ndarray
    w_val: np.ndarray
    in_ptr: np.ndarray
    in_idx: np.ndarray
    in_val: np.ndarray
    fb_ptr: np.ndarray
    fb_idx: np.ndarray
    fb_val: np.ndarray
    bias: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    perm: np.ndarray
    bounds: np.ndarray
    linear: bool


@njit(cache=True)
def _update(net, z, znew, u, y):
    d = u.shape[0]
    w_ptr, w_idx, w_val = net.w_ptr, net.w_idx, net.w_val
    for i in range(z.shape[0]):
        a = net.bias[i]
        for k in range(w_ptr[i], w_ptr[i + 1]):
            a += w_val[k] * z[w_idx[k]]
        for k in range(net.in_ptr[i], net.in_ptr[i + 1]):
            c = net.in_idx[k]
            a += net.in_val[k] * (u[c] if c < d else znew[c - d])
        for k in range(net.fb_ptr[i], net.fb_ptr[i + 1]):
            a += net.fb_val[k] * y[net.fb_idx[k]]
        f = a if net.linear else math.tanh(a)
        znew[i] = net.alpha[i] * z[net.perm[i]] + net.beta[i] * f


@njit(cache=True)
def harvest(net, z, U, Y, out):
    """Drive the network from state ``z`` (updated in place) with inputs ``U[t]`` and fed-back
    outputs ``Y[t]`` (``Y`` may have zero columns); write the state after step ``t`` to
    ``out[t]``."""
    znew = np.empty_like(z)
    for t in range(U.shape[0]):
        _update(net, z, znew, U[t], Y[t])
        z[:] = znew
        out[t] = z


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
    for t in range(out.shape[0]):
        readout_features(z, u, squared, with_input, f)
        for m in range(d_out):
            acc = b_out[m]
            for k in range(n_features):
                acc += f[k] * w_out[k, m]
            y[m] = acc
        out[t] = y
        if t + 1 < out.shape[0]:
            _update(net, z, znew, y, y if feedback else empty)
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
    for t in range(U.shape[0]):
        _update(net, z, znew, U[t], y_prev)
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
