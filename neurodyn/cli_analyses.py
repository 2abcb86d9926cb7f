"""The analysis commands of ``neurodyn``: ``lyapunov``, ``continue``, ``measures``, ``report``.

Each wraps one library call and stores its result the way the library does:

==============================  ==============================================================
command                         library call
==============================  ==============================================================
``neurodyn lyapunov MODEL``     :func:`neurodyn.analysis.bifurcation.lyapunov_chart`
``neurodyn continue MODEL P``   :func:`neurodyn.analysis.bifurcation.continue_cycle`, stored
                                with :meth:`~neurodyn.analysis.bifurcation.Branch.to_dataset`
``neurodyn measures STORE``     :func:`neurodyn.analysis.measures.add_measures` on the store
``neurodyn report STORE``       :func:`neurodyn.report.write_report`
==============================  ==============================================================

Stores are written with :func:`neurodyn.store.write_dataset` (atomically: the path holds the
old store or the complete new one). The report directory is written into a hidden sibling and
moved into place by the same atomic rename (:mod:`neurodyn.store._atomic`). Bad input (unknown
model, parameter or measure, a value out of range, a path that is not a store) exits with code
2 and a message naming it; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click
import numpy as np

from .backends import BACKENDS, DTYPES
from .models import ExpressionError, Model, ModelError, resolve_model
from .sim import SweepSpecError, parse_assignment, parse_axis
from .sim.schedule import MAX_COUNT

__all__ = ["ANALYSIS_COMMANDS", "parse_grid"]

#: Errors that mean the user's input was bad (exit 2).
_BAD_INPUT = (ModelError, ExpressionError, ValueError, FileNotFoundError)


def parse_grid(
    model: Model, settings: tuple[str, ...], sweeps: tuple[str, ...]
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """``--set NAME=VALUE`` and ``--sweep NAME=START:STOP:NUM`` as (fixed, axes), every name
    checked to be a parameter of ``model``, none set twice and none swept twice (raises
    ValueError)."""
    assignments = [parse_assignment(s) for s in settings]
    fixed = dict(assignments)
    axes = dict(parse_axis(s) for s in sweeps)
    for name in [*fixed, *axes]:
        model.parameter(name)
    if len(fixed) != len(settings):
        names = [name for name, _ in assignments]
        twice = sorted({name for name in names if names.count(name) > 1})
        raise SweepSpecError(f"--set gives {', '.join(twice)} more than once: {settings}")
    if len(axes) != len(sweeps):
        raise SweepSpecError("the same parameter is swept twice")
    return fixed, axes


def command_model(name: str) -> Model:
    """The model or network preset ``name`` of a command; an unknown one is a usage error."""
    try:
        return resolve_model(name)
    except ModelError as err:
        raise click.UsageError(str(err)) from None


def _usage(call: Callable[[], Any]) -> Any:
    """Run ``call``; bad input becomes a usage error (exit 2)."""
    try:
        return call()
    except _BAD_INPUT as err:
        raise click.UsageError(str(err)) from None


_out_option = click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Zarr store to write (replaced atomically if it exists).",
)
_progress_option = click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Say when numba kernels compile and show progress bars (on stderr).",
)
_threads_option = click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="numba threads (default: all cores); results do not depend on it.",
)


class _LazyChoice(click.Choice):
    """A choice among names looked up when the option is parsed or shown (``names()``):
    importing the analysis package imports xarray and scipy (1-2 s), which the other commands
    do not need at start-up."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self._names = names
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._names())

    @choices.setter
    def choices(self, value: object) -> None:
        """``names`` is the only source of the choices."""


_BACKEND_OPTIONS = (
    click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default="numba",
        show_default=True,
        help="numba kernels (CPU, float64) or the generated torch code (CPU or GPU).",
    ),
    click.option(
        "--device",
        default="auto",
        show_default=True,
        help="auto, cpu, cuda or cuda:INDEX (torch backend; auto picks a GPU when torch sees one).",
    ),
    click.option(
        "--dtype",
        type=click.Choice(DTYPES),
        default="float64",
        show_default=True,
        help="Floating-point type of the torch backend (numba always uses float64).",
    ),
)


