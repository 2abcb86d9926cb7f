"""The ``neurodyn`` command: list models, run sweeps into Zarr, summarise stores.

Bad input (unknown model or parameter, value out of range, malformed sweep, an output path
that cannot be written, a grid beyond the machine's memory) exits with code 2 and a one-line
message naming the value given, checked before anything is computed; nothing is written then.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import click

from .cli_analyses import (
    ANALYSIS_COMMANDS,
    backend_options,
    command_model,
    grid_options,
    initial_state_options,
    parse_grid,
    run_options,
)
from .models import ExpressionError, ModelError, get_model, list_models, presets
from .run_lengths import RunLengthDeprecation, sweep_window
from .sim import sweep
from .sim.schedule import MAX_COUNT

__all__ = ["main"]

DEFAULT_ITERATIONS = 10000  # simulate's run length in all when neither --steps nor --transient


class _OneLineErrors(click.Group):
    """The command group whose errors are one line on stderr, ``Error: <message>``, with
    click's exit code (2 for bad input), instead of click's usage block before the message."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as err:
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_OneLineErrors)
@click.version_option(package_name="neurodyn")
def main() -> None:
    """neurodyn: simulate and analyse nonlinear neural dynamics."""


@main.command("models")
@click.argument("name", required=False)
def models_command(name: str | None) -> None:
    """List the available models and network presets, or describe model NAME (equations,
    parameters, source)."""
    if name:
        click.echo(command_model(name).describe())
        return
    for model_name in list_models():
        model = get_model(model_name)
        click.echo(f"{model_name:<20} {model.kind:<5} {model.description}")
    for preset_name, preset in presets().items():
        kind = preset.build().kind
        click.echo(f"{preset_name:<20} {kind:<5} network preset: {preset.details.get('nodes', '')}")


@main.command("simulate")
@click.argument("model_name", metavar="MODEL")
@grid_options
@click.option(
    "--steps",
    type=click.IntRange(1, MAX_COUNT),
    default=None,
    help="Iterations after the transient (integrator steps for flows), over which min/max/mean "
    "are taken. Default: keep*every.",
)
@click.option(
    "--transient",
    type=click.IntRange(0, MAX_COUNT),
    default=None,
    help="Iterations run first and discarded. Default: 10000 in all with the default --steps. "
    "Without it, a --steps given is read as the total, transient included (the old meaning, "
    "deprecated).",
)
@click.option(
    "--keep",
    type=click.IntRange(0, MAX_COUNT),
    default=200,
    show_default=True,
    help="States kept at the end of each run (the variables with an iteration dimension).",
)
@click.option(
    "--every",
    type=click.IntRange(1, MAX_COUNT),
    default=1,
    show_default=True,
    help="Stride of the kept states, in iterations.",
)
@initial_state_options
@run_options
@backend_options
def simulate_command(
    model_name: str,
    settings: tuple[str, ...],
    sweeps: tuple[str, ...],
    steps: int | None,
    transient: int | None,
    keep: int,
    every: int,
    n_initial: int,
    seed: int,
    threads: int | None,
    out: Path,
    progress: bool,
    backend: str,
    device: str,
    dtype: str,
) -> None:
    """Iterate MODEL over a parameter grid and write the result to a Zarr store."""
    from .store import check_writable, write_dataset

    model = command_model(model_name)
    try:
        check_writable(out)
        fixed, axes = parse_grid(model, settings, sweeps)
        if steps is None:
            steps = max(keep * every, 1)
            transient = max(DEFAULT_ITERATIONS - steps, 0) if transient is None else transient
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RunLengthDeprecation)
            transient, steps = sweep_window(
                steps, transient, keep, every, where="neurodyn simulate",
                spelling="--transient {transient} --steps {steps}",
            )
        for warning in caught:
            click.echo(f"Warning: {warning.message}", err=True)
        ds = sweep(
            model,
            axes,
            fixed,
            steps=steps,
            transient=transient,
            keep=keep,
            every=every,
            n_initial=n_initial,
            seed=seed,
            threads=threads,
            progress=progress,
            backend=backend,
            device=device,
            dtype=dtype,
        )
    except (ModelError, ExpressionError, ValueError, OSError) as err:
        raise click.UsageError(str(err)) from None
    n_diverged = int(ds["diverged"].sum())
    path = write_dataset(ds, out)
    click.echo(f"wrote {path} ({ds['diverged'].size} runs, {n_diverged} diverged)")


@main.command(
    "sweep", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--cores", default="all", show_default=True, help="Cores for local runs.")
@click.option(
    "--profile", default=None, help="local, slurm, or a Snakemake profile folder (default: none)."
)
@click.option("--dry-run", "-n", is_flag=True, help="Show the jobs and estimate; run nothing.")
@click.pass_context
def sweep_command(
    ctx: click.Context, config: Path, cores: str, profile: str | None, dry_run: bool
) -> None:
    """Run the study in CONFIG (YAML) with the Snakemake workflow; results under results/.

    Arguments after CONFIG that neurodyn does not know go to Snakemake (targets, --forceall).
    """
    from .workflow import StudyError, run_study

    try:
        code = run_study(config, cores=cores, profile=profile, dry_run=dry_run, extra=ctx.args)
    except StudyError as err:
        raise click.UsageError(str(err)) from None
    ctx.exit(code)


@main.command("info")
@click.argument("store", type=click.Path(path_type=Path))
@click.option("--verify", is_flag=True, help="Also read every chunk (a bad one is an error).")
def info_command(store: Path, verify: bool) -> None:
    """Summarise a result STORE: dimensions, variables, model, provenance."""
    from .store import store_info, verify_store

    try:
        click.echo(store_info(store))
        if verify:
            click.echo(f"verified: all {verify_store(store)} chunks read")
    except (FileNotFoundError, ValueError) as err:
        raise click.UsageError(str(err)) from None


for _command in ANALYSIS_COMMANDS:
    main.add_command(_command)
