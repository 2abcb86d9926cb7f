"""Snakemake job: train one model of dynamics (rule train)."""

from neurodyn.learn import train_from_config
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    train_from_config(snakemake.params.settings, snakemake.output[0])  # noqa: F821
