"""Settings of a report, from a dict (a workflow's config section) or a YAML/JSON file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["ReportConfig", "load_config"]


@dataclass
class ReportConfig:
    """What a report shows.

    ``title``: the report's heading (default: the model's name). ``points``: parameter dicts of
    the points shown in detail (phase portraits and the table); each may add ``ic`` (initial
    state index, default 0) and ``label``; default: the most and least synchronised points and
    those of largest and smallest λ1. ``orbit_variable``: the state variable of the orbit
    diagram (default: the first). ``ic``: the initial state of the two-parameter charts.
    ``slices``: how many values of the other coupling get a line in the plots against
    coupling. ``curves``: stores of two-parameter bifurcation curves
    (:meth:`~neurodyn.analysis.bifurcation.Branch.to_dataset`) to draw over the charts.
    """

    title: str | None = None
    points: list[dict[str, Any]] = field(default_factory=list)
    orbit_variable: str | None = None
    ic: int = 0
    slices: int = 4
    curves: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> ReportConfig:
        """Check ``values`` and build the settings; unknown keys and bad values raise
        ValueError naming the key."""
        values = dict(values or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown report setting(s) {unknown}; accepted: {', '.join(sorted(known))}"
            )
        config = cls(**values)
        if not isinstance(config.points, list) or not all(
            isinstance(p, dict) for p in config.points
        ):
            raise ValueError("points must be a list of mappings of parameter values")
        if not isinstance(config.curves, list):
            raise ValueError("curves must be a list of store paths")
        if int(config.slices) != config.slices or config.slices < 1:
            raise ValueError(f"slices must be a positive integer, not {config.slices!r}")
        if int(config.ic) != config.ic or config.ic < 0:
            raise ValueError(f"ic must be a non-negative integer, not {config.ic!r}")
        return config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read report settings from a YAML (or JSON) file; an empty file gives no settings."""
    with open(path, encoding="utf-8") as handle:
        values = yaml.safe_load(handle)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: report settings must be a mapping, not {type(values).__name__}")
    return values
