"""Spiking networks as data: the records of ``networks.yaml`` (the format is described at the
top of that file) and the numbers they stand for.

A :class:`SpikingNetwork` holds one record; its expressions (equations, threshold, reset,
weights, in-degrees, bounds of the initial distribution) are in the restricted grammar of
:mod:`neurodyn.models.expressions` over the record's parameter and state names, and
:meth:`SpikingNetwork.value` evaluates one for given parameter values. The brian2 code is
generated from the record by :mod:`.brian2gen` and built by :mod:`.populations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..models.expressions import parse_expression

__all__ = ["SpikingNetwork", "get_spiking_network", "list_spiking_networks"]

UNITS = ("1", "ms", "mV", "Hz")
"""Units a record may give (times in ms, potentials in mV, rates in Hz)."""


@dataclass(frozen=True)
class SpikingNetwork:
    """One record of ``networks.yaml``: ``name``, ``description``, ``source``, ``notes`` and
    the sections ``neuron``, ``populations``, ``synapses``, ``drive``, ``parameters`` as read."""

    name: str
    description: str
    source: str
    notes: str
    neuron: Mapping[str, Any]
    populations: Mapping[str, Mapping[str, Any]]
    synapses: Mapping[str, Mapping[str, Any]]
    drive: Mapping[str, Any]
    parameters: Mapping[str, Mapping[str, Any]]

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(self.neuron["state"])

    @property
    def per_neuron(self) -> tuple[str, ...]:
        """Parameters of the neuron equations set by population."""
        return tuple(self.neuron.get("per_neuron", {}))

    def defaults(self) -> dict[str, float]:
        return {name: spec["default"] for name, spec in self.parameters.items()}

    def units(self, name: str) -> str:
        """Units of a state variable, per-neuron parameter or parameter."""
        for section in (self.neuron["state"], self.neuron.get("per_neuron", {}), self.parameters):
            if name in section:
                return str(section[name]["units"])
        raise KeyError(f"{name!r} is not a state variable or parameter of {self.name!r}")

    def expression(self, text: object, extra: tuple[str, ...] = ()) -> Any:
        """The sympy form of an expression of the record over its parameters (and ``extra``
        names)."""
        return parse_expression(str(text), (*self.parameters, *extra))

    def condition(self, text: object, extra: tuple[str, ...] = ()) -> Any:
        """The sympy form of a condition (``v >= theta``; the grammar's conditions, as in
        ``where``) over the record's parameters and ``extra`` names."""
        piecewise = self.expression(f"where({text}, 1, 0)", extra)
        return piecewise.args[0][1]

    def value(self, text: object, values: Mapping[str, float]) -> float:
        """The number an expression of parameters stands for at ``values``."""
        expr = self.expression(text)
        return float(expr.subs({s: values[s.name] for s in expr.free_symbols}))


def _check(name: str, entry: Mapping[str, Any]) -> None:
    sections = ("neuron", "populations", "synapses", "drive", "parameters", "source")
    missing = [s for s in sections if s not in entry]
    if missing:
        raise ValueError(f"spiking network {name!r} lacks {missing}")
    for key, spec in entry["parameters"].items():
        if spec.get("units") not in UNITS or spec.get("source") not in ("paper", "chosen"):
            raise ValueError(
                f"spiking network {name!r}, parameter {key!r}: units must be one of {UNITS} "
                "and source 'paper' or 'chosen'"
            )


@cache
def _records() -> dict[str, SpikingNetwork]:
    text = resources.files("neurodyn.spiking").joinpath("networks.yaml").read_text()
    records = {}
    for name, entry in yaml.safe_load(text).items():
        _check(name, entry)
        records[name] = SpikingNetwork(
            name=name,
            description=str(entry.get("description", "")),
            source=str(entry["source"]),
            notes=str(entry.get("notes", "")),
            neuron=entry["neuron"],
            populations=entry["populations"],
            synapses=entry["synapses"],
            drive=entry["drive"],
            parameters=entry["parameters"],
        )
    return records


def list_spiking_networks() -> list[str]:
    """Names of the spiking networks of ``networks.yaml``."""
    return list(_records())


def get_spiking_network(name: str) -> SpikingNetwork:
    """The record ``name`` of ``networks.yaml``; ValueError naming the known ones otherwise."""
    records = _records()
    if name not in records:
        raise ValueError(f"unknown spiking network {name!r} (known: {', '.join(records)})")
    return records[name]
