"""Snakemake job: the study's reconstruction store (rule reconstruct)."""

from neurodyn.learn.reconstruct import run_reconstruction
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    run_reconstruction(snakemake.params.settings, snakemake.output[0])  # noqa: F821
