"""Forecasting interface shared by reservoirs (:mod:`neurodyn.reservoir`) and trained models
(:mod:`neurodyn.learn`), and the metrics that score forecasts.

Conventions
-----------
Series are arrays of shape ``(T, d)``: time along the first axis, one column per observed
variable, sampled every ``dt`` time units (``dt = 1`` iteration for maps).

A forecaster implements ``rollout(warmup, steps, drive=None)``:

* ``warmup`` (``(T_w, d)``) is fed to the model teacher-forced to synchronise its internal
  state with the data; its last row is the state from which the forecast starts.
* ``drive=None``: **closed loop** (autonomous). Each prediction is fed back as the next input;
  the result row ``t`` is the prediction of the observation ``t + 1`` steps after the last
  warm-up row.
* ``drive`` of shape ``(steps, d)``: **open loop** (one step ahead). Row ``t`` of the result
  is the prediction made after the model has been driven by the true observations up to
  ``drive[t - 1]``; i.e. ``result[t]`` predicts ``drive[t]``. A perfect forecaster returns
  ``drive`` itself.

:func:`rollout` checks the arguments and calls the model's method.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from .run_lengths import renamed_keywords


@runtime_checkable
class Forecaster(Protocol):
    """Anything that forecasts a multivariate series (see the module docstring)."""

    def rollout(
        self, warmup: np.ndarray, steps: int, drive: np.ndarray | None = None
    ) -> np.ndarray: ...


def _as_series(name: str, values: np.ndarray) -> np.ndarray:
    series = np.asarray(values, dtype=float)
    if series.ndim == 1:
        series = series[:, None]
    if series.ndim != 2:
        raise ValueError(f"{name} must have shape (T, d), got {series.shape}")
    if not np.all(np.isfinite(series)):
        raise ValueError(f"{name} contains NaN or inf")
    return series


@renamed_keywords(n_steps="steps")
def rollout(
    model: Forecaster, warmup: np.ndarray, steps: int, drive: np.ndarray | None = None
) -> np.ndarray:
    """Forecast ``steps`` rows after ``warmup``: closed loop, or open loop along ``drive``.

    Returns an array of shape ``(steps, d)``.
    """
    if not isinstance(model, Forecaster):
        raise TypeError(f"{type(model).__name__} has no rollout(warmup, steps, drive) method")
    warmup = _as_series("warmup", warmup)
    if len(warmup) < 1:
        raise ValueError("warmup needs at least one row")
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    if drive is not None:
        drive = _as_series("drive", drive)
        if drive.shape != (steps, warmup.shape[1]):
            raise ValueError(
                f"drive must have shape {(steps, warmup.shape[1])} (steps, d), "
                f"got {drive.shape}"
            )
    prediction = np.asarray(model.rollout(warmup, steps, drive), dtype=float)
    return prediction.reshape(steps, -1)


def nrmse(prediction: np.ndarray, truth: np.ndarray, normaliser: str = "std") -> float:
    """Normalised root-mean-square error over all rows and columns.

    ``normaliser="std"``: RMSE divided by the standard deviation of ``truth`` (all entries
    pooled), so predicting the mean scores about 1. ``"range"``: divided by
    ``max(truth) - min(truth)``. ``"none"``: the plain RMSE.
    """
    prediction = np.asarray(prediction, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if prediction.shape != truth.shape:
        raise ValueError(f"shapes differ: prediction {prediction.shape}, truth {truth.shape}")
    rmse = float(np.sqrt(np.mean((prediction - truth) ** 2)))
    if normaliser == "none":
        return rmse
    if normaliser == "std":
        scale = float(np.std(truth))
    elif normaliser == "range":
        scale = float(np.max(truth) - np.min(truth))
    else:
        raise ValueError(f"unknown normaliser {normaliser!r}; use 'std', 'range' or 'none'")
    if scale == 0.0:
        raise ValueError("truth is constant: its spread cannot normalise the error")
    return rmse / scale


def valid_prediction_time(
    prediction: np.ndarray,
    truth: np.ndarray,
    dt: float,
    lyapunov_exponent: float,
    threshold: float = 0.4,
) -> float:
    """Time until the forecast leaves the truth, in Lyapunov times ``1 / lambda_1``.

    The error at each row is ``||prediction_t - truth_t|| / sqrt(<||truth - <truth>||^2>)``
    (the Euclidean error normalised by the root-mean-square distance of the truth from its
    mean, as in Pathak et al., Chaos 2017 and Vlachas et al., Neural Networks 2020). The valid
    time is the number of rows before that error first exceeds ``threshold``, times ``dt``,
    times ``lyapunov_exponent``. A forecast that never crosses it scores the whole horizon.
    """
    prediction = np.asarray(prediction, dtype=float)
    truth = np.asarray(truth, dtype=float)
    if prediction.ndim == 1:
        prediction, truth = prediction[:, None], truth[:, None]
    if prediction.shape != truth.shape:
        raise ValueError(f"shapes differ: prediction {prediction.shape}, truth {truth.shape}")
    if not (dt > 0 and lyapunov_exponent > 0):
        raise ValueError("dt and lyapunov_exponent must be positive")
    spread = np.sqrt(np.mean(np.sum((truth - truth.mean(axis=0)) ** 2, axis=1)))
    if spread == 0.0:
        raise ValueError("truth is constant: its spread cannot normalise the error")
    error = np.linalg.norm(prediction - truth, axis=1) / spread
    crossed = np.flatnonzero(~(error <= threshold))
    n_valid = int(crossed[0]) if crossed.size else len(error)
    return n_valid * dt * lyapunov_exponent
