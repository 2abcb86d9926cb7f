"""Snakemake job: train Marino et al.'s classifier (rule classifier)."""

from neurodyn.neuralmass.classifier import train_classifier
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    train_classifier(
        snakemake.params.settings,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
