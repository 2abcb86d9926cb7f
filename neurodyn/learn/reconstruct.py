"""Reconstruct a catalogued map from its trajectories and compare the trained model with it,
each analysed by the same tools.

:func:`reconstruct` runs, for one parameter point of a map model (``"chialvo"``, or a network
preset such as ``"chialvo_rulkov_chain"``):

1. **Data**: ``trajectories`` runs of the true map (:func:`neurodyn.flows.trajectory`), the
   first from the model's initial state, the others from states drawn uniformly from the state
   boxes (``numpy.random.default_rng(seed)``); ``transient`` iterations discarded, ``steps``
   recorded. All state variables are observed.
2. **Training**: a PLRNN, shPLRNN or AL-RNN (``network``, :func:`~neurodyn.learn.build_model`)
   fitted by :func:`~neurodyn.learn.train` with the ``training`` options (generalised teacher
   forcing, Hess et al., ICML 2023), on ``threads`` torch threads.
3. **Export**: the trained closed-loop map becomes a map model (:func:`~neurodyn.learn.to_model`),
   so both systems run on the generated numba kernels.
4. **Comparison** (side ``true`` and side ``reconstructed``), each from a point of its own
   attractor: the true map from the last state of the first training run, the trained map from
   the latent state one closed-loop step after the last ``warmup`` rows of that run were fed to
   it (:func:`~neurodyn.learn.symbolic_sequence`):

   * ``lyapunov`` (side, exponent): :func:`neurodyn.analysis.lyapunov.lyapunov_spectrum` with
     ``analysis_transient`` then ``analysis_steps`` iterations, per iteration, sorted
     descending; the shorter spectrum is padded with NaN.
   * ``period`` (side): :func:`neurodyn.analysis.bifurcation.detect_period` of the free run's
     last ``2 max_period`` states (all state variables: the latent state for the model), by its
     convention (0 none up to ``max_period``, -1 diverged).
   * ``attractor`` (side, time, variable): the free runs of ``analysis_steps`` iterations after
     ``analysis_transient``, in the observed variables' units (the model's normalised
     observations mapped back); ``d_stsp`` and ``d_h``
     (:func:`~neurodyn.learn.state_space_divergence`,
     :func:`~neurodyn.learn.power_spectrum_distance`) of the reconstructed run against the
     true one, with their floors ``d_stsp_floor`` and ``d_h_floor``: the same between the true
     run and a true run of the same length from the end of the second training run (or of an
     extra run, not trained on, when there is one trajectory).
   * ``n_cycles``, ``n_stable`` (side, cycle_period): the fixed points and cycles of each period
     of ``cycle_periods`` found by :func:`neurodyn.analysis.bifurcation.find_cycles` (Newton
     from ``n_seeds`` seeds, true map) and by :func:`~neurodyn.learn.pl_cycles` (region search,
     trained map), and how many of them are stable; ``leading_multiplier`` (side,
     cycle_period): the largest multiplier modulus of the first stable one (NaN if none).

Attributes record the system, parameters, settings, the final training loss and
``training_seconds`` (wall-clock, the one number that is not reproducible). The same ``seed``
gives the same Dataset on one thread; :func:`reconstruct_regimes` stacks several parameter
points along ``regime``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.bifurcation import detect_period, find_cycles
from ..analysis.lyapunov import lyapunov_spectrum
from ..backends.runtime import torch_threads
from ..flows import parameter_batch, trajectory
from ..models import Model, ModelError, resolve_model
from .export import to_model
from .metrics import power_spectrum_distance, state_space_divergence
from .pl_cycles import pl_cycles
from .plrnn import ALRNN, PLRNN, ShallowPLRNN, symbolic_sequence
from .training import TrainingConfig, train

__all__ = [
    "DEFAULT_NETWORK",
    "DEFAULT_TRAINING",
    "reconstruct",
    "reconstruct_regimes",
    "run_reconstruction",
]

#: shPLRNN whose latent state is the observed state, 50 hidden ReLUs (chosen).
DEFAULT_NETWORK: dict[str, Any] = {"kind": "shplrnn", "latent": 2, "hidden": 50}
_PIECEWISE_LINEAR = {cls.kind for cls in (PLRNN, ShallowPLRNN, ALRNN)}
#: Training options (chosen for the Chialvo map; the settings tried and the exponents they gave
#: are listed in tests/test_reconstruct.py).
DEFAULT_TRAINING: dict[str, Any] = {
    "epochs": 300,
    "batches_per_epoch": 20,
    "batch_size": 16,
    "sequence_length": 60,
    "learning_rate": 2e-3,
    "lr_decay": 0.99,
    "alpha": 0.3,
    "seed": 0,
    "device": "cpu",
    "progress": False,
}


def _true_runs(
    model: Model,
    parameters: Mapping[str, float],
    trajectories: int,
    transient: int,
    steps: int,
    seed: int,
) -> np.ndarray:
    """``(trajectories, steps, n_state)`` runs of the true map (module docstring, step 1)."""
    rng = np.random.default_rng(seed)
    low = np.array([v.low for v in model.state])
    high = np.array([v.high for v in model.state])
    initial = np.vstack(
        [model.initial_state(), rng.uniform(low, high, (trajectories - 1, model.n_state))]
    )
    ds = trajectory(
        model, steps=steps, transient_steps=transient, initial=initial, parameters=parameters
    )
    runs = np.stack([ds[v].values for v in model.state_names], axis=-1)
    if np.any(ds["diverged"].values):
        raise ValueError(f"a training run of {model.name} at {dict(parameters)} diverged")
    return runs


def _free_run(
    model: Model,
    initial: np.ndarray,
    parameters: Mapping[str, float] | None,
    transient: int,
    steps: int,
) -> np.ndarray:
    """``(steps, n_state)`` states after ``transient`` iterations from ``initial``."""
    ds = trajectory(
        model, steps=steps, transient_steps=transient, initial=initial, parameters=parameters
    )
    return np.stack([ds[v].values for v in model.state_names], axis=-1)


def _spectrum(
    model: Model,
    initial: np.ndarray,
    parameters: Mapping[str, float] | None,
    transient: int,
    steps: int,
    threads: int | None,
) -> np.ndarray:
    result = lyapunov_spectrum(
        model,
        np.asarray(initial, dtype=np.float64)[:, None],
        parameter_batch(model, parameters, 1),
        steps=steps,
        transient=transient,
        threads=threads,
    )
    return result.exponents[:, 0]


def _cycle_counts(cycles: xr.Dataset) -> tuple[int, int, float]:
    stable = cycles["stability"].values == "stable"
    leading = (
        float(np.abs(cycles["multipliers"].values[np.flatnonzero(stable)[0], 0]))
        if stable.any()
        else np.nan
    )
    return int(cycles.sizes["cycle"]), int(stable.sum()), leading


def reconstruct(
    system: str | Model,
    parameters: Mapping[str, float] | None = None,
    *,
    system_options: Mapping[str, Any] | None = None,
    network: Mapping[str, Any] | None = None,
    training: Mapping[str, Any] | None = None,
    trajectories: int = 1,
    transient: int = 2000,
    steps: int = 20000,
    warmup: int = 50,
    analysis_transient: int = 2000,
    analysis_steps: int = 20000,
    max_period: int = 32,
    cycle_periods: Sequence[int] = (1, 2),
    n_seeds: int = 200,
    seed: int = 0,
    threads: int | None = 1,
) -> xr.Dataset:
    """Train a piecewise-linear RNN on trajectories of the map ``system`` at ``parameters`` and
    compare it with the true map (module docstring).

    ``system``: a map :class:`~neurodyn.models.Model`, or a catalogue model or network preset
    name (built with ``system_options``). ``network``: the model config (default
    :data:`DEFAULT_NETWORK`; ``latent`` must be at least the number of state variables).
    ``training``: :class:`~neurodyn.learn.TrainingConfig` fields over :data:`DEFAULT_TRAINING`.
    Run lengths in iterations. ``threads``: torch's and numba's CPU threads (None: as set).
    """
    true_model = system if isinstance(system, Model) else resolve_model(system, system_options)
    if true_model.kind != "map":
        raise ModelError(
            f"reconstruct needs a map model, {true_model.name!r} is a {true_model.kind}"
        )
    parameters = {k: float(v) for k, v in (parameters or {}).items()}
    true_model.resolve_parameters(parameters)
    config = {**DEFAULT_NETWORK, **(network or {})}
    if config.get("kind") not in _PIECEWISE_LINEAR:
        raise ValueError(
            f"network kind must be one of {sorted(_PIECEWISE_LINEAR)}, got {config.get('kind')!r}"
        )
    options = TrainingConfig.from_dict({**DEFAULT_TRAINING, **(training or {})})
    if int(trajectories) < 1:
        raise ValueError(f"trajectories must be a positive integer, got {trajectories}")
    if not 1 <= int(warmup) <= int(steps):
        raise ValueError(f"warmup must be between 1 and steps = {steps}, got {warmup}")
    if int(analysis_steps) < 2 * int(max_period):
        raise ValueError(f"analysis_steps must be at least 2 max_period = {2 * max_period}")
    runs = _true_runs(
        true_model, parameters, int(trajectories) + (trajectories == 1), transient, steps, seed
    )
    data = list(runs[: int(trajectories)])
    with torch_threads(threads):
        started = time.perf_counter()
        result = train(config, data, options)
        seconds = time.perf_counter() - started
        net = result.model
        states, _ = symbolic_sequence(net, runs[0][-int(warmup) :], 1)
    exported = to_model(net, name=f"reconstructed_{true_model.name}", states=states)
    mean = net.obs_mean.detach().cpu().double().numpy()
    scale = net.obs_scale.detach().cpu().double().numpy()
    n_obs = true_model.n_state

    starts = {"true": runs[0][-1], "reconstructed": states[-1]}
    systems = {"true": (true_model, parameters), "reconstructed": (exported, None)}
    free, spectra, periods, cycles = {}, {}, {}, {}
    for side, (model, values) in systems.items():
        run = _free_run(model, starts[side], values, analysis_transient, analysis_steps)
        free[side] = run[:, :n_obs] * (scale if side == "reconstructed" else 1.0) + (
            mean if side == "reconstructed" else 0.0
        )
        periods[side] = int(detect_period(run, max_period=max_period, time_axis=0, state_axis=1))
        spectra[side] = _spectrum(
            model, starts[side], values, analysis_transient, analysis_steps, threads
        )
    for k in cycle_periods:
        found = find_cycles(
            true_model, parameters, period=int(k), n_seeds=n_seeds, seed=seed, threads=threads
        )
        cycles[("true", int(k))] = _cycle_counts(found)
        cycles[("reconstructed", int(k))] = _cycle_counts(pl_cycles(net, int(k), seed=seed))
    floor_run = _free_run(true_model, runs[1][-1], parameters, analysis_transient, analysis_steps)

    sides = list(systems)
    width = max(len(s) for s in spectra.values())
    lyapunov = np.full((2, width), np.nan)
    for i, side in enumerate(sides):
        lyapunov[i, : len(spectra[side])] = spectra[side]
    periods_k = [int(k) for k in cycle_periods]
    counts = np.array([[cycles[(s, k)] for k in periods_k] for s in sides], dtype=np.float64)
    truth = free["true"]
    ds = xr.Dataset(
        {
            "lyapunov": (("side", "exponent"), lyapunov, {"units": "1/iteration"}),
            "period": (("side",), np.array([periods[s] for s in sides])),
            "attractor": (("side", "time", "variable"), np.stack([free[s] for s in sides])),
            "d_stsp": ((), state_space_divergence(free["reconstructed"], truth)),
            "d_stsp_floor": ((), state_space_divergence(floor_run[:, :n_obs], truth)),
            "d_h": ((), power_spectrum_distance(free["reconstructed"], truth)),
            "d_h_floor": ((), power_spectrum_distance(floor_run[:, :n_obs], truth)),
            "n_cycles": (("side", "cycle_period"), counts[..., 0].astype(np.int64)),
            "n_stable": (("side", "cycle_period"), counts[..., 1].astype(np.int64)),
            "leading_multiplier": (("side", "cycle_period"), counts[..., 2]),
        },
        coords={
            "side": sides,
            "exponent": np.arange(1, width + 1),
            "time": np.arange(analysis_transient + 1, analysis_transient + analysis_steps + 1),
            "variable": list(true_model.state_names),
            "cycle_period": periods_k,
        },
        attrs={
            "system": true_model.name,
            "parameters": dict(true_model.resolve_parameters(parameters)),
            "network": net.config(),
            "network_source": net.source,
            "training": {k: v for k, v in asdict(options).items() if k != "progress"},
            "training_loss": float(result.history["loss"][-1]),
            "training_seconds": float(seconds),
            "trajectories": int(trajectories),
            "transient": int(transient),
            "steps": int(steps),
            "warmup": int(warmup),
            "analysis_transient": int(analysis_transient),
            "analysis_steps": int(analysis_steps),
            "max_period": int(max_period),
            "n_seeds": int(n_seeds),
            "seed": int(seed),
            "conventions": {
                "lyapunov": "per iteration, lyapunov_spectrum (QR) on the true map and on the "
                "exported trained map; NaN pads the shorter spectrum",
                "period": "detect_period of the free run's state (latent state for the model); "
                "0 none up to max_period, -1 diverged",
                "d_stsp": "KL(p_true || p_reconstructed) in nats, binned (d <= 3) or GMM",
                "d_h": "Hellinger distance of smoothed power spectra, mean over variables",
                "floor": "the same measure between two true runs of the same length",
                "cycles": "find_cycles (true) and pl_cycles (reconstructed) per period",
            },
        },
    )
    ds["attractor"].attrs["long_name"] = "free run after analysis_transient, observed variables"
    return ds


def reconstruct_regimes(
    system: str | Model,
    regimes: Mapping[str, Mapping[str, Any]],
    **options: Any,
) -> xr.Dataset:
    """:func:`reconstruct` at several parameter points, stacked along ``regime``.

    ``regimes``: name -> ``{"parameters": {...}, **overrides}`` where the overrides are
    keyword arguments of :func:`reconstruct` for that regime alone (e.g. ``trajectories``),
    over ``options``. Lyapunov spectra, periods of cycles and time axes must agree in length
    across regimes (the same network and run lengths); attributes that differ move to
    per-regime variables ``parameters`` (JSON) and ``training_seconds``.
    """
    parts = []
    for name, spec in regimes.items():
        spec = dict(spec)
        values = spec.pop("parameters", {})
        ds = reconstruct(system, values, **{**options, **spec})
        ds = ds.assign(
            regime_parameters=((), json.dumps(ds.attrs.pop("parameters"))),
            training_seconds=((), ds.attrs.pop("training_seconds")),
            training_loss=((), ds.attrs.pop("training_loss")),
        )
        parts.append(ds.expand_dims(regime=[name]))
    return xr.concat(parts, dim="regime", combine_attrs="drop_conflicts")


def run_reconstruction(settings: Mapping[str, Any], out: str | Path) -> Path:
    """The workflow's ``reconstruct`` job: :func:`reconstruct_regimes` with a study's
    ``reconstruct`` section (``system``, ``system_options``, ``regimes`` and
    :func:`reconstruct`'s options), written to the Zarr store ``out``."""
    from ..store import write_dataset

    options = dict(settings)
    system, regimes = options.pop("system"), options.pop("regimes")
    return write_dataset(reconstruct_regimes(system, regimes, **options), out)
