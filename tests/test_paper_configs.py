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
