"""Parametrised families of flows, generated as equations: Lorenz-96, Kuramoto oscillators, and
networks of flow nodes (Wilson–Cowan metapopulations) coupled through a matrix.

Each function writes the model's equations as text in the restricted grammar and returns a
:class:`~neurodyn.models.Model`, so the generated step, the symbolic Jacobian, batched sweeps
and Lyapunov spectra serve these families unchanged. The equations grow with the size (N
equations; a dense coupling matrix puts N terms in each), which suits small and medium N:
the symbolic Jacobian and the compilation grow as N**2 terms. Large dense networks have
hand-written kernels behind the same equations: :func:`neurodyn.neuralmass.simulate_network`
(matrix coupling, delays, noise) and :func:`neurodyn.flows.simulate_kuramoto`
(mean-field and matrix Kuramoto).

Adjacency convention, as in :mod:`neurodyn.networks`: ``A[i, j]`` is the weight of the edge
from node ``j`` to node ``i``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .expressions import rename_symbols, substitute
from .model import Model, ModelError, Parameter, StateVariable
from .registry import get_model, with_defaults

__all__ = ["flow_network", "kuramoto", "kuramoto_scale", "lorenz96"]

LORENZ_1996 = (
    "E. N. Lorenz, Predictability: a problem partly solved, Proc. ECMWF Seminar on "
    "Predictability, vol. 1, 1-18 (1996)"
)
KURAMOTO_1975 = (
    "Y. Kuramoto, Self-entrainment of a population of coupled non-linear oscillators, Lecture "
    "Notes in Physics 39, 420-422 (1975); S. H. Strogatz, From Kuramoto to Crawford, Physica D "
    "143, 1-20 (2000)"
)


def _dt(default: float, unit: str = "1") -> Parameter:
    return Parameter("dt", default, 1e-12, 1e3, unit, "integration time step")


def _number(value: float) -> str:
    return repr(float(value))


def _check_size(n: int, minimum: int, name: str = "n") -> int:
    if isinstance(n, bool) or int(n) != n or n < minimum:
        raise ModelError(f"{name} must be an integer >= {minimum}, not {n!r}")
    return int(n)


def lorenz96(n: int = 40, forcing: float = 8.0, *, dt: float = 0.01) -> Model:
    """Lorenz-96 with ``n`` sites: ``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F``, indices
    modulo ``n`` (Lorenz 1996). One parameter ``F`` (forcing), ``dt`` default 0.01, RK4.

    The default initial state is ``x_i = F`` with ``x_0 = F + 0.01``: ``x_i = F`` for all i is an
    equilibrium, so a run from it would not move. For F = 8 the flow is chaotic for n >= 5
    (largest Lyapunov exponent about 1.7 per unit time for n = 40).
    """
    n = _check_size(n, 4)
    state = tuple(
        StateVariable(f"x{i}", forcing + (0.01 if i == 0 else 0.0), forcing - 10, forcing + 10)
        for i in range(n)
    )
    equations = tuple(
        f"(x{(i + 1) % n} - x{(i - 2) % n}) * x{(i - 1) % n} - x{i} + F" for i in range(n)
    )
    return Model(
        name=f"lorenz96_{n}",
        kind="flow",
        state=state,
        parameters=(Parameter("F", float(forcing), -100.0, 100.0, "1", "forcing"), _dt(dt)),
        equations=equations,
        description=f"Lorenz-96 model with {n} sites on a ring",
        source=LORENZ_1996,
        notes="x_i = F is an equilibrium; the default initial state perturbs x0 by 0.01",
        integrator="rk4",
    )


def kuramoto_scale(A: np.ndarray, normalise: str) -> np.ndarray:
    """Per-node factor of the Kuramoto coupling sum ``sum_j A_ij sin(theta_j - theta_i)``.

    ``"n"``: 1/N (the classic mean field); ``"none"``: 1; ``"in_degree"``: ``1/sum_j A_ij``
    (0 for a node without inputs).
    """
    n = A.shape[0]
    if normalise == "n":
        return np.full(n, 1.0 / n)
    if normalise == "none":
        return np.ones(n)
    if normalise == "in_degree":
        degree = A.sum(axis=1)
        return np.divide(1.0, degree, out=np.zeros(n), where=degree != 0)
    raise ModelError(f"normalise must be 'n', 'none' or 'in_degree', not {normalise!r}")


def kuramoto(
    n: int | None = None,
    adjacency: np.ndarray | None = None,
    *,
    coupling: float = 1.0,
    frequencies: Iterable[float] | None = None,
    normalise: str = "n",
    dt: float = 0.01,
) -> Model:
    """Kuramoto phase oscillators: ``dtheta_i/dt = omega_i + K c sum_j A_ij sin(theta_j -
    theta_i)`` with ``c = 1/n`` (``normalise="n"``, Kuramoto's all-to-all convention), ``1``
    (``"none"``) or ``1/sum_j A_ij`` (``"in_degree"``). ``adjacency`` defaults to all-to-all
    (``n`` nodes, no self-loops). Parameters: ``K`` and one natural frequency ``omega<i>`` per
    oscillator (default 0, or ``frequencies``); phases are not wrapped.

    Equations hold one term per edge: suited to networks of up to a few dozen oscillators.
    Large populations: :func:`neurodyn.flows.simulate_kuramoto`.
    """
    if adjacency is None:
        n = _check_size(n if n is not None else 0, 2)
        A = np.ones((n, n)) - np.eye(n)
    else:
        A = np.array(adjacency, dtype=np.float64)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ModelError(f"adjacency must be square, not of shape {A.shape}")
        if n is not None and n != A.shape[0]:
            raise ModelError(f"n={n} but the adjacency has {A.shape[0]} nodes")
        n = A.shape[0]
    omega = np.zeros(n) if frequencies is None else np.asarray(list(frequencies), dtype=float)
    if omega.shape != (n,):
        raise ModelError(f"frequencies must hold {n} values")
    scale = kuramoto_scale(A, normalise)
    equations = []
    for i in range(n):
        terms = [
            (
                f"sin(theta{j} - theta{i})"
                if A[i, j] == 1.0
                else f"{_number(A[i, j])} * sin(theta{j} - theta{i})"
            )
            for j in range(n)
            if A[i, j] != 0.0 and j != i
        ]
        coupling_term = f" + K * {_number(scale[i])} * ({' + '.join(terms)})" if terms else ""
        equations.append(f"omega{i}{coupling_term}")
    parameters = (
        Parameter("K", float(coupling), -1e3, 1e3, "1", "coupling strength"),
        *(
            Parameter(
                f"omega{i}",
                float(omega[i]),
                -1e3,
                1e3,
                "rad per unit time",
                f"natural frequency of oscillator {i}",
            )
            for i in range(n)
        ),
        _dt(dt),
    )
    state = tuple(
        StateVariable(f"theta{i}", 0.0, -np.pi, np.pi, f"phase of oscillator {i} (rad)")
        for i in range(n)
    )
    return Model(
        name=f"kuramoto_{n}",
        kind="flow",
        state=state,
        parameters=parameters,
        equations=tuple(equations),
        description=f"{n} Kuramoto phase oscillators, coupling normalised by {normalise}",
        source=KURAMOTO_1975,
        notes="A[i, j]: edge from j to i; order parameter r = |mean_j exp(i theta_j)|",
        integrator="rk4",
        bound=1e12,
    )


def flow_network(
    node: Model | str,
    weights: np.ndarray,
    *,
    coupled: str,
    target: str,
    coupling: float = 1.0,
    per_node: Iterable[str] = (),
    defaults: Mapping[str, float] | None = None,
    name: str | None = None,
) -> Model:
    """The flow of ``N`` copies of ``node`` coupled by ``weights`` (N, N) as one model:
    node ``i``'s parameter ``target`` becomes ``target + G * sum_j W[i, j] * coupled_j``.

    State: ``{variable}_{i}`` node by node. Parameters: node parameters shared by all nodes,
    except those in ``per_node`` (``{parameter}_{i}``), then ``G`` (global coupling, default
    ``coupling``), then ``dt``. The node's integrator is kept. This is the equation form of
    :func:`neurodyn.neuralmass.simulate_network` without delays and noise (tested equal), for
    fixed points, Jacobians and Lyapunov spectra of small networks.
    """
    node = get_model(node) if isinstance(node, str) else node
    if node.kind != "flow":
        raise ModelError(f"node {node.name!r} is a {node.kind}, not a flow")
    W = np.array(weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or not np.all(np.isfinite(W)):
        raise ModelError("weights must be a finite square matrix")
    if coupled not in node.state_names:
        raise ModelError(f"{node.name!r} has no state variable {coupled!r}")
    node.parameter(target)
    per_node = set(per_node)
    for p in per_node:
        node.parameter(p)
    n = W.shape[0]
    shared = [p for p in node.parameters if p.name not in per_node and p.name != "dt"]
    parameters: list[Parameter] = list(shared)
    for i in range(n):
        for p in node.parameters:
            if p.name in per_node:
                description = f"{p.description} (node {i})".lstrip()
                parameters.append(
                    Parameter(f"{p.name}_{i}", p.default, p.low, p.high, p.unit, description)
                )
    parameters.append(Parameter("G", float(coupling), -1e6, 1e6, "1", "global coupling"))
    parameters.append(node.parameter("dt"))
    state, equations = [], []
    for i in range(n):
        mapping = {v: f"{v}_{i}" for v in node.state_names}
        mapping.update({p: f"{p}_{i}" for p in per_node})
        terms = [f"{_number(W[i, j])} * {coupled}_{j}" for j in range(n) if W[i, j] != 0.0]
        local = mapping.get(target, target)
        for v, equation in zip(node.state, node.equations, strict=True):
            state.append(
                StateVariable(
                    f"{v.name}_{i}",
                    v.initial,
                    v.low,
                    v.high,
                    f"{v.description} of node {i}".lstrip(),
                )
            )
            text = rename_symbols(equation, mapping)
            if terms:
                text = substitute(text, {local: f"{local} + G * ({' + '.join(terms)})"})
            equations.append(text)
    model = Model(
        name=name or f"{node.name}_network_{n}",
        kind="flow",
        state=tuple(state),
        parameters=tuple(parameters),
        equations=tuple(equations),
        description=f"{n} {node.name} nodes; {target}_i += G sum_j W[i, j] {coupled}_j",
        source=node.source,
        notes=f"W[i, j]: edge from node j to node i. Node model: {node.notes}".strip(),
        bound=node.bound,
        integrator=node.integrator,
    )
    return with_defaults(model, dict(defaults)) if defaults else model
