"""Evaluation of trained models through the shared forecasting interface, with floors.

:func:`evaluate` scores a model on a held-out ground-truth trajectory ``truth`` and sets each
measure beside its floor, the same measure between ``truth`` and an independent ground-truth
trajectory ``reference`` (another initial condition) of the same length: a model cannot be told
apart from the true system when it sits at the floor.

* ``d_stsp`` and ``d_h`` (:mod:`neurodyn.learn.metrics`): the model's closed-loop rollout of
  ``len(truth)`` rows after ``warmup`` rows of ``reference`` (a different piece of the
  attractor, so only long-term statistics count), against ``truth``. Both measures depend on
  the series' length (a short truth fills few bins, and the floor is large), so each floor is
  computed at the same length as its statistic and the variables carry that length (attribute
  ``rows``).
* ``prediction_error`` (``horizon``): NRMSE (:func:`neurodyn.forecasting.nrmse`, divided by the
  standard deviation) of the ``n``-step closed-loop forecast over ``n_starts`` start rows of
  ``truth``, each after ``warmup`` teacher-forced rows; ``valid_prediction_time``: the median
  over the starts of :func:`neurodyn.forecasting.valid_prediction_time` (threshold 0.4) in
  Lyapunov times, over forecasts of ``vpt_lyapunov_times`` Lyapunov times (at most half the
  rows of ``truth`` after the warm-up, so that the starts spread over the other half; the cap,
  ``valid_prediction_time_floor``, is what the truth itself scores);
  ``valid_prediction_time_capped`` says that the median reached the cap, so the model may be
  better than it shows. The floor of the prediction error is 0.
* ``lyapunov_model`` (``exponent``, per unit time): :func:`model_lyapunov_spectrum`; given the
  true system's spectrum (e.g. from :func:`true_lyapunov_spectrum`), ``lyapunov_true`` and its
  floor ``lyapunov_floor``, the spread of the true estimates between two initial conditions.
* ``model_period`` and ``collapsed``: the model's long-run attractor, from a closed-loop run of
  ``attractor_steps`` rows (the rollout above, continued): :func:`long_run_attractor` gives its
  period (1 a fixed point, ``k`` a k-cycle, 0 none up to ``max_period``, -1 diverged) and a
  label (attribute ``model_attractor``). The data are chaotic (their largest exponent
  ``lyapunov_exponent`` is positive), so ``collapsed`` is True unless the model's attractor is
  chaotic too: no period, and a largest exponent of at least ``chaos_fraction`` times the
  data's. A model that collapsed onto a fixed point or a cycle can sit near the floors of
  ``d_stsp`` and ``d_h`` on short series; this flag does not depend on the length.

Results are ``xarray.Dataset`` s; :func:`write_evaluation` stores them with
:func:`neurodyn.store.write_dataset`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from ..analysis.bifurcation.periods import detect_period
from ..forecasting import nrmse, rollout, valid_prediction_time
from .base import SequenceModel
from .jacobian import closed_loop_jacobians
from .metrics import power_spectrum_distance, state_space_divergence

__all__ = [
    "evaluate",
    "long_run_attractor",
    "model_lyapunov_spectrum",
    "true_lyapunov_spectrum",
    "write_evaluation",
]


@torch.no_grad()
def _closed_loop_states(model: SequenceModel, warmup: np.ndarray, steps: int) -> torch.Tensor:
    _, h = model.forward(model.normalise(model._tensor(warmup))[None])
    prepared = model.prepare()
    states = []
    for _ in range(steps):
        h = model.closed_loop_step(h, 1.0, prepared)
        states.append(h[0])
    return torch.stack(states)


def model_lyapunov_spectrum(
    model: SequenceModel,
    warmup: np.ndarray,
    dt: float,
    steps: int = 10000,
    transient: int = 1000,
    n_exponents: int | None = None,
) -> np.ndarray:
    """Lyapunov spectrum of the model's closed-loop map, per unit time (per step / ``dt``).

    After ``warmup`` (raw observations, teacher-forced) and ``transient`` free steps, the
    Jacobians of ``steps`` free steps (automatic differentiation) advance an orthonormal frame
    ``Q <- qr(J Q)``, accumulating ``log |R_ii|`` (Benettin et al. 1980). Sorted descending;
    ``n_exponents`` defaults to the state dimension. A diverging run gives NaN.
    """
    m = model.state_dim if n_exponents is None else int(n_exponents)
    states = _closed_loop_states(model, warmup, transient + steps)[transient:]
    if not torch.all(torch.isfinite(states)):
        return np.full(m, np.nan)
    jacobians = closed_loop_jacobians(model, states).to(torch.float64).cpu().numpy()
    q = np.eye(model.state_dim)[:, :m]
    log_r = np.zeros(m)
    for jac in jacobians:
        q, r = np.linalg.qr(jac @ q)
        log_r += np.log(np.abs(np.diag(r)))
    return np.sort(log_r / (steps * dt))[::-1]


def true_lyapunov_spectrum(
    system: str,
    initials: np.ndarray,
    parameters: Mapping[str, float] | None = None,
    steps: int = 100000,
    transient: int = 10000,
) -> tuple[np.ndarray, np.ndarray]:
    """Spectrum of a catalogued flow or map from two initial conditions (``initials``,
    ``(2, n_state)``) with :func:`neurodyn.analysis.lyapunov.lyapunov_spectrum`: returns their
    mean and their absolute difference (the floor), per unit time for flows."""
    from ..analysis.lyapunov import lyapunov_spectrum
    from ..flows import parameter_batch
    from ..models import get_model

    model = get_model(system)
    initial = np.asarray(initials, dtype=np.float64).T
    if initial.shape != (model.n_state, 2):
        raise ValueError(f"initials must be (2, {model.n_state}), got {initial.T.shape}")
    result = lyapunov_spectrum(
        model, initial, parameter_batch(model, parameters, 2), steps=steps, transient=transient
    )
    return result.exponents.mean(axis=1), np.abs(np.diff(result.exponents, axis=1))[:, 0]


def _forecasts(
    model: Any, truth: np.ndarray, warmup: int, horizon: int, n_starts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-loop forecasts ``(n_starts, horizon, d)`` and the true continuations."""
    starts = np.linspace(warmup, len(truth) - horizon, n_starts).astype(np.int64)
    if starts[0] < warmup or len(truth) - horizon < warmup:
        raise ValueError("truth is too short for warmup + horizon rows")
    predicted = np.stack([rollout(model, truth[s - warmup : s], horizon) for s in starts])
    actual = np.stack([truth[s : s + horizon] for s in starts])
    return predicted, actual


