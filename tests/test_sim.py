"""Batched iteration: determinism across splits and threads, reducers, divergence flags."""

import numba
import numpy as np
import pytest

from neurodyn.models import ModelError, get_model
from neurodyn.sim import SweepSpecError, iterate_batch, parse_axis, sweep


def _chialvo_sweep(**options):
    return sweep(
        get_model("chialvo"),
        {"b": np.linspace(0.1, 0.7, 37), "k": np.linspace(0.0, 0.1, 29)},
        {"a": 0.89},
        steps=3000,
        keep=50,
        n_initial=3,
        seed=5,
        **options,
    )


@pytest.mark.parametrize("threads", [1, 2])
def test_results_do_not_depend_on_chunks_or_threads(threads):
    """Bit-identical arrays whether the batch runs in 1, 3 or 7 chunks, on 1 or 2 threads."""
    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("machine has a single core")
    batch = 37 * 29 * 3  # 3219 points: not a multiple of the block or vector width
    reference = _chialvo_sweep(threads=1, chunk_size=batch)
    for n_chunks in (1, 3, 7):
        result = _chialvo_sweep(threads=threads, chunk_size=-(-batch // n_chunks))
        for name in reference.data_vars:
            np.testing.assert_array_equal(result[name].values, reference[name].values)
    distinct = reference["distinct"].values  # counted over the 50 kept iterations
    assert (distinct == 50).sum() > 100 and (distinct <= 4).sum() > 100  # aperiodic and periodic


def test_kept_states_follow_a_plain_loop():
    """Logistic map at stable periodic parameters: kept states equal a Python loop."""
    r = np.array([2.8, 3.2, 3.5, 3.83])
    ds = sweep(get_model("logistic"), {"r": r}, steps=1000, keep=8, initial=[[0.3]])
    for j, rj in enumerate(r):
        x, trajectory = 0.3, []
        for _ in range(1000):
            x = rj * x * (1 - x)
            trajectory.append(x)
        np.testing.assert_allclose(ds["x"].values[j, 0], trajectory[-8:], rtol=1e-12)
    np.testing.assert_array_equal(ds["iteration"].values, np.arange(993, 1001))
    # periods 1, 2, 4 and the period-3 window (opens at 1 + sqrt 8 = 3.8284)
    np.testing.assert_array_equal(ds["distinct"].values[:, 0], [1, 2, 4, 3])


def test_reducers_equal_numpy_over_the_recorded_window():
    model = get_model("henon")
    X = np.array([[0.1, 0.0, 0.2], [0.1, 0.05, -0.1]])
    P = np.array([[1.4, 1.2, 1.0], [0.3, 0.3, 0.2]])
    result = iterate_batch(model, X, P, steps=500, transient=100, keep=500)
    np.testing.assert_array_equal(result.minimum, result.kept.min(axis=0))
    np.testing.assert_array_equal(result.maximum, result.kept.max(axis=0))
    np.testing.assert_allclose(result.mean, result.kept.mean(axis=0), rtol=1e-13)
    np.testing.assert_array_equal(result.final, result.kept[-1])


def test_every_dth_state_is_a_stride_of_all_states():
    model = get_model("henon")
    X = np.array([[0.1, 0.0], [0.1, 0.05]])
    P = np.array([[1.4, 1.2], [0.3, 0.3]])
    every1 = iterate_batch(model, X, P, steps=300, transient=50, keep=300)
    every7 = iterate_batch(model, X, P, steps=300, transient=50, keep=42, every=7)
    np.testing.assert_array_equal(every7.kept, every1.kept[::-7][::-1][-42:])
    np.testing.assert_array_equal(every7.kept_iterations, every1.kept_iterations[::-7][::-1][-42:])


def test_divergent_points_are_flagged_and_leave_neighbours_intact():
    """Henon orbits from far away escape to infinity; the others are untouched."""
    model = get_model("henon")
    good = np.array([[0.1, 0.0, -0.2], [0.1, 0.05, 0.1]])
    bad = np.array([[5.0, -4.0], [5.0, 3.0]])
    mixed = np.concatenate([good[:, :1], bad[:, :1], good[:, 1:], bad[:, 1:]], axis=1)
    P_good = np.array([[1.4, 1.2, 1.3], [0.3, 0.3, 0.25]])
    P_mixed = P_good[:, [0, 0, 1, 2, 2]]
    alone = iterate_batch(model, good, P_good, steps=200, transient=100, keep=20)
    together = iterate_batch(model, mixed, P_mixed, steps=200, transient=100, keep=20)
    np.testing.assert_array_equal(together.diverged, [False, True, False, False, True])
    keep = ~together.diverged
    np.testing.assert_array_equal(together.kept[..., keep], alone.kept)
    np.testing.assert_array_equal(together.mean[:, keep], alone.mean)
    assert np.isnan(together.kept[..., ~keep]).all() and np.isnan(together.final[:, ~keep]).all()
    np.testing.assert_array_equal(together.distinct[~keep], [-1, -1])


def test_bound_marks_points_that_leave_it():
    model = get_model("logistic")
    result = iterate_batch(
        model, np.array([[0.3, 0.3]]), np.array([[3.9, 2.5]]), steps=10, bound=0.9
    )
    np.testing.assert_array_equal(result.diverged, [True, False])


def test_sweep_dataset_is_labelled():
    ds = sweep(get_model("chialvo"), {"b": [0.18, 0.6]}, {"k": 0.03}, steps=200, keep=10)
    assert ds["b"].attrs["valid_range"] == [0.0, 5.0]
    assert ds.attrs["model"] == "chialvo" and ds.attrs["time_unit"] == "iteration"
    assert ds.attrs["transient"] == 190 and ds.attrs["seed"] == 0
    assert ds.attrs["fixed_parameters"]["k"] == 0.03
    assert ds.attrs["equations"] == {"x": "x**2 * exp(y - x) + k", "y": "a*y - b*x + c"}
    assert ds.attrs["swept_parameters"] == ["b"]
    assert ds["ic"].attrs["units"] == "1" and ds["iteration"].attrs["units"] == "iterations"
    np.testing.assert_array_equal(ds["x_initial"].values, [0.5])


def test_initial_states_are_seeded_and_chunk_independent():
    a = sweep(get_model("henon"), {"a": [1.0, 1.2]}, steps=5, keep=1, n_initial=4, seed=3)
    b = sweep(get_model("henon"), {"a": [1.2]}, steps=5, keep=1, n_initial=4, seed=3)
    np.testing.assert_array_equal(a["x_initial"].values, b["x_initial"].values)
    np.testing.assert_array_equal(a["x"].sel(a=1.2).values, b["x"].sel(a=1.2).values)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("b=0.1:0.7:7", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]), ("k = 1,2.5,-3e-1", [1, 2.5, -0.3])],
)
def test_parse_axis(spec, expected):
    np.testing.assert_allclose(parse_axis(spec)[1], expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("spec", ["b=0.1:0.7", "b", "=1:2:3", "b=1:2:x", "b=a,b", "b=1:2:0"])
def test_malformed_sweep_spec(spec):
    with pytest.raises(SweepSpecError, match="sweep"):
        parse_axis(spec)


def test_out_of_range_sweep_value_is_rejected():
    with pytest.raises(ModelError, match=r"'b'.*7.0.*\[0.0, 5.0\]"):
        sweep(get_model("chialvo"), {"b": [0.1, 7.0]}, steps=10)
    with pytest.raises(ModelError, match="both swept and fixed"):
        sweep(get_model("chialvo"), {"b": [0.1]}, {"b": 0.2}, steps=10)


def test_distinct_count_equals_a_python_count_of_the_kept_states():
    """The kernel's count (values kept per block of points) equals counting the kept states in
    Python by the documented convention, for periodic, chaotic and capped points."""
    r = np.linspace(2.9, 4.0, 300)
    window, limit, tol = 120, 40, 1e-6
    result = iterate_batch(
        get_model("logistic"), np.full((1, r.size), 0.3), r[None], steps=window, transient=500,
        keep=window, distinct_window=window, max_distinct=limit, distinct_tol=tol,
    )
    for i in range(r.size):
        seen = []
        for value in result.kept[:, 0, i]:
            if len(seen) > limit:
                break
            if not any(abs(value - known) <= tol * max(1.0, abs(known)) for known in seen[:limit]):
                seen.append(value)
        assert result.distinct[i] == len(seen), i
    assert {1, 2, 4, 8, limit + 1} <= set(result.distinct.tolist())
