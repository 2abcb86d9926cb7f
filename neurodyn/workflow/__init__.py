"""The Snakemake study workflow behind ``snakemake`` and ``neurodyn sweep``.

:mod:`.config` validates study configs and splits sweeps into chunks; :mod:`.tasks` holds the
jobs (sweep chunk with measures, merge, orbit diagram) that the rules in ``workflows/rules``
run; :mod:`.runner` starts Snakemake for ``neurodyn sweep``; :mod:`.locate` finds a study's
stores from any working directory (notebooks).
"""

from .config import (
    StudyError,
    check_study,
    chunk_axes,
    load_study,
    n_chunks,
    resolve_model,
    section,
    study_axes,
    with_defaults,
    workflow_root,
)
from .locate import open_study_store, repository_root, study_results
from .runner import run_study, snakemake_command
from .tasks import compute_chunk, merge_chunks, run_chunk, run_orbit_diagram

__all__ = [
    "StudyError",
    "check_study",
    "chunk_axes",
    "compute_chunk",
    "load_study",
    "merge_chunks",
    "n_chunks",
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
