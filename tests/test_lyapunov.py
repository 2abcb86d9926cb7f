"""Lyapunov spectra of maps against published values and exact identities (ANCHORS.md)."""

import numpy as np
import pytest

from neurodyn.analysis.lyapunov import kaplan_yorke_dimension, lyapunov_spectrum
from neurodyn.models import get_model


def _spectrum(name, initial, params, **options):
    model = get_model(name)
    batch = initial.shape[1]
    P = np.tile(np.asarray(params, dtype=float)[:, None], (1, batch))
    return lyapunov_spectrum(model, initial, P, **options)


def test_henon_spectrum():
    """Henon a=1.4, b=0.3: lambda1 ~ 0.419 (Sprott); lambda1 + lambda2 = ln 0.3 (det J = -b)."""
    initial = np.array([[0.1, 0.0, -0.1, 0.2], [0.1, 0.05, 0.0, -0.1]])
    result = _spectrum("henon", initial, [1.4, 0.3], steps=200_000, transient=1000)
    np.testing.assert_allclose(result.exponents.sum(axis=0), np.log(0.3), rtol=0, atol=1e-10)
    assert result.exponents[0].mean() == pytest.approx(0.419, abs=0.003)
    assert np.all(result.stderr[0] < 0.003)
    assert kaplan_yorke_dimension(result.exponents).mean() == pytest.approx(1.26, abs=0.01)


def test_logistic_r4_is_ln2():
    """Logistic map at r = 4: lambda = ln 2 per iteration (conjugacy with the tent map)."""
    initial = np.random.default_rng(0).uniform(0.05, 0.95, (1, 64))
    result = _spectrum("logistic", initial, [4.0], steps=100_000, transient=100)
    assert result.unit == "per iteration"
    assert result.exponents.mean() == pytest.approx(np.log(2), abs=1e-3)


def test_stable_cycle_has_negative_exponent_equal_to_its_multiplier():
    """Logistic r = 3.2: period-2 cycle with multiplier r^2 (1 - 2x1)(1 - 2x2) = 4 + 2r - r^2,
    so lambda = ln|4 + 2r - r^2| / 2 exactly."""
    r = 3.2
    result = _spectrum("logistic", np.array([[0.3]]), [r], steps=20_000, transient=2000)
    assert result.exponents[0, 0] == pytest.approx(np.log(abs(4 + 2 * r - r * r)) / 2, abs=1e-9)


def test_delayed_logistic_below_neimark_sacker():
    """Delayed logistic map, r < 2: the fixed point x* = 1 - 1/r attracts with complex
    multipliers of modulus sqrt(r - 1), so both exponents equal ln(r - 1) / 2. Their sum is
    ln|det J| = ln(r - 1) exactly; each one alone converges as 1/N under the rotation."""
    r = 1.8
    result = _spectrum("delayed_logistic", np.array([[0.4], [0.4]]), [r], steps=20_000)
    np.testing.assert_allclose(result.exponents[:, 0], np.log(r - 1) / 2, atol=1e-4)
    assert result.exponents[:, 0].sum() == pytest.approx(np.log(r - 1), abs=1e-12)


def test_chialvo_sum_equals_mean_log_determinant():
    """Sum of exponents = time average of ln|det J| along the orbit (QR identity), checked with
    the analytic determinant of the Chialvo Jacobian: det J = a x e^{y-x}(2 - x) + b x^2 e^{y-x}."""
    from neurodyn.sim import iterate_batch

    model = get_model("chialvo")
    a, b, c, k = 0.89, 0.18, 0.28, 0.03
    P = np.array([[a], [b], [c], [k]])
    X0 = np.array([[0.5], [0.5]])
    steps, transient = 20_000, 500
    result = lyapunov_spectrum(model, X0, P, steps=steps, transient=transient, segments=1)
    orbit = iterate_batch(model, X0, P, steps=steps, transient=transient - 1, keep=steps)
    x, y = orbit.kept[:, 0, 0], orbit.kept[:, 1, 0]
    e = np.exp(y - x)
    det = a * x * e * (2 - x) + b * x * x * e
    assert result.exponents.sum() == pytest.approx(np.mean(np.log(np.abs(det))), abs=1e-9)


def test_kaplan_yorke_dimension():
    np.testing.assert_allclose(
        kaplan_yorke_dimension(
            np.array([[0.906, 0.5, -0.1], [0.0, -0.6, -0.2], [-14.572, -1, -1]])
        ),
        [2 + 0.906 / 14.572, 1 + 0.5 / 0.6, 0.0],
    )


def test_diverged_points_are_nan_and_others_unaffected():
    initial = np.array([[0.1, 5.0], [0.1, 5.0]])
    result = _spectrum("henon", initial, [1.4, 0.3], steps=1000, transient=10)
    alone = _spectrum("henon", initial[:, :1], [1.4, 0.3], steps=1000, transient=10)
    np.testing.assert_array_equal(result.diverged, [False, True])
    assert np.isnan(result.exponents[:, 1]).all()
    np.testing.assert_array_equal(result.exponents[:, :1], alone.exponents)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_exponents"):
        _spectrum("henon", np.zeros((2, 1)), [1.4, 0.3], steps=10, n_exponents=3)
    with pytest.raises(ValueError, match="segments"):
        _spectrum("henon", np.zeros((2, 1)), [1.4, 0.3], steps=5, segments=10)


