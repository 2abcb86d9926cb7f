"""Training by backpropagation through time with teacher forcing, checkpoints and seeds.

:func:`train` fits a model to one or several observed trajectories ``(T, obs_dim)``:

* data are normalised per variable by the pooled mean and standard deviation (stored in the
  model); each batch holds ``batch_size`` windows of ``sequence_length`` rows drawn uniformly
  from a ``numpy.random.Generator`` seeded by ``seed``;
* the loss is the mean squared error of the teacher-forced predictions of rows ``1 ..`` of each
  window (:func:`neurodyn.learn.forced_predictions`), in normalised units; gradients are
  clipped to ``clip_norm`` (global L2 norm) before each Adam step;
* forcing: ``alpha`` and ``forcing_interval`` as in :func:`~neurodyn.learn.forced_predictions`
  (generalised teacher forcing: interval 1; sparse teacher forcing: alpha 1, interval tau).
  ``alpha_mode="adaptive"`` sets ``alpha = 1 - 1 / G`` every ``adapt_every`` epochs, clipped to
  ``alpha_bounds``, with ``G`` the geometric mean over forced states of the spectral norm of
  the closed-loop Jacobian (the bound on the growth of gradients, Hess et al., ICML 2023);
* ``device="auto"`` trains on CUDA when available, else on the CPU;
* the same ``seed`` gives the same model (weights from :func:`~neurodyn.learn.build_model`
  with the seed, batches from the seeded generator) on the same device and thread count;
* a checkpoint (model, optimiser, epoch, alpha, generator state, history) is written every
  ``checkpoint_every`` epochs and at the end; training resumes from an existing checkpoint.

Irregularly sampled data: pass ``times`` (one array per trajectory); the elapsed time of each
step is then ``diff(times)`` divided by its median, so regular sampling is ``dt = 1``.

:func:`train_from_config` is the entry point of the workflow's ``train`` rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .base import SequenceModel, forced_predictions
from .jacobian import closed_loop_jacobians
from .registry import build_model

__all__ = [
    "TrainingConfig",
    "TrainingResult",
    "choose_device",
    "load_model",
    "read_series",
    "train",
    "train_from_config",
]


@dataclass
class TrainingConfig:
    """Hyper-parameters of :func:`train` (see the module docstring). Learning rate per Adam
    step, decayed by ``lr_decay`` per epoch; lengths in rows."""

    epochs: int = 100
    batches_per_epoch: int = 20
    batch_size: int = 16
    sequence_length: int = 100
    learning_rate: float = 1e-3
    lr_decay: float = 1.0
    clip_norm: float = 10.0
    alpha: float = 1.0
    alpha_mode: str = "fixed"
    alpha_bounds: tuple[float, float] = (0.0, 1.0)
    adapt_every: int = 5
    forcing_interval: int = 1
    seed: int = 0
    device: str = "auto"
    checkpoint_every: int = 10
    progress: bool = True

    def __post_init__(self) -> None:
        if self.alpha_mode not in ("fixed", "adaptive"):
            raise ValueError(f"alpha_mode must be 'fixed' or 'adaptive', got {self.alpha_mode!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha}")
        lo, hi = self.alpha_bounds
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"alpha_bounds must satisfy 0 <= low <= high <= 1, got {lo, hi}")
        for name in ("epochs", "batches_per_epoch", "batch_size", "forcing_interval"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer")
        if self.sequence_length < 2:
            raise ValueError("sequence_length must be at least 2")
        self.alpha_bounds = (float(lo), float(hi))

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> TrainingConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(options) - known
        if unknown:
            raise ValueError(f"unknown training options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**options)


@dataclass
class TrainingResult:
    """The trained model and the per-epoch ``history`` (``loss``, ``alpha``, ``grad_norm``)."""

    model: SequenceModel
    history: dict[str, list[float]] = field(default_factory=dict)


def choose_device(device: str = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else the CPU; otherwise the named device."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _as_trajectories(data: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    items = [data] if isinstance(data, np.ndarray) else list(data)
    out = []
    for item in items:
        series = np.asarray(item, dtype=np.float64)
        series = series[:, None] if series.ndim == 1 else series
        if series.ndim != 2 or not np.all(np.isfinite(series)):
            raise ValueError("each trajectory must be a finite (T, obs_dim) array")
        out.append(series)
    if len({s.shape[1] for s in out}) != 1:
        raise ValueError("all trajectories need the same number of variables")
    return out


def _elapsed_times(times: Sequence[np.ndarray] | None, series: list[np.ndarray]) -> list | None:
    if times is None:
        return None
    steps = [np.diff(np.asarray(t, dtype=np.float64)) for t in times]
    if [len(s) + 1 for s in steps] != [len(s) for s in series] or any(
        np.any(s <= 0) for s in steps
    ):
        raise ValueError("times must increase strictly and match the trajectories' lengths")
    unit = float(np.median(np.concatenate(steps)))
    return [s / unit for s in steps]


def _adaptive_alpha(
    model: SequenceModel, batch: torch.Tensor, bounds: tuple[float, float], max_states: int = 256
) -> float:
    """``1 - 1/G`` clipped to ``bounds``; ``G`` the geometric mean of ``||J(h)||_2`` over
    states reached under full forcing (at most ``max_states`` of them)."""
    states = []
    with torch.no_grad():
        h = model.initial_state(batch.shape[0])
        prepared = model.prepare()
        for t in range(batch.shape[1] - 1):
            h = model.step(model.project_input(batch[:, t]), h, 1.0, prepared)
            states.append(h)
    states = torch.cat(states)[-max_states:]
    norms = torch.linalg.matrix_norm(closed_loop_jacobians(model, states), ord=2)
    growth = float(torch.exp(torch.log(norms.clamp_min(1e-12)).mean()))
    return float(np.clip(1.0 - 1.0 / growth, *bounds))


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def train(
    model: SequenceModel | Mapping[str, Any],
    data: np.ndarray | Sequence[np.ndarray],
    config: TrainingConfig | Mapping[str, Any] | None = None,
    *,
    times: Sequence[np.ndarray] | None = None,
    checkpoint: str | Path | None = None,
) -> TrainingResult:
    """Train ``model`` (a model, or a config for :func:`build_model`, built with the seed) on
    ``data`` (one ``(T, obs_dim)`` array or a list of them). See the module docstring."""
    cfg = config if isinstance(config, TrainingConfig) else TrainingConfig.from_dict(config or {})
    series = _as_trajectories(data)
    if isinstance(model, Mapping):
        model = build_model({**model, "obs_dim": series[0].shape[1]}, seed=cfg.seed)
    if model.obs_dim != series[0].shape[1]:
        raise ValueError(
            f"the model observes {model.obs_dim} variables, the data have {series[0].shape[1]}"
        )
    lengths = np.array([len(s) for s in series])
    if np.all(lengths < cfg.sequence_length):
        raise ValueError(f"no trajectory has sequence_length = {cfg.sequence_length} rows")
    device = choose_device(cfg.device)
    pooled = np.concatenate(series)
    model.set_normalisation(pooled.mean(axis=0), pooled.std(axis=0))
    model.to(device)
    tensors = [model.normalise(model._tensor(s)) for s in series]
    elapsed = _elapsed_times(times, series)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=cfg.lr_decay)
    rng = np.random.default_rng(cfg.seed)
    history: dict[str, list[float]] = {"loss": [], "alpha": [], "grad_norm": []}
    alpha, start_epoch = cfg.alpha, 0
    path = None if checkpoint is None else Path(checkpoint)
    if path is not None and path.exists():
        saved = torch.load(path, map_location=device, weights_only=False)
        model.load_state_dict(saved["state_dict"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        rng.bit_generator.state = saved["rng_state"]
        alpha, start_epoch, history = saved["alpha"], saved["epoch"], saved["history"]
    usable = np.flatnonzero(lengths >= cfg.sequence_length)
    weights = (lengths[usable] - cfg.sequence_length + 1) / np.sum(
        lengths[usable] - cfg.sequence_length + 1
    )

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor | float]:
        which = rng.choice(usable, size=cfg.batch_size, p=weights)
        starts = rng.integers(0, lengths[which] - cfg.sequence_length + 1)
        windows = [slice(s, s + cfg.sequence_length) for s in starts]
        batch = torch.stack([tensors[k][w] for k, w in zip(which, windows, strict=True)])
        if elapsed is None:
            return batch, 1.0
        steps = [elapsed[k][s.start : s.stop - 1] for k, s in zip(which, windows, strict=True)]
        return batch, torch.as_tensor(np.stack(steps), dtype=batch.dtype, device=device)

    def snapshot(epoch: int) -> dict[str, Any]:
        return {
            "model_config": model.config(),
            "state_dict": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng_state": rng.bit_generator.state,
            "alpha": alpha,
            "epoch": epoch,
            "history": history,
            "training_config": asdict(cfg),
        }

    bar = tqdm(range(start_epoch, cfg.epochs), disable=not cfg.progress, desc=model.kind)
    for epoch in bar:
        if cfg.alpha_mode == "adaptive" and epoch % cfg.adapt_every == 0:
            alpha = _adaptive_alpha(model, draw_batch()[0], cfg.alpha_bounds)
        losses, norms = [], []
        for _ in range(cfg.batches_per_epoch):
            batch, dt = draw_batch()
            optimizer.zero_grad()
            predictions = forced_predictions(model, batch, alpha, cfg.forcing_interval, dt)
            loss = torch.mean((predictions - batch[:, 1:]) ** 2)
            loss.backward()
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)))
            optimizer.step()
            losses.append(float(loss.detach()))
        scheduler.step()
        history["loss"].append(float(np.mean(losses)))
        history["alpha"].append(float(alpha))
        history["grad_norm"].append(float(np.mean(norms)))
        bar.set_postfix(loss=f"{history['loss'][-1]:.4g}", alpha=f"{alpha:.3f}")
        if path is not None and (epoch + 1) % cfg.checkpoint_every == 0:
            _save_checkpoint(path, snapshot(epoch + 1))
    if path is not None:
        _save_checkpoint(path, snapshot(cfg.epochs))
    return TrainingResult(model=model, history=history)


def load_model(path: str | Path, device: str = "auto") -> SequenceModel:
    """The model saved in a checkpoint or model file written by :func:`train` or
    :func:`train_from_config`, on ``device`` (``"auto"``: CUDA when available)."""
    saved = torch.load(Path(path), map_location="cpu", weights_only=False)
    model = build_model(saved["model_config"])
    model.load_state_dict(saved["state_dict"])
    return model.to(choose_device(device))


def read_series(source: Mapping[str, Any]) -> tuple[list[np.ndarray], float]:
    """Trajectories and their sampling interval from a data section of a config.

    ``{"store": path, "variables": [...]}``: a Zarr store written by neurodyn
    (:func:`neurodyn.store.open_dataset`), one column per variable along ``time``, one
    trajectory per ``point`` when there is that dimension; the interval is the spacing of the
    ``time`` coordinate (``dt`` attribute times ``every`` when there is no coordinate).
    ``{"array": path}``: a ``.npy`` file ``(T, d)`` or ``(n, T, d)`` with ``dt`` given.
    """
    if "store" in source:
        from ..store import open_dataset

        ds = open_dataset(source["store"])
        names = list(source.get("variables") or [v for v in ds.data_vars if "time" in ds[v].dims])
        stacked = np.stack([ds[name].transpose(..., "time").values for name in names], axis=-1)
        if "time" in ds.coords and ds.sizes["time"] > 1:
            dt = float(np.median(np.diff(ds["time"].values)))
        else:
            dt = float(ds.attrs.get("dt", 1.0)) * float(ds.attrs.get("every", 1))
    elif "array" in source:
        stacked = np.load(source["array"])
        dt = float(source.get("dt", 1.0))
    else:
        raise ValueError("the data section needs 'store' (a Zarr store) or 'array' (a .npy file)")
    stacked = stacked[None] if stacked.ndim == 2 else stacked
    start, stop = source.get("rows", [0, None])
    return [np.asarray(s[start:stop], dtype=np.float64) for s in stacked], dt


def train_from_config(config: Mapping[str, Any], out: str | Path) -> Path:
    """Train as a config says and write the result into directory ``out``; return ``out``.

    The entry point of the workflow's ``train`` rule. ``config``::

        data:       {store: results/lorenz.zarr, variables: [x, y, z], rows: [0, 20000]}
        model:      {kind: shplrnn, latent: 3, hidden: 50}
        training:   {epochs: 200, alpha_mode: adaptive, seed: 1, ...}   # TrainingConfig
        checkpoint: path (optional; default out/checkpoint.pt)

    ``data`` is read by :func:`read_series` (``rows``: the training rows). Writes
    ``out/model.pt`` (loadable by :func:`load_model`) and ``out/history.json``. Snakemake
    deletes a ``directory()`` output before its job runs, so a rule that must resume after an
    interruption sets ``checkpoint`` outside ``out``. A rule may look like::

        rule train:
            input: "results/data/{system}.zarr"
            output: directory("results/models/{system}/{model}")
            threads: 2
            resources: gpu=1
            run:
                from neurodyn.learn import train_from_config
                train_from_config(config["train"][wildcards.model], output[0])

    ``training.device`` defaults to ``"auto"`` (CUDA when the job got a GPU).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    series, dt = read_series(config["data"])
    training = TrainingConfig.from_dict(config.get("training", {}))
    result = train(
        dict(config["model"]),
        series,
        training,
        checkpoint=config.get("checkpoint", out / "checkpoint.pt"),
    )
    _save_checkpoint(
        out / "model.pt",
        {
            "model_config": result.model.config(),
            "state_dict": result.model.state_dict(),
            "history": result.history,
            "training_config": asdict(training),
            "sampling_interval": dt,
            "source": result.model.source,
        },
    )
    (out / "history.json").write_text(json.dumps(result.history))
    return out
