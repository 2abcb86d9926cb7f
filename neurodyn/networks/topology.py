"""Network topologies as adjacency matrices, and the 2-simplices (triangles) of a graph.

Convention
----------
``A[i, j]`` is the weight of the edge **from node j to node i**: node ``j`` acts on node ``i``
(row = receiving node, column = sending node). An undirected graph has a symmetric ``A``. Every
function here returns a new ``float64`` array of shape ``(n, n)`` with unit weights and a zero
diagonal (no self-loops), except :func:`from_matrix`, which keeps what it is given.

Nodes are numbered from 0. Random graphs take a ``seed`` (an ``int`` or a
``numpy.random.Generator``); the same seed gives the same graph.

Large networks: :func:`ring` and :func:`lattice_2d` take ``sparse=True`` and then return a
``scipy.sparse.csr_array`` (a 10 000-node dense matrix is 800 MB); :func:`from_matrix` accepts
either form, :func:`load_adjacency` reads a connectome from a file, :func:`as_csr` turns any
accepted form into CSR. The network kernel (:func:`~neurodyn.networks.network`) works from CSR;
the generated network model (:func:`~neurodyn.networks.network_model`) from dense matrices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

__all__ = [
    "all_to_all",
    "as_csr",
    "chain",
    "clique_triangles",
    "erdos_renyi",
    "from_matrix",
    "lattice_2d",
    "load_adjacency",
    "ring",
    "ring_star",
    "star",
    "validate_triangles",
    "watts_strogatz",
]


def _check_count(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return int(value)


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise ValueError("a random graph needs a seed (an int or a numpy.random.Generator)")
    return np.random.default_rng(seed)


def from_matrix(matrix: object, name: str = "adjacency") -> np.ndarray | sp.csr_array:
    """Validate a given adjacency matrix and return it as a new ``float64`` array (a
    ``scipy.sparse`` matrix is returned as a ``csr_array`` with sorted indices, duplicates summed
    and explicit zeros removed).

    It must be 2-D, square, real and finite (``A[i, j]``: weight of the edge from j to i).
    A non-zero diagonal (a self-loop, an autapse) is kept; diffusive couplings ignore it since
    ``x_i - x_i = 0``. Raises :class:`ValueError` naming the problem.
    """
    if sp.issparse(matrix):
        try:
            array = sp.csr_array(matrix, dtype=np.float64, copy=True)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real numeric matrix") from None
        values = array.data
    else:
        try:
            array = np.array(matrix, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a real numeric matrix") from None
        values = array
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise ValueError(f"{name} must be a square 2-D matrix, not of shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} must have at least one node")
    if not np.all(np.isfinite(values)):
        if sp.issparse(array):
            coo = array.tocoo()
            k = int(np.flatnonzero(~np.isfinite(coo.data))[0])
            bad = (int(coo.row[k]), int(coo.col[k]))
        else:
            bad = tuple(int(v) for v in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"{name} contains NaN or inf (first at {bad})")
    if sp.issparse(array):
        array.sum_duplicates()
        array.eliminate_zeros()
        array.sort_indices()
    return array


def as_csr(adjacency: object, name: str = "adjacency") -> sp.csr_array:
    """Any adjacency :func:`from_matrix` accepts, as a validated ``csr_array`` (row = receiving
    node, sorted column indices, no explicit zeros)."""
    A = from_matrix(adjacency, name)
    return A if sp.issparse(A) else sp.csr_array(A)


def _from_edges(n: int, targets: np.ndarray, sources: np.ndarray, sparse: bool):
    """Unit-weight adjacency with ``A[targets, sources] = 1``, dense or CSR."""
    if sparse:
        data = np.ones(targets.size)
        return as_csr(sp.coo_array((data, (targets, sources)), shape=(n, n)))
    A = np.zeros((n, n))
    A[targets, sources] = 1.0
    return A


def ring(n: int, radius: int = 1, *, directed: bool = False, sparse: bool = False):
    """A ring of ``n`` nodes, each coupled to its ``radius`` nearest neighbours on each side.

    ``radius`` is R of the ring-network literature (2R neighbours in all; k = 2R in
    Watts–Strogatz notation); ``2 * radius < n`` is required so no edge repeats. With
    ``directed``, node ``i`` receives only from ``i - 1, ..., i - radius`` (mod n). ``sparse``:
    a ``csr_array`` instead of a dense array.
    """
    n = _check_count("n", n, 3)
    radius = _check_count("radius", radius, 1)
    if 2 * radius >= n:
        raise ValueError(f"ring radius {radius} needs more than {2 * radius} nodes, not n={n}")
    nodes = np.arange(n)
    shifts = [-s for s in range(1, radius + 1)]
    if not directed:
        shifts += list(range(1, radius + 1))
    targets = np.tile(nodes, len(shifts))
    sources = np.concatenate([(nodes + shift) % n for shift in shifts])
    return _from_edges(n, targets, sources, sparse)


def lattice_2d(
    rows: int,
    cols: int,
    radius: int = 1,
    *,
    neighbourhood: str = "von_neumann",
    periodic: bool = True,
    sparse: bool = False,
):
    """A 2-D square lattice of ``rows * cols`` nodes, node ``r * cols + c`` at row ``r``,
    column ``c`` (C order, so a state vector reshapes to the ``(rows, cols)`` image).

    Each node is coupled both ways to the nodes within ``radius`` lattice steps: in the
    ``"von_neumann"`` neighbourhood ``|dr| + |dc| <= radius`` (4 neighbours at radius 1), in
    the ``"moore"`` neighbourhood ``max(|dr|, |dc|) <= radius`` (8 at radius 1). ``periodic``
    wraps both directions (a torus; ``2 * radius < rows, cols`` is then required so no edge
    repeats); otherwise nodes at the border have fewer neighbours.
    """
    rows = _check_count("rows", rows, 1)
    cols = _check_count("cols", cols, 1)
    radius = _check_count("radius", radius, 1)
    if neighbourhood not in ("von_neumann", "moore"):
        raise ValueError(f"neighbourhood must be 'von_neumann' or 'moore', not {neighbourhood!r}")
    if periodic and 2 * radius >= min(rows, cols):
        raise ValueError(
            f"a periodic lattice of radius {radius} needs more than {2 * radius} rows and "
            f"columns, not {rows} x {cols}"
        )
    r, c = np.divmod(np.arange(rows * cols), cols)
    targets, sources = [], []
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            reach = abs(dr) + abs(dc) if neighbourhood == "von_neumann" else max(abs(dr), abs(dc))
            if (dr, dc) == (0, 0) or reach > radius:
                continue
            rr, cc = r + dr, c + dc
            if periodic:
                rr, cc = rr % rows, cc % cols
                inside = np.ones(r.size, dtype=bool)
            else:
                inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
            targets.append(np.flatnonzero(inside))
            sources.append(rr[inside] * cols + cc[inside])
    return _from_edges(rows * cols, np.concatenate(targets), np.concatenate(sources), sparse)


def load_adjacency(path: str | Path, n: int | None = None):
    """A connectome (weighted, possibly directed adjacency) read from a file.

    * ``.npy``: a dense square matrix (``A[i, j]``: edge from j to i);
    * ``.npz``: a ``scipy.sparse.save_npz`` matrix (returned as CSR);
    * ``.csv``: a dense square matrix, comma separated, no header;
    * ``.txt``, ``.edges``, ``.tsv``: an edge list, one edge per line ``source target [weight]``
      (node indices from 0, whitespace separated, weight 1 when absent, ``#`` comments);
      node ``source`` acts on node ``target``; repeated edges add up. ``n`` gives the number of
      nodes (default: largest index + 1). Returned as CSR.

    Raises :class:`ValueError` naming the file for an unknown suffix or a malformed content.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ValueError(f"connectome file {str(path)!r} does not exist")
    try:
        if suffix == ".npy":
            return from_matrix(np.load(path, allow_pickle=False), str(path))
        if suffix == ".npz":
            return as_csr(sp.load_npz(path), str(path))
        if suffix == ".csv":
            return from_matrix(np.loadtxt(path, delimiter=",", ndmin=2), str(path))
        if suffix in (".txt", ".edges", ".tsv"):
            edges = np.loadtxt(path, ndmin=2)
            return _edge_list(edges, n, str(path))
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot read connectome {str(path)!r}: {err}") from None
    raise ValueError(
        f"connectome file {str(path)!r}: unknown suffix {suffix!r} "
        "(use .npy, .npz, .csv, or an edge list .txt/.edges/.tsv)"
    )


def _edge_list(edges: np.ndarray, n: int | None, name: str) -> sp.csr_array:
    if edges.shape[1] not in (2, 3):
        raise ValueError(f"an edge list needs 2 or 3 columns, not {edges.shape[1]}")
    ends = edges[:, :2]
    if np.any(ends < 0) or np.any(ends != np.round(ends)):
        raise ValueError("node indices must be non-negative integers")
    sources, targets = ends.T.astype(np.int64)
    size = int(ends.max()) + 1 if n is None else _check_count("n", n, 1)
    if ends.size and ends.max() >= size:
        raise ValueError(f"node index {int(ends.max())} outside 0..{size - 1}")
    weights = edges[:, 2] if edges.shape[1] == 3 else np.ones(len(edges))
    return as_csr(sp.coo_array((weights, (targets, sources)), shape=(size, size)), name)


def star(n: int) -> np.ndarray:
    """A star of ``n`` nodes: hub 0 coupled both ways to each of the nodes ``1, ..., n - 1``."""
    n = _check_count("n", n, 2)
    A = np.zeros((n, n))
    A[0, 1:] = 1.0
    A[1:, 0] = 1.0
    return A


def ring_star(n_peripheral: int, radius: int = 1) -> np.ndarray:
    """Hub 0 coupled both ways to ``n_peripheral`` nodes ``1..n_peripheral`` that form a ring.

    The ring part is :func:`ring` ``(n_peripheral, radius)`` on nodes ``1..n_peripheral``.
    ``ring_star(3)`` is the complete graph on four nodes: the "smallest ring-star network" of one
    central and three peripheral Chialvo neurons of Nair, Ghosh, Fatoyinbo & Muni (2024),
    arXiv:2405.06000 ("made to be a topologically complete graph").
    """
    n_peripheral = _check_count("n_peripheral", n_peripheral, 3)
    A = star(n_peripheral + 1)
    A[1:, 1:] = ring(n_peripheral, radius)
    return A


def chain(n: int, *, directed: bool = False) -> np.ndarray:
    """A chain (path) ``0 - 1 - ... - (n-1)``; with ``directed``, ``i`` acts on ``i + 1`` only."""
    n = _check_count("n", n, 2)
    A = np.zeros((n, n))
    nodes = np.arange(n - 1)
    A[nodes + 1, nodes] = 1.0
    if not directed:
        A[nodes, nodes + 1] = 1.0
    return A


def all_to_all(n: int) -> np.ndarray:
    """The complete graph on ``n`` nodes (every ordered pair ``i != j``)."""
    n = _check_count("n", n, 2)
    return np.ones((n, n)) - np.eye(n)


def erdos_renyi(
    n: int, p: float, seed: int | np.random.Generator | None, *, directed: bool = False
) -> np.ndarray:
    """Erdős–Rényi G(n, p): each pair (each ordered pair if ``directed``) is an edge with
    probability ``p``, drawn from ``seed``.

    Undirected: one uniform draw per pair ``i < j``, taken from a ``(n, n)`` array of draws in
    C order (entries above the diagonal), so a seed gives one graph for each ``n``.
    """
    n = _check_count("n", n, 1)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"edge probability p must be in [0, 1], not {p!r}")
    draws = _generator(seed).random((n, n)) < p
    np.fill_diagonal(draws, False)
    if not directed:
        draws = np.triu(draws, 1)
        draws = draws | draws.T
    return draws.astype(np.float64)


