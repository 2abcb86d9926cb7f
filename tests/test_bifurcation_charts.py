"""Orbit diagrams (with hysteresis), period detection, period and Lyapunov charts, the grid
detector and the figures.

Reference values: logistic map periods 2, 4, 8 at r = 3.2, 3.5, 3.55 and 3 at r = 3.83 (between
r2 = 1 + sqrt 6, r3 = 3.5441, r4 = 3.5644, r5 = 3.5688 and inside the period-3 window opened at
1 + sqrt 8); Lyapunov exponent ln 2 at r = 4 (ANCHORS.md). The hysteresis model
x -> x + (beta + x - x^3) / 2 has the fixed points beta + x - x^3 = 0, two of them stable for
|beta| < 2 / (3 sqrt 3) (a fold at each end), so forward and backward sweeps of beta follow the
lower and upper branch across that interval.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurodyn.analysis.bifurcation.grid_detect import detect_on_grid, scan_test_functions
from neurodyn.analysis.bifurcation.orbit import orbit_diagram
from neurodyn.analysis.bifurcation.periods import detect_period, lyapunov_chart, period_chart
from neurodyn.models import get_model, model_from_dict

FOLD = 2 / (3 * np.sqrt(3))


@pytest.fixture(scope="module")
def bistable():
    return model_from_dict(
        "bistable",
        {
            "kind": "map",
            "state": {"x": {"initial": -1.0, "box": [-1.5, 1.5]}},
            "equations": {"x": "x + 0.5*(beta + x - x**3)"},
            "parameters": {"beta": {"default": 0.0, "range": [-2, 2]}},
        },
    )


def _branches(beta):
    roots = [np.roots([-1.0, 0.0, 1.0, b]) for b in beta]
    real = [np.sort(r[np.abs(r.imag) < 1e-9].real) for r in roots]
    return np.array([r[0] for r in real]), np.array([r[-1] for r in real])


def test_forward_and_backward_sweeps_expose_hysteresis(bistable):
    beta = np.linspace(-0.6, 0.6, 121)
    ds = orbit_diagram(
        bistable,
        "beta",
        beta,
        modes=("forward", "backward", "independent"),
        transient=400,
        settle=200,
        keep=4,
    )
    x = ds["x"]
    assert not ds["diverged"].any()
    lower, upper = _branches(beta)
    inside = np.abs(beta) < FOLD - 0.011
    forward = x.sel(mode="forward").isel(ic=0, iteration=-1).values
    backward = x.sel(mode="backward").isel(ic=0, iteration=-1).values
    np.testing.assert_allclose(forward[inside], lower[inside], atol=1e-9)
    np.testing.assert_allclose(backward[inside], upper[inside], atol=1e-9)
    # outside the bistable interval both sweeps agree (a single attractor)
    outside = np.abs(beta) > FOLD + 0.011
    np.testing.assert_allclose(forward[outside], backward[outside], atol=1e-9)
    # the jump of the forward sweep happens at the fold, within one grid step
    jump = beta[np.argmax(np.diff(forward) > 0.5) + 1]
    assert abs(jump - FOLD) <= beta[1] - beta[0]
    # independent runs from x = -1 stay on the lower branch wherever it exists
    independent = x.sel(mode="independent").isel(ic=0, iteration=-1).values
    np.testing.assert_allclose(independent[inside], lower[inside], atol=1e-9)


@pytest.mark.slow
def test_orbit_diagram_periods_of_the_logistic_map():
    r = np.array([2.9, 3.2, 3.5, 3.55, 3.83, 3.9])
    ds = orbit_diagram(
        get_model("logistic"), "r", r, modes="independent", n_initial=3, transient=4000, keep=128
    )
    period = detect_period(ds["x"].values, max_period=32, tol=1e-6)
    np.testing.assert_array_equal(period[0], np.repeat([[1], [2], [4], [8], [3], [0]], 3, axis=1))
    x = ds["x"].sel(r=3.2).isel(mode=0, ic=0).values
    exact = ((3.2 + 1) + np.array([-1, 1]) * np.sqrt(4.2 * 0.2)) / 6.4
    np.testing.assert_allclose(np.sort(x[-2:]), exact, atol=1e-10)


def test_detect_period_conventions():
    assert detect_period(np.array([0.2, 0.5, 0.8] * 30)) == 3
    xy = np.array([[1.0, 2.0, 3.0] * 30, [1.0] * 90])
    assert detect_period(xy, state_axis=0, time_axis=1) == 3
    assert detect_period(np.array([1.0, np.nan] * 40)) == -1
    assert detect_period(np.sin(np.arange(100.0))) == 0


@pytest.mark.slow
def test_period_chart_matches_the_continuation_of_the_henon_map():
    a = np.linspace(0.0, 1.0, 21)
    b = np.array([0.1, 0.3])
    chart = period_chart(get_model("henon"), {"a": a, "b": b}, transient=3000, max_period=16)
    period = chart["period"].isel(ic=0).values
    for j, bj in enumerate(b):
        flip = 3 * (1 - bj) ** 2 / 4  # the fixed point is stable below, the 2-cycle above
        assert np.all(period[a < flip - 0.02, j] == 1)
        first_after = np.argmax(a > flip + 0.02)
        assert period[first_after, j] == 2


def test_period_chart_numbers_and_threads():
    r = np.array([2.9, 3.2, 3.5, 3.55, 3.83, 3.9])
    one = period_chart(get_model("logistic"), {"r": r}, transient=5000, threads=1)
    np.testing.assert_array_equal(one["period"].values[:, 0], [1, 2, 4, 8, 3, 0])
    assert one["period"].attrs["convention"].startswith("smallest p")


def test_lyapunov_chart_of_the_logistic_map():
    chart = lyapunov_chart(get_model("logistic"), {"r": np.array([3.2, 4.0])}, steps=20000)
    lam = chart["lyapunov"].values[:, 0, 0]
    assert lam[1] == pytest.approx(np.log(2), abs=0.01)
    # period 2 at r = 3.2: lambda = ln|f'(x1) f'(x2)| / 2 = ln|4 + 2r - r^2| / 2
    assert lam[0] == pytest.approx(np.log(abs(4 + 6.4 - 3.2**2)) / 2, abs=1e-6)


@pytest.mark.slow
def test_grid_detector_marks_the_henon_fold_and_flip_curves():
    seeds = np.random.default_rng(1).uniform([-10, -3], [10, 3], (24, 2))
    a = np.linspace(-0.5, 1.0, 31)
    b = np.linspace(-0.8, 0.8, 17)
    grid = scan_test_functions(get_model("henon"), {"a": a, "b": b}, seeds=seeds)
    marks = detect_on_grid(grid)
    A, B = np.meshgrid(a, b, indexing="ij")
    cell = np.hypot(a[1] - a[0], b[1] - b[0])
    lp, pd = marks["LP"].values, marks["PD"].values
    assert lp.sum() >= len(b) and pd.sum() >= len(b)
    # every mark lies within 1.5 grid cells of the closed-form curve g(a, b) = 0
    g_lp, slope_lp = A + (1 - B) ** 2 / 4, np.hypot(1, (1 - B) / 2)
    g_pd, slope_pd = A - 3 * (1 - B) ** 2 / 4, np.hypot(1, 1.5 * (1 - B))
    assert np.max(np.abs(g_lp[lp]) / slope_lp[lp]) <= 1.5 * cell
    assert np.max(np.abs(g_pd[pd]) / slope_pd[pd]) <= 1.5 * cell
    # two fixed points wherever they exist (and are within the seeds' reach), none below
    found = grid["found"].values
    assert np.all(found[A < -((1 - B) ** 2) / 4] == 0)
    assert np.all(found[(A > -((1 - B) ** 2) / 4 + 0.05) & (A > 0.05)] == 2)


def test_grid_detector_finds_the_strong_resonances_of_the_companion_map():
    from test_bifurcation_codim2 import companion, companion_point

    a1 = np.linspace(-2.0, 0.5, 51)
    a2 = np.linspace(-2.6, 2.6, 53)
    grid = scan_test_functions(companion(), {"a1": a1, "a2": a2})
    marks = detect_on_grid(grid)
    spacing = np.hypot(a1[1] - a1[0], a2[1] - a2[0])
    A1, A2 = np.meshgrid(a1, a2, indexing="ij")
    for label, trace in (("R2", -2.0), ("R3", -1.0), ("R4", 0.0)):
        _, x, y = companion_point(trace, 1.0)
        cells = marks[label].values
        assert cells.any(), label
        distance = np.hypot(A1[cells] - x, A2[cells] - y)
        assert distance.min() <= 1.5 * spacing, label
    assert "LPNS" not in marks.attrs["labels"]  # impossible with two state variables


@pytest.mark.requires("datashader")
def test_orbit_diagram_figure_shows_both_sweeps(bistable, tmp_path):
    from neurodyn.analysis.bifurcation.plot import (
        MODE_COLORS,
        orbit_diagram_image,
        plot_orbit_diagram,
    )

    ds = orbit_diagram(
        bistable,
        "beta",
        np.linspace(-0.6, 0.6, 241),
        modes=("forward", "backward"),
        n_initial=2,
        transient=400,
        settle=200,
        keep=8,
    )
    path = tmp_path / "orbit.png"
    plot_orbit_diagram(ds, path=path, width=480, height=320, spread=1)
    assert path.stat().st_size > 5000
    image, x_range, y_range = orbit_diagram_image(ds, width=240, height=160)
    rgb = np.asarray(image.to_pil().convert("RGB")).astype(int)
    columns = np.linspace(*x_range, rgb.shape[1])
    rows = np.linspace(y_range[1], y_range[0], rgb.shape[0])
    # forward is drawn blue, backward red (blended with white by the alpha), both: purple
    assert MODE_COLORS["forward"].startswith("#1f") and MODE_COLORS["backward"].startswith("#d6")
    near_f = rgb[..., 2] - rgb[..., 0] > 40
    near_b = rgb[..., 0] - rgb[..., 2] > 40
    # in the bistable interval: forward pixels only below zero, backward pixels only above
    inside = np.abs(columns) < FOLD - 0.02
    assert near_f[:, inside].any() and near_b[:, inside].any()
    assert np.all(rows[np.nonzero(near_f[:, inside])[0]] < 0)
    assert np.all(rows[np.nonzero(near_b[:, inside])[0]] > 0)


@pytest.mark.requires("matplotlib")
def test_two_parameter_figure(tmp_path):
    from neurodyn.analysis.bifurcation import continue_bifurcation_curve, continue_cycle
    from neurodyn.analysis.bifurcation.plot import plot_two_parameter

    henon = get_model("henon")
    a, b = np.linspace(-0.3, 1.4, 86), np.linspace(-0.5, 0.6, 56)
    chart = period_chart(henon, {"a": a, "b": b}, transient=1500, max_period=16)
    lyap = lyapunov_chart(henon, {"a": a[::2], "b": b[::2]}, steps=1000, transient=500)
    branch = continue_cycle(
        henon, "a", [0.5, 0.15], {"a": 0.5, "b": 0.3}, direction=-1, step=0.05, max_steps=40
    )
    curves = [
        continue_bifurcation_curve(
            branch, p, "b", step=0.05, max_steps=60, bounds={"b": (-0.5, 0.6)}
        )
        for p in branch.special
        if p.label in ("LP", "PD")
    ]
    path = tmp_path / "two_parameter.png"
    fig = plot_two_parameter(chart, lyap, curves, path=path, title="Henon map")
    assert path.stat().st_size > 20000
    assert len(fig.axes) == 4  # two charts and their colour bars
    # between the fold and flip curves drawn over it the chart shows period 1 (or, at the
    # bottom right, orbits from the default initial state that escape: -1); past the flip
    # curve the fixed point is unstable and period 1 is gone
    period = chart["period"].isel(ic=0).values
    A, B = np.meshgrid(a, b, indexing="ij")
    fold, flip = -((1 - B) ** 2) / 4, 3 * (1 - B) ** 2 / 4
    inside = (A > fold + 0.03) & (A < flip - 0.03)
    assert set(np.unique(period[inside])) == {-1, 1}
    assert np.mean(period[inside] == 1) > 0.95
    assert not np.any(period[A > flip + 0.03] == 1)
