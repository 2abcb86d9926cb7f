"""Snakemake job: one chunk of the sweep with its measures (rule sweep_chunk)."""

from neurodyn.workflow import run_chunk
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    run_chunk(
        snakemake.params.study,  # noqa: F821
        int(snakemake.wildcards.chunk),  # noqa: F821
        snakemake.output[0],  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
