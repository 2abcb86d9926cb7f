"""The ``coexistence`` measure on maps whose attractors are known in closed form."""

from __future__ import annotations

import numpy as np

from neurodyn.analysis import add_measures
from neurodyn.analysis.measures.coexistence import attractor_classes
from neurodyn.models import get_model, model_from_dict
from neurodyn.sim import sweep


def cubic():
    """x -> r x - x^3: for 0 < r < 1 one attractor (0); for 1 < r < 2 two, +-sqrt(r - 1)."""
    return model_from_dict(
        "cubic",
        {
            "kind": "map",
            "state": {"x": {"initial": 0.1, "box": [-1.0, 1.0]}},
            "equations": {"x": "r*x - x**3"},
            "parameters": {"r": {"default": 1.5, "range": [0, 3]}},
        },
    )


def test_bistable_cubic_map_counts_its_two_fixed_points():
    ds = sweep(cubic(), {"r": np.array([0.5, 1.5, 1.8])}, steps=600, keep=100, n_initial=8, seed=3)
    ds = add_measures(ds, ["coexistence"], cubic(), coexistence_samples=50)
    np.testing.assert_array_equal(ds["n_attractors"].values, [[1] * 8, [2] * 8, [2] * 8])
    # the class of each initial state is the sign of the fixed point it reached
    final = ds["x_final"].values
    for row in (1, 2):
        classes = ds["attractor"].values[row]
        assert classes[0] == 0
        np.testing.assert_array_equal(np.sign(final[row]) == np.sign(final[row][0]), classes == 0)
    assert ds["n_attractors"].attrs["rtol"] == 0.05
    assert ds["n_attractors"].attrs["samples"] == 50


def test_one_chaotic_attractor_is_one_class():
    henon = get_model("henon")
    ds = sweep(
        henon, {"a": np.array([1.4])}, {"b": 0.3}, steps=3000, keep=1000, n_initial=6, seed=2
    )
    ds = add_measures(ds, ["coexistence"], henon)
    ok = ~ds["diverged"].values[0]
    assert ok.sum() >= 3
    np.testing.assert_array_equal(ds["attractor"].values[0][ok], 0)
    np.testing.assert_array_equal(ds["attractor"].values[0][~ok], -1)
    assert set(ds["n_attractors"].values[0]) == {1}


def test_classes_from_samples():
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    shifted = np.roll(circle, 77, axis=0) + 1e-3  # the same closed curve, another phase
    other = circle * 0.5 + [3.0, 0.0]  # a disjoint attractor
    diverged = np.full_like(circle, np.nan)
    samples = np.stack([circle, shifted, other, diverged])
    np.testing.assert_array_equal(attractor_classes(samples, 0.05, 1e-6), [0, 0, 1, -1])
    points = np.stack([np.full((5, 2), 1.0), np.full((5, 2), 1.0 + 1e-9), np.full((5, 2), -1.0)])
    np.testing.assert_array_equal(attractor_classes(points, 0.05, 1e-6), [0, 0, 1])


def test_study_initial_states_given_explicitly():
    import pytest

    from neurodyn.workflow import StudyError, check_study, compute_chunk

    study = {
        "study": "henon_ic",
        "model": "henon",
        "sweep": {"a": "0.2,1.0", "b": "0.3"},
        "simulation": {"steps": 500, "keep": 100, "initial": [[0.1, 0.0], [-0.2, 0.05]]},
        "measures": ["coexistence"],
    }
    ds = compute_chunk(check_study(study), 0)
    np.testing.assert_array_equal(ds["x_initial"].values.ravel()[:2], [0.1, -0.2])
    # both states reach the stable fixed point at a = 0.2 and the 2-cycle at a = 1.0
    np.testing.assert_array_equal(ds["n_attractors"].values.ravel(), [1, 1, 1, 1])
    study["simulation"]["initial"] = [[0.1, 0.0, 3.0]]
    with pytest.raises(StudyError, match="simulation/initial: each state needs 2 values"):
        check_study(study)
