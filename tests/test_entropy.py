"""Sample entropy and permutation entropy: anchors from ANCHORS.md, exact identities, antropy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import logistic

from neurodyn.analysis.entropy import permutation_entropy, sample_entropy


@pytest.fixture(scope="module")
def antropy():
    """antropy 0.2.3, the peer (a dev extra); compiles its numba functions on import (~10 s)."""
    return pytest.importorskip("antropy")


def brute_force_sample_entropy(x: np.ndarray, m: int, r: float, tie: str) -> float:
    """Reference: all template pairs, Chebyshev, same N - m templates for m and m + 1."""
    tol = r * np.std(x)
    n = x.size - m
    templates = np.stack([x[k : k + n] for k in range(m + 1)], axis=1)
    dist = np.abs(templates[:, None, :] - templates[None, :, :])
    upper = np.triu_indices(n, 1)
    d_m = dist[..., :m].max(axis=-1)[upper]
    d_m1 = dist.max(axis=-1)[upper]
    within = np.less_equal if tie == "<=" else np.less
    count_m, count_m1 = np.count_nonzero(within(d_m, tol)), np.count_nonzero(within(d_m1, tol))
    if count_m == 0:
        return math.nan
    return math.inf if count_m1 == 0 else -math.log(count_m1 / count_m)


# --- anchors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("m", [1, 2, 3])
def test_sample_entropy_of_gaussian_noise_is_minus_log_erf(m):
    # ANCHORS.md: i.i.d. Gaussian noise, r = 0.2 SD, '<=': SampEn = -ln erf(0.1) ~ 2.1851 for
    # every m. For X, Y i.i.d. N(0, 1), X - Y ~ N(0, 2), so P(|X - Y| <= 0.2) = erf(0.2 / 2);
    # A / B estimates that probability for the (m + 1)-th coordinate. With N = 2e4 and m = 3
    # A ~ 3e4 matching pairs, a relative error ~ 1 / sqrt(A) ~ 0.006, well inside 0.02.
    x = np.random.default_rng(2024).standard_normal(20_000)
    assert -math.log(math.erf(0.1)) == pytest.approx(2.1851, abs=1e-4)
    assert sample_entropy(x, m, 0.2) == pytest.approx(-math.log(math.erf(0.1)), abs=0.02)


def test_sample_entropy_of_logistic_map_r39():
    # ANCHORS.md (nolds tests): logistic map r = 3.9, N = 3000, m = 2, r = 0.2 SD: ~ 0.50.
    assert sample_entropy(logistic(3000, 3.9), 2, 0.2) == pytest.approx(0.50, abs=0.05)


# --- against antropy 0.2.3 --------------------------------------------------------------------
# antropy switches algorithm and tie rule at 5000 samples: below, a numba loop counting a match
# when |difference| < r ('<'); from 5000 on, sklearn's KDTree.query_radius (distance <= r).
# Both use the same N - m templates for m and m + 1 and r = 0.2 * np.std(x, ddof=0).


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("kind", ["noise", "logistic"])
def test_sample_entropy_equals_antropy_below_5000_with_strict_rule(antropy, kind, m):
    x = np.random.default_rng(7).standard_normal(3000) if kind == "noise" else logistic(3000, 3.9)
    expected = antropy.sample_entropy(x, order=m)
    assert sample_entropy(x, m, 0.2, tie="<") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("m", [2, 3])  # antropy's KDTree path rejects order 1
@pytest.mark.parametrize("kind", ["noise", "logistic"])
def test_sample_entropy_equals_antropy_from_5000_with_default_rule(antropy, kind, m):
    x = np.random.default_rng(8).standard_normal(6000) if kind == "noise" else logistic(6000, 3.9)
    expected = antropy.sample_entropy(x, order=m)
    assert sample_entropy(x, m, 0.2) == pytest.approx(expected, rel=1e-12)


def test_tie_rule_is_the_same_at_every_n_unlike_antropy(antropy):
    # Balanced i.i.d. bits: SD = 0.5 exactly, so r = 2 gives the tolerance 1.0, exactly the only
    # nonzero distance. '<=': every pair matches, SampEn = 0. '<': a match needs equal bits,
    # probability 1/2 per coordinate, SampEn ~ ln 2 (B ~ 1e6 pairs: error ~ 1e-3).
    rng = np.random.default_rng(3)
    for n in (4000, 6000):
        bits = rng.permutation(np.repeat([0.0, 1.0], n // 2))
        assert np.std(bits) == 0.5
        assert sample_entropy(bits, 2, 2.0) == 0.0
        assert sample_entropy(bits, 2, 2.0, tie="<") == pytest.approx(math.log(2), abs=0.01)
        ours = sample_entropy(bits, 2, 2.0, tie="<" if n < 5000 else "<=")
        assert ours == pytest.approx(
            antropy.sample_entropy(bits, order=2, tolerance=1.0), abs=1e-12
        )


@pytest.mark.parametrize("tie", ["<=", "<"])
@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_sample_entropy_matches_brute_force_on_data_with_ties(m, tie):
    # Values -3, 0, 3 in proportions 2 : 5 : 2 have mean 0 and SD 2 exactly, so r = 1.5 puts
    # the tolerance exactly on the distance 3: both rules must count like the all-pairs reference.
    rng = np.random.default_rng(10 + m)
    for k in (15, 40):
        x = rng.permutation(np.repeat([-3.0, 0.0, 3.0], [2 * k, 5 * k, 2 * k]))
        assert np.std(x) == 2.0
        assert sample_entropy(x, m, 1.5, tie=tie) == pytest.approx(
            brute_force_sample_entropy(x, m, 1.5, tie), rel=1e-13
        )
        n = x.size
        y = rng.standard_normal(n)
        assert sample_entropy(y, m, 0.3, tie=tie) == pytest.approx(
            brute_force_sample_entropy(y, m, 0.3, tie), rel=1e-13
        )


def test_sample_entropy_undefined_and_infinite_cases():
    # No pair within tolerance over m points: B = 0, undefined -> NaN.
    assert math.isnan(sample_entropy(np.arange(10.0) ** 2, 2, 1e-6))
    # (0, 0) matches (0, 0) over m = 2 points but (0, 0, 1) and (0, 0, 2) differ: A = 0 -> inf.
    assert sample_entropy(np.array([0.0, 0.0, 1.0, 0.0, 0.0, 2.0]), 2, 1e-3) == math.inf


# --- permutation entropy ----------------------------------------------------------------------


def test_permutation_entropy_exact_small_example():
    # order 2 on [4, 7, 9, 10, 6, 11, 3]: 4 rises, 2 falls -> H = -(2/3 log2 2/3 + 1/3 log2 1/3)
    x = np.array([4, 7, 9, 10, 6, 11, 3], dtype=float)
    expected = -(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3))
    assert permutation_entropy(x, order=2, normalize=False) == pytest.approx(expected, abs=1e-15)
    assert expected == pytest.approx(0.9183, abs=1e-4)


def test_permutation_entropy_limits():
    assert permutation_entropy(np.arange(500.0)) == 0.0  # one pattern
    assert permutation_entropy(np.full(500, 3.0)) == 0.0  # ties ranked by position: one pattern
    noise = np.random.default_rng(5).standard_normal(200_000)
    # i.i.d. noise: all 6 patterns equally likely; the plug-in estimate is biased low by about
    # (6 - 1) / (2 N ln 2) / log2 6 ~ 7e-6.
    assert permutation_entropy(noise, order=3) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("order", [2, 3, 4, 5, 6, 9])
@pytest.mark.parametrize("delay", [1, 2, 3])
def test_permutation_entropy_equals_antropy(antropy, order, delay):
    rng = np.random.default_rng(order * 10 + delay)
    for x in (rng.standard_normal(3000), rng.integers(0, 4, 3000).astype(float)):
        for normalize in (True, False):
            expected = antropy.perm_entropy(x, order=order, delay=delay, normalize=normalize)
            got = permutation_entropy(x, order=order, delay=delay, normalize=normalize)
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-14)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [sample_entropy, permutation_entropy])
def test_non_finite_input_is_rejected(func):
    x = np.random.default_rng(0).standard_normal(100)
    for bad in (np.nan, np.inf):
        y = x.copy()
        y[17] = bad
        with pytest.raises(ValueError, match="NaN or inf.*index 17"):
            func(y)
    with pytest.raises(ValueError, match="1-D"):
        func(x.reshape(10, 10))


def test_sample_entropy_bad_input_messages():
    x = np.random.default_rng(0).standard_normal(100)
    with pytest.raises(ValueError, match="too short for m=3"):
        sample_entropy(x[:4], 3)
    with pytest.raises(ValueError, match="constant"):
        sample_entropy(np.full(100, 0.1))
    with pytest.raises(ValueError, match="m \\(template length\\)"):
        sample_entropy(x, 0)
    with pytest.raises(ValueError, match="r \\(tolerance"):
        sample_entropy(x, 2, -0.2)
    with pytest.raises(ValueError, match="tie"):
        sample_entropy(x, tie="<<")


def test_permutation_entropy_bad_input_messages():
    x = np.random.default_rng(0).standard_normal(100)
    with pytest.raises(ValueError, match="too short for order=4, delay=3"):
        permutation_entropy(x[:9], order=4, delay=3)
    with pytest.raises(ValueError, match="order must be"):
        permutation_entropy(x, order=1)
    with pytest.raises(ValueError, match="delay must be"):
        permutation_entropy(x, delay=0)
