"""Provenance attributes for results: package versions and the git revision of the code."""

from __future__ import annotations

import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

__all__ = ["git_revision", "package_versions", "provenance"]

_PACKAGES = ("neurodyn", "numpy", "numba", "scipy", "sympy", "xarray", "zarr")


@cache
def package_versions() -> dict[str, str]:
    """Installed versions of neurodyn and the packages its numbers depend on."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@cache
def git_revision() -> str:
    """The git commit of the neurodyn source tree (``+dirty`` if modified), or ``unknown``."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def provenance() -> dict[str, object]:
    """Attributes every stored result carries: package versions and git revision."""
    return {"package_versions": dict(package_versions()), "git_revision": git_revision()}