def test_lorenz63_spectrum():
    """Lorenz-63 at (10, 28, 8/3): lambda1 = 0.906 within 2 % (Sprott); the sum equals the trace
    -(sigma + 1 + beta) to 1e-3 (the RK4 step's log-determinant differs by O(dt^4))."""
    model = get_model("lorenz63")
    P = np.array([[10.0], [28.0], [8.0 / 3.0], [0.01]])
    result = lyapunov_spectrum(model, np.ones((3, 1)), P, steps=200_000, transient=2000)
    assert result.unit == "per unit time"
    assert result.exponents[0, 0] == pytest.approx(0.906, rel=0.02)
    assert abs(result.exponents[1, 0]) < 0.01
    assert result.exponents[:, 0].sum() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-3)


def test_flow_step_jacobian_equals_finite_differences():
    """The integrator-step Jacobian of a flow equals finite differences of the generated step."""
    from neurodyn.models import compile_model

    model = get_model("lorenz63")
    compiled = compile_model(model)
    rng = np.random.default_rng(4)
    for integrator in ("euler", "heun", "rk4"):
        from dataclasses import replace

        m = replace(model, integrator=integrator)
        compiled = compile_model(m)
        X = rng.uniform(-10, 10, (3, 1))
        P = np.array([[10.0], [28.0], [8.0 / 3.0], [0.02]])
        J = np.empty((3, 3))
        compiled.jacobian(X, P, 0, J)
        fd = np.empty((3, 3))
        ok = np.ones(2, dtype=np.bool_)
        for c in range(3):
            pair = np.tile(X, (1, 2))
            pair[c] += [1e-6, -1e-6]
            compiled.advance(pair, np.tile(P, (1, 2)), 0, 2, 1, 1e300, ok)
            fd[:, c] = (pair[:, 0] - pair[:, 1]) / 2e-6
        np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-6)


def _per_point_kernel(model, X, P, steps, transient, n_exponents):
    """The per-point QR kernel (the one flows run) on a map: the reference for the batched one."""
    from neurodyn.analysis.lyapunov import _qr_kernel
    from neurodyn.models import compile_model

    compiled = compile_model(model)
    X = X.copy()
    batch = X.shape[1]
    Q = np.zeros((batch, model.n_state, n_exponents))
    for j in range(n_exponents):
        Q[:, j, j] = 1.0
    log_r = np.zeros((1, n_exponents, batch))
    ok = np.ones(batch, dtype=np.bool_)
    _qr_kernel(compiled.advance, compiled.jacobian)(X, P, Q, transient, steps, log_r, 1e6, ok)
    return -np.sort(-log_r[0] / steps, axis=0)


@pytest.mark.parametrize(
    ("name", "axis", "fixed", "n_exponents"),
    [
        ("chialvo", {"b": (0.05, 1.0)}, {"a": 0.89, "c": 0.28, "k": 0.03}, 2),
        ("henon", {"a": (1.12, 1.4)}, {"b": 0.3}, 1),
    ],
)
def test_batched_map_kernel_equals_per_point_kernel(name, axis, fixed, n_exponents):
    """The vectorised kernel of maps gives the per-point kernel's spectra to 1e-10 (chaotic and
    regular points: the orbits are the same bits, only the logarithms are grouped differently),
    and the same bits for any threads and any split of the batch (300 points: blocks of 128
    plus a ragged one)."""
    from neurodyn.sim import grid_batch

    model = get_model(name)
    P = grid_batch(model, {k: np.linspace(*v, 300) for k, v in axis.items()}, fixed, 1)
    X = np.full((model.n_state, 300), 0.1)
    options = dict(steps=1500, transient=50, segments=1, n_exponents=n_exponents)
    result = lyapunov_spectrum(model, X, P, threads=2, **options)
    reference = _per_point_kernel(model, X, P, 1500, 50, n_exponents)
    ok = ~result.diverged
    assert ok.sum() > 250 and (result.exponents[0, ok] > 0.01).sum() >= 20  # chaotic points
    np.testing.assert_allclose(result.exponents[:, ok], reference[:, ok], rtol=0, atol=1e-10)
    one_thread = lyapunov_spectrum(model, X, P, threads=1, **options)
    np.testing.assert_array_equal(one_thread.exponents, result.exponents)
    part = lyapunov_spectrum(model, X[:, 77:], P[:, 77:], threads=2, **options)
    np.testing.assert_array_equal(part.exponents, result.exponents[:, 77:])


def test_qr_every_k_iterations():
    """Re-orthonormalising every 4th iteration gives the Henon spectrum of every iteration to
    1e-12 (the stretch over 4 iterations, e^{4 * 1.6}, is far from losing the second vector)
    and the exact sum ln b; flows refuse it."""
    initial = np.array([[0.1, 0.0, -0.1], [0.1, 0.05, 0.0]])
    every = _spectrum("henon", initial, [1.4, 0.3], steps=5000, transient=100)
    fourth = _spectrum("henon", initial, [1.4, 0.3], steps=5000, transient=100, qr_every=4)
    np.testing.assert_allclose(fourth.exponents, every.exponents, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fourth.exponents.sum(axis=0), np.log(0.3), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="qr_every"):
        _spectrum("henon", initial, [1.4, 0.3], steps=10, qr_every=0)
    lorenz = get_model("lorenz63")
    with pytest.raises(ValueError, match="qr_every > 1 needs a map"):
        lyapunov_spectrum(lorenz, np.ones((3, 1)), np.array([[10.0], [28.0], [2.6], [0.01]]),
                          steps=10, qr_every=2)
