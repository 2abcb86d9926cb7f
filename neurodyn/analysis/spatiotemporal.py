"""Spatiotemporal measures of large networks (rings, lattices): an array of shape ``(time, node)``.

Nodes are in spatial order (ring position, or C order of a lattice flattened row by row); time
is the first axis, as in :mod:`.sync`.

- :func:`synchronization_error`: root-mean-square deviation of the nodes from the network mean,
  per time step, and its time average (0 exactly on the synchronous manifold).
- :func:`local_order_parameter`: ``Z_k(t) = |(1/(2δ+1)) Σ_{|j-k|≤δ} exp(i φ_j(t))|`` over the
  ``2δ + 1`` nodes around k on a ring (Omelchenko, Maistrenko, Hövel & Schöll, Phys. Rev. Lett.
  106, 234102 (2011), normalised here by the number of terms so that ``0 <= Z <= 1``): near 1
  in coherent domains, small in incoherent ones.
- :func:`chimera_index`: strength of incoherence ``SI`` and discontinuity measure ``η`` of Gopal,
  Chandrasekar, Venkatesan & Lakshmanan, Phys. Rev. E 89, 052914 (2014): SI = 0 coherent,
  SI = 1 incoherent, 0 < SI < 1 chimera (η = 1) or multi-chimera (η >= 2). From the state
  itself, no phases needed, so it suits map neurons.
- :func:`spatial_correlation`: cross-correlation profile ``C(d)``, the Pearson correlation over
  time of nodes ``d`` apart, averaged over node pairs (the ``Γ_ij`` of
  :func:`~.sync.cross_correlation_coefficient` along the diagonals ``j = i + d``).

All measures are dimensionless.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .sync import _time_by_node

__all__ = [
    "ChimeraIndex",
    "SyncError",
    "chimera_index",
    "local_order_parameter",
    "spatial_correlation",
    "synchronization_error",
]


class SyncError(NamedTuple):
    """``E`` (time,): ``sqrt(mean_i (x_i(t) - <x(t)>_i)^2)``; ``mean``: its time average."""

    E: np.ndarray
    mean: float


def synchronization_error(X: np.ndarray) -> SyncError:
    """Synchronisation error of activity ``X`` (time, node): the root-mean-square deviation of
    the nodes from their mean at each time, and its time average. Exactly 0 when all nodes are
    equal."""
    arr = _time_by_node(X, "X")
    shifted = arr - arr[:, :1]  # shift-invariant, and exactly 0 when the nodes are equal
    E = np.sqrt(np.mean((shifted - shifted.mean(axis=1, keepdims=True)) ** 2, axis=1))
    return SyncError(E=E, mean=float(E.mean()))


def _check_radius(radius: int, n: int) -> int:
    if isinstance(radius, bool) or int(radius) != radius or radius < 1 or 2 * radius + 1 > n:
        raise ValueError(
            f"radius must be an integer with 1 <= 2*radius + 1 <= {n}, not {radius!r}"
        )
    return int(radius)


def local_order_parameter(phases: np.ndarray, radius: int) -> np.ndarray:
    """Local order parameter ``Z`` (time, node) of ``phases`` (time, node) in radians on a ring:
    the modulus of the mean of ``exp(i φ_j)`` over the ``2 * radius + 1`` nodes ``j`` within
    ``radius`` of node ``k`` (periodic). See the module docstring for the source."""
    arr = _time_by_node(phases, "phases")
    radius = _check_radius(radius, arr.shape[1])
    z = np.exp(1j * arr)
    total = np.zeros_like(z)
    for shift in range(-radius, radius + 1):
        total += np.roll(z, shift, axis=1)
    return np.abs(total) / (2 * radius + 1)


class ChimeraIndex(NamedTuple):
    """Result of :func:`chimera_index`: ``strength_of_incoherence`` SI in [0, 1],
    ``discontinuity`` η (number of coherent domains), ``coherent`` (groups,) ``s_m``: 1 where
    group ``m`` is coherent, ``sigma`` (groups,) its time-averaged local standard deviation."""

    strength_of_incoherence: float
    discontinuity: float
    coherent: np.ndarray
    sigma: np.ndarray


def chimera_index(X: np.ndarray, groups: int, threshold: float) -> ChimeraIndex:
    """Strength of incoherence and discontinuity measure of Gopal et al. (2014) on a ring.

    With ``z_i(t) = x_i(t) - x_{i+1}(t)`` (``x_{N+1} = x_1``) and ``<z>(t)`` its mean over all
    nodes, the nodes are cut into ``groups`` = M consecutive groups of ``n = N / M`` nodes
    (when M does not divide N, as ``numpy.array_split``: sizes differ by one); group ``m`` has
    ``σ_m = < sqrt((1/n) Σ_{j in m} (z_j - <z>)^2) >_t`` and is coherent (``s_m = 1``) when
    ``σ_m < threshold``. Then ``SI = 1 - (1/M) Σ_m s_m`` and ``η = Σ_m |s_m - s_{m+1}| / 2``
    (m periodic). ``threshold`` is a small fraction of the range of ``x`` (Gopal et al. take
    about 5 %).
    """
    arr = _time_by_node(X, "X")
    n_nodes = arr.shape[1]
    if isinstance(groups, bool) or int(groups) != groups or not 2 <= groups <= n_nodes:
        raise ValueError(f"groups must be an integer in 2..{n_nodes} (nodes), not {groups!r}")
    if not threshold > 0:
        raise ValueError(f"threshold must be positive, not {threshold!r}")
    z = arr - np.roll(arr, -1, axis=1)
    z = z - z.mean(axis=1, keepdims=True)
    parts = np.array_split(z**2, int(groups), axis=1)
    sigma = np.array([np.sqrt(part.mean(axis=1)).mean() for part in parts])
    s = (sigma < threshold).astype(np.float64)
    return ChimeraIndex(
        strength_of_incoherence=float(1.0 - s.mean()),
        discontinuity=float(np.abs(s - np.roll(s, -1)).sum() / 2),
        coherent=s,
        sigma=sigma,
    )


def spatial_correlation(
    X: np.ndarray, max_distance: int | None = None, *, periodic: bool = True
) -> np.ndarray:
    """Cross-correlation profile ``C(d)``, ``d = 0..max_distance`` (default: ``N // 2`` on a
    ring, ``N - 1`` otherwise): the Pearson correlation over time of ``x_i`` and ``x_{i+d}``,
    averaged over ``i`` (all ``N`` nodes with ``i + d`` taken mod N when ``periodic``, else the
    ``N - d`` pairs inside the chain). ``C(0) = 1``. Constant nodes make it NaN."""
    arr = _time_by_node(X, "X")
    n_nodes = arr.shape[1]
    limit = n_nodes // 2 if periodic else n_nodes - 1
    max_distance = limit if max_distance is None else int(max_distance)
    if not 0 <= max_distance <= limit:
        raise ValueError(f"max_distance must lie in 0..{limit}, not {max_distance}")
    dev = arr - arr.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = dev / np.sqrt((dev**2).mean(axis=0))
    profile = np.empty(max_distance + 1)
    for d in range(max_distance + 1):
        other = np.roll(unit, -d, axis=1) if periodic else unit[:, d:]
        here = unit if periodic else unit[:, : n_nodes - d]
        profile[d] = np.mean(here * other)
    return profile
