"""How a study is split into jobs and what each job needs: the pre-flight estimate.

Chunks. The sweep's grid is the product of its swept axes (in the config's order) and the
initial states ``ic`` (fastest), flattened in C order. It is cut into rectangular blocks of at
most ``chunk_size`` grid points, each a contiguous run of the flattened grid: the trailing
dimensions are kept whole while they fit, the next one is cut into near-equal pieces and the
leading ones into single values. Every point is computed on its own, so any split gives the same
numbers. ``chunk_size: auto`` picks the size from the number of job *slots* (``--cores`` on one
machine, ``--jobs`` on a cluster): at least one job per slot, up to two per slot while each job
keeps at least :data:`MIN_JOB_SECONDS` of estimated work (load balance), and never a job whose
estimated memory exceeds :data:`JOB_MEM_MB`. Sweep jobs shorter than :data:`GROUP_SECONDS` form
the Snakemake job group ``sweep``, which the slurm profile bundles (``group-components``) so
that a big sweep of short jobs does not flood the scheduler; longer ones go as a job array.

Estimate. :func:`estimate_study` computes each rule's ``mem_mb``, ``disk_mb`` and ``runtime``
(minutes) from the grid, ``steps``, ``keep``, the measures, ``dtype`` and the model's size. The
cost constants are single-core timings and resident sizes measured with numba on a 2-core
x86-64 machine (chialvo_rulkov_chain, 6 state variables); requests add a safety factor
(:data:`RUNTIME_FACTOR`, :data:`MEM_FACTOR`). :func:`preflight` refuses a study whose estimate
exceeds the machine's memory or disk or the study's ``limits`` before anything runs.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.measures import MEASURES
from .config import StudyError, resolve_model, study_axes

__all__ = [
    "GROUP_SECONDS",
    "JOB_MEM_MB",
    "MIN_JOB_SECONDS",
    "Chunk",
    "JobEstimate",
    "StudyEstimate",
    "chunk_block",
    "chunk_points",
    "chunk_shape",
    "estimate_study",
    "n_chunks",
    "preflight",
]

#: Most memory an automatically sized sweep job is planned to use (MB).
JOB_MEM_MB = 2000
#: Least estimated work per job (s) before ``chunk_size: auto`` plans two jobs per slot.
MIN_JOB_SECONDS = 10.0
#: Sweep jobs estimated shorter than this (s, per job) run in Snakemake job groups on a cluster.
GROUP_SECONDS = 120.0
#: Requested runtime = estimate x this + :data:`RUNTIME_MARGIN_MIN` (cluster nodes may be slower).
RUNTIME_FACTOR = 3.0
RUNTIME_MARGIN_MIN = 10
#: Requested memory = estimate x this (allocator slack, copies not modelled).
MEM_FACTOR = 1.5
#: Resident memory of a job before its data: Python, numpy, numba, xarray, zarr (MB, measured).
BASE_MB = 450

_STEP_SECONDS = 2e-9  # per state variable and iteration of the sweep kernel
_POINT_SECONDS = 6e-5  # per point: setup, statistics, Dataset assembly and store
_LYAPUNOV_SECONDS = 6e-8  # per exponent, state variable and iteration of the QR method
_DEFAULT_MEASURE_STEPS = 2000  # neurodyn.analysis.measures.DEFAULT_STEPS
_COMPARE_SECONDS = 3e-6  # per sample of a basin cell: its tree and queries against the attractors
_WRITE_BYTES_PER_SECOND = 2e8  # store writes and reads
# per point: indices, masks and temporaries of the kernels and of Dataset assembly; with the
# terms above, 4.5 KB per point measured for a Chialvo sweep with lambda_1 and period
# (tests/benchmarks/bench_workflow_scale.py: 250 000-point jobs peaked at 1574 MB)
_POINT_BYTES = 1024


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One sweep job's block: the swept axes' values, the initial-state indices and the
    global (flat, C-order) indices of its grid points, which key their noise."""

    axes: dict[str, np.ndarray]
    ic: slice
    points: np.ndarray


@dataclasses.dataclass(frozen=True)
class JobEstimate:
    """What one job of a rule needs: Snakemake's ``mem_mb``, ``disk_mb``, ``runtime`` (min)."""

    mem_mb: int
    disk_mb: int
    runtime: int
    seconds: float  # estimated single-thread compute time

    def resources(self) -> dict[str, int]:
        """The Snakemake ``resources`` of the rule."""
        return {"mem_mb": self.mem_mb, "disk_mb": self.disk_mb, "runtime": self.runtime}


#: the estimate of a job that the study does not have
_NO_JOB = JobEstimate(mem_mb=BASE_MB, disk_mb=0, runtime=RUNTIME_MARGIN_MIN, seconds=0.0)


