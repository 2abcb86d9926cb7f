"""Snakemake job: the study's HTML report with its figures (rule report)."""

import os

from neurodyn.report import write_report
from neurodyn.workflow.joblog import job_log

# The study's last job, alone on its machine: figures drawn by up to 4 processes, no more than
# the job slots (--cores) and the CPUs this process may run on (a cluster job's allocation).
slots = int(os.environ.get("NEURODYN_SLOTS", "1"))
workers = min(4, slots, len(os.sched_getaffinity(0)))

with job_log(snakemake.log[0]):  # noqa: F821
    write_report(
        snakemake.input.sweep,  # noqa: F821
        snakemake.input.get("orbit"),  # noqa: F821
        snakemake.output[0],  # noqa: F821
        config=snakemake.params.settings,  # noqa: F821
        continuation_store=snakemake.input.get("continuation"),  # noqa: F821
        workers=workers,
        portraits_store=snakemake.input.get("portraits"),  # noqa: F821
        basins_store=snakemake.input.get("basins"),  # noqa: F821
        reconstruct_store=snakemake.input.get("reconstruct"),  # noqa: F821
    )
