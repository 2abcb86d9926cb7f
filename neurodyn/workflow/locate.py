"""Finding a study's result stores from wherever the code runs (a notebook, a script).

The workflow writes ``<results>/<study>/sweep.zarr`` and ``orbit.zarr`` relative to the folder
Snakemake runs in, the repository root (``results`` and ``study`` come from the study config,
``workflows/config/default.yaml`` unless another is named). A notebook opened in JupyterLab runs
with its working directory in ``notebooks/``, so that path cannot be taken relative to the
working directory: :func:`repository_root` walks up from it to the folder holding the
``Snakefile`` and ``workflows/`` instead, and :func:`open_study_store` fails with a message
saying how to produce a store that is not there.
"""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr
import yaml

from ..store import is_store, open_dataset
from .config import StudyError, workflow_root

__all__ = ["DEFAULT_CONFIG", "open_study_store", "repository_root", "study_results"]

#: The study config of the default study, relative to the repository root.
DEFAULT_CONFIG = "workflows/config/default.yaml"


def _is_root(path: Path) -> bool:
    return (path / "Snakefile").is_file() and (path / "workflows").is_dir()


def repository_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: the working directory) that holds a
    ``Snakefile`` and ``workflows/``; if there is none, the checkout neurodyn is installed from
    (:func:`~neurodyn.workflow.workflow_root`). Raises :class:`StudyError` if neither exists."""
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    return workflow_root()


def study_results(
    config: str | os.PathLike[str] = DEFAULT_CONFIG, start: str | os.PathLike[str] | None = None
) -> Path:
    """The result folder ``<root>/<results>/<study>`` of the study ``config`` (a path relative
    to the repository root, or absolute)."""
    root = repository_root(start)
    path = root / config
    if not path.is_file():
        raise StudyError(f"no study config at {path}")
    values = yaml.safe_load(path.read_text()) or {}
    if "study" not in values:
        raise StudyError(f"{path} names no study (key 'study')")
    return root / str(values.get("results", "results")) / str(values["study"])


def open_study_store(
    name: str,
    config: str | os.PathLike[str] = DEFAULT_CONFIG,
    start: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """Open the store ``name`` (``"sweep.zarr"``, ``"orbit.zarr"``) of the study ``config``
    lazily (:func:`neurodyn.store.open_dataset`).

    Raises :class:`FileNotFoundError` naming the path and the command that writes the store
    when it is not there."""
    results = study_results(config, start)
    path = results / name
    if not is_store(path):
        root = repository_root(start)
        raise FileNotFoundError(
            f"no {name} of study {results.name!r} at {path}. Produce it by running the study "
            f"from {root}: `neurodyn sweep {config}` (or `snakemake --cores all`); "
            "`neurodyn sweep workflows/config/tiny.yaml` runs a small study (study 'tiny': "
            "pass config='workflows/config/tiny.yaml' here)."
        )
    return open_dataset(path)