_GRID_OPTIONS = (
    click.option("--set", "settings", multiple=True, metavar="NAME=VALUE", help="Fix a parameter."),
    click.option(
        "--sweep",
        "sweeps",
        multiple=True,
        metavar="NAME=START:STOP:NUM",
        help="Sweep a parameter over NUM evenly spaced values (inclusive) or a list NAME=V1,V2,...",
    ),
)
_INITIAL_STATE_OPTIONS = (
    click.option(
        "--initial-conditions",
        "n_initial",
        type=click.IntRange(1, MAX_COUNT),
        default=1,
        show_default=True,
        help="Initial states per parameter point (the model's default state, or drawn with "
        "--seed).",
    ),
    click.option(
        "--seed",
        type=click.IntRange(0, MAX_COUNT),
        default=0,
        show_default=True,
        help="Seed of the drawn initial states.",
    ),
)


def _options(options: tuple[Callable[..., Any], ...]) -> Callable[..., Any]:
    """A decorator adding ``options`` to a command, in the order given."""

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return add


backend_options = _options(_BACKEND_OPTIONS)
"""``--backend``, ``--device`` and ``--dtype``: every command that iterates a model."""
grid_options = _options(_GRID_OPTIONS)
"""``--set`` and ``--sweep``: the parameter grid of a command (read by :func:`parse_grid`)."""
initial_state_options = _options(_INITIAL_STATE_OPTIONS)
"""``--initial-conditions`` and ``--seed``: the initial states of every grid point."""
run_options = _options((_threads_option, _out_option, _progress_option))
"""``--threads``, ``--out`` and ``--progress`` of the commands that run and write a store."""


def _measure_names() -> Iterable[str]:
    from .analysis.measures import MEASURES

    return MEASURES


def _stop_labels() -> Iterable[str]:
    from .analysis.bifurcation.branch import CODIM1

    return [label for label in CODIM1 if label != "EP"]


@click.command("lyapunov")
@click.argument("model_name", metavar="MODEL")
@grid_options
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Iterations (integrator steps for flows) averaged after the transient.",
)
@click.option(
    "--transient",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Iterations discarded before the exponents are accumulated.",
)
@click.option(
    "--exponents",
    "n_exponents",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="How many of the largest exponents to compute (at most the number of state variables).",
)
@initial_state_options
@run_options
@backend_options
def lyapunov_command(
    model_name: str,
    settings: tuple[str, ...],
    sweeps: tuple[str, ...],
    steps: int,
    transient: int,
    n_exponents: int,
    n_initial: int,
    seed: int,
    threads: int | None,
    out: Path,
    progress: bool,
    backend: str,
    device: str,
    dtype: str,
) -> None:
    """Lyapunov exponents of MODEL over a parameter grid (QR method with the model's Jacobian),
    written to a Zarr store: lyapunov and lyapunov_stderr over (grid, ic, exponent)."""
    from .analysis.bifurcation import lyapunov_chart
    from .store import write_dataset

    model = command_model(model_name)
    fixed, axes = _usage(lambda: parse_grid(model, settings, sweeps))
    if n_exponents > model.n_state:
        raise click.UsageError(
            f"--exponents {n_exponents}: model {model.name!r} has {model.n_state} state variables"
        )
    ds = _usage(
        lambda: lyapunov_chart(
            model,
            axes,
            fixed,
            steps=steps,
            transient=transient,
            n_exponents=n_exponents,
            n_initial=n_initial,
            seed=seed,
            threads=threads,
            backend=backend,
            device=device,
            dtype=dtype,
            progress=progress,
        )
    )
    path = write_dataset(ds, out)
    largest = ds["lyapunov"].isel(exponent=0)
    click.echo(
        f"wrote {path} ({largest.size} points, largest exponent "
        f"{float(largest.min()):.4g} … {float(largest.max()):.4g})"
    )


_DIRECTIONS = {"up": 1, "down": -1}


