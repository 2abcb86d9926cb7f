"""Models as data: equations, parameters with ranges and units, sources; generated kernels."""

from .codegen import CompiledModel, compile_model, generated_source
from .expressions import ExpressionError, parse_expression, rename_symbols
from .model import Model, ModelError, ModelInterface, Parameter, StateVariable
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
    "ModelInterface",
    "Parameter",
    "StateVariable",
    "compile_model",
    "generated_source",
    "get_model",
    "list_models",
    "list_presets",
    "model_from_dict",
    "parse_expression",
    "register_model",
    "rename_symbols",
    "with_defaults",
]
