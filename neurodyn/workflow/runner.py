"""Run a study through Snakemake from Python (the ``neurodyn sweep`` command)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from .config import StudyError, load_study, workflow_root
from .plan import preflight

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
    """Check the study config and its estimate, then run it with Snakemake in ``cwd``.

    Returns the exit code. Raises :class:`~.config.StudyError` for a config that cannot run,
    whose estimate does not fit (:func:`.plan.preflight`), or whose results cannot be written
    (``<results>/<study>`` a file or a link, or in a folder without write permission), before
    anything starts. A dry run prints the estimate (jobs, each rule's memory, disk and runtime)
    before Snakemake's plan.
    """
    config = load_study(config_path)
    _check_results(Path(cwd or ".") / config["results"] / config["study"])
    if cwd is not None and not Path(config["results"]).is_absolute():
        config["results"] = str(Path(cwd) / config["results"])
    command = snakemake_command(
        config_path, cores=cores, profile=profile, dry_run=dry_run, extra=extra
    )
    estimate = preflight(config, _slots(cores, profile), cluster=profile == "slurm")
    if dry_run:
        print(estimate.summary(), flush=True)
    return subprocess.call(command, cwd=cwd)


def _slots(cores: int | str, profile: str | None) -> int:
    """Job slots Snakemake will see: the profile's ``jobs`` (cluster) or ``cores``."""
    folder = workflow_root() / "workflows" / "profiles" / profile if profile in PROFILES else None
    if profile and folder is None:
        folder = Path(profile)
    settings = folder / "config.yaml" if folder else None
    if settings is not None and settings.is_file():
        jobs = (yaml.safe_load(settings.read_text()) or {}).get("jobs")
        if isinstance(jobs, int):
            return jobs
    if cores == "all":
        return os.cpu_count() or 1
    try:
        return int(cores)
    except ValueError:
        raise StudyError(f"--cores {cores!r}: give a number of cores or all") from None
