"""Snakemake job: the reservoir hyper-parameter sweep (rule reservoir_sweep)."""

from neurodyn.reservoir import reservoir_sweep
from neurodyn.store import write_dataset
from neurodyn.workflow.joblog import job_log

with job_log(snakemake.log[0]):  # noqa: F821
    settings = dict(snakemake.params.settings)  # noqa: F821
    axes = {name: settings.pop(name) for name in ("spectral_radius", "leak_rate", "units")}
    write_dataset(reservoir_sweep(**axes, **settings), snakemake.output[0])  # noqa: F821
