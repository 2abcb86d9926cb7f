"""Snakemake job: the study's HTML report with its figures (rule report)."""

from neurodyn.report import write_report
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    write_report(
        snakemake.input.sweep,  # noqa: F821
        snakemake.input.get("orbit"),  # noqa: F821
        snakemake.output[0],  # noqa: F821
        config=snakemake.params.settings,  # noqa: F821
        continuation_store=snakemake.input.get("continuation"),  # noqa: F821
        workers=snakemake.threads,  # noqa: F821
        portraits_store=snakemake.input.get("portraits"),  # noqa: F821
        basins_store=snakemake.input.get("basins"),  # noqa: F821
        reconstruct_store=snakemake.input.get("reconstruct"),  # noqa: F821
    )