@click.command("continue")
@click.argument("model_name", metavar="MODEL")
@click.argument("parameter")
@click.option(
    "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Fix another parameter."
)
@click.option(
    "--start",
    "start",
    multiple=True,
    metavar="VARIABLE=VALUE",
    help="A point near the cycle to start from (default: the model's initial state).",
)
@click.option(
    "--period",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Period of the cycle (1: a fixed point).",
)
@click.option(
    "--direction",
    type=click.Choice(sorted(_DIRECTIONS)),
    default="up",
    show_default=True,
    help="Start towards increasing (up) or decreasing (down) PARAMETER.",
)
@click.option(
    "--step",
    type=click.FloatRange(min=0, min_open=True),
    default=1e-2,
    show_default=True,
    help="First step along the curve (weighted arclength).",
)
@click.option(
    "--h-max",
    type=click.FloatRange(min=0, min_open=True),
    default=0.1,
    show_default=True,
    help="Largest step along the curve.",
)
@click.option(
    "--max-steps",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Points accepted before the run stops.",
)
@click.option(
    "--stop-on",
    multiple=True,
    type=_LazyChoice(_stop_labels),
    help="Stop after the first special point of this kind (repeat for several).",
)
@click.option(
    "--range",
    "bounds",
    default=None,
    metavar="LOW:HIGH",
    help="Domain of PARAMETER (default: its valid range); the run ends at its boundary.",
)
@_out_option
def continue_command(
    model_name: str,
    parameter: str,
    settings: tuple[str, ...],
    start: tuple[str, ...],
    period: int,
    direction: str,
    step: float,
    h_max: float,
    max_steps: int,
    stop_on: tuple[str, ...],
    bounds: str | None,
    out: Path,
) -> None:
    """Continue a fixed point or cycle of map MODEL in PARAMETER (pseudo-arclength, with LP, PD,
    NS and BP points located) and write the branch to a Zarr store."""
    from .analysis.bifurcation import continue_cycle
    from .store import write_dataset

    model = command_model(model_name)

    def inputs() -> tuple[dict[str, float], np.ndarray, dict[str, tuple[float, float]] | None]:
        fixed, _ = parse_grid(model, settings, ())
        model.parameter(parameter)
        if model.kind != "map":
            raise ValueError(f"continuation needs a map; {model.name!r} is a {model.kind}")
        state = dict(zip(model.state_names, model.initial_state(), strict=True))
        for text in start:
            name, value = parse_assignment(text)
            if name not in state:
                raise ValueError(
                    f"--start {text!r}: {name!r} is not a state variable of {model.name!r} "
                    f"({', '.join(model.state_names)})"
                )
            state[name] = value
        domain = None
        if bounds is not None:
            low, _, high = bounds.partition(":")
            try:
                domain = {parameter: (float(low), float(high))}
            except ValueError:
                raise ValueError(f"--range {bounds!r}: expected LOW:HIGH, e.g. 2.5:3.5") from None
            if not domain[parameter][0] < domain[parameter][1]:
                raise ValueError(f"--range {bounds!r}: LOW must be below HIGH")
        return fixed, np.array(list(state.values())), domain

    fixed, x0, domain = _usage(inputs)
    click.echo(f"continuing the period-{period} cycle of {model.name} in {parameter} ...", err=True)
    branch = _usage(
        lambda: continue_cycle(
            model,
            parameter,
            x0,
            fixed,
            period=period,
            direction=_DIRECTIONS[direction],
            bounds=domain,
            step=step,
            h_max=h_max,
            max_steps=max_steps,
            stop_on=stop_on,
        )
    )
    path = write_dataset(branch.to_dataset(), out)
    special = (
        ", ".join(f"{p.label} at {parameter}={p.parameters[parameter]:.8g}" for p in branch.special)
        or "none"
    )
    click.echo(f"wrote {path} ({len(branch.parameter(parameter))} points; special: {special})")


