"""Hyper-parameter sweeps of echo state networks: spectral radius x leak rate x size (x seed).

:func:`reservoir_sweep` is what the workflow's reservoir rule calls; each call is one job and
returns one Dataset, so a Snakemake rule can write one small store per job (for instance one
``units`` value per job) with :func:`neurodyn.store.write_dataset` and merge them afterwards.
Everything is deterministic in the seeds: the same arguments give the same numbers whatever the
split into jobs.

Protocol per grid point and seed: the task's series is split into ``n_train + 1`` training rows
and ``n_test`` test rows; the readout is fitted on one-step pairs of the training rows after
``transient`` rows; then, from the state reached on the training rows,

* ``nrmse``: open-loop one-step forecast of the test rows, RMSE divided by the standard
  deviation of the test rows (all columns pooled; :func:`neurodyn.forecasting.nrmse`);
* ``valid_time``: closed-loop forecast of the test rows, valid prediction time with threshold
  0.4 (:func:`neurodyn.forecasting.valid_prediction_time`), in Lyapunov times for
  ``lorenz63`` (lambda_1 = 0.906 per time unit) and in time units for ``mackey_glass``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..forecasting import nrmse, rollout, valid_prediction_time
from ..provenance import provenance
from ..run_lengths import renamed_keywords
from .base import forecasting_pairs
from .esn import ESN
from .tasks import LORENZ63_LYAPUNOV, lorenz63_series, mackey_glass_series

__all__ = ["TASKS", "reservoir_sweep"]

# task -> (sample step in time units, Lyapunov exponent per time unit or None, valid-time unit)
TASKS = {
    "mackey_glass": (1.0, None, "time unit"),
    "lorenz63": (0.02, LORENZ63_LYAPUNOV, "Lyapunov time (1 / 0.906 time units)"),
}


def _series(task: str, n_rows: int) -> np.ndarray:
    if task == "mackey_glass":
        return mackey_glass_series(n_rows)
    return lorenz63_series(n_rows, sample_dt=TASKS[task][0])


def _score(config: dict, data: np.ndarray, n_train: int, transient: int, task: str):
    inputs, targets = forecasting_pairs(data[: n_train + 1])
    esn = ESN(**config).fit(inputs, targets, transient=transient)
    history, test = data[: n_train + 1], data[n_train + 1 :]
    one_step = rollout(esn, history, len(test), drive=test)
    closed = rollout(esn, history, len(test))
    dt, exponent, _ = TASKS[task]
    return (
        nrmse(one_step, test),
        valid_prediction_time(closed, test, dt, exponent or 1.0),
    )


@renamed_keywords(warmup="transient")
def reservoir_sweep(
    spectral_radius: Sequence[float],
    leak_rate: Sequence[float],
    units: Sequence[int],
    *,
    task: str = "mackey_glass",
    seeds: Sequence[int] = (0,),
    n_train: int = 1600,
    n_test: int = 400,
    transient: int = 100,
    hyperparameters: dict | None = None,
) -> xr.Dataset:
    """NRMSE and valid time over ``spectral_radius x leak_rate x units x seed``.

    ``task``: "mackey_glass" or "lorenz63" (see the module docstring for the protocol).
    ``hyperparameters``: further :class:`~neurodyn.reservoir.ESNConfig` fields, the same at
    every point (default ridge 1e-5, input scaling 1, as in the Mackey–Glass anchor). Returns a
    Dataset with dims ``(units, spectral_radius, leak_rate, seed)``, variables ``nrmse`` and
    ``valid_time``, and attrs stating the task, protocol, conventions and provenance.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {sorted(TASKS)}, got {task!r}")
    fixed = {"ridge": 1e-5, **dict(hyperparameters or {})}
    for name in ("spectral_radius", "leak_rate", "units", "seed"):
        if name in fixed:
            raise ValueError(f"{name} is a sweep axis, not a fixed hyper-parameter")
    axes = {
        "units": np.asarray(units, dtype=np.int64),
        "spectral_radius": np.asarray(spectral_radius, dtype=float),
        "leak_rate": np.asarray(leak_rate, dtype=float),
        "seed": np.asarray(seeds, dtype=np.int64),
    }
    for name, values in axes.items():
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"{name} must be a non-empty list")
    data = _series(task, n_train + 1 + n_test)
    shape = tuple(v.size for v in axes.values())
    error, valid = np.full(shape, np.nan), np.full(shape, np.nan)
    for index in np.ndindex(shape):
        n, rho, leak, seed = (values[i] for values, i in zip(axes.values(), index, strict=True))
        config = {**fixed, "units": int(n), "spectral_radius": float(rho),
                  "leak_rate": float(leak), "seed": int(seed)}
        error[index], valid[index] = _score(config, data, n_train, transient, task)
    dims = tuple(axes)
    valid_unit = TASKS[task][2]
    variables = {
        "nrmse": (dims, error, {"long_name": "open-loop one-step NRMSE on the test rows",
                                "normaliser": "standard deviation of the test rows (pooled)"}),
        "valid_time": (dims, valid, {"long_name": "closed-loop valid prediction time",
                                     "units": valid_unit, "threshold": 0.4}),
    }
    attrs = {
        "task": task,
        "sample_dt": TASKS[task][0],
        "n_train": int(n_train),
        "n_test": int(n_test),
        "transient": int(transient),
        "hyperparameters": fixed,
        "nrmse_convention": "RMSE / std(truth), all columns pooled",
        "valid_time_convention": "rows before ||pred - truth|| / rms distance of truth from its "
        "mean first exceeds 0.4, times dt (times lambda_1 for Lyapunov times)",
        "protocol": "ridge readout on one-step pairs after the transient rows; forecasts start "
        "from the state reached on the training rows",
        **provenance(),
    }
    return xr.Dataset(variables, coords={k: (k, v) for k, v in axes.items()}, attrs=attrs)
