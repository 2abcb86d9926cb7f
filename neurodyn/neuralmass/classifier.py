"""Training Marino et al.'s Wilson–Cowan metapopulation classifier from a study config.

The study section ``classifier`` (``workflows/config/schema.yaml``) names the images and the
schedule; :func:`train_classifier` trains :class:`~.differentiable.AttractorClassifier` as the
authors' code does (Marino et al., Neural Comput. 37 (2025), arXiv:2406.16453): one node per
pixel, one planted attractor per class (:func:`~.differentiable.attractor_patterns` with the
node's two stable states), Adam on the mean squared distance between the final x after
``steps`` Euler steps and the class pattern, then classification by the nearest pattern after
``test_steps`` steps.

Images: ``digits`` (scikit-learn's bundled 8 x 8 digits, 64 nodes) or the path of an ``.npz``
file holding ``images`` (n, pixels) or (n, rows, cols) and ``labels`` (n,), e.g. MNIST saved with
``numpy.savez``; pixel values are scaled to [0, 1] by the largest one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["load_images", "train_classifier"]


def load_images(source: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, pixels) in [0, 1], labels (n,))`` of ``digits`` or an ``.npz`` file.

    Raises FileNotFoundError naming the path when the file does not exist and ValueError when
    it lacks ``images`` or ``labels``."""
    if source == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        return digits.data / 16.0, digits.target.astype(np.int64)
    path = Path(source).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"classifier/data: no image file at {path} (give 'digits' or an .npz file with "
            "arrays 'images' and 'labels', e.g. MNIST saved with numpy.savez)"
        )
    with np.load(path) as data:
        missing = {"images", "labels"} - set(data.files)
        if missing:
            raise ValueError(f"classifier/data: {path} lacks {sorted(missing)}")
        images, labels = data["images"], data["labels"]
    images = images.reshape(images.shape[0], -1).astype(np.float64)
    return images / max(float(images.max()), 1e-300), labels.astype(np.int64)


def train_classifier(
    settings: Mapping[str, Any], out: str | os.PathLike[str], threads: int | None = 1
) -> Path:
    """Train the classifier of ``settings`` (the study's ``classifier`` section) and write
    ``out/model.pt`` (state dict, patterns and the test images' indices) and
    ``out/metrics.json`` (loss per epoch, train and test accuracy after ``test_steps`` steps,
    trained gamma, chance level). ``threads``: torch's intra-op threads (None: torch's own
    default, every core)."""
    from ..backends.runtime import torch_threads

    with torch_threads(threads):
        return _train(settings, Path(out))


def _train(settings: Mapping[str, Any], out: Path) -> Path:
    import torch

    from .differentiable import AttractorClassifier, attractor_patterns
    from .wilson_cowan import steady_states

    images, labels = load_images(settings["data"])
    seed = int(settings["seed"])
    order = np.random.default_rng(seed).permutation(len(labels))
    n_train = min(int(settings["train"]), len(labels) - 1)
    train, test = order[:n_train], order[n_train:]
    n_classes = int(labels.max()) + 1
    stable = [s for s in steady_states("wilson_cowan_marino") if s.stable]
    low, high = stable[0].state[0], stable[-1].state[0]
    n_nodes = images.shape[1]
    patterns = attractor_patterns(n_nodes, n_classes, low, high, block=n_nodes // n_classes)
    torch.manual_seed(seed)
    model = AttractorClassifier(patterns, seed=seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=float(settings["learning_rate"]))
    inputs = torch.tensor(images, dtype=torch.float32)
    targets = torch.tensor(patterns.T[labels], dtype=torch.float32)

    def accuracy(index: np.ndarray) -> float:
        with torch.no_grad():
            final = model(inputs[index], int(settings["test_steps"]))
            return float(np.mean(model.classify(final).numpy() == labels[index]))

    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(int(settings["epochs"])):
        total = 0.0
        batches = np.array_split(rng.permutation(train), max(len(train) // settings["batch"], 1))
        for batch in batches:
            optimiser.zero_grad()
            loss = torch.mean((model(inputs[batch], int(settings["steps"])) - targets[batch]) ** 2)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        losses.append(total / len(train))
    out.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"state_dict": model.state_dict(), "patterns": patterns, "test": test}, out / "model.pt"
    )
    metrics = {
        "data": str(settings["data"]),
        "n_train": len(train),
        "n_test": len(test),
        "loss": losses,
        "train_accuracy": accuracy(train),
        "test_accuracy": accuracy(test),
        "chance": 1.0 / n_classes,
        "gamma": model.gamma.item(),
        "attractor_states": [float(low), float(high)],
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
    return out