@dataclasses.dataclass(frozen=True)
class StudyEstimate:
    """The pre-flight estimate of a study for a number of job slots."""

    points: int  # grid points x initial states
    chunk_points: int
    n_chunks: int
    slots: int
    threads: int
    sweep: JobEstimate  # one sweep_chunk job (the largest)
    merge: JobEstimate
    orbit: JobEstimate
    report: JobEstimate
    store_mb: int  # the merged sweep store
    disk_mb: int  # parts + merged store + orbit diagram + portraits + basins
    portraits: JobEstimate = _NO_JOB  # the phase_portraits job (none: zero seconds)
    basins: JobEstimate = _NO_JOB  # the basins job

    @property
    def group(self) -> str | None:
        """Snakemake job group of the sweep jobs: ``"sweep"`` when they are short (a cluster
        profile then bundles them, ``group-components``), else none (one job each)."""
        return "sweep" if self.sweep.seconds / self.threads < GROUP_SECONDS else None

    @property
    def core_seconds(self) -> float:
        """Estimated compute of the whole study on one core (s)."""
        return (
            self.n_chunks * self.sweep.seconds
            + self.merge.seconds
            + self.orbit.seconds
            + self.portraits.seconds
            + self.basins.seconds
        )

    def summary(self) -> str:
        """A few lines for ``neurodyn sweep --dry-run`` and error messages."""
        rows = [
            f"estimate: {self.points} grid points in {self.n_chunks} sweep jobs of at most "
            f"{self.chunk_points} points ({self.slots} slots, {self.threads} threads per job); "
            f"about {_duration(self.core_seconds)} of compute on one core; "
            f"disk {self.disk_mb} MB (merged sweep store {self.store_mb} MB)"
        ]
        for name in ("sweep", "merge", "orbit", "portraits", "basins", "report"):
            job = getattr(self, name)
            if name in ("orbit", "portraits", "basins") and not job.seconds:
                continue  # no such section: no such job
            rows.append(
                f"  {name:<9} mem_mb={job.mem_mb} disk_mb={job.disk_mb} runtime={job.runtime} min"
            )
        return "\n".join(rows)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _sizes(config: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], list[int]]:
    axes = study_axes(config)
    return axes, [*(len(v) for v in axes.values()), int(config["simulation"]["n_initial"])]


def _point_costs(config: Mapping[str, Any]) -> tuple[float, float, float]:
    """Per grid point of a sweep job: compute seconds, memory bytes, store bytes."""
    model = resolve_model(config["model"], config.get("model_options"))
    sim = config["simulation"]
    n_state, n_param = model.n_state, len(model.parameter_names)
    steps, keep = int(sim["transient"]) + int(sim["steps"]), int(sim["keep"])  # all iterations
    measures = set(config["measures"])
    options = config.get("measure_options", {})
    itemsize = 4 if sim["dtype"] == "float32" else 8
    seconds = _POINT_SECONDS + _STEP_SECONDS * n_state * steps
    stored = 8 * (keep * n_state + 4 * n_state + 2)
    if "lyapunov" in measures:
        n_exp = int(options.get("n_exponents") or min(n_state, 6))
        lyap_steps = int(
            options.get("lyapunov_steps") or options.get("steps") or _DEFAULT_MEASURE_STEPS
        )
        seconds += _LYAPUNOV_SECONDS * n_exp * n_state * lyap_steps
        stored += 16 * n_exp
    series_keep = keep or int(options.get("steps") or _DEFAULT_MEASURE_STEPS)
    for name in measures - {"lyapunov"}:
        constant, per_state = MEASURES[name].cost  # the measure record's (seconds, per sample)
        seconds += constant + per_state * series_keep
        stored += 16 * len(MEASURES[name].outputs)
    # kernel buffers at the kernel's precision, the Dataset's float64 copies, the store encoder
    work = (itemsize + 2 * 8) * keep * n_state + 4 * 8 * (n_state + n_param) + 2 * stored
    if measures - {"lyapunov", "period"}:
        work += 3 * 8 * series_keep * (1 + n_state)  # series, node series and their copies
    window = 2 * int(options.get("max_period", 32))
    if "period" in measures and keep < window:  # periods continue the run for `window` steps
        work += 3 * 8 * window * n_state
    work += _POINT_BYTES
    return seconds, work + stored, stored


