"""Models as data: equations, parameters with ranges and units, sources; generated kernels."""

from .builders import Preset, build_preset, presets, register_preset, resolve_model
from .codegen import CompiledModel, compile_model, generated_source
from .expressions import ExpressionError, parse_expression, rename_symbols
from .model import Model, ModelError, Parameter, StateVariable
from .nodes import node_rows
from .registry import (
    get_model,
    list_models,
    list_presets,
    model_from_dict,
    register_model,
    with_defaults,
)

__all__ = [
    "CompiledModel",
    "ExpressionError",
    "Model",
    "ModelError",
    "Parameter",
    "Preset",
    "StateVariable",
    "build_preset",
    "compile_model",
    "generated_source",
    "get_model",
    "list_models",
    "list_presets",
    "model_from_dict",
    "node_rows",
    "parse_expression",
    "presets",
    "register_model",
    "register_preset",
    "rename_symbols",
    "resolve_model",
    "with_defaults",
]
