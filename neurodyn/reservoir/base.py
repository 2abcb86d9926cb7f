"""What every reservoir shares: a fixed driven system plus a trained linear readout, fitted by
ridge regression after a warm-up, and forecasting through :func:`neurodyn.forecasting.rollout`.

Time convention: the state ``z[t]`` is the state after the reservoir has taken input ``u[t]``;
the readout ``y[t] = b + W^T features(z[t], u[t])`` is trained on ``targets[t]`` (for one-step
forecasting ``targets[t] = u[t + 1]``, see :func:`forecasting_pairs`). With output feedback
the reservoir takes, with ``u[t]``, the previous target ``targets[t - 1]`` (zero at ``t = 0``)
while teacher forced, and its own previous output in closed loop.
"""

from __future__ import annotations

import numpy as np

from ..forecasting import _as_series
from ..run_lengths import renamed_keywords
from .readout import ridge_regression

__all__ = ["ReservoirForecaster", "forecasting_pairs"]


def forecasting_pairs(series: np.ndarray, horizon: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``series[:-horizon]`` and targets ``series[horizon:]`` (shape ``(T, d)``)."""
    series = _as_series("series", series)
    if not 1 <= horizon < len(series):
        raise ValueError(f"horizon must be in [1, {len(series) - 1}], got {horizon}")
    return series[:-horizon], series[horizon:]


class ReservoirForecaster:
    """Base class: subclasses provide ``_initial_state``, ``_harvest(z, U, Y)`` (states after
    each input, ``z`` updated in place), ``_feature_matrix(states, inputs)`` and
    ``_closed_loop(z, u, steps)``; ``n_inputs``/``n_outputs``/``has_feedback`` attributes."""

    ridge: float
    w_out: np.ndarray | None = None
    b_out: np.ndarray | None = None
    n_inputs: int | None = None
    n_outputs: int | None = None
    has_feedback: bool = False
    #: the state after the last input of the last ``fit``, ``states`` or ``run`` call
    state: np.ndarray | None = None

    def _prepare(self, n_inputs: int, n_outputs: int) -> None:
        raise NotImplementedError

    def _check_inputs(self, inputs: np.ndarray, name: str = "inputs") -> np.ndarray:
        inputs = _as_series(name, inputs)
        if self.n_inputs is not None and inputs.shape[1] != self.n_inputs:
            raise ValueError(f"{name} must have {self.n_inputs} columns, got {inputs.shape[1]}")
        return inputs

    def states(
        self, inputs: np.ndarray, feedback: np.ndarray | None = None, *, resume: bool = False
    ) -> np.ndarray:
        """Reservoir states ``(T, n_units)`` driven by ``inputs`` (and ``feedback``, the previous
        targets, when the reservoir feeds its output back), from the initial state or, with
        ``resume``, from :attr:`state`, where the last ``fit``, ``states`` or ``run`` ended.
        Sets :attr:`state` to the state after the last input."""
        inputs = self._check_inputs(inputs)
        if self.n_inputs is None:
            self._prepare(inputs.shape[1], inputs.shape[1])
        Y = self._feedback_rows(feedback, len(inputs))
        if resume and self.state is None:
            raise RuntimeError("nothing to resume: call fit, states or run first")
        z = self.state.copy() if resume else self._initial_state()
        states = self._harvest(z, inputs, Y)
        self.state = z
        return states

    def _feedback_rows(self, previous: np.ndarray | None, n_rows: int) -> np.ndarray:
        if not self.has_feedback:
            return np.zeros((n_rows, 0))
        if previous is None:
            raise ValueError("this reservoir feeds its output back: give the feedback series")
        return np.ascontiguousarray(previous, dtype=float)

    @renamed_keywords(warmup="transient")
    def fit(self, inputs: np.ndarray, targets: np.ndarray, transient: int = 0):
        """Train the readout by ridge regression on rows ``transient:`` of the states driven by
        ``inputs`` from the initial state; returns ``self``. :attr:`state` is then the state
        after the last training input, from which ``run(..., resume=True)`` continues."""
        inputs = self._check_inputs(inputs)
        targets = _as_series("targets", targets)
        if len(targets) != len(inputs):
            raise ValueError(f"{len(inputs)} input rows but {len(targets)} target rows")
        if not 0 <= transient < len(inputs) - 1:
            raise ValueError(f"transient must be in [0, {len(inputs) - 2}], got {transient}")
        self._prepare(inputs.shape[1], targets.shape[1])
        previous = np.vstack([np.zeros((1, targets.shape[1])), targets[:-1]])
        states = self.states(inputs, previous if self.has_feedback else None)
        features = self._feature_matrix(states[transient:], inputs[transient:])
        # the features are this call's own array (states or a copy): centre them in place
        self.w_out, self.b_out = ridge_regression(
            features, targets[transient:], self.ridge, overwrite_features=True
        )
        return self

    def _readout(self, states: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        if self.w_out is None:
            raise RuntimeError("the readout is not trained: call fit first")
        return self._feature_matrix(states, inputs) @ self.w_out + self.b_out

    def run(
        self, inputs: np.ndarray, feedback: np.ndarray | None = None, *, resume: bool = False
    ) -> np.ndarray:
        """Readout along ``inputs`` (teacher forced) from the initial state or, with ``resume``,
        from :attr:`state` (after ``fit``: one-step predictions that continue the training
        series, reservoirpy's ``fit`` then ``run``)."""
        inputs = self._check_inputs(inputs)
        return self._readout(self.states(inputs, feedback, resume=resume), inputs)

    @renamed_keywords(n_steps="steps")
    def rollout(
        self, warmup: np.ndarray, steps: int, drive: np.ndarray | None = None
    ) -> np.ndarray:
        """Forecast after ``warmup``, closed loop or open loop along ``drive`` (the protocol of
        :mod:`neurodyn.forecasting`). Needs a readout trained to predict the next input."""
        if self.w_out is None:
            raise RuntimeError("the readout is not trained: call fit first")
        if self.n_inputs != self.n_outputs:
            raise ValueError(
                f"rollout needs outputs that are the next inputs; this readout maps "
                f"{self.n_inputs} inputs to {self.n_outputs} outputs"
            )
        warmup = self._check_inputs(warmup, "warmup")
        z = self._initial_state()
        # teacher forced, the previous target is the current input
        states = self._harvest(z, warmup, self._feedback_rows(warmup, len(warmup)))
        if drive is None:
            return self._closed_loop(z, warmup[-1].copy(), int(steps))
        drive = self._check_inputs(drive, "drive")
        first = self._readout(states[-1:], warmup[-1:])
        if steps == 1:
            return first
        later = self._harvest(z, drive[:-1], self._feedback_rows(drive[:-1], steps - 1))
        return np.vstack([first, self._readout(later, drive[:-1])])
