"""Networks of map neurons written as brian2 code, an independent check of the numba kernels.

:func:`brian2_map_network` builds, from a catalogued map's equation text (the same text the
numba kernel is generated from), a brian2 ``NeuronGroup`` whose state is updated once per
clock tick by ``run_regularly``, and a ``Synapses`` object that sums the diffusive coupling
``sigma * sum_j A_ij (x_j - x_i)`` (``A[i, j]``: edge from node j to node i, the convention of
:mod:`neurodyn.networks`). All variables are updated from the old state, as in the numba step.
It equals ``network_model(nodes, [DiffusiveCoupling(A, ...)], shared=True)`` iterated by the
numba kernel to rounding (tested to 1e-12). brian2 runs with its numpy code-generation target
(no compiler needed).

Only equations that brian2's expression language shares with neurodyn's grammar are accepted
(arithmetic, powers and the common functions; no ``where``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..models import Model, ModelError, get_model
from ..provenance import provenance

__all__ = ["brian2_map_network"]


def _brian2():
    import brian2

    brian2.prefs.codegen.target = "numpy"
    return brian2


def brian2_map_network(
    node: Model | str,
    adjacency: np.ndarray,
    *,
    steps: int,
    initial: np.ndarray,
    parameters: dict[str, float] | None = None,
    sigma: float = 0.01,
    variable: str = "x",
) -> xr.Dataset:
    """Iterate ``N`` copies of the map ``node`` with diffusive coupling of strength ``sigma``
    on ``variable`` for ``steps`` iterations with brian2; ``initial`` (n_state, N).

    Returns a Dataset of the states after each iteration, dims ``(iteration, node)``.
    """
    b2 = _brian2()
    node = get_model(node) if isinstance(node, str) else node
    if node.kind != "map":
        raise ModelError(f"{node.name!r} is a {node.kind}, not a map")
    if any("where" in eq for eq in node.equations):
        raise ModelError(f"{node.name!r} uses where(), which brian2 expressions lack")
    A = np.array(adjacency, dtype=np.float64)
    n = A.shape[0]
    np.fill_diagonal(A, 0.0)
    X0 = np.asarray(initial, dtype=np.float64)
    if X0.shape != (node.n_state, n):
        raise ValueError(f"initial must have shape ({node.n_state}, {n})")
    values = node.resolve_parameters(parameters or {})
    reserved = {"coupling", "sigma", "w"} & set(node.state_names + node.parameter_names)
    if reserved:
        raise ModelError(f"{node.name!r} uses the reserved names {sorted(reserved)}")

    declarations = [f"{v} : 1" for v in node.state_names]
    declarations += ["coupling : 1"] + [f"{p} : 1 (shared)" for p in node.parameter_names]
    declarations += ["sigma : 1 (shared)"]
    update = []
    for v, equation in zip(node.state_names, node.equations, strict=True):
        extra = " + sigma * coupling" if v == variable else ""
        update.append(f"{v}_next = {equation}{extra}")
    update += [f"{v} = {v}_next" for v in node.state_names]

    b2.start_scope()
    group = b2.NeuronGroup(n, "\n".join(declarations), dt=1 * b2.ms)
    synapses = b2.Synapses(
        group,
        group,
        model=f"w : 1\ncoupling_post = w * ({variable}_pre - {variable}_post) : 1 (summed)",
        dt=1 * b2.ms,
    )
    targets, sources = np.nonzero(A)
    if targets.size:
        synapses.connect(i=sources, j=targets)
        synapses.w = A[targets, sources]
    for name in node.parameter_names:
        setattr(group, name, float(values[name]))
    group.sigma = float(sigma)
    for r, v in enumerate(node.state_names):
        setattr(group, v, X0[r])
    group.run_regularly("\n".join(update), dt=1 * b2.ms, when="end")
    monitor = b2.StateMonitor(group, list(node.state_names), record=True, when="end", order=100)
    b2.Network(group, synapses, monitor).run(int(steps) * b2.ms)
    data = {v: (("iteration", "node"), np.asarray(getattr(monitor, v)).T) for v in node.state_names}
    attrs = {
        "model": node.name,
        "backend": f"brian2 {b2.__version__} (numpy target)",
        "coupling": f"diffusive on {variable}: sigma * sum_j A_ij ({variable}_j - {variable}_i)",
        "sigma": float(sigma),
        "update": "\n".join(update),
        **{k: str(v) for k, v in provenance().items()},
    }
    coords = {"iteration": np.arange(1, int(steps) + 1), "node": np.arange(n)}
    return xr.Dataset(data, coords=coords, attrs=attrs)
