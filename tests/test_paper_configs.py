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


@pytest.mark.slow
def test_chain_config_finds_its_route_to_chaos_and_ns_points():
    config = yaml.safe_load((PAPERS / "ghosh2024_chain.yaml").read_text())
    config["sweep"] = {"sigma_1_2": "-0.1:0.2:31", "sigma_2_1": "0:0.5:3"}
    config["continuation"]["curve_steps"] = 60
    config = check_study(config)
    ds = compute_continuation(config)
    assert json.loads(ds.attrs["notes"]) == []
    branches = dict(branches_from_dataset(ds))
    flips = [
        branches[name].points("PD")[0].parameters["sigma_1_2"]
        for name in ("P1.1+", "P1.1+/PD1", "P1.1+/PD1/PD2")
    ]
    # the header's values (4 digits) and the doubling periods 1, 2, 4
    np.testing.assert_allclose(flips, [0.0749, 0.1055, 0.1119], atol=1e-4)
    ns = [p.parameters["sigma_1_2"] for p in branches["P1.1-"].points("NS")]
    np.testing.assert_allclose(ns, [-0.0002, -0.0798], atol=1e-4)
    for p in branches["P1.1-"].points("NS"):
        np.testing.assert_allclose(np.sort(np.abs(p.multipliers))[-2:], 1.0, atol=1e-8)
    kinds = sorted((b.kind, b.period) for b in branches.values() if b.kind != "cycle")
    assert kinds == [("NS", 1), ("NS", 1), ("PD", 1), ("PD", 2), ("PD", 4)]
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
    curves = {b.period: b for b in branches.values() if b.kind == "PD"}
    for k in (1, 2):
        curve = curves[k]
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
def test_ring_star_config_finds_its_supercritical_neimark_sacker_point():
    config = yaml.safe_load((PAPERS / "nair2024_ring_star.yaml").read_text())
    config["sweep"] = {"sigma1": "-0.2:0.02:12", "sigma2": "-0.05:0.05:3"}
    config["continuation"]["curve_steps"] = 60
    ds = compute_continuation(check_study(config))
    branches = dict(branches_from_dataset(ds))
    # the header's values: NS at sigma1 = -0.0706 (sigma2 = 0) with d = -0.162 (supercritical:
    # a stable closed invariant curve is born), no flip in the plane
    (ns,) = branches["P1.1-"].points("NS")
    assert ns.parameters["sigma1"] == pytest.approx(-0.0706, abs=1e-4)
    assert ns.coefficients["d"] == pytest.approx(-0.162, abs=1e-3)
    assert not any(b.points("PD") for b in branches.values())
    # the NS curve crosses the plane; the symmetric peripherals give no codim-2 points on it
    (curve,) = [b for b in branches.values() if b.kind == "NS"]
    assert [p.label for p in curve.special] == ["EP", "EP"]
    np.testing.assert_allclose(np.abs(curve.multipliers).max(axis=1), 1.0, atol=1e-8)
