"""The paper configs of workflows/config/papers/ at a reduced size: the continuation finds the
phenomena each config's header claims, where it claims them, and the grid agrees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from neurodyn.analysis.bifurcation import period_chart
from neurodyn.workflow import check_study, resolve_model, study_axes
from neurodyn.workflow.continuation import branches_from_dataset, compute_continuation

PAPERS = Path(__file__).resolve().parents[1] / "workflows" / "config" / "papers"


def _near(points, label, **where):
    """The one point labelled ``label`` within 1e-5 of ``where`` (parameter values)."""
    found = [
        p
        for p in points
        if p.label == label and all(abs(p.parameters[k] - v) < 1e-5 for k, v in where.items())
    ]
    assert len(found) == 1, (label, where, [(p.label, p.parameters) for p in points])
    return found[0]


def _unit_pairs(mu) -> int:
    return int(np.sum((mu.imag > 1e-6) & (np.abs(np.abs(mu) - 1.0) < 1e-6)))


@pytest.mark.slow
def test_chain_config_finds_its_route_to_chaos_ns_points_and_codim2_points():
    config = yaml.safe_load((PAPERS / "ghosh2024_chain.yaml").read_text())
    config["sweep"] = {"sigma_1_2": "-0.1:0.2:31", "sigma_2_1": "0:0.5:3"}
    config = check_study(config)
    ds = compute_continuation(config)
    assert json.loads(ds.attrs["notes"]) == []
    branches = dict(branches_from_dataset(ds))
    flips = [
        branches[name].points("PD")[0].parameters["sigma_1_2"]
        for name in ("P1.1+", "P1.1+/PD1", "P1.1+/PD1/PD2")
    ]
    # the header's values (4 digits) and the doubling periods 1, 2, 4
    np.testing.assert_allclose(flips, [0.0754, 0.1058, 0.1123], atol=1e-4)
    ns = [p.parameters["sigma_1_2"] for p in branches["P1.1-"].points("NS")]
    np.testing.assert_allclose(ns, [-0.0002, -0.0822], atol=1e-4)
    for p in branches["P1.1-"].points("NS"):
        np.testing.assert_allclose(np.sort(np.abs(p.multipliers))[-2:], 1.0, atol=1e-8)

    # the header's codimension-2 points, where it puts them, each meeting its defining
    # condition: in the plane (sigma_1_2, sigma_3_2) ...
    curves = [p for b in branches.values() if b.kind != "cycle" for p in b.special]
    for s12 in (-0.000228, -0.082234):  # double NS: two complex pairs on the unit circle
        nsns = _near(curves, "NSNS", sigma_1_2=s12, sigma_3_2=-0.121409)
        assert _unit_pairs(nsns.multipliers) == 2
    for s12 in (-0.000228, -0.082225):  # flip-NS: -1 and a complex pair on the circle
        pdns = _near(curves, "PDNS", sigma_1_2=s12, sigma_3_2=-0.05158)
        assert np.min(np.abs(pdns.multipliers + 1)) < 1e-6
        assert _unit_pairs(pdns.multipliers) == 1
    for s12 in (-0.000228, -0.082232):  # fold-NS: +1 and a complex pair on the circle
        lpns = _near(curves, "LPNS", sigma_1_2=s12, sigma_3_2=-0.120841)
        assert np.min(np.abs(lpns.multipliers - 1)) < 1e-6
        assert _unit_pairs(lpns.multipliers) == 1
    # 1:2 resonance where the flip curves of the two end nodes meet (their coupling through
    # the Rulkov node makes the double -1 a Jordan block): two multipliers at -1
    r2 = _near(curves, "R2", sigma_1_2=0.075445, sigma_3_2=-0.051597)
    np.testing.assert_allclose(np.sort(np.abs(r2.multipliers + 1))[:2], 0.0, atol=1e-6)
    # ... and in the plane (sigma_1_2, k_1): 1:1 resonance on the first node's NS curve
    r1 = _near(curves, "R1", sigma_1_2=-0.111221, k_1=-0.088752)
    np.testing.assert_allclose(np.sort(np.abs(r1.multipliers - 1))[:2], 0.0, atol=1e-6)
    # no 1:1 resonance where the two end nodes' fold lines cross (a semisimple double +1)
    assert [p.label for p in curves if p.label == "R1"] == ["R1"]

    # the flip curves of the fixed point and the 2-cycle lie between period-k and 2k cells
    axes = study_axes(config)
    chart = period_chart(
        resolve_model(config["model"], config["model_options"]),
        axes,
        config["fixed"],
        transient=20000,
        max_period=8,
    )
    period = chart["period"].isel(ic=0)
    grid = axes["sigma_1_2"]
    pd_curves = {b.period: b for b in branches.values() if b.kind == "PD" and "sigma_2_1" in b.free}
    for k in (1, 2):
        curve = pd_curves[k]
        order = np.argsort(curve.parameter("sigma_2_1"))
        for j, s21 in enumerate(axes["sigma_2_1"]):
            s12 = np.interp(
                s21, curve.parameter("sigma_2_1")[order], curve.parameter("sigma_1_2")[order]
            )
            column = period.isel(sigma_2_1=j).values
            assert column[grid < s12][-1] == k
            assert column[grid > s12][0] == 2 * k


@pytest.mark.slow
def test_marino_config_trains_the_classifier_and_maps_the_bistable_node(tmp_path):
    from neurodyn.neuralmass.classifier import train_classifier
    from neurodyn.workflow import compute_chunk, n_chunks

    config = yaml.safe_load((PAPERS / "marino2024_wilson_cowan.yaml").read_text())
    config["sweep"] = {"h_e": "-2.5,-1.2,0", "w_ee": "7.2"}
    config["simulation"]["n_initial"] = 8
    config["classifier"].update(epochs=2, train=300, test_steps=200)
    config["chunk_size"] = 24  # the whole 3 x 8 grid (points x initial states) in one job
    config = check_study(config)
    # the node at the authors' values (h_e = -1.2, w_ee = 7.2) is bistable: two attractors
    # with x = 0.2136 and 0.3733 (the memories' two values); at h_e = -2.5 and 0 only one
    assert n_chunks(config) == 1
    ds = compute_chunk(config, 0)
    np.testing.assert_array_equal(ds["n_attractors"].isel(ic=0).values.ravel(), [1, 2, 1])
    final = np.sort(np.unique(ds["x_final"].sel(h_e=-1.2).values.round(4)))
    np.testing.assert_allclose(final, [0.2136, 0.3733], atol=1e-4)
    # a short training run (learning itself: the marino_digits notebook's test): the stored
    # model reproduces the stored test accuracy, and the loss falls
    import torch

    from neurodyn.backends.runtime import torch_threads
    from neurodyn.neuralmass.classifier import load_images
    from neurodyn.neuralmass.differentiable import AttractorClassifier

    out = train_classifier(config["classifier"], tmp_path / "classifier")
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["attractor_states"] == pytest.approx([0.2135903412, 0.3732689846], abs=1e-9)
    assert metrics["loss"][-1] < metrics["loss"][0]
    saved = torch.load(out / "model.pt", weights_only=False)
    model = AttractorClassifier(saved["patterns"])
    model.load_state_dict(saved["state_dict"])
    images, labels = load_images("digits")
    test = saved["test"]
    with torch.no_grad(), torch_threads(1):
        final = model(torch.tensor(images[test], dtype=torch.float32), 200)
    accuracy = float(np.mean(model.classify(final).numpy() == labels[test]))
    assert accuracy == metrics["test_accuracy"]
    assert metrics["n_train"] + metrics["n_test"] == len(labels) == 1797


def test_marino_config_refuses_a_missing_mnist_file(tmp_path):
    from neurodyn.workflow import StudyError

    config = yaml.safe_load((PAPERS / "marino2024_wilson_cowan.yaml").read_text())
    config["classifier"]["data"] = str(tmp_path / "mnist.npz")
    with pytest.raises(StudyError, match="classifier/data: no image file at .*mnist.npz"):
        check_study(config)


@pytest.mark.slow
def test_ring_star_config_finds_its_route_and_the_report_names_it():
    from neurodyn.analysis.bifurcation import lyapunov_chart
    from neurodyn.report.continuation import phenomena_list

    config = yaml.safe_load((PAPERS / "nair2024_ring_star.yaml").read_text())
    config["sweep"] = {"k": "-0.083:-0.033:26", "sigma1": "-0.22:-0.06:5"}
    config["continuation"]["curves"] = ["NS"]
    config["continuation"]["curve_steps"] = 40
    config = check_study(config)
    ds = compute_continuation(config)
    branches = dict(branches_from_dataset(ds))
    # the header's route along k (decreasing) at sigma1 = -0.14: the synchronous fixed point
    # flips (a simple multiplier -1), the 2-cycle flips (a transverse multiplier, triple), the
    # two-cluster 4-cycle has a supercritical NS point (d < 0: stable closed invariant curves)
    chain = [branches[name] for name in ("P1.1-", "P1.1-/PD1", "P1.1-/PD1/PD2")]
    assert [b.period for b in chain] == [1, 2, 4]
    flips = [b.points("PD")[0] for b in chain[:2]]
    np.testing.assert_allclose([p.parameters["k"] for p in flips], [-0.04728, -0.06754], atol=1e-5)
    assert np.sum(np.abs(flips[0].multipliers + 1) < 1e-6) == 1
    assert np.sum(np.abs(flips[1].multipliers + 1) < 1e-6) == 3
    (ns,) = chain[2].points("NS")
    assert ns.parameters["k"] == pytest.approx(-0.07389, abs=1e-5)
    assert ns.coefficients["d"] < 0
    assert _unit_pairs(ns.multipliers) == 1
    # the grid along the route: chaos begins past the NS point, and the report names the route
    axes = {"k": study_axes(config)["k"], "sigma1": np.array([-0.14])}
    model = resolve_model(config["model"])
    grid = lyapunov_chart(model, axes, config["fixed"], steps=2000, transient=8000, n_initial=2)
    html = phenomena_list(grid, list(branches_from_dataset(ds)))
    # the period chart has the bands the flips and the NS point bound: 1, 2, 4, then none (a
    # grid step past the NS point, where the curves have grown out of the tolerance)
    chart = period_chart(model, axes, config["fixed"], transient=8000, max_period=8, n_initial=2)
    period = chart["period"].isel(sigma1=0).values
    k = axes["k"][:, None] + np.zeros(period.shape)
    np.testing.assert_array_equal(period[k > -0.04728], 1)
    np.testing.assert_array_equal(period[(k < -0.04728) & (k > -0.06754)], 2)
    np.testing.assert_array_equal(period[(k < -0.06754) & (k > -0.07389)], 4)
    np.testing.assert_array_equal(period[k < -0.076], 0)
    assert (
        "Route to chaos along k (sigma1 = -0.14): fixed point → period doubling at k = -0.0472821"
        " (period 1 → 2), k = -0.0675438 (period 2 → 4) → Neimark–Sacker of the period-4 cycle at"
        " k = -0.0738891 (closed invariant curves, 4 visited in turn) → chaos (largest Lyapunov"
        " exponent above 0.01) from k = -0.077 on the sweep grid." in html
    )
