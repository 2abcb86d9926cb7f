"""Snakemake job: the study's one-parameter orbit diagram (rule orbit_diagram)."""

from neurodyn.workflow import run_orbit_diagram
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    run_orbit_diagram(
        snakemake.params.study,  # noqa: F821
        snakemake.output[0],  # noqa: F821
        threads=snakemake.threads,  # noqa: F821
    )
