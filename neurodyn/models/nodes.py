"""Node variables of a network model: its state variables are named ``<variable>_<node>``."""

from __future__ import annotations

import re

import numpy as np

from .model import Model, ModelError

__all__ = ["node_rows"]


def node_rows(model: Model, variable: str) -> np.ndarray:
    """Row indices in the network state of ``variable`` of each node (``x_0, x_1, ...``), in
    node order: ``X[node_rows(m, "x")]`` is the ``(n_nodes, batch)`` array of the nodes' x."""
    pattern = re.compile(re.escape(variable) + r"_[A-Za-z0-9]+")
    rows = [r for r, s in enumerate(model.state_names) if pattern.fullmatch(s)]
    if not rows:
        raise ModelError(f"model {model.name!r} has no node variable {variable!r}")
    return np.array(rows, dtype=np.intp)