def watts_strogatz(
    n: int, radius: int, p: float, seed: int | np.random.Generator | None
) -> np.ndarray:
    """Watts–Strogatz small world (Nature 393, 440, 1998), undirected.

    Start from :func:`ring` ``(n, radius)``; then for each lap ``s = 1..radius`` and each node
    ``i`` in order, the edge ``(i, i + s mod n)`` is, with probability ``p``, rewired to
    ``(i, m)`` with ``m`` uniform among the nodes that are neither ``i`` nor already neighbours
    of ``i`` (left alone if there is none). The number of edges stays ``n * radius``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"rewiring probability p must be in [0, 1], not {p!r}")
    A = ring(n, radius)
    n = A.shape[0]
    rng = _generator(seed)
    for shift in range(1, radius + 1):
        for i in range(n):
            j = (i + shift) % n
            if A[i, j] == 0.0 or rng.random() >= p:
                continue
            free = np.flatnonzero((A[i] == 0.0) & (np.arange(n) != i))
            if free.size == 0:
                continue
            m = int(free[rng.integers(free.size)])
            A[i, j] = A[j, i] = 0.0
            A[i, m] = A[m, i] = 1.0
    return A


def clique_triangles(adjacency: object) -> list[tuple[int, int, int]]:
    """The 2-simplices of the clique complex of a graph: every triangle ``(i, j, k)``,
    ``i < j < k``, whose three pairs are edges (in either direction), sorted.

    For ``ring_star(3)`` (the complete graph on four nodes) these are the four faces
    ``(0,1,2), (0,1,3), (0,2,3), (1,2,3)``.
    """
    A = from_matrix(adjacency)
    linked = (A != 0.0) | (A.T != 0.0)
    np.fill_diagonal(linked, False)
    n = A.shape[0]
    found = []
    for i in range(n):
        for j in np.flatnonzero(linked[i, i + 1 :]) + i + 1:
            for k in np.flatnonzero(linked[j, j + 1 :] & linked[i, j + 1 :]) + j + 1:
                found.append((i, int(j), int(k)))
    return found


def validate_triangles(triangles: Iterable[Sequence[int]], n: int) -> list[tuple[int, int, int]]:
    """Check explicitly given 2-simplices: three distinct node indices in ``[0, n)`` each, no
    repeats. Returns them as sorted tuples in sorted order; :class:`ValueError` otherwise."""
    checked = set()
    for triangle in triangles:
        nodes = tuple(int(v) for v in triangle)
        if (
            len(nodes) != 3
            or len(set(nodes)) != 3
            or any(v != w for v, w in zip(nodes, triangle, strict=True))
        ):
            raise ValueError(f"a 2-simplex needs three distinct integer nodes, not {triangle!r}")
        if min(nodes) < 0 or max(nodes) >= n:
            raise ValueError(f"2-simplex {triangle!r} names a node outside 0..{n - 1}")
        key = tuple(sorted(nodes))
        if key in checked:
            raise ValueError(f"2-simplex {key} is given twice")
        checked.add(key)
    return sorted(checked)
