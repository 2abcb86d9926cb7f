"""The workflow's jobs as functions: one sweep chunk, the merge, the orbit diagram.

The Snakemake rules (``workflows/rules/*.smk``) call these through small scripts; tests and
benchmarks call them directly. Each job uses ``threads`` numba threads. Every job writes its
store atomically (:func:`neurodyn.store.write_dataset`), so a killed job leaves no partial
store behind and a rerun recomputes exactly the missing ones.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..sim import initial_states, sweep, thread_count
from ..store import merge_stores, write_dataset
from .config import parameter_axes, resolve_model, study_axes
from .plan import chunk_block

__all__ = ["compute_chunk", "merge_chunks", "run_chunk", "run_orbit_diagram"]


def compute_chunk(
    config: Mapping[str, Any], index: int, threads: int | None = 1, slots: int = 1
) -> xr.Dataset:
    """Sweep chunk ``index`` of a checked study config and add its measures.

    The chunk is a block of the grid and of the initial states (:func:`.plan.chunk_block`;
    ``slots`` sizes ``chunk_size: auto``); its ``ic`` coordinate holds the study's indices, and
    its noise is keyed by the study's grid-point and initial-state indices, so a point's numbers
    do not depend on the chunk it falls in.
    ``device: cuda`` runs the torch backend (the numba kernels run on the CPU only).
    """
    model = resolve_model(config["model"], config.get("model_options"))
    simulation = config["simulation"]
    chunk = chunk_block(config, index, slots)
    seed = simulation["seed"]
    initial = initial_states(model, simulation["n_initial"], seed, simulation.get("initial"))
    initial = initial[chunk.ic]
    with thread_count(threads):
        ds = sweep(
            model,
            chunk.axes,
            config["fixed"],
            steps=simulation["steps"],
            transient=simulation.get("transient"),
            keep=simulation["keep"],
            every=simulation["every"],
            initial=initial,
            seed=seed,
            bound=simulation.get("bound"),
            threads=threads,
            backend="torch" if simulation["device"] == "cuda" else simulation["backend"],
            device=simulation["device"],
            dtype=simulation["dtype"],
            noise=simulation.get("noise"),
            inputs=simulation.get("inputs"),
            point_index=chunk.points,
            ic_index=np.arange(chunk.ic.start, chunk.ic.stop),
        )
        if config["measures"]:
            from ..analysis import add_measures

            ds = add_measures(
                ds,
                config["measures"],
                model,
                seed=seed,
                threads=threads,
                **config["measure_options"],
            )
    ds.attrs["study"] = config["study"]
    return ds


def run_chunk(
    config: Mapping[str, Any], index: int, out: str | os.PathLike[str], threads: int | None = 1
) -> Path:
    """Compute chunk ``index`` and write it to the store ``out``."""
    return write_dataset(compute_chunk(config, index, threads), out)


def merge_chunks(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> Path:
    """Merge the chunk stores of one study into the store ``out``.

    Parts computed by different versions of the code are refused (their numbers may differ);
    the error says how to recompute them.
    """
    try:
        return merge_stores(parts, out)
    except ValueError as err:
        if "different git_revision" not in str(err) and "package_versions" not in str(err):
            raise
        raise ValueError(
            f"{err}. The code changed while the study ran: recompute its parts with "
            "`snakemake --forcerun sweep_chunk` (or delete the parts folder) and run again"
        ) from None


def run_orbit_diagram(
    config: Mapping[str, Any], out: str | os.PathLike[str], threads: int | None = 1
) -> Path:
    """The study's one-parameter orbit diagram (``bifurcation`` section) into the store ``out``:
    of the map without noise or input.

    The other swept parameters sit at the middle of their ranges unless ``fixed`` sets them.
    """
    from ..analysis.bifurcation import orbit_diagram
    from ..sim import parse_axis

    model = resolve_model(config["model"], config.get("model_options"))
    spec = config["bifurcation"]
    parameter, values = parse_axis(f"{spec['parameter']}={spec['values']}")
    fixed = {
        name: float(axis[len(axis) // 2])
        for name, axis in parameter_axes(model, study_axes(config)).items()
        if name != parameter
    }
    fixed.update(config["fixed"])
    ds = orbit_diagram(
        model,
        parameter,
        values,
        fixed,
        modes=tuple(spec["modes"]),
        n_initial=spec["n_initial"],
        seed=config["simulation"]["seed"],
        transient=spec["transient"],
        keep=spec["keep"],
        bound=config["simulation"].get("bound"),
        threads=threads,
    )
    ds.attrs["study"] = config["study"]
    return write_dataset(ds, out)
