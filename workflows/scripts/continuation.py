"""Snakemake job: the study's continuation store (rule continuation)."""

from neurodyn.workflow.continuation import run_continuation
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    run_continuation(
        snakemake.params.study,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
