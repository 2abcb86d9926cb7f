"""Hyper-parameter grids of echo state networks in one batched run: spectral radius x leak rate
x input scaling x ridge, one-step NRMSE per grid point.

This is how reservoir users tune an ESN (Lukoševičius, "A practical guide to applying echo
state networks", 2012: spectral radius, input scaling and leak rate first, then the ridge), and
it is organised so that nothing is computed twice:

* the random matrices are drawn, and the recurrent matrix scaled to spectral radius 1, once
  (an :class:`~neurodyn.reservoir.ESN` with that seed); every grid point's network is that
  draw with its values multiplied by the point's spectral radius and input scaling -- the ESN
  with those hyper-parameters, up to one rounding of each recurrent weight (the ESN scales by
  ``rho / radius`` in one product);
* the reservoirs of all (spectral radius, leak rate, input scaling) points are driven together
  through the series, in parallel over points (:func:`_harvest_grid`, the ESN's own update
  kernel per point);
* per point, the training features are centred and their Gram matrix formed once, and every
  ridge value is solved from it (:func:`~neurodyn.reservoir.readout.ridge_path`); points are
  solved in parallel on numba's thread count, each with single-threaded BLAS. (Measured here on
  2 shared cores: letting the two OpenBLAS copies that numpy and scipy load each run 2 threads
  on these small matrices made the solves 8-15 times slower, their idle threads spinning
  against each other.)

Protocol (the open-loop part of :func:`~neurodyn.reservoir.sweep.reservoir_sweep`): the task's
series of ``n_train + 1 + n_test`` rows drives the reservoir from the zero state; the readout is
fitted on one-step pairs of the first ``n_train + 1`` rows after ``transient`` rows; ``nrmse`` is
the one-step forecast error on the last ``n_test`` rows (teacher forced, continuing from the
training state), RMSE over the standard deviation of those rows (all columns pooled). The
numbers equal a loop of ``ESN(...).fit`` and :func:`~neurodyn.forecasting.rollout` over the same
grid (checked in the tests).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numba
import numpy as np
from numba import njit, prange
from threadpoolctl import threadpool_limits

from ..forecasting import nrmse
from ..provenance import provenance
from ..run_lengths import renamed_keywords
from . import kernels
from .esn import ESN
from .readout import ridge_path
from .sweep import TASKS, _series

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["ridge_grid"]


@njit(cache=True, parallel=True)
def _harvest_grid(net, w_val, in_val, alpha, beta, U, out):
    """Drive point ``c``'s network -- ``net`` with recurrent values ``w_val[c]``, input values
    ``in_val[c]``, leak ``alpha[c]``, ``beta[c]`` -- from the zero state through ``U``; its
    states go to ``out[c]`` (T, units). Points run in parallel, each with the ESN's kernel."""
    for c in prange(out.shape[0]):
        point = kernels.Network(
            net.w_ptr, net.w_idx, w_val[c], net.in_ptr, net.in_idx, in_val[c],
            net.inter_ptr, net.inter_idx, net.inter_val, net.fb_ptr, net.fb_idx, net.fb_val,
            net.bias, alpha[c], beta[c], net.perm, net.bounds, net.linear,
        )
        kernels.harvest(point, np.zeros(out.shape[2]), U, np.zeros((U.shape[0], 0)), out[c])


def _axis(name: str, values: Sequence[float], positive: bool = True) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a non-empty list of finite numbers, got {values!r}")
    if positive and not np.all(array > 0):
        raise ValueError(f"{name} values must be > 0, got {values!r}")
    return array


@renamed_keywords(warmup="transient")
def ridge_grid(
    spectral_radius: Sequence[float],
    leak_rate: Sequence[float],
    input_scaling: Sequence[float],
    ridge: Sequence[float],
    *,
    units: int = 500,
    seed: int = 0,
    task: str = "mackey_glass",
    n_train: int = 1600,
    n_test: int = 400,
    transient: int = 100,
    connectivity: float = 0.1,
    input_connectivity: float = 0.1,
    group: int = 16,
) -> xr.Dataset:
    """One-step NRMSE over ``spectral_radius x leak_rate x input_scaling x ridge`` (see the
    module docstring for the protocol and how the work is shared).

    ``group``: grid points harvested together (memory: ``group * (n_train + n_test) * units``
    floats). Returns a Dataset with dims ``(spectral_radius, leak_rate, input_scaling,
    ridge)``, variable ``nrmse`` and attrs stating the task, protocol and provenance; write it
    with :func:`neurodyn.store.write_dataset`.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    axes = {
        "spectral_radius": _axis("spectral_radius", spectral_radius),
        "leak_rate": _axis("leak_rate", leak_rate),
        "input_scaling": _axis("input_scaling", input_scaling, positive=False),
        "ridge": _axis("ridge", ridge, positive=False),
    }
    if np.any(axes["leak_rate"] > 1) or np.any(axes["ridge"] < 0):
        raise ValueError("leak_rate values must be in (0, 1] and ridge values >= 0")
    if not 0 <= transient < n_train:
        raise ValueError(f"transient must be in [0, {n_train - 1}], got {transient}")
    data = _series(task, n_train + 1 + n_test)
    inputs = np.ascontiguousarray(data[:-1])
    base = ESN(units=units, seed=seed, spectral_radius=1.0, input_scaling=1.0,
               connectivity=connectivity, input_connectivity=input_connectivity)
    base._prepare(inputs.shape[1], inputs.shape[1])
    net = base.network
    points = list(itertools.product(axes["spectral_radius"], axes["leak_rate"],
                                    axes["input_scaling"]))
    error = np.empty((len(points), axes["ridge"].size))
    truth = data[n_train + 1 :]

    def solve(point: int, states: np.ndarray) -> None:
        solutions = ridge_path(states[transient:n_train], data[transient + 1 : n_train + 1],
                               axes["ridge"], overwrite_features=True)
        for r, (weights, bias) in enumerate(solutions):
            error[point, r] = nrmse(states[n_train:] @ weights + bias, truth)

    workers = numba.get_num_threads()
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        for start in range(0, len(points), group):
            chunk = points[start : start + group]
            w_val = np.array([net.w_val * rho for rho, _, _ in chunk])
            in_val = np.array([net.in_val * scaling for _, _, scaling in chunk])
            alpha = np.array([np.full(units, 1.0 - leak) for _, leak, _ in chunk])
            beta = np.array([np.full(units, leak) for _, leak, _ in chunk])
            states = np.empty((len(chunk), len(inputs), units))
            _harvest_grid(net, w_val, in_val, alpha, beta, inputs, states)
            list(pool.map(solve, range(start, start + len(chunk)), states))
    shape = tuple(v.size for v in axes.values())
    import xarray as xr

    attrs = {
        "task": task,
        "sample_dt": TASKS[task][0],
        "units": int(units),
        "seed": int(seed),
        "connectivity": float(connectivity),
        "input_connectivity": float(input_connectivity),
        "n_train": int(n_train),
        "n_test": int(n_test),
        "transient": int(transient),
        "nrmse_convention": "RMSE / std(truth), all columns pooled",
        "protocol": "ridge readout on one-step pairs after transient; teacher-forced one-step "
        "forecasts of the test rows continue from the state reached on the training rows",
        **{k: json.dumps(v) if isinstance(v, dict) else v for k, v in provenance().items()},
    }
    variables = {"nrmse": (tuple(axes), error.reshape(shape),
                           {"long_name": "open-loop one-step NRMSE on the test rows"})}
    return xr.Dataset(variables, coords={k: (k, v) for k, v in axes.items()}, attrs=attrs)
