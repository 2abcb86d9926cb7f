"""The shared forecasting interface and its metrics, on series with known answers."""

import numpy as np
import pytest

from neurodyn.forecasting import nrmse, rollout, valid_prediction_time


class _Persistence:
    """Predicts that the next observation repeats the last one seen."""

    def rollout(self, warmup, n_steps, drive=None):
        last = warmup[-1]
        if drive is None:
            return np.repeat(last[None, :], n_steps, axis=0)
        return np.vstack([last, drive[:-1]])


def test_nrmse_of_the_mean_is_one_and_of_the_truth_zero():
    truth = np.random.default_rng(0).normal(size=(500, 3))
    assert nrmse(truth, truth) == 0.0
    assert nrmse(np.full_like(truth, truth.mean()), truth) == pytest.approx(1.0, abs=1e-14)
    span = truth.max() - truth.min()
    assert nrmse(truth + 0.5, truth, "range") == pytest.approx(0.5 / span, rel=1e-14)
    assert nrmse(truth + 0.5, truth, "none") == pytest.approx(0.5, rel=1e-14)


def test_valid_prediction_time_counts_rows_below_threshold():
    t = np.arange(1000) * 0.01
    truth = np.column_stack([np.sin(t), np.cos(t)])
    spread = np.sqrt(np.mean(np.sum((truth - truth.mean(0)) ** 2, axis=1)))
    offset = np.zeros_like(truth)
    offset[250:, 0] = 0.5 * spread  # error 0.5 > 0.4 from row 250 on
    vpt = valid_prediction_time(truth + offset, truth, 0.01, 0.9)
    assert vpt == pytest.approx(250 * 0.01 * 0.9)
    assert valid_prediction_time(truth, truth, 0.01, 0.9) == pytest.approx(1000 * 0.01 * 0.9)


def test_rollout_open_and_closed_loop_and_errors():
    series = np.arange(20.0)[:, None]
    model = _Persistence()
    np.testing.assert_array_equal(rollout(model, series[:10], 5), np.full((5, 1), 9.0))
    open_loop = rollout(model, series[:10], 10, drive=series[10:])
    np.testing.assert_array_equal(open_loop[:, 0], np.arange(9.0, 19.0))
    with pytest.raises(ValueError, match="drive must have shape"):
        rollout(model, series[:10], 4, drive=series[10:])
    with pytest.raises(ValueError, match="NaN"):
        rollout(model, np.array([[np.nan]]), 3)
    with pytest.raises(TypeError, match="rollout"):
        rollout(object(), series, 3)
    with pytest.raises(ValueError, match="constant"):
        nrmse(series, np.ones_like(series))
