"""The Snakemake study workflow behind ``snakemake`` and ``neurodyn sweep``.

:mod:`.config` validates study configs and splits sweeps into chunks; :mod:`.tasks` holds the
jobs (sweep chunk with measures, merge, orbit diagram) that the rules in ``workflows/rules``
run; :mod:`.runner` starts Snakemake for ``neurodyn sweep``.
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
    workflow_root,
)
from .tasks import compute_chunk, merge_chunks, run_chunk, run_orbit_diagram

__all__ = [
    "StudyError",
    "check_study",
    "chunk_axes",
    "compute_chunk",
    "load_study",
    "merge_chunks",
    "n_chunks",
    "resolve_model",
    "section",
    "run_chunk",
    "run_orbit_diagram",
    "study_axes",
    "workflow_root",
]
