"""Two-parameter continuation of LP, PD and NS curves and their codimension-2 points.

The models are normal forms built so that every curve and codimension-2 point is known in
closed form (Kuznetsov, Elements of Applied Bifurcation Theory, 3rd ed. 2004, Ch. 4, 5, 9):

* cusp:      x -> x + beta1 + beta2 x - x^3; LP curve beta1 = -2 x^3, beta2 = 3 x^2, fold
             coefficient a = f''/2 = -3 x, cusp at the origin.
* flip:      x -> -(1 + beta1) x + beta2 x^3 - x^5; PD curve beta1 = 0, c = beta2, GPD at 0.
* Chenciner: z -> e^{i theta}((1 + beta1) z + (beta2 + i) z |z|^2) written in x, y; NS curve
             beta1 = 0 with d = 2 beta2 (|q| = 1 gives z_normal = Z / sqrt 2), CH at beta2 = 0,
             R3 at theta = 2 pi / 3, R4 at theta = pi / 2.
* quadratic companion map (x, y) -> (y, c0 + a1 x + a2 y + x^2 + e x^2 y): the fixed point
             (u, u) has trace T = a2 + e u^2 and determinant D = -(a1 + 2u + 2 e u^2); LP where
             1 - T + D = 0, PD where 1 + T + D = 0, NS where D = 1; R1 (T, D) = (2, 1), R2 (-2, 1),
             R3 (-1, 1), R4 (0, 1), LPPD (0, -1), each solved for u from the fixed-point equation.
* products of these blocks (3 and 4 states) for fold-NS, flip-NS and double NS.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurodyn.analysis.bifurcation import bifurcation_curve, continue_bifurcation_curve
from neurodyn.analysis.bifurcation.continuation import continue_cycle
from neurodyn.models import get_model, model_from_dict

C0, E = 0.25, 0.3


def make(name: str, equations: dict[str, str], parameters: dict[str, float]):
    return model_from_dict(
        name,
        {
            "kind": "map",
            "state": {v: {"initial": 0.0, "box": [-1, 1]} for v in equations},
            "equations": equations,
            "parameters": {p: {"default": v, "range": [-10, 10]} for p, v in parameters.items()},
        },
    )


def rotation(x: str, y: str, theta: str, beta1: str, beta2: str) -> dict[str, str]:
    """Chenciner normal form e^{i theta}((1 + beta1) z + (beta2 + i) z |z|^2) in real form."""
    re = f"((1 + {beta1})*{x} + ({beta2}*{x} - {y})*({x}**2 + {y}**2))"
    im = f"((1 + {beta1})*{y} + ({beta2}*{y} + {x})*({x}**2 + {y}**2))"
    return {
        x: f"cos({theta})*{re} - sin({theta})*{im}",
        y: f"sin({theta})*{re} + cos({theta})*{im}",
    }


def labels(branch) -> list[str]:
    return [p.label for p in branch.special if p.label != "EP"]


def companion():
    return make(
        "companion",
        {"x": "y", "y": "c0 + a1*x + a2*y + x**2 + e*x**2*y"},
        {"a1": 0.0, "a2": 0.0, "c0": C0, "e": E},
    )


def companion_point(trace: float, det: float) -> tuple[float, float, float]:
    """(u, a1, a2) of the companion map's fixed point with trace ``trace``, determinant
    ``det``: from a2 = T - e u^2, a1 = -D - 2u - 2 e u^2 and the fixed-point equation
    u = c0 + (a1 + a2) u + u^2 + e u^3, i.e. -2 e u^3 - u^2 + (T - D - 1) u + c0 = 0."""
    roots = np.roots([-2 * E, -1.0, trace - det - 1.0, C0])
    u = float(min(roots[np.abs(roots.imag) < 1e-12].real, key=abs))
    return u, -det - 2 * u - 2 * E * u**2, trace - E * u**2


def test_cusp_on_the_fold_curve():
    model = make("cusp", {"x": "x + beta1 + beta2*x - x**3"}, {"beta1": 0.0, "beta2": 1.0})
    x0 = np.sqrt(1 / 3)
    curve = bifurcation_curve(
        model,
        "LP",
        [[x0]],
        {"beta1": -2 * x0**3, "beta2": 1.0},
        ("beta1", "beta2"),
        step=0.05,
        bounds={"beta2": (-1.0, 2.0)},
    )
    x = curve.orbits[:, 0, 0]
    np.testing.assert_allclose(curve.parameter("beta2"), 3 * x**2, atol=1e-10)
    np.testing.assert_allclose(curve.parameter("beta1"), -2 * x**3, atol=1e-10)
    # a = f''/2 = -3x with q = 1 oriented continuously along the curve (sign fixed by q)
    np.testing.assert_allclose(np.abs(curve.coefficients["a"]), 3 * np.abs(x), atol=1e-8)
    assert labels(curve) == ["CP"]
    (cp,) = curve.points("CP")
    assert abs(cp.parameters["beta1"]) < 1e-10 and abs(cp.parameters["beta2"]) < 1e-10


def test_generalised_flip_on_the_flip_curve():
    model = make("gpd", {"x": "-(1 + beta1)*x + beta2*x**3 - x**5"}, {"beta1": 0.0, "beta2": 1})
    curve = bifurcation_curve(
        model,
        "PD",
        [[0.0]],
        {"beta1": 0.0, "beta2": 1.0},
        ("beta1", "beta2"),
        step=0.05,
        bounds={"beta2": (-1.0, 2.0)},
    )
    np.testing.assert_allclose(curve.parameter("beta1"), 0.0, atol=1e-12)
    np.testing.assert_allclose(curve.coefficients["c"], curve.parameter("beta2"), atol=1e-10)
    assert labels(curve) == ["GPD"]
    assert curve.points("GPD")[0].parameters["beta2"] == pytest.approx(0.0, abs=1e-10)


def test_chenciner_and_strong_resonances_on_the_neimark_sacker_curve():
    model = make(
        "chenciner",
        rotation("x", "y", "theta", "beta1", "beta2"),
        {"beta1": 0.0, "beta2": 0.5, "theta": 1.0},
    )
    curve = bifurcation_curve(
        model,
        "NS",
        [[0.0, 0.0]],
        {"beta1": 0.0, "beta2": 0.5},
        ("beta1", "beta2"),
        step=0.05,
        bounds={"beta2": (-1.0, 2.0)},
    )
    np.testing.assert_allclose(curve.coefficients["d"], 2 * curve.parameter("beta2"), atol=1e-10)
    assert labels(curve) == ["CH"]
    (ch,) = curve.points("CH")
    assert ch.parameters["beta2"] == pytest.approx(0.0, abs=1e-10)
    assert ch.coefficients["theta"] == pytest.approx(1.0, abs=1e-12)

    along_theta = bifurcation_curve(
        model,
        "NS",
        [[0.0, 0.0]],
        {"beta1": 0.0, "beta2": -0.5, "theta": 1.0},
        ("beta1", "theta"),
        step=0.05,
        bounds={"theta": (0.1, 3.0)},
    )
    assert labels(along_theta) == ["R4", "R3"]
    r4, r3 = along_theta.points("R4")[0], along_theta.points("R3")[0]
    assert r4.parameters["theta"] == pytest.approx(np.pi / 2, abs=1e-10)
    assert r3.parameters["theta"] == pytest.approx(2 * np.pi / 3, abs=1e-10)
    np.testing.assert_allclose(np.sort(r3.multipliers.imag), [-np.sqrt(3) / 2, np.sqrt(3) / 2])


def test_one_two_resonance_where_flip_and_neimark_sacker_curves_meet():
    model = companion()
    u, a1, a2 = companion_point(-1.5, -0.5)  # on the PD curve 1 + T + D = 0
    pd = bifurcation_curve(model, "PD", [[u, u]], {"a1": a1, "a2": a2}, ("a1", "a2"), step=0.05)
    u, a1, a2 = companion_point(0.5, 1.0)  # on the NS curve D = 1
    ns = bifurcation_curve(model, "NS", [[u, u]], {"a1": a1, "a2": a2}, ("a1", "a2"), step=0.05)
    _, r2_a1, r2_a2 = companion_point(-2.0, 1.0)
    for curve in (pd, ns):
        (r2,) = curve.points("R2")
        assert r2.parameters["a1"] == pytest.approx(r2_a1, abs=1e-8)
        assert r2.parameters["a2"] == pytest.approx(r2_a2, abs=1e-8)
        np.testing.assert_allclose(r2.multipliers, [-1.0, -1.0], atol=1e-7)
    # along the NS curve: R2, R3, R4, R1 at their closed-form places, and kappa = cos theta
    assert [p.label for p in ns.special if p.label in ("R1", "R2", "R3", "R4")] == [
        "R2",
        "R3",
        "R4",
        "R1",
    ]
    for label, trace in (("R1", 2.0), ("R3", -1.0), ("R4", 0.0)):
        _, b1, b2 = companion_point(trace, 1.0)
        (point,) = ns.points(label)
        assert point.parameters["a1"] == pytest.approx(b1, abs=1e-8)
        assert point.parameters["a2"] == pytest.approx(b2, abs=1e-8)
    # every NS point has D = 1: a pair on the unit circle (or a neutral saddle mu, 1/mu)
    np.testing.assert_allclose(np.prod(ns.multipliers, axis=1).real, 1.0, atol=1e-9)


def test_fold_flip_and_one_one_resonance_on_the_fold_curve():
    model = companion()
    u, a1, a2 = companion_point(0.5, -0.5)  # on the LP curve 1 - T + D = 0
    lp = bifurcation_curve(model, "LP", [[u, u]], {"a1": a1, "a2": a2}, ("a1", "a2"), step=0.05)
    assert sorted(labels(lp)) == ["LPPD", "R1"]
    for label, trace, det in (("LPPD", 0.0, -1.0), ("R1", 2.0, 1.0)):
        _, b1, b2 = companion_point(trace, det)
        (point,) = lp.points(label)
        assert point.parameters["a1"] == pytest.approx(b1, abs=1e-8)
        assert point.parameters["a2"] == pytest.approx(b2, abs=1e-8)


def test_fold_ns_flip_ns_and_double_ns_in_product_normal_forms():
    rot = rotation("x", "y", "1.1", "beta", "-1")
    fold_ns = make(
        "fold_ns", {**rot, "z": "z + nu - z**2 + 0.2*x*z + 0.1*y**2"}, {"beta": 0.0, "nu": 0.25}
    )
    flip_ns = make(
        "flip_ns", {**rot, "z": "-(1 + nu)*z + z**3 + 0.2*x*z + 0.1*y**2"}, {"beta": 0, "nu": 0}
    )
    second = rotation("z", "w", "2.5", "gamma", "-0.5")
    rot_coupled = {**rot, "x": rot["x"] + " + 0.1*z*x"}
    double = make("double_ns", {**rot_coupled, **second}, {"beta": 0.0, "gamma": 0.0})
    cases = [
        (fold_ns, "NS", [0, 0, 0.5], {"beta": 0.0, "nu": 0.25}, ("beta", "nu"), "LPNS"),
        (fold_ns, "LP", [0, 0, 0.0], {"beta": -0.5, "nu": 0.0}, ("beta", "nu"), "LPNS"),
        (flip_ns, "NS", [0, 0, 0.0], {"beta": 0.0, "nu": 0.5}, ("beta", "nu"), "PDNS"),
        (flip_ns, "PD", [0, 0, 0.0], {"beta": 0.5, "nu": 0.0}, ("beta", "nu"), "PDNS"),
        (double, "NS", [0, 0, 0, 0], {"beta": 0.0, "gamma": 0.5}, ("beta", "gamma"), "NSNS"),
    ]
    for model, kind, x0, values, free, expected in cases:
        curve = bifurcation_curve(
            model,
            kind,
            [x0],
            values,
            free,
            step=0.05,
            bounds={free[0]: (-0.8, 0.8), free[1]: (-0.8, 0.8)},
        )
        assert labels(curve) == [expected], (model.name, kind)
        (point,) = curve.points(expected)
        # the codimension-2 point is at the origin of the normal form's parameters
        np.testing.assert_allclose(list(point.parameters.values()), [0.0, 0.0], atol=1e-9)


def test_henon_fold_and_flip_curves_follow_the_closed_forms():
    henon = get_model("henon")
    branch = continue_cycle(
        henon, "a", [0.5, 0.15], {"a": 0.5, "b": 0.3}, direction=-1, step=0.05, max_steps=40
    )
    (lp,) = branch.points("LP")
    (pd,) = branch.points("PD")
    fold = continue_bifurcation_curve(branch, lp, "b", step=0.05, max_steps=80)
    flip = continue_bifurcation_curve(branch, pd, "b", step=0.05, max_steps=80)
    b = fold.parameter("b")
    np.testing.assert_allclose(fold.parameter("a"), -((1 - b) ** 2) / 4, atol=1e-10)
    b = flip.parameter("b")
    np.testing.assert_allclose(flip.parameter("a"), 3 * (1 - b) ** 2 / 4, atol=1e-10)
    # the flip curve leaves the domain a <= 2 where 3 (1 - b)^2 / 4 = 2
    assert b.min() == pytest.approx(1 - np.sqrt(8 / 3), abs=1e-10)
    assert b.max() > 0.85
    # R1 of the fold curve sits on the domain boundary b = -1 (multipliers 1 and -b)
    assert fold.special[0].label == "EP"
    assert fold.special[0].parameters["b"] == pytest.approx(-1.0)


def test_branch_dataset_round_trip(tmp_path):
    from neurodyn.store import open_dataset, write_dataset

    model = companion()
    u, a1, a2 = companion_point(0.5, 1.0)
    ns = bifurcation_curve(
        model, "NS", [[u, u]], {"a1": a1, "a2": a2}, ("a1", "a2"), step=0.1, max_steps=40
    )
    ds = ns.to_dataset()
    path = write_dataset(ds, tmp_path / "ns.zarr")
    back = open_dataset(path).load()
    np.testing.assert_array_equal(back["special_label"].values, [p.label for p in ns.special])
    np.testing.assert_allclose(back["a1"].values, ns.parameter("a1"))
    np.testing.assert_allclose(back["multipliers"].values, ns.multipliers)
    np.testing.assert_allclose(back["coefficient_kappa"].values, ns.coefficients["kappa"])
    assert back.attrs["kind"] == "NS"
    assert "Chenciner" in back.attrs["labels"]


def test_neutral_saddle_beside_a_neimark_sacker_pair_is_no_double_ns():
    # A neutral saddle (1.1236, 1/1.1236: the pair seen on the chain's NS curve) followed by the
    # NS system while a complex pair crosses the unit circle at beta = 0: only one pair is on
    # the unit circle there, so no NSNS; the double NS of the product form above is kept.
    rot = rotation("x", "y", "1.1", "beta", "-1")
    model = make(
        "ns_saddle",
        {**rot, "z": "1.1236*z + 0.1*x*z", "w": "gamma*w + z**2"},
        {"beta": -0.5, "gamma": 0.89},
    )
    curve = bifurcation_curve(
        model,
        "NS",
        [[0.0, 0.0, 0.0, 0.0]],
        {"beta": -0.5, "gamma": 1 / 1.1236},
        ("beta", "gamma"),
        step=0.05,
        bounds={"beta": (-0.8, 0.8), "gamma": (0.5, 1.2)},
    )
    assert labels(curve) == []
    # the curve crossed beta = 0 on the neutral saddle line gamma = 1 / 1.1236
    assert curve.parameter("beta").min() == pytest.approx(-0.8)
    assert curve.parameter("beta").max() == pytest.approx(0.8)
    np.testing.assert_allclose(curve.parameter("gamma"), 1 / 1.1236, atol=1e-10)


def test_a_multiplier_held_double_by_symmetry_makes_no_codim2_points():
    # Three identical all-to-all coupled nodes x_i' = a - x_i^2 + c (sum_j x_j - 3 x_i): the
    # transverse multiplier -2 x* - 3 c is double (S3 symmetry) and equals -1 along the whole
    # flip curve c = (1 - 2 x*) / 3, x* = (sqrt(1 + 4 a) - 1) / 2. The R2 test (the other
    # multipliers + 1) is then zero along the curve: its rounding-noise sign changes were
    # reported as R2 points before (as on the Chialvo ring-star's curves).
    equations = {f"x{i}": f"a - x{i}**2 + c*(x0 + x1 + x2 - 3*x{i})" for i in range(3)}
    model = make("symmetric_triple", equations, {"a": 0.5, "c": 0.1})
    xs = (np.sqrt(3) - 1) / 2
    curve = bifurcation_curve(
        model,
        "PD",
        [[xs] * 3],
        {"a": 0.5, "c": (1 - 2 * xs) / 3},
        ("a", "c"),
        step=0.05,
        bounds={"a": (-0.2, 2.0), "c": (-1.0, 1.0)},
    )
    assert labels(curve) == []
    x = (np.sqrt(1 + 4 * curve.parameter("a")) - 1) / 2
    np.testing.assert_allclose(curve.parameter("c"), (1 - 2 * x) / 3, atol=1e-10)
    assert curve.parameter("a").min() == pytest.approx(-0.2, abs=1e-3)
    assert curve.parameter("a").max() == pytest.approx(2.0, abs=1e-3)


def test_r2_needs_a_jordan_block_not_two_crossing_flip_curves():
    # x' = a - x^2 + e y, y' = b - y^2 - e x. For e = 0 the flip curves a = 3/4 and b = 3/4 of
    # the two decoupled maps cross at (3/4, 3/4): a semisimple double -1 (two eigenvectors),
    # which was reported as R2 before. For e != 0 the Jacobian [[-2x, e], [-e, -2y]] has the
    # double -1 (x + y = 1, 4xy + e^2 = 1) as a Jordan block at x = (1 + e)/2, y = (1 - e)/2:
    # a true 1:2 resonance at a = x + x^2 - e y, b = y + y^2 + e x.
    equations = {"x": "a - x**2 + e*y", "y": "b - y**2 - e*x"}
    bounds = {"a": (0.0, 1.5), "b": (0.0, 1.5)}
    decoupled = make("two_flips", equations, {"a": 0.75, "b": 0.3, "e": 0.0})
    ys = (np.sqrt(1 + 4 * 0.3) - 1) / 2
    curve = bifurcation_curve(
        decoupled, "PD", [[0.5, ys]], {"a": 0.75, "b": 0.3}, ("a", "b"), step=0.05, bounds=bounds
    )
    assert labels(curve) == []
    np.testing.assert_allclose(curve.parameter("a"), 0.75, atol=1e-10)
    assert curve.parameter("b").max() == pytest.approx(1.5)

    e = 0.1
    coupled = make("two_flips_coupled", equations, {"a": 0.75, "b": 0.3, "e": e})
    start = continue_cycle(coupled, "a", [[0.4, 0.3]], {"a": 0.5, "b": 0.3}, step=0.02)
    (pd,) = start.points("PD")
    curve = continue_bifurcation_curve(start, pd, "b", step=0.02, bounds=bounds)
    (r2,) = curve.points("R2")
    x, y = (1 + e) / 2, (1 - e) / 2
    assert r2.parameters["a"] == pytest.approx(x + x**2 - e * y, abs=1e-7)
    assert r2.parameters["b"] == pytest.approx(y + y**2 + e * x, abs=1e-7)
    np.testing.assert_allclose(r2.multipliers, -1.0, atol=1e-6)
