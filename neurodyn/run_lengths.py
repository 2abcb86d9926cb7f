"""Run lengths: one vocabulary for the whole package (after ChaosTools' ``T`` and ``Ttr``).

==================  ==========================================================================
``transient``       iterations run first and discarded: map iterations, or integrator steps of a
                    flow that is iterated step by step (``iterate_batch``, ``sweep``, the charts,
                    ``lyapunov_spectrum``, the CLI, the study config); rows of a driven
                    reservoir left out of the readout's regression.
``steps``           iterations after the transient: what is recorded, averaged or forecast; the
                    same unit as ``transient``.
``duration``        time after the transient, in the model's time unit (flows integrated in
                    time); the transient before it is ``transient_time``. Where a function takes
                    counts too (``trajectory``), the count's transient is ``transient_steps``.
``warmup``          observations fed teacher-forced before a forecast (a series, or the number of
                    its rows); never free-running iterations.
==================  ==========================================================================

Older names keep working for one release, with a :class:`RunLengthDeprecation` warning that
names the call, the old and the new spelling:

* ``n_steps`` (now ``steps``);
* ``warmup`` as the number of harvest rows a reservoir leaves out (now ``transient``);
* ``transient`` of the reservoir tasks' series (now ``transient_time``);
* ``transient`` of the time-integrating functions (``trajectory``, ``delay_trajectory``,
  ``ks_trajectory``, ``simulate_kuramoto``, ``simulate_network``, ``oscillation_sweep``,
  ``simulate_ei``), in time units and counted inside ``duration``/``steps`` (now
  ``transient_time``/``transient_steps``, counted before them);
* a sweep's ``steps`` given without ``transient`` (``sweep``, the study config's
  ``simulation``, ``neurodyn simulate``): read as the total, transient included, as before.
  With ``transient`` given, ``steps`` counts the iterations after it.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = [
    "RunLengthDeprecation",
    "renamed_keywords",
    "sweep_window",
    "time_window",
    "warn_deprecated",
]

F = TypeVar("F", bound=Callable[..., Any])


class RunLengthDeprecation(FutureWarning):
    """An old run-length name or meaning, still accepted for one release (shown by default)."""


def warn_deprecated(message: str, stacklevel: int = 3) -> None:
    """Emit ``message`` as a :class:`RunLengthDeprecation` pointing at the caller's caller."""
    warnings.warn(message, RunLengthDeprecation, stacklevel=stacklevel)


def renamed_keywords(**renames: str) -> Callable[[F], F]:
    """Decorator: keyword arguments named as the keys are passed on under the values' names,
    with a :class:`RunLengthDeprecation`; giving both the old and the new name is a TypeError."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{function.__qualname__}() got both {old}= (the old name) and {new}="
                        )
                    warn_deprecated(
                        f"{function.__qualname__}({old}=...) is deprecated: use {new}=", 3
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def sweep_window(
    steps: int,
    transient: int | None,
    keep: int,
    every: int,
    *,
    where: str,
    spelling: str = "transient={transient}, steps={steps}",
    stacklevel: int = 4,
) -> tuple[int, int]:
    """``(transient, steps)`` of a sweep: ``steps`` iterations after ``transient`` ones.

    ``transient=None`` is the old call, where ``steps`` was the total, transient included, and
    the transient ``steps - keep * every`` (half of ``steps`` when nothing is kept): that meaning
    is kept for one release, with a :class:`RunLengthDeprecation` naming ``where`` and the
    equivalent new call (in ``spelling``, e.g. the CLI's flags). A ValueError names the values
    when the kept states do not fit.
    """
    if transient is not None:
        return transient, steps
    if keep * every > steps:
        raise ValueError(
            f"keep={keep} states at stride every={every} need steps >= {keep * every}, "
            f"not steps={steps}"
        )
    old = steps - keep * every if keep else steps // 2
    warn_deprecated(
        f"{where}: steps={steps} without transient is read as the total, transient included "
        f"(the old meaning); steps now counts the iterations after the transient: say "
        f"{spelling.format(transient=old, steps=steps - old)} for this run",
        stacklevel,
    )
    return old, steps - old


def time_window(
    length: float,
    transient: float | None,
    transient_new: float,
    *,
    where: str,
    length_name: str = "duration",
    new_name: str = "transient_time",
) -> tuple[float, float]:
    """``(transient, total)`` of a run of ``length`` after a transient of ``transient_new``.

    ``transient`` is the old keyword (counted inside ``length``, in the same unit): given, it
    keeps that meaning for one release, with a :class:`RunLengthDeprecation` naming ``where``
    and the equivalent new call. Giving both is a TypeError.
    """
    if transient is None:
        return transient_new, transient_new + length
    if transient_new:
        raise TypeError(f"{where} got both transient= (the old name) and {new_name}=")
    warn_deprecated(
        f"{where}: transient={transient} counted inside {length_name}={length} is deprecated: "
        f"say {new_name}={transient}, {length_name}={length - transient} (the {length_name} "
        "after the transient)",
        4,
    )
    return transient, length
