"""Shared test helpers: series generators, and the ``requires`` marker for optional packages.

``@pytest.mark.requires("torch", ...)`` skips a test (or, as ``pytestmark``, a module) when a
package is not installed, naming the extra that installs it; ``"cuda"`` means a CUDA device
that torch sees. Modules whose imports need a package at collection keep
``pytest.importorskip`` at the top.

Markers (registered in ``pyproject.toml``): ``slow``, ``slurm``, ``workflow`` (runs Snakemake
in a subprocess; ``pytest -m "not workflow"`` leaves those out, plain ``pytest`` and
``.ci/run`` run them).
"""

from __future__ import annotations

import importlib.util
from functools import cache

import numpy as np
import pytest

#: The extra of ``pyproject.toml`` that installs each optional package the tests use.
EXTRAS = {
    "torch": "learn",
    "brian2": "spiking",
    "matplotlib": "viz",
    "datashader": "viz",
    "jupytext": "viz",
    "nbclient": "viz",
    "ipykernel": "viz",
    "snakemake": "workflow",
    "jinja2": "workflow",
    "antropy": "dev",
    "neurolib": "dev",
    "reservoirpy": "dev",
    "ncps": "dev",
    "sklearn": "dev",
}


@cache
def available(name: str) -> bool:
    """Whether package ``name`` can be imported (``"cuda"``: torch sees a CUDA device)."""
    if name == "cuda":
        if not available("torch"):
            return False
        import torch

        return bool(torch.cuda.is_available())
    return importlib.util.find_spec(name) is not None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in item.iter_markers("requires"):
        for name in marker.args:
            if not available(name):
                if name == "cuda":
                    pytest.skip("torch sees no CUDA device")
                extra = EXTRAS.get(name)
                hint = f" (pip install 'neurodyn[{extra}]')" if extra else ""
                pytest.skip(f"needs {name}{hint}")


def logistic(n: int, r: float, x0: float = 0.1, transient: int = 1000) -> np.ndarray:
    """``n`` states of the logistic map x -> r x (1 - x) from ``x0`` after ``transient``
    iterations, by a plain loop."""
    x = np.empty(n)
    v = x0
    for t in range(n + transient):
        v = r * v * (1.0 - v)
        if t >= transient:
            x[t - transient] = v
    return x


def henon_x(n: int, a: float = 1.4, b: float = 0.3, transient: int = 1000) -> np.ndarray:
    """``n`` values of x of the Hénon map (x, y) -> (1 - a x^2 + y, b x) from (0.1, 0.1) after
    ``transient`` iterations, by a plain loop."""
    x = np.empty(n)
    u, v = 0.1, 0.1
    for t in range(n + transient):
        u, v = 1.0 - a * u * u + v, b * u
        if t >= transient:
            x[t - transient] = u
    return x