def _block(sizes: list[int], size: int) -> tuple[list[int], list[int]]:
    """Block lengths and block counts along each dimension for at most ``size`` points."""
    shape = list(sizes)
    trailing = 1
    for d in reversed(range(len(sizes))):
        if trailing * sizes[d] <= size:
            trailing *= sizes[d]
            continue
        per = max(1, size // trailing)
        shape[d] = -(-sizes[d] // -(-sizes[d] // per))  # near-equal pieces of at most `per`
        shape[:d] = [1] * d
        break
    return shape, [-(-n // k) for n, k in zip(sizes, shape, strict=True)]


def chunk_shape(config: Mapping[str, Any], size: int) -> tuple[int, ...]:
    """Block lengths along (swept axes..., ic) for at most ``size`` points per block."""
    return tuple(_block(_sizes(config)[1], size)[0])


def chunk_points(config: Mapping[str, Any], slots: int = 1) -> int:
    """Grid points per sweep job: ``chunk_size``, or for ``auto`` planned for ``slots`` slots."""
    size = config.get("chunk_size", "auto")
    if size != "auto":
        return int(size)
    _, sizes = _sizes(config)
    points = math.prod(sizes)
    seconds, memory, _ = _point_costs(config)
    slots = max(1, int(slots))
    jobs = min(max(slots, math.floor(points * seconds / MIN_JOB_SECONDS)), 2 * slots, points)
    fits = max(1, math.floor((JOB_MEM_MB - BASE_MB) * 2**20 / (MEM_FACTOR * memory)))
    size = max(1, min(-(-points // jobs), fits))
    while size > 1 and math.prod(_block(sizes, size)[1]) < jobs:  # blocks round sizes down
        size -= 1
    return size


def n_chunks(config: Mapping[str, Any], slots: int = 1) -> int:
    """Number of sweep jobs of the study (see the module docstring)."""
    return math.prod(_block(_sizes(config)[1], chunk_points(config, slots))[1])


def chunk_block(config: Mapping[str, Any], index: int, slots: int = 1) -> Chunk:
    """The block of sweep job ``index``: the blocks in C order of the flattened grid."""
    axes, sizes = _sizes(config)
    shape, counts = _block(sizes, chunk_points(config, slots))
    if not 0 <= index < math.prod(counts):
        raise StudyError(f"chunk {index} does not exist (the study has {math.prod(counts)})")
    where = np.unravel_index(index, counts)
    cuts = [
        slice(int(i) * k, min((int(i) + 1) * k, n))
        for i, k, n in zip(where, shape, sizes, strict=True)
    ]
    ranges = [np.arange(cut.start, cut.stop) for cut in cuts[:-1]]
    points = np.ravel_multi_index(np.meshgrid(*ranges, indexing="ij"), sizes[:-1]).reshape(-1)
    return Chunk(
        {name: values[cut] for (name, values), cut in zip(axes.items(), cuts, strict=False)},
        cuts[-1],
        points.astype(np.int64),
    )


def _job(seconds: float, mem_bytes: float, disk_bytes: float, threads: int = 1) -> JobEstimate:
    wall = seconds / max(1, threads)
    return JobEstimate(
        mem_mb=math.ceil(BASE_MB + MEM_FACTOR * mem_bytes / 2**20),
        disk_mb=max(1, math.ceil(disk_bytes / 2**20)),
        runtime=math.ceil(RUNTIME_FACTOR * wall / 60) + RUNTIME_MARGIN_MIN,
        seconds=seconds,
    )


def estimate_study(config: Mapping[str, Any], slots: int = 1) -> StudyEstimate:
    """Each rule's resources and the study's disk use, for ``slots`` job slots."""
    _, sizes = _sizes(config)
    points = math.prod(sizes)
    size = chunk_points(config, slots)
    block = math.prod(chunk_shape(config, size))
    seconds, memory, stored = _point_costs(config)
    threads = int(config.get("threads", 1))
    store = points * stored
    part = block * stored
    sweep = _job(block * seconds, block * memory, part, threads)
    # streaming merge: one part in memory, a 1-byte coverage mask per grid point
    merge = _job(2 * store / _WRITE_BYTES_PER_SECOND, 2 * part + points, store)
    orbit_seconds, orbit_bytes = 0.0, 0.0
    bif = config.get("bifurcation")
    if bif:
        model = resolve_model(config["model"], config.get("model_options"))
        values = len(study_axes({"sweep": {bif["parameter"]: bif["values"]}})[bif["parameter"]])
        runs = values * len(bif.get("modes", ("forward", "backward"))) * bif.get("n_initial", 1)
        steps = bif.get("transient", 5000) + bif.get("keep", 200)
        orbit_seconds = runs * (_POINT_SECONDS + _STEP_SECONDS * model.n_state * steps)
        orbit_bytes = runs * 8 * bif.get("keep", 200) * model.n_state
    orbit = _job(orbit_seconds, 3 * orbit_bytes, orbit_bytes, threads)
    portraits, basins = _portraits_job(config, threads), _basins_job(config, threads)
    report = _job(
        30.0 + store / _WRITE_BYTES_PER_SECOND,
        3 * (store + orbit_bytes + 2**20 * (portraits.disk_mb + basins.disk_mb)),
        store,
    )
    return StudyEstimate(
        points=points,
        chunk_points=block,
        n_chunks=n_chunks(config, slots),
        slots=max(1, int(slots)),
        threads=threads,
        sweep=sweep,
        merge=merge,
        orbit=orbit,
        report=report,
        store_mb=math.ceil(store / 2**20),
        disk_mb=math.ceil((2 * store + orbit_bytes) / 2**20) + portraits.disk_mb + basins.disk_mb,
        portraits=portraits,
        basins=basins,
    )


def _run_job(config: Mapping[str, Any], runs: int, steps: int, kept: int, threads: int):
    """A job iterating ``runs`` trajectories ``steps`` times and keeping ``kept`` states each."""
    model = resolve_model(config["model"], config.get("model_options"))
    seconds = runs * (_POINT_SECONDS + _STEP_SECONDS * model.n_state * steps)
    stored = 8.0 * runs * kept * model.n_state
    return _job(seconds, 3 * stored, stored, threads)


def _portraits_job(config: Mapping[str, Any], threads: int) -> JobEstimate:
    """The ``phase_portraits`` job: points x initial states, transient + steps iterations."""
    spec = config.get("phase_portraits")
    if not spec:
        return _NO_JOB
    points = len(spec.get("points") or ()) or spec.get("max_points", 6)
    runs = points * spec.get("n_initial", 4)
    steps = spec.get("steps", 2000)
    kept = steps // spec.get("every", 1)
    return _run_job(config, runs, spec.get("transient", 5000) + steps, kept, threads)


def _basins_job(config: Mapping[str, Any], threads: int) -> JobEstimate:
    """The ``basins`` job: resolution^2 cells, transient + samples iterations, each cell's
    samples compared with the attractors found (about a cell's samples' worth per class)."""
    spec = config.get("basins")
    if not spec:
        return _NO_JOB
    cells = spec.get("resolution", 64) ** 2
    samples = spec.get("samples", 256)
    job = _run_job(config, cells, spec.get("transient", 5000) + samples, samples, threads)
    compare = cells * _COMPARE_SECONDS * samples
    return _job(job.seconds + compare, 3 * 8.0 * cells * samples * 4, 16.0 * cells, threads)


def _machine_mem_mb() -> int:
    from ..sim import grid  # looked up when called, so that its reading can be replaced

    return grid.memory_bytes() // 2**20


def preflight(config: Mapping[str, Any], slots: int = 1, *, cluster: bool = False) -> StudyEstimate:
    """:func:`estimate_study`, refusing a study that cannot fit before anything runs.

    Refused (:class:`~.config.StudyError`, with the estimate in the message): a job whose
    memory exceeds ``limits/mem_mb`` or, unless ``cluster``, this machine's memory; a study
    whose disk use exceeds ``limits/disk_mb`` or, unless ``cluster``, the free space where the
    results go.
    """
    estimate = estimate_study(config, slots)
    limits = config.get("limits", {})
    largest = max(
        (
            estimate.sweep,
            estimate.merge,
            estimate.orbit,
            estimate.report,
            estimate.portraits,
            estimate.basins,
        ),
        key=lambda j: j.mem_mb,
    )
    problems = []
    if "mem_mb" in limits and largest.mem_mb > limits["mem_mb"]:
        problems.append(f"a job needs {largest.mem_mb} MB, over limits/mem_mb = {limits['mem_mb']}")
    if not cluster and largest.mem_mb > _machine_mem_mb():
        problems.append(
            f"a job needs {largest.mem_mb} MB, over this machine's {_machine_mem_mb()} MB"
        )
    if "disk_mb" in limits and estimate.disk_mb > limits["disk_mb"]:
        problems.append(
            f"the study writes {estimate.disk_mb} MB, over limits/disk_mb = {limits['disk_mb']}"
        )
    if not cluster:
        folder = Path(config.get("results", "results")).resolve()
        while not folder.exists():
            folder = folder.parent
        free = shutil.disk_usage(folder).free // 2**20
        if estimate.disk_mb > free:
            problems.append(
                f"the study writes {estimate.disk_mb} MB, over the {free} MB free in {folder}"
            )
    if problems:
        raise StudyError(
            f"study {config['study']!r} refused before it starts: {'; '.join(problems)} "
            "(set a smaller chunk_size, keep or grid, or raise limits)\n" + estimate.summary()
        )
    return estimate
