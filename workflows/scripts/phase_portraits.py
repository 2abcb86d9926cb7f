"""Snakemake job: the study's phase-portrait store (rule phase_portraits)."""

from neurodyn.workflow.joblog import job_log
from neurodyn.workflow.portraits import run_phase_portraits

with job_log(snakemake.log[0]):  # noqa: F821
    run_phase_portraits(
        snakemake.params.study,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        sweep_store=snakemake.input.get("sweep"),  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
