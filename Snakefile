# neurodyn's study workflow: `snakemake --cores N` runs the default study and writes its report.
#
#   results/<study>/parts/points_<size>/chunk_NNN.zarr   one job per block of <size> grid points
#                                          of the sweep (with its measures)
#   results/<study>/sweep.zarr             the merged, consolidated store
#   results/<study>/orbit.zarr             the one-parameter orbit diagram
#   results/<study>/continuation.zarr      continued branches and curves (`continuation`)
#   results/<study>/phase_portraits.zarr   trajectories at chosen points (`phase_portraits`)
#   results/<study>/basins.zarr            basins of attraction at one point (`basins`)
#   results/<study>/report/report.html     the bifurcation and synchronization report
#   results/<study>/reservoir.zarr          reservoir sweep (when the config has `reservoir`)
#   results/<study>/models/<name>/          trained models (when the config has `train`)
#   results/<study>/classifier/            Marino et al.'s classifier (`classifier`)
#   results/<study>/reconstruct.zarr       true vs trained map per regime (`reconstruct`)
#
# Another study: `snakemake --cores N --configfile my_study.yaml` (or `neurodyn sweep my_study.yaml`).
from snakemake.utils import min_version

import os

from neurodyn.workflow import check_study, chunk_points, n_chunks, preflight, section, with_defaults
from neurodyn.workflow.portraits import gives_points, section_params

min_version("8.0")

# A --configfile naming a study replaces the default study; without one, `--config key=value`
# overrides keys of the default study.
config = check_study(
    with_defaults(config, workflow.source_path("workflows/config/default.yaml")),
    workflow.source_path("workflows/config/schema.yaml"),
)
STUDY = f"{config['results']}/{config['study']}"
# Job slots: --cores on one machine, --jobs on a cluster; chunk_size auto fills them. The value is
# handed to cluster jobs (which parse this file again) so that they plan the same chunks.
SLOTS = int(
    os.environ.setdefault("NEURODYN_SLOTS", str(max(workflow._cores or 1, workflow.nodes or 0)))
)
config["chunk_size"] = chunk_points(config, SLOTS)
ESTIMATE = preflight(config, SLOTS, cluster=not workflow.local_exec)
CHUNKS = [f"{i:03d}" for i in range(n_chunks(config))]
PARTS = f"{STUDY}/parts/points_{config['chunk_size']}"


envvars:
    "NEURODYN_SLOTS",


include: "workflows/rules/sweep.smk"
include: "workflows/rules/report.smk"
include: "workflows/rules/reservoir.smk"
include: "workflows/rules/learn.smk"
include: "workflows/rules/continuation.smk"
include: "workflows/rules/classifier.smk"
include: "workflows/rules/portraits.smk"
include: "workflows/rules/reconstruct.smk"


rule all:
    input:
        f"{STUDY}/sweep.zarr",
        f"{STUDY}/report",
        [f"{STUDY}/reservoir.zarr"] if config.get("reservoir") else [],
        [f"{STUDY}/models/{name}" for name in config.get("train", {})],
        [f"{STUDY}/classifier"] if config.get("classifier") else [],
        [f"{STUDY}/reconstruct.zarr"] if config.get("reconstruct") else [],
    default_target: True