@click.command("measures")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--measure",
    "measures",
    multiple=True,
    required=True,
    type=_LazyChoice(_measure_names),
    help="A measure to add (repeat for several); variables of the same name are replaced.",
)
@click.option(
    "--variable",
    default=None,
    help="State variable of the 0-1 test and the entropies (default: the first; for a network "
    "the node average of --node-variable).",
)
@click.option(
    "--node-variable",
    default=None,
    help="Node variable of the synchrony measures (default: x).",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Iterations continued from the final states when the sweep kept none (default 2000), "
    "and the Lyapunov run length.",
)
@click.option(
    "--lyapunov-steps",
    type=click.IntRange(min=1),
    default=None,
    help="Length of the Lyapunov run (default: --steps).",
)
@click.option(
    "--exponents",
    "n_exponents",
    type=click.IntRange(min=1),
    default=None,
    help="Lyapunov exponents per point (default: all state variables, at most 6).",
)
@click.option(
    "--max-period",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Longest period detected.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the 0-1 test's frequencies (default: the store's seed).",
)
@click.option(
    "--spike-times",
    is_flag=True,
    help="With spikes or spike_synchrony: also store each point's spike trains (spike_count, "
    "spike_time; read them with neurodyn.analysis.measures.stored_spike_trains).",
)
@_threads_option
@_progress_option
def measures_command(
    store: Path,
    measures: tuple[str, ...],
    variable: str | None,
    node_variable: str | None,
    steps: int | None,
    lyapunov_steps: int | None,
    n_exponents: int | None,
    max_period: int,
    seed: int | None,
    spike_times: bool,
    threads: int | None,
    progress: bool,
) -> None:
    """Add measures to the sweep STORE (written by neurodyn simulate or a study) and write it
    back atomically."""
    from .analysis.measures import add_measures
    from .store import open_dataset

    _usage(lambda: open_dataset(store))  # a missing or non-store path is bad input
    ds = _usage(
        lambda: add_measures(
            store,
            list(measures),
            variable=variable,
            node_variable=node_variable,
            steps=steps,
            seed=seed,
            threads=threads,
            progress=progress,
            lyapunov_steps=lyapunov_steps,
            n_exponents=n_exponents,
            max_period=max_period,
            spike_times=spike_times,
        )
    )
    click.echo(f"wrote {store} (added {', '.join(dict.fromkeys(measures))}; {len(ds)} variables)")


@click.command("report")
@click.argument("store", type=click.Path(path_type=Path))
@click.option(
    "--orbit",
    type=click.Path(path_type=Path),
    default=None,
    help="Orbit-diagram store to show (from the study's orbit_diagram rule); default: none.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help="Report directory (report.html and figures/); replaced atomically if it holds a report.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Report settings (YAML or JSON): title, points, orbit_variable, ic, slices, curves.",
)
def report_command(store: Path, orbit: Path | None, out: Path, config_path: Path | None) -> None:
    """Write the bifurcation and synchronization report of the sweep STORE (with its measures)
    as OUT/report.html with its figures."""
    from .report import write_report
    from .report.config import ReportConfig, load_config
    from .store import _atomic, open_dataset

    def check() -> dict[str, Any] | None:
        for path in (store, orbit):
            if path is not None:
                open_dataset(path)
        config = load_config(config_path) if config_path is not None else None
        ReportConfig.from_dict(config)
        if out.exists() and not (out.is_dir() and _replaceable_report(out)):
            raise ValueError(
                f"--out {out}: exists and is not a report directory (report.html); "
                "refusing to replace it"
            )
        return config

    config = _usage(check)
    target = out.expanduser().absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic.cleanup_leftovers(target)
    with _atomic.locked_temp_dir(target) as tmp:
        _usage(lambda: write_report(store, orbit, tmp, config=config))
        _atomic.fsync_tree(tmp)
        _atomic.replace_dir(tmp, target)
    click.echo(f"wrote {target / 'report.html'}")


def _replaceable_report(path: Path) -> bool:
    """Whether directory ``path`` may be replaced by a report: empty, or a report."""
    return (path / "report.html").is_file() or not any(path.iterdir())


#: The commands registered on the ``neurodyn`` group.
ANALYSIS_COMMANDS = (lyapunov_command, continue_command, measures_command, report_command)
