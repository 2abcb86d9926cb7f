"""The Snakemake study workflow behind ``snakemake`` and ``neurodyn sweep``.

:mod:`.config` validates study configs; :mod:`.plan` splits sweeps into chunks and estimates
each job's memory, disk and runtime; :mod:`.tasks` holds the
jobs (sweep chunk with measures, merge, orbit diagram) that the rules in ``workflows/rules``
run; :mod:`.runner` starts Snakemake for ``neurodyn sweep``; :mod:`.locate` finds a study's
stores from any working directory (notebooks).
"""

from .config import (
    StudyError,
    check_study,
    load_study,
    resolve_model,
    section,
    study_axes,
    with_defaults,
    workflow_root,
)
from .locate import open_study_store, repository_root, study_results
from .plan import (
    StudyEstimate,
    chunk_block,
    chunk_points,
    estimate_study,
    n_chunks,
    preflight,
)
from .runner import run_study, snakemake_command
from .tasks import compute_chunk, merge_chunks, run_chunk, run_orbit_diagram

__all__ = [
    "StudyError",
    "check_study",
    "StudyEstimate",
    "chunk_block",
    "chunk_points",
    "compute_chunk",
    "estimate_study",
    "load_study",
    "merge_chunks",
    "n_chunks",
    "preflight",
    "open_study_store",
    "repository_root",
    "resolve_model",
    "section",
    "snakemake_command",
    "run_chunk",
    "run_orbit_diagram",
    "run_study",
    "study_axes",
    "study_results",
    "with_defaults",
    "workflow_root",
]
