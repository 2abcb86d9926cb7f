"""Networks of map neurons written as brian2 code, an independent check of the numba kernels.

:func:`brian2_map_network` builds, from a catalogued map's equations (printed by
:mod:`.brian2gen` from the same sympy trees the numba kernel is generated from, piecewise maps
included), a brian2 ``NeuronGroup`` whose state is updated once per clock tick by
``run_regularly``, and a ``Synapses`` object for the coupling on ``variable`` (``A[i, j]``: edge
from node j to node i, the convention of :mod:`neurodyn.networks`):

- ``"diffusive"``: ``sigma * sum_j A_ij (x_j - x_i)``, as
  :class:`~neurodyn.networks.DiffusiveCoupling`;
- ``"chemical"``: ``g (V_s - x_i) sum_j A_ij / (1 + exp(-lambda_s (x_j - theta_s)))`` with
  ``g = sigma`` (Belykh et al. 2005), as :class:`~neurodyn.networks.ChemicalSynapse`; its
  ``V_s``, ``lambda_s``, ``theta_s`` come from ``synapse`` (default: that class's defaults).

Every parameter may be one number or one value per neuron (heterogeneous networks). All
variables are updated from the old state, as in the numba step. brian2 runs with its numpy
code-generation target (no compiler needed); it equals the numba kernel to rounding (tested
step by step for every catalogued map).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..models import Model, ModelError, get_model
from ..networks import ChemicalSynapse
from ..provenance import provenance
from .brian2gen import brian2_equations, brian2_names

__all__ = ["COUPLINGS", "brian2_map_network"]

COUPLINGS = ("diffusive", "chemical")
"""Couplings :func:`brian2_map_network` builds."""


def _brian2():
    import brian2

    brian2.prefs.codegen.target = "numpy"
    return brian2


def _per_neuron(name: str, value: object, n: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise ValueError(f"parameter {name!r} must be a number or {n} values (one per neuron)")
    return np.broadcast_to(arr, (n,)).copy()


def _synapse_constants(synapse: Mapping[str, float] | None) -> dict[str, float]:
    defaults = ChemicalSynapse(np.zeros((1, 1)))
    values = {
        "V_s": defaults.reversal_default,
        "lambda_s": defaults.slope_default,
        "theta_s": defaults.threshold_default,
    }
    unknown = set(synapse or {}) - set(values)
    if unknown:
        raise ValueError(f"unknown synapse constants {sorted(unknown)}; expected {sorted(values)}")
    values.update({k: float(v) for k, v in (synapse or {}).items()})
    return values


def brian2_map_network(
    node: Model | str,
    adjacency: np.ndarray,
    *,
    steps: int,
    initial: np.ndarray,
    parameters: Mapping[str, object] | None = None,
    sigma: float = 0.01,
    variable: str = "x",
    coupling: str = "diffusive",
    synapse: Mapping[str, float] | None = None,
) -> xr.Dataset:
    """Iterate ``N`` copies of the map ``node`` coupled on ``variable`` (strength ``sigma``)
    for ``steps`` iterations with brian2; ``initial`` (n_state, N); ``parameters`` numbers or
    one value per neuron.

    Returns a Dataset of the states after each iteration, dims ``(iteration, node)``.
    """
    b2 = _brian2()
    node = get_model(node) if isinstance(node, str) else node
    if node.kind != "map":
        raise ModelError(f"{node.name!r} is a {node.kind}, not a map")
    if coupling not in COUPLINGS:
        raise ValueError(f"unknown coupling {coupling!r}; expected one of {COUPLINGS}")
    if variable not in node.state_names:
        raise ModelError(f"coupling on {variable!r}, which {node.name!r} lacks")
    A = np.array(adjacency, dtype=np.float64)
    n = A.shape[0]
    np.fill_diagonal(A, 0.0)
    X0 = np.asarray(initial, dtype=np.float64)
    if X0.shape != (node.n_state, n):
        raise ValueError(f"initial must have shape ({node.n_state}, {n})")
    values = {**node.defaults(), **dict(parameters or {})}
    node.resolve_parameters({k: np.asarray(v) for k, v in (parameters or {}).items()})
    names = brian2_names(node)
    equations = brian2_equations(node)
    constants = _synapse_constants(synapse)

    declarations = [f"{names[v]} : 1" for v in node.state_names]
    declarations += ["coupling : 1", "sigma_coupling : 1 (shared)"]
    declarations += [f"{names[p]} : 1" for p in node.parameter_names]
    x_post = names[variable]
    if coupling == "diffusive":
        summed = f"w * ({x_post}_pre - {x_post}_post)"
        term = "sigma_coupling * coupling"
    else:
        summed = (
            f"w / (1 + exp(-{constants['lambda_s']!r} * ({x_post}_pre - {constants['theta_s']!r})))"
        )
        term = f"sigma_coupling * ({constants['V_s']!r} - {x_post}) * coupling"
    update = []
    for v in node.state_names:
        extra = f" + {term}" if v == variable else ""
        update.append(f"{names[v]}_next = {equations[v]}{extra}")
    update += [f"{names[v]} = {names[v]}_next" for v in node.state_names]

    b2.start_scope()
    group = b2.NeuronGroup(n, "\n".join(declarations), dt=1 * b2.ms)
    synapses = b2.Synapses(
        group, group, model=f"w : 1\ncoupling_post = {summed} : 1 (summed)", dt=1 * b2.ms
    )
    targets, sources = np.nonzero(A)
    if targets.size:
        synapses.connect(i=sources, j=targets)
        synapses.w = A[targets, sources]
    for name in node.parameter_names:
        setattr(group, names[name], _per_neuron(name, values[name], n))
    group.sigma_coupling = float(sigma)
    for r, v in enumerate(node.state_names):
        setattr(group, names[v], X0[r])
    group.run_regularly("\n".join(update), dt=1 * b2.ms, when="end")
    recorded = [names[v] for v in node.state_names]
    monitor = b2.StateMonitor(group, recorded, record=True, when="end", order=100)
    b2.Network(group, synapses, monitor).run(int(steps) * b2.ms)
    data = {
        v: (("iteration", "node"), np.asarray(getattr(monitor, names[v])).T)
        for v in node.state_names
    }
    description = (
        f"diffusive on {variable}: sigma * sum_j A_ij ({variable}_j - {variable}_i)"
        if coupling == "diffusive"
        else f"chemical on {variable}: sigma (V_s - {variable}_i) sum_j A_ij / (1 + "
        f"exp(-lambda_s ({variable}_j - theta_s))), {constants}"
    )
    attrs = {
        "model": node.name,
        "backend": f"brian2 {b2.__version__} (numpy target)",
        "coupling": description,
        "sigma": float(sigma),
        "update": "\n".join(update),
        **{k: str(v) for k, v in provenance().items()},
    }
    coords = {"iteration": np.arange(1, int(steps) + 1), "node": np.arange(n)}
    return xr.Dataset(data, coords=coords, attrs=attrs)
