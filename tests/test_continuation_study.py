"""The study's ``continuation`` section on the Hénon map, whose curves are known in closed form
(Hénon 1976; x' = 1 - a x^2 + y, y' = b x):

* fold of the fixed points:            a = -(1 - b)^2 / 4
* flip of the fixed point:             a = 3 (1 - b)^2 / 4
* flip of the 2-cycle (trace of the 2-cycle's monodromy = -(1 + b^2)):
                                       a = (1 - b)^2 + (1 + b)^2 / 4
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurodyn.analysis.bifurcation import period_chart
from neurodyn.store import open_dataset
from neurodyn.workflow import StudyError, check_study, study_axes
from neurodyn.workflow.continuation import (
    branches_from_dataset,
    compute_continuation,
    run_continuation,
)

HENON = {
    "study": "henon_continuation",
    "model": "henon",
    "sweep": {"a": "-0.3:1.1:29", "b": "0:0.4:9"},
    "simulation": {"steps": 10, "keep": 2},
    "continuation": {
        "parameter": "a",
        "start": {"a": 0.1},
        "doublings": 1,
        "curves": ["LP", "PD"],
        "step": 0.05,
        "h_max": 0.1,
        "n_seeds": 20,
    },
}


def fold(b):
    return -((1 - b) ** 2) / 4


def flip(b):
    return 3 * (1 - b) ** 2 / 4


def flip2(b):
    return (1 - b) ** 2 + (1 + b) ** 2 / 4


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    config = check_study(HENON)
    path = run_continuation(config, tmp_path_factory.mktemp("cont") / "continuation.zarr")
    return config, open_dataset(path).load()


def test_codim1_branches_and_codim2_curves_follow_the_closed_forms(store):
    _, ds = store
    assert json.loads(ds.attrs["notes"]) == []
    branches = dict(branches_from_dataset(ds))
    # start: the stable fixed point at a = 0.1 and b = 0.2 (middle of the b range)
    assert set(branches) >= {"P1.1+", "P1.1-", "P1.1+/PD1"}
    (pd,) = branches["P1.1+"].points("PD")
    assert pd.parameters["a"] == pytest.approx(flip(0.2), abs=1e-9)
    (pd2,) = branches["P1.1+/PD1"].points("PD")
    assert pd2.parameters["a"] == pytest.approx(flip2(0.2), abs=1e-9)
    (lp,) = branches["P1.1-"].points("LP")
    assert lp.parameters["a"] == pytest.approx(fold(0.2), abs=1e-9)
    curves = {(b.kind, b.period): b for b in branches.values() if b.kind != "cycle"}
    assert set(curves) == {("LP", 1), ("PD", 1), ("PD", 2)}
    for key, law in ((("LP", 1), fold), (("PD", 1), flip), (("PD", 2), flip2)):
        curve = curves[key]
        b = curve.parameter("b")
        np.testing.assert_allclose(curve.parameter("a"), law(b), atol=1e-9)
        # traced until both ends lie on the boundary of the swept box a in [-0.3, 1.1],
        # b in [0, 0.4] (the 2-cycle's flip curve leaves it at a = 1.1, b = 0.1101)
        for end in (0, -1):
            a_end, b_end = curve.parameter("a")[end], b[end]
            assert min(abs(a_end + 0.3), abs(a_end - 1.1), abs(b_end), abs(b_end - 0.4)) < 1e-9
    # stability along the fixed-point branch changes exactly at the flip
    forward = branches["P1.1+"]
    a = forward.parameter("a")
    assert np.all(forward.stable[a < flip(0.2) - 1e-6])
    assert not np.any(forward.stable[a > flip(0.2) + 1e-6])


def test_flip_curves_lie_on_the_period_boundaries_of_the_grid_chart(store):
    config, ds = store
    axes = study_axes(config)
    chart = period_chart(get_henon(), axes, transient=20000, max_period=8)
    period = chart["period"].isel(ic=0)
    curves = {(b.kind, b.period): b for _, b in branches_from_dataset(ds) if b.kind == "PD"}
    a_grid = axes["a"]
    for k in (1, 2):
        curve = curves[("PD", k)]
        order = np.argsort(curve.parameter("b"))
        checked = 0
        for j, b in enumerate(axes["b"]):
            if not curve.parameter("b").min() <= b <= curve.parameter("b").max():
                continue  # the curve left the box through a = 1.1 before this b
            checked += 1
            a_pd = np.interp(b, curve.parameter("b")[order], curve.parameter("a")[order])
            column = period.isel(b=j).values
            below = a_grid[(a_grid < a_pd)][-1]
            above = a_grid[(a_grid > a_pd)][0]
            # the cells on either side of the curve: period k below it, 2k above it
            assert column[a_grid == below][0] == k
            assert column[a_grid == above][0] == 2 * k
        assert checked >= 6


def get_henon():
    from neurodyn.models import get_model

    return get_model("henon")


def test_continuation_section_is_checked():
    bad = {**HENON, "continuation": {**HENON["continuation"], "parameter": "c"}}
    with pytest.raises(StudyError, match="continuation/parameter"):
        check_study(bad)
    bad = {**HENON, "continuation": {**HENON["continuation"], "curves": ["XX"]}}
    with pytest.raises(StudyError, match="continuation/curves"):
        check_study(bad)
    bad = {**HENON, "continuation": {**HENON["continuation"], "start": {"q": 1.0}}}
    with pytest.raises(StudyError, match="continuation/start"):
        check_study(bad)


def test_continuation_planes_are_checked_and_continued_in(tmp_path):
    def with_planes(*planes):
        return {**HENON, "continuation": {**HENON["continuation"], "planes": list(planes)}}

    with pytest.raises(StudyError, match=r"planes\[1\]: \['b', 'x'\] lacks .* 'a'"):
        check_study(with_planes({"b": [0, 1], "x": [0, 1]}))
    with pytest.raises(StudyError, match=r"planes\[1\]/b: range \[0.5, 0.5\] is empty"):
        check_study(with_planes({"a": [0, 1], "b": [0.5, 0.5]}))
    with pytest.raises(StudyError, match=r"planes\[1\]/b: the start value 0.2 lies outside"):
        check_study(with_planes({"a": [0, 1], "b": [0.3, 0.5]}))
    with pytest.raises(StudyError, match="continuation/planes"):
        check_study(with_planes({"a": [0, 1], "b": [0.3]}))
    # the flip curve a = 3 (1 - b)^2 / 4 continued again in a wider plane than the sweep's
    config = check_study(with_planes({"a": [-0.3, 1.6], "b": [-0.5, 0.5]}))
    config["continuation"]["curves"] = ["PD"]
    config["continuation"]["doublings"] = 0
    branches = dict(branches_from_dataset(open_dataset(run_continuation(config, tmp_path / "c"))))
    wide = branches["PD.P1.1/b"]
    assert wide.free == ("a", "b")
    b = wide.parameter("b")
    np.testing.assert_allclose(wide.parameter("a"), flip(b), atol=1e-9)
    # beyond the sweep's b in [0, 0.4]: to the plane's edges b = 0.5 and a = 1.6
    assert b.max() == pytest.approx(0.5)
    assert b.min() == pytest.approx(1 - np.sqrt(4 * 1.6 / 3))
    assert branches["PD.P1.1"].parameter("b").min() == pytest.approx(0.0)


def test_nothing_stable_at_the_start_is_said_in_the_notes():
    config = check_study(
        {**HENON, "continuation": {**HENON["continuation"], "start": {"a": 1.0, "b": 0.3}}}
    )
    ds = compute_continuation(config)
    assert ds.sizes["branch"] == 0
    assert "no stable cycle of period 1" in json.loads(ds.attrs["notes"])[0]


@pytest.mark.slow
def test_report_names_the_bifurcations_and_draws_the_branches(store, tmp_path):
    from neurodyn.report import write_report
    from neurodyn.workflow import merge_chunks, n_chunks, run_chunk, run_orbit_diagram

    config, _ = store
    config = check_study(
        {
            **HENON,
            "sweep": {"a": "-0.3:1.1:15", "b": "0:0.4:5"},
            "chunk_size": 15,
            "simulation": {"steps": 1000, "keep": 64},
            "measures": ["period", "lyapunov"],
            "bifurcation": {"parameter": "a", "values": "-0.1:1.1:40", "transient": 300},
        }
    )
    parts = [run_chunk(config, i, tmp_path / f"part{i}.zarr") for i in range(n_chunks(config))]
    sweep = merge_chunks(parts, tmp_path / "sweep.zarr")
    orbit = run_orbit_diagram(config, tmp_path / "orbit.zarr")
    cont = run_continuation(config, tmp_path / "continuation.zarr")
    html = write_report(sweep, orbit, tmp_path / "report", continuation_store=cont).read_text()
    assert (tmp_path / "report/figures/orbit_diagram.png").is_file()
    assert "No bifurcation curves were given" not in html
    # every flip and fold is named with its location; the first flip at a = 3 (1 - b)^2 / 4
    assert html.count('data-label="PD"') == 2 and html.count('data-label="LP"') == 1
    row = html.split('data-label="PD" data-location="')[1].split('"')[0]
    assert json.loads(row.replace("&quot;", '"'))["a"] == pytest.approx(flip(0.2), abs=1e-9)
    assert "flip (period doubling)" in html and "fold (saddle-node, limit point)" in html
    # the phenomena list names the cascade with its places: a = 3 (1 - b)^2 / 4 = 0.48 and
    # (1 - b)^2 + (1 + b)^2 / 4 = 1 at b = 0.2, and the chaos the Lyapunov chart shows
    assert "period 1 → 2 at a = 0.48, b = 0.2; period 2 → 4 at a = 1, b = 0.2." in html
    assert 'data-phenomenon="chaos"' in html and 'data-phenomenon="LP"' in html
    # captions state the parameters
    assert "Parameters: a from -0.1 to 1.1; b = 0.2; variable x." in html


def test_phenomena_list_names_chaos_beside_a_cycle_and_codim2_points():
    import xarray as xr

    from neurodyn.analysis.bifurcation import SpecialPoint
    from neurodyn.report.continuation import phenomena_list

    # 3 x 2 grid, 2 initial states: at (a, b) = (0.1, 1) one ends on a 4-cycle (exponent
    # -0.05), the other on chaos (0.1); at (0.2, 2) both on a 2-cycle; elsewhere both chaotic
    period = np.zeros((3, 2, 2))
    lam = np.full((3, 2, 2), 0.1)
    period[1, 0, 0], lam[1, 0, 0] = 4, -0.05
    period[2, 1], lam[2, 1] = 2, -0.1
    ds = xr.Dataset(
        {"period": (("a", "b", "ic"), period), "lyapunov": (("a", "b", "ic"), lam)},
        coords={"a": [0.0, 0.1, 0.2], "b": [1.0, 2.0]},
    )
    html = phenomena_list(ds, [])
    assert (
        "Coexisting chaotic and periodic attractors (from different initial states): period 4 "
        "beside chaos at 1 grid points, a in [0.1, 0.1], b in [1, 1]." in html
    )
    assert "period 2" not in html
    point = SpecialPoint("NSNS", 0, {"a": 0.5, "b": 1.5}, np.zeros((1, 2)), np.ones(2))

    class Curve:
        kind, special = "NS", [point]

    html = phenomena_list(ds, [("NS.P1.1", Curve())])
    assert (
        '<li data-phenomenon="NSNS">double Neimark–Sacker (NSNS), codimension 2: a = 0.5, '
        "b = 1.5.</li>" in html
    )


def test_phenomena_list_names_a_route_through_doublings_to_invariant_curves_and_chaos():
    import xarray as xr

    from neurodyn.analysis.bifurcation import SpecialPoint
    from neurodyn.report.continuation import phenomena_list

    class Cycles:
        """A cycle branch along k (decreasing from -0.03) at sigma = 0.5 with located points."""

        kind, free, fixed = "cycle", ("k",), {"k": -0.03, "sigma": 0.5}
        values = np.array([[-0.03], [-0.09]])

        def __init__(self, period, special):
            self.period = period
            self.special = [
                SpecialPoint(label, 0, {"k": k, "sigma": 0.5}, np.zeros((period, 2)), np.ones(2))
                for label, k in special
            ]

        def parameter(self, name):
            return self.values[:, self.free.index(name)]

        def points(self, label):
            return [p for p in self.special if p.label == label]

    # flips 1 -> 2 at k = -0.047, 2 -> 4 at -0.067; the 4-cycle's NS at -0.074 (an NS of the
    # 2-cycle past its flip does not count); chaos on the grid row sigma = 0.5 from k = -0.08
    # (an exponent above 0.01 before the NS point does not count), not on the row sigma = 0
    branches = [
        ("P1.1-", Cycles(1, [("PD", -0.047), ("PD", -0.07)])),
        ("P1.1-/PD1", Cycles(2, [("PD", -0.067), ("NS", -0.085)])),
        ("P1.1-/PD1/PD2", Cycles(4, [("NS", -0.074)])),
    ]
    k = np.array([-0.09, -0.08, -0.075, -0.06, -0.04])
    lam = np.array([[0.1, 0.2], [0.1, 0.05], [0.0, 0.005], [0.1, -0.1], [-0.1, -0.1]])
    ds = xr.Dataset(
        {"lyapunov": (("k", "sigma", "ic"), np.stack([lam, lam * 0 - 0.1], axis=1))},
        coords={"k": k, "sigma": [0.5, 0.0]},
    )
    html = phenomena_list(ds, branches)
    assert (
        '<li data-phenomenon="route">Route to chaos along k (sigma = 0.5): fixed point → period '
        "doubling at k = -0.047 (period 1 → 2), k = -0.067 (period 2 → 4) → Neimark–Sacker of "
        "the period-4 cycle at k = -0.074 (closed invariant curves, 4 visited in turn) → chaos "
        "(largest Lyapunov exponent above 0.01) from k = -0.08 on the sweep grid.</li>" in html
    )
    # the NS items carry their cycle's period; without chaos past the NS point, no route
    assert "k = -0.074, sigma = 0.5 (period 4)" in html
    assert 'data-phenomenon="route"' not in phenomena_list(ds.sel(sigma=[0.0]), branches)
    # two chaotic attractors told apart where both initial states are chaotic (k = -0.09,
    # sigma = 0.5), not where one is not (k = -0.08 has one attractor, -0.06 one periodic state)
    count = np.ones((5, 2, 2))
    count[[0, 3], 0] = 2
    ds["n_attractors"] = (("k", "sigma", "ic"), count)
    assert (
        '<li data-phenomenon="chaotic_attractors">Coexisting chaotic attractors (every initial '
        "state chaotic, up to 2 attractors told apart) at 1 grid points, k in [-0.09, -0.09], "
        "sigma in [0.5, 0.5].</li>" in phenomena_list(ds, [])
    )
