"""Snakemake job: merge the sweep's chunk stores into one store (rule merge_sweep)."""

from neurodyn.workflow import merge_chunks
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    merge_chunks(list(snakemake.input), snakemake.output[0])  # noqa: F821