def evaluate(
    model: SequenceModel,
    truth: np.ndarray,
    reference: np.ndarray,
    dt: float,
    *,
    lyapunov_exponent: float,
    true_exponents: tuple[np.ndarray, np.ndarray] | None = None,
    horizons: Sequence[int] = (1, 10, 50),
    warmup: int = 200,
    n_starts: int = 20,
    lyapunov_steps: int = 5000,
    stsp_method: str = "auto",
    vpt_lyapunov_times: float = 10.0,
    attractor_steps: int = 5000,
    max_period: int = 32,
    chaos_fraction: float = 0.1,
) -> xr.Dataset:
    """Score ``model`` against ``truth`` with floors from ``reference`` (module docstring).

    ``truth``, ``reference``: raw ground-truth series ``(T, d)`` sampled every ``dt`` time
    units; ``reference`` must have at least ``len(truth) + warmup`` rows.
    ``lyapunov_exponent``: the true system's largest exponent (per unit time, positive), the
    unit of the valid prediction time. ``true_exponents``: ``(spectrum, floor)`` of the true
    system. ``vpt_lyapunov_times``, ``attractor_steps``, ``max_period``, ``chaos_fraction``:
    the valid prediction time's horizon and the long-run attractor test (module docstring).
    """
    truth = np.asarray(truth, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    n = len(truth)
    if len(reference) < n + warmup:
        raise ValueError(f"reference needs at least len(truth) + warmup = {n + warmup} rows")
    if not lyapunov_exponent > 0:
        raise ValueError(f"lyapunov_exponent must be positive, got {lyapunov_exponent}")
    long_run = rollout(model, reference[:warmup], max(n, int(attractor_steps)))
    generated = long_run[:n]
    floor_series = reference[warmup : warmup + n]
    horizons = sorted(int(h) for h in horizons)
    vpt_rows = int(np.ceil(vpt_lyapunov_times / (dt * lyapunov_exponent)))
    vpt_rows = max(min(vpt_rows, (n - warmup) // 2), 1)
    predicted, actual = _forecasts(model, truth, warmup, max(horizons[-1], vpt_rows), n_starts)
    errors = [nrmse(predicted[:, h - 1], actual[:, h - 1]) for h in horizons]
    vpt = float(
        np.median(
            [
                valid_prediction_time(p[:vpt_rows], a[:vpt_rows], dt, lyapunov_exponent)
                for p, a in zip(predicted, actual, strict=True)
            ]
        )
    )
    vpt_cap = vpt_rows * dt * lyapunov_exponent
    lyap = model_lyapunov_spectrum(model, reference[:warmup], dt, steps=lyapunov_steps)
    period, label = long_run_attractor(
        long_run, lyap[0], chaos_fraction * lyapunov_exponent, max_period
    )
    data = {
        "d_stsp": ((), state_space_divergence(generated, truth, stsp_method)),
        "d_stsp_floor": ((), state_space_divergence(floor_series, truth, stsp_method)),
        "d_h": ((), power_spectrum_distance(generated, truth)),
        "d_h_floor": ((), power_spectrum_distance(floor_series, truth)),
        "prediction_error": (("horizon",), np.array(errors)),
        "prediction_error_floor": (("horizon",), np.zeros(len(horizons))),
        "valid_prediction_time": ((), vpt),
        "valid_prediction_time_floor": ((), vpt_cap),
        "valid_prediction_time_capped": ((), vpt >= vpt_cap),
        "lyapunov_model": (("exponent",), lyap),
        "model_period": ((), period),
        "collapsed": ((), label != "chaotic"),
    }
    coords: dict[str, Any] = {"horizon": horizons, "exponent": np.arange(1, len(lyap) + 1)}
    if true_exponents is not None:
        spectrum, floor = (np.asarray(a, dtype=np.float64) for a in true_exponents)
        k = len(spectrum)
        pad = np.full(max(len(lyap) - k, 0), np.nan)
        data["lyapunov_true"] = (("exponent",), np.concatenate([spectrum, pad])[: len(lyap)])
        data["lyapunov_floor"] = (("exponent",), np.concatenate([floor, pad])[: len(lyap)])
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        {
            "model": model.kind,
            "model_source": model.source,
            "model_config": model.config(),
            "dt": float(dt),
            "lyapunov_exponent": float(lyapunov_exponent),
            "n_rows": int(n),
            "warmup": int(warmup),
            "n_starts": int(n_starts),
            "vpt_rows": int(vpt_rows),
            "attractor_steps": len(long_run),
            "model_attractor": label,
            "conventions": {
                "d_stsp": "KL(p_true || p_gen) in nats, standardised by the truth; "
                + ("binned" if stsp_method == "auto" and truth.shape[1] <= 3 else stsp_method),
                "d_h": "Hellinger distance of Gaussian-smoothed (20 bins) power spectra, mean "
                "over variables",
                "prediction_error": "NRMSE divided by the standard deviation of the truth "
                "at that horizon over the starts; horizon in rows",
                "valid_prediction_time": "median over starts, threshold 0.4, in Lyapunov times",
                "lyapunov": "per unit time; QR with autograd Jacobians of the closed-loop map",
                "floor": "same measure between truth and an independent ground-truth series "
                "of the same length (attribute rows)",
                "collapsed": "the data are chaotic and the model's long-run attractor is not: "
                f"a period up to {max_period}, divergence, or lambda_1 below "
                f"{chaos_fraction} of the data's",
            },
        }
    )
    ds["lyapunov_model"].attrs["unit"] = "per unit time"
    for name in ("valid_prediction_time", "valid_prediction_time_floor"):
        ds[name].attrs.update(unit="Lyapunov times", rows=int(vpt_rows))
    for name in ("d_stsp", "d_stsp_floor", "d_h", "d_h_floor"):
        ds[name].attrs["rows"] = int(n)
    return ds


def long_run_attractor(
    series: np.ndarray, lambda_1: float, chaos_threshold: float, max_period: int = 32
) -> tuple[int, str]:
    """The kind of attractor a long closed-loop ``series`` ``(T, d)`` has settled on, given its
    model's largest Lyapunov exponent ``lambda_1`` (per unit time).

    Returns ``(period, label)``: ``(-1, "diverged")`` for non-finite values or a non-finite
    exponent; ``(1, "fixed point")`` and ``(k, "cycle of period k")`` when the last
    ``2 max_period`` rows repeat with that least period
    (:func:`neurodyn.analysis.bifurcation.detect_period`, relative tolerance 1e-6);
    otherwise ``(0, "not chaotic")`` when ``lambda_1 < chaos_threshold`` (e.g. a quasi-periodic
    or slowly converging orbit) and ``(0, "chaotic")``.
    """
    series = np.asarray(series, dtype=np.float64)
    if not (np.all(np.isfinite(series)) and np.isfinite(lambda_1)):
        return -1, "diverged"
    period = int(detect_period(series, max_period=max_period, time_axis=0, state_axis=1))
    if period == 1:
        return 1, "fixed point"
    if period > 1:
        return period, f"cycle of period {period}"
    return 0, "not chaotic" if lambda_1 < chaos_threshold else "chaotic"


def write_evaluation(ds: xr.Dataset, path: str | Path) -> Path:
    """Write an evaluation Dataset to a Zarr store (:func:`neurodyn.store.write_dataset`)."""
    from ..store import write_dataset

    return write_dataset(ds, path)
