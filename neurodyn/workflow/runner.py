"""Run a study through Snakemake from Python (the ``neurodyn sweep`` command)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import StudyError, load_study, workflow_root

__all__ = ["PROFILES", "snakemake_command", "run_study"]

PROFILES = ("local", "slurm")


def snakemake_command(
    config_path: str | os.PathLike[str],
    *,
    cores: int | str = "all",
    profile: str | None = None,
    dry_run: bool = False,
    extra: Sequence[str] = (),
) -> list[str]:
    """The Snakemake command line that runs the study in ``config_path``.

    ``profile``: ``"local"``, ``"slurm"`` (the profiles in ``workflows/profiles``) or a path to
    a profile folder. ``extra`` is appended as is (targets, ``--forceall``, ...).
    """
    root = workflow_root()
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(root / "Snakefile"),
        "--configfile",
        str(Path(config_path).resolve()),
    ]
    if profile:
        folder = root / "workflows" / "profiles" / profile if profile in PROFILES else profile
        command += ["--profile", str(folder)]
    if profile != "slurm":
        command += ["--cores", str(cores)]
    if dry_run:
        command.append("--dry-run")
    return [*command, *extra]


def _check_results(folder: Path) -> None:
    if folder.is_symlink() or (os.path.lexists(folder) and not folder.is_dir()):
        raise StudyError(f"results folder {folder} is a file or a link; refusing to write there")
    existing = folder
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise StudyError(f"results folder {folder} cannot be created or written in {existing}")


def run_study(
    config_path: str | os.PathLike[str],
    *,
    cores: int | str = "all",
    profile: str | None = None,
    dry_run: bool = False,
    extra: Sequence[str] = (),
    cwd: str | os.PathLike[str] | None = None,
) -> int:
    """Check the study config, then run it with Snakemake in ``cwd``; returns the exit code.

    Raises :class:`~.config.StudyError` for a config that cannot run, or results that cannot
    be written (``<results>/<study>`` a file or a link, or in a folder without write
    permission), before anything starts.
    """
    config = load_study(config_path)
    _check_results(Path(cwd or ".") / config["results"] / config["study"])
    command = snakemake_command(
        config_path, cores=cores, profile=profile, dry_run=dry_run, extra=extra
    )
    return subprocess.call(command, cwd=cwd)
