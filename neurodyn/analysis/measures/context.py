"""What a measure reads: the sweep's grid of points, their states (kept or continued) and the
:class:`Context` handed to every measure function."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import xarray as xr

from ...models import Model
from ...models.drive import drive_axis
from ...sim import iterate_batch
from ...store.attrs import attr_value

__all__ = ["Context", "Grid", "SeriesSource", "constant_in_time", "continue_states", "kept_states"]

BLOCK_VALUES = 1 << 24
"""float64 values of continued states held at once (128 MiB)."""


@dataclasses.dataclass
class Grid:
    """The sweep's points, flattened in C order over ``dims``: final states (n_state, points),
    parameters (n_param, points) and the divergence flags (points,). ``driven``: the sweep ran
    with noise or input (:mod:`neurodyn.models.drive`; its ``noise_<name>``, ``input_<name>``
    axes set no parameter), which a run continued from the final states would leave out."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    final: np.ndarray
    parameters: np.ndarray
    diverged: np.ndarray
    driven: bool = False

    @classmethod
    def of(cls, ds: xr.Dataset, model: Model) -> Grid:
        dims = tuple(str(d) for d in ds["diverged"].dims)
        shape = tuple(ds.sizes[d] for d in dims)
        driven = "noise_convention" in ds.attrs
        for d in dims:
            if driven and drive_axis(model, d) is not None:
                continue
            if d != "ic" and d not in model.parameter_names:
                raise ValueError(
                    f"dimension {d!r} of the Dataset is neither 'ic' nor a parameter of model "
                    f"{model.name!r} ({', '.join(model.parameter_names)})"
                )
        final = np.stack(
            [ds[f"{v}_final"].transpose(*dims).values.reshape(-1) for v in model.state_names]
        ).astype(np.float64)
        diverged = ds["diverged"].values.reshape(-1).astype(bool)
        diverged |= ~np.all(np.isfinite(final), axis=0)
        fixed = dict(attr_value(ds.attrs.get("fixed_parameters", {})))
        parameters = np.empty((len(model.parameters), final.shape[1]))
        for row, p in enumerate(model.parameters):
            if p.name in dims:
                axis = [-1 if d == p.name else 1 for d in dims]
                values = ds[p.name].values.astype(np.float64).reshape(axis)
                parameters[row] = np.broadcast_to(values, shape).reshape(-1)
            elif p.name in ds.coords and ds[p.name].ndim == 0:  # a swept axis selected away
                parameters[row] = float(ds[p.name])
            else:
                parameters[row] = float(fixed.get(p.name, p.default))
        return cls(dims, shape, final, parameters, diverged, driven)

    def variable(
        self, values: np.ndarray, attrs: dict[str, Any], extra: Sequence[str] = ()
    ) -> xr.Variable:
        """A flat per-point array (points, ...) as a Variable with the grid's dims."""
        dims = (*self.dims, *extra)
        return xr.Variable(dims, values.reshape(*self.shape, *values.shape[1:]), attrs)


def kept_states(ds: xr.Dataset, names: Sequence[str], dims: tuple[str, ...]) -> np.ndarray | None:
    """Kept states of ``names`` as (samples, variables, points), or None if not all were kept."""
    if not all(v in ds and "iteration" in ds[v].dims for v in names):
        return None
    arrays = [ds[v].transpose(*dims, "iteration").values for v in names]
    return np.stack([a.reshape(-1, a.shape[-1]).T for a in arrays], axis=1).astype(np.float64)


