"""Generate numba kernels from a :class:`~neurodyn.models.model.Model`'s equations.

Generated per model (``X``, ``P`` are structure-of-arrays batches so that loops over the batch
index vectorise):

``advance(X, P, lo, hi, n, bound, ok)``
    advances points ``lo <= i < hi`` by ``n`` iterations, in place: ``X`` has shape
    ``(n_state, batch)``, ``P`` has shape ``(n_param, batch)`` in the order of
    ``model.parameters``. ``ok[i]`` turns False (and stays so) when a new state value is NaN, inf
    or larger than ``bound`` in magnitude. Rows of the block are taken as 1-D views before a loop
    counted from zero, which lets LLVM prove the loop free of dependences and negative indices,
    and vectorise it.
    For a flow, one iteration is one step of the model's explicit Runge-Kutta integrator
    (:mod:`.integrators`) with the time step in the parameter ``dt``.
``evaluate(S, P, i, OUT)`` / ``evaluate_jacobian(S, P, i, OUT)``
    the equations (next state of a map, derivative of a flow) and their analytic Jacobian at the
    1-D state ``S`` with the parameters of point ``i``.
``jacobian(X, P, i, J)``
    the Jacobian of one iteration at point ``i`` (``J[r, c] = d x'_r / d x_c``): for a map the
    analytic Jacobian of its equations, for a flow the Jacobian of the integrator step (the
    tangent dynamics through the same integrator as the trajectory).
``rhs(X, P, OUT, lo, hi)``
    the equations (next state of a map, derivative of a flow) at columns ``lo <= i < hi`` of
    ``X`` with the parameters ``P[:, i]``, written into ``OUT[:, i]`` (same shape as ``X``),
    vectorised like ``advance``. Hand-written integrators (noise, delays, networks with matrix
    coupling) build on it, so they evaluate the same generated expressions.
``tangent_step(X, P, J, lo, hi, bound, ok)`` (maps only; ``None`` for flows)
    one iteration of points ``lo <= i < hi`` with their Jacobian: writes the Jacobian at the
    current state into ``J[r, c, i - lo]`` (``J`` of shape ``(n_state, n_state, >= hi - lo)``;
    entries that are zero for every state are not written), then advances ``X`` by one
    iteration exactly as ``advance`` does (same expressions, same bits), flagging ``ok`` alike.
    The loop over points vectorises; the Lyapunov kernel is built on it.

The source is printed from the model's sympy expressions by :mod:`.generate`. It is kept in a
disk cache keyed by the model's definition (kind, integrator, names, equations) and by the code
that generates it (:func:`generated_source`), so that a process whose models were generated
before imports neither sympy nor the generator; the compiled kernels built on these functions
are cached by numba (:mod:`.jit`).

Common subexpressions are shared (``sympy.cse``); ``exp`` becomes :func:`.vecmath.vexp`. All
functions are compiled with numba's ``error_model="numpy"``: a division by zero gives inf or
NaN -- which the kernels flag as divergence -- instead of raising ZeroDivisionError in the
middle of a sweep, and the loops carry no exception branches, so LLVM vectorises the ones with
divisions (a Wilson–Cowan step four times faster).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .integrators import TABLEAUS, map_jacobian, runge_kutta_jacobian
from .jit import stable_jit
from .model import Model
from .vecmath import vexp

__all__ = [
    "CompiledModel",
    "compile_model",
    "generated_source",
    "source_cache_dir",
    "source_file",
]

#: the modules whose code determines the generated source (a change to any misses the cache)
_GENERATOR_MODULES = ("expressions.py", "model.py", "generate.py", "integrators.py")


def source_cache_dir() -> Path:
    """Where generated sources are kept: ``$NUMBA_CACHE_DIR/neurodyn-source`` when numba's cache
    is moved, else ``__pycache__/generated`` beside this module (as numba does for kernels)."""
    root = os.environ.get("NUMBA_CACHE_DIR")
    if root:
        return Path(root) / "neurodyn-source"
    return Path(__file__).parent / "__pycache__" / "generated"


@cache
def _generator_digest() -> bytes:
    digest = hashlib.sha256()
    for name in _GENERATOR_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.digest()


def _source_key(model: Model) -> str:
    digest = hashlib.sha256(_generator_digest())
    definition = (model.kind, model.integrator, model.state_names, model.parameter_names)
    digest.update(repr((*definition, model.equations)).encode())
    return digest.hexdigest()[:40]


def generated_source(model: Model) -> str:
    """The Python source of the functions generated for ``model`` (see the module docstring).

    Read from :func:`source_cache_dir` when the same definition was generated before by the
    same generator code; otherwise printed by :mod:`.generate` and stored there.
    """

    def generate() -> str:
        from .generate import generate_source

        return generate_source(model)

    return source_file(f"{_source_key(model)}.src", generate)[1]


def source_file(name: str, make: Callable[[], str]) -> tuple[Path, str]:
    """The file ``name`` in :func:`source_cache_dir` and its text: read when it exists, else
    made by ``make()`` and stored (atomically, so concurrent processes never read half a file;
    a cache that cannot be written is skipped, and then the path does not exist). A name must
    say everything its text depends on (a digest of it); a file once written is never
    rewritten, so that numba's disk cache of functions compiled from it stays valid."""
    path = source_cache_dir() / name
    try:
        return path, path.read_text()
    except OSError:
        pass
    text = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as file:
            file.write(text)
        os.replace(file.name, path)
    except OSError:
        pass
    return path, text


@dataclass(frozen=True)
class CompiledModel:
    """The numba functions generated for a model (see the module docstring for signatures)."""

    model: Model
    advance: object
    jacobian: object
    evaluate: object
    evaluate_jacobian: object
    source: str
    rhs: object = None
    tangent_step: object = None
    #: extra last argument of ``advance`` (a network's structure); None for models
    plan: object = None


@cache
def compile_model(model: Model) -> CompiledModel:
    """Generate and jit-compile ``model``'s step and Jacobian (cached per model definition).

    The generated text comes from sympy trees built by the restricted grammar of
    :mod:`.expressions`, never from user text directly. Models whose generated code is the
    same (a model and its presets, which differ only in default values) share one set of
    compiled functions, and so the kernels built on them.

    An object that is not a :class:`Model` but has the model interface and a ``compile()``
    method (the network kernel, :class:`neurodyn.networks.Network`) compiles itself.
    """
    if not isinstance(model, Model):
        return model.compile()
    source = generated_source(model)
    functions = _compile_source(source, model.kind, model.integrator, model.name)
    if model.kind == "flow":
        dt_row = model.parameter_names.index("dt")
        jacobian = runge_kutta_jacobian(
            functions["evaluate"],
            functions["evaluate_jacobian"],
            TABLEAUS[model.integrator],
            dt_row,
        )
    else:
        jacobian = map_jacobian(functions["evaluate_jacobian"])
    return CompiledModel(model=model, jacobian=jacobian, source=source, **functions)


_COMPILED: dict[tuple[str, str, str], dict[str, object]] = {}


def _compile_source(source: str, kind: str, integrator: str, name: str) -> dict[str, object]:
    key = (source, kind, integrator)
    if key not in _COMPILED:
        namespace: dict[str, object] = {"math": math, "vexp": vexp}
        exec(compile(source, f"<neurodyn model {name}>", "exec"), namespace)  # noqa: S102
        _COMPILED[key] = {
            function: stable_jit(*key, function, cache=False, error_model="numpy")(
                namespace[function]
            )
            for function in ("advance", "evaluate", "evaluate_jacobian", "rhs", "tangent_step")
            if function in namespace
        }
    return _COMPILED[key]