def continue_states(
    model: Model,
    grid: Grid,
    steps: int,
    every: int,
    threads: int | None,
    points: np.ndarray | None = None,
) -> np.ndarray:
    """States (samples, n_state, points) of ``steps`` iterations continued from the final
    states, sampled every ``every`` iterations; NaN for points that diverge (or had)."""
    if grid.driven:
        raise ValueError(
            "the sweep ran with noise or input, which states continued from its final states "
            "would leave out: keep the states the measures read (keep, every of the sweep)"
        )
    points = np.arange(grid.diverged.size) if points is None else points
    samples = steps // every
    out = np.full((samples, model.n_state, points.size), np.nan)
    ok = ~grid.diverged[points]
    if ok.any():
        result = iterate_batch(
            model,
            grid.final[:, points[ok]],
            grid.parameters[:, points[ok]],
            steps=samples * every,
            every=every,
            keep=samples,
            threads=threads,
        )
        out[:, :, ok] = result.kept
    return out


def constant_in_time(x: np.ndarray) -> bool:
    """True where every column of ``x`` (samples, ...) is constant in time, for any column."""
    return bool(np.any(np.all(x == x[0], axis=0)))


@dataclasses.dataclass
class SeriesSource:
    """Where the series of every point come from: kept states, or a continued simulation."""

    model: Model
    grid: Grid
    kept: np.ndarray | None
    steps: int
    every: int
    threads: int | None
    description: str

    @classmethod
    def of(
        cls,
        ds: xr.Dataset,
        model: Model,
        grid: Grid,
        steps: int,
        every: int,
        threads: int | None,
    ) -> SeriesSource:
        kept = kept_states(ds, model.state_names, grid.dims)
        if kept is not None:
            iterations = ds["iteration"].values
            stride = np.unique(np.diff(iterations))
            description = (
                f"the {kept.shape[0]} kept states of the sweep (iterations {iterations[0]}.."
                f"{iterations[-1]}, stride {', '.join(map(str, stride)) or 1})"
            )
        else:
            description = (
                f"{steps // every} states continued from the final states <v>_final over "
                f"{steps} iterations at stride {every}"
            )
        return cls(model, grid, kept, steps, every, threads, description)

    def blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(points, states (samples, n_state, len(points))) in blocks of bounded memory."""
        n_points = self.grid.diverged.size
        if self.kept is not None:
            yield np.arange(n_points), self.kept
            return
        per_point = max(1, (self.steps // self.every) * self.model.n_state)
        size = max(1, BLOCK_VALUES // per_point)
        for start in range(0, n_points, size):
            points = np.arange(start, min(start + size, n_points))
            yield (
                points,
                continue_states(
                    self.model, self.grid, self.steps, self.every, self.threads, points
                ),
            )


@dataclasses.dataclass
class Context:
    """Everything a measure function reads.

    ``data``: the sweep Dataset; ``model``; ``grid``; ``options`` (every registered option by
    name, as attributes); ``steps`` (iterations continued from the final states when no states
    were kept); ``seed`` (the same for every point); ``threads``. For series and network
    measures also ``source`` (where the series come from), ``rows`` (the state rows averaged
    into the scalar series), ``series`` (its description), ``network`` (the rows of
    ``node_variable`` of each node, or None for a model that is not a network).
    """

    data: xr.Dataset
    model: Model
    grid: Grid
    options: SimpleNamespace
    steps: int
    seed: int
    threads: int | None
    node_variable: str
    source: SeriesSource | None = None
    rows: np.ndarray | None = None
    series: str = ""
    network: np.ndarray | None = None
    progress: bool = False

    @property
    def phase(self) -> str:
        """Phase of node series: the ``phase`` option, else ``"spike"`` for maps and
        ``"hilbert"`` for flows."""
        return self.options.phase or ("spike" if self.model.kind == "map" else "hilbert")

    def scalar(self, states: np.ndarray) -> np.ndarray:
        """The scalar series (samples,) of one point's states (samples, n_state)."""
        if self.rows.size == 1:
            return states[:, self.rows[0]]
        return states[:, self.rows].mean(axis=1)

    def nodes(self, states: np.ndarray) -> np.ndarray:
        """The node series (samples, n_nodes) of ``node_variable`` of one point's states."""
        return states[:, self.network]
