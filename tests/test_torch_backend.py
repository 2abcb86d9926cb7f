"""The torch backend against the numba kernels (CPU, float64): steps and step Jacobians of every
catalogue model and a heterogeneous network, streaming reducers, Lyapunov spectra, sweeps and the
command line; float32 against float64 at non-chaotic points; backend errors."""

import dataclasses

import numpy as np
import pytest
import xarray as xr

torch = pytest.importorskip("torch")

from click.testing import CliRunner  # noqa: E402

from neurodyn.analysis.lyapunov import lyapunov_spectrum  # noqa: E402
from neurodyn.backends import BackendError, resolve_backend  # noqa: E402
from neurodyn.backends.torch_model import torch_model  # noqa: E402
from neurodyn.cli import main  # noqa: E402
from neurodyn.models import compile_model, get_model, list_models  # noqa: E402
from neurodyn.networks import chialvo_rulkov_chain  # noqa: E402
from neurodyn.sim import iterate_batch, sweep  # noqa: E402
from neurodyn.store import open_dataset  # noqa: E402

CATALOGUE = list_models()
STEP_TOL = {"rtol": 1e-12, "atol": 1e-12}


def _model(name: str):
    if name == "chialvo_rulkov_chain":
        return chialvo_rulkov_chain()
    if name.startswith("lorenz63/"):
        return dataclasses.replace(get_model("lorenz63"), integrator=name.split("/")[1])
    return get_model(name)


def _batch(model, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """States drawn from the model's boxes; parameters at their defaults."""
    rng = np.random.default_rng(seed)
    low = np.array([v.low for v in model.state])[:, None]
    high = np.array([v.high for v in model.state])[:, None]
    X = low + (high - low) * rng.random((model.n_state, batch))
    P = np.tile(np.array([p.default for p in model.parameters])[:, None], (1, batch))
    return X, P


@pytest.mark.parametrize(
    "name",
    [*CATALOGUE, "chialvo_rulkov_chain", "lorenz63/euler", "lorenz63/heun"],
)
def test_step_and_jacobian_equal_numba(name):
    """From the same states, one torch iteration equals one numba iteration to 1e-12, 20 times
    along a numba trajectory; the torch step Jacobian equals the numba one at every fifth point."""
    model = _model(name)
    compiled, generated = compile_model(model), torch_model(model)
    X, P = _batch(model, 16)
    ok = np.ones(X.shape[1], dtype=np.bool_)
    J = np.empty((model.n_state, model.n_state))
    for _ in range(20):
        expected = X.copy()
        compiled.advance(expected, P, 0, X.shape[1], 1, 1e300, ok)
        got = generated.step(torch.tensor(X), torch.tensor(P)).numpy()
        np.testing.assert_allclose(got, expected, **STEP_TOL)
        jacobians = generated.step_jacobian(torch.tensor(X), torch.tensor(P)).numpy()
        for i in range(0, X.shape[1], 5):
            compiled.jacobian(X, P, i, J)
            np.testing.assert_allclose(jacobians[:, :, i], J, **STEP_TOL)
        X = expected
    assert np.isfinite(X).all(axis=0).mean() > 0.5  # a few points may escape their basin


def _compare(a, b, fields, tol=STEP_TOL):
    for field in fields:
        np.testing.assert_allclose(getattr(b, field), getattr(a, field), **tol, err_msg=field)


REDUCERS = ("final", "kept", "minimum", "maximum", "mean")


def test_reducers_equal_numba():
    """Logistic map at periodic parameters (periods 1, 2, 4, 3), a chaotic one (distinct count
    saturated) and a diverging start: every reducer, count and flag as numba's."""
    model = get_model("logistic")
    r = np.array([[2.8, 3.2, 3.5, 3.83, 3.9, 3.9]])
    X = np.array([[0.3, 0.3, 0.3, 0.3, 0.3, 1.5]])
    options = {"steps": 200, "transient": 1000, "keep": 7, "every": 3}
    options |= {"distinct_window": 100, "max_distinct": 8}
    a = iterate_batch(model, X, r, **options)
    b = iterate_batch(model, X, r, backend="torch", device="cpu", **options)
    periodic = slice(0, 4)
    for field in REDUCERS:
        got, expected = getattr(b, field)[..., periodic], getattr(a, field)[..., periodic]
        np.testing.assert_allclose(got, expected, **STEP_TOL, err_msg=field)
    np.testing.assert_array_equal(b.distinct, a.distinct)
    np.testing.assert_array_equal(a.distinct, [1, 2, 4, 3, 9, -1])
    np.testing.assert_array_equal(b.diverged, [False] * 5 + [True])
    assert np.isnan(b.final[:, 5]).all() and np.isnan(b.kept[..., 5]).all()
    np.testing.assert_array_equal(b.kept_iterations, a.kept_iterations)
    assert b.backend == resolve_backend("torch", "cpu")


def test_network_reducers_equal_numba_over_a_short_run():
    """Heterogeneous Chialvo-Rulkov-Chialvo chain, 16 iterations from random states and random
    couplings (chaotic: rounding differences grow about e^(0.5 n)): reducers, kept states and
    distinct counts equal numba's."""
    model = chialvo_rulkov_chain()
    X, P = _batch(model, 64, seed=3)
    rows = [model.parameter_names.index(n) for n in model.parameter_names if "sigma_" in n]
    P[rows] = np.random.default_rng(4).uniform(0.0, 0.1, (len(rows), 64))
    options = {"steps": 14, "transient": 2, "keep": 3, "every": 4, "distinct_window": 14}
    a = iterate_batch(model, X, P, **options)
    b = iterate_batch(model, X, P, backend="torch", device="cpu", chunk_size=20, **options)
    _compare(a, b, REDUCERS)
    np.testing.assert_array_equal(b.distinct, a.distinct)
    np.testing.assert_array_equal(b.diverged, a.diverged)


def test_torch_results_do_not_depend_on_chunks():
    model = get_model("chialvo")
    X, P = _batch(model, 300)
    P[1] = np.linspace(0.1, 0.7, 300)
    options = {"steps": 40, "transient": 20, "keep": 3, "distinct_window": 40}
    whole = iterate_batch(model, X, P, backend="torch", device="cpu", **options)
    parts = iterate_batch(model, X, P, backend="torch", device="cpu", chunk_size=77, **options)
    for field in (*REDUCERS, "distinct", "diverged"):
        np.testing.assert_array_equal(getattr(parts, field), getattr(whole, field))


@pytest.mark.parametrize("name", ["chialvo", "rulkov2002", "lorenz63"])
def test_lyapunov_spectra_equal_numba(name):
    """QR spectra over a short run (200 iterations after 20) agree to 1e-8 (maps and flows)."""
    model = get_model(name)
    X, P = _batch(model, 12, seed=1)
    options = {"steps": 200, "transient": 20, "segments": 4}
    a = lyapunov_spectrum(model, X, P, **options)
    b = lyapunov_spectrum(model, X, P, backend="torch", device="cpu", **options)
    np.testing.assert_allclose(b.exponents, a.exponents, rtol=0, atol=1e-8)
    np.testing.assert_allclose(b.stderr, a.stderr, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(b.diverged, a.diverged)
    assert b.unit == a.unit and b.backend.backend == "torch"


def test_network_lyapunov_spectrum_equals_numba():
    """The chaotic network over 40 iterations after 4 (longer runs separate the trajectories)."""
    model = chialvo_rulkov_chain()
    X, P = _batch(model, 8, seed=2)
    options = {"steps": 40, "transient": 4, "segments": 4, "n_exponents": 4}
    a = lyapunov_spectrum(model, X, P, **options)
    b = lyapunov_spectrum(model, X, P, backend="torch", device="cpu", **options)
    np.testing.assert_allclose(b.exponents, a.exponents, rtol=0, atol=1e-8)


def test_lyapunov_diverged_points_are_nan():
    model = get_model("henon")
    X = np.array([[0.1, 5.0], [0.1, 5.0]])
    P = np.array([[1.4, 1.4], [0.3, 0.3]])
    b = lyapunov_spectrum(model, X, P, steps=100, transient=10, backend="torch", device="cpu")
    np.testing.assert_array_equal(b.diverged, [False, True])
    assert np.isnan(b.exponents[:, 1]).all() and np.isfinite(b.exponents[:, 0]).all()


def _fitzhugh_sweep(**options):
    return sweep(
        get_model("fitzhugh_nagumo"),
        {"I_ext": [0.0, 0.5, 1.0]},
        steps=600,
        keep=4,
        every=5,
        n_initial=2,
        seed=1,
        **options,
    )


def test_sweep_dataset_is_the_same_whatever_the_backend():
    """A flow sweep (rest state and limit cycles): the same variables, coordinates and dtypes,
    values equal to 1e-12, attrs that differ only in the backend and device."""
    a = _fitzhugh_sweep()
    b = _fitzhugh_sweep(backend="torch", device="cpu")
    xr.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    assert {k: v.dtype for k, v in b.data_vars.items()} == {
        k: v.dtype for k, v in a.data_vars.items()
    }
    assert set(a.attrs) == set(b.attrs)
    differing = {k for k in a.attrs if not np.array_equal(a.attrs[k], b.attrs[k])}
    assert differing == {"backend"}
    assert (a.attrs["backend"], a.attrs["device"], a.attrs["dtype"]) == ("numba", "cpu", "float64")
    assert (b.attrs["backend"], b.attrs["device"], b.attrs["dtype"]) == ("torch", "cpu", "float64")


def test_float32_within_stated_tolerance_at_non_chaotic_points():
    """float32 results: flagged in the attrs; at attracting fixed points and cycles within 1e-5
    (relative, states of order one) of float64, Lyapunov exponents within 1e-4."""
    a = _fitzhugh_sweep()
    b = _fitzhugh_sweep(backend="torch", device="cpu", dtype="float32")
    assert b.attrs["dtype"] == "float32" and "float32" in b.attrs["precision"]
    assert b["v_final"].dtype == np.float64
    rest = {"I_ext": 0.0}
    xr.testing.assert_allclose(b.sel(rest), a.sel(rest), rtol=1e-5, atol=1e-5)
    model = get_model("logistic")
    r = np.array([[2.8, 3.2, 3.5]])
    X = np.full((1, 3), 0.3)
    options = {"steps": 100, "transient": 500, "keep": 4, "distinct_window": 100}
    a = iterate_batch(model, X, r, **options)
    b = iterate_batch(model, X, r, backend="torch", device="cpu", dtype="float32", **options)
    _compare(a, b, REDUCERS, {"rtol": 1e-5, "atol": 1e-5})
    np.testing.assert_array_equal(b.distinct, [1, 2, 4])
    lorenz = get_model("lorenz63")  # rho = 10, 20: stable fixed points
    X, P = np.ones((3, 2)), np.array([[10.0, 10.0], [10.0, 20.0], [8 / 3, 8 / 3], [0.01, 0.01]])
    options = {"steps": 2000, "transient": 500}
    la = lyapunov_spectrum(lorenz, X, P, **options)
    lb = lyapunov_spectrum(lorenz, X, P, backend="torch", dtype="float32", **options)
    np.testing.assert_allclose(lb.exponents, la.exponents, rtol=0, atol=1e-4)
    assert lb.backend.dtype == "float32"


def test_backend_errors_name_the_problem():
    model = get_model("logistic")
    X, P = np.array([[0.3]]), np.array([[3.2]])
    with pytest.raises(BackendError, match="backend must be one of numba, torch"):
        iterate_batch(model, X, P, steps=10, backend="jax")
    with pytest.raises(BackendError, match="numba backend computes in float64 only"):
        iterate_batch(model, X, P, steps=10, dtype="float32")
    with pytest.raises(BackendError, match="numba backend runs on the CPU only"):
        lyapunov_spectrum(model, X, P, steps=10, device="cuda")
    with pytest.raises(BackendError, match="device must be auto, cpu, cuda"):
        sweep(model, {"r": [3.2]}, steps=10, backend="torch", device="tpu")
    with pytest.raises(BackendError, match="dtype must be one of"):
        sweep(model, {"r": [3.2]}, steps=10, backend="torch", dtype="float16")
    if not torch.cuda.is_available():
        with pytest.raises(BackendError, match="sees no CUDA device"):
            sweep(model, {"r": [3.2]}, steps=10, backend="torch", device="cuda")
        assert resolve_backend("torch", "auto").device == "cpu"


def test_cli_simulate_with_the_torch_backend(tmp_path):
    out = tmp_path / "logistic.zarr"
    args = ["simulate", "logistic", "--sweep", "r=2.8,3.2,3.5", "--steps", "600", "--keep", "8"]
    args += ["--backend", "torch", "--device", "cpu", "--out", str(out), "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    stored = open_dataset(out)
    expected = sweep(get_model("logistic"), {"r": np.array([2.8, 3.2, 3.5])}, steps=600, keep=8)
    np.testing.assert_allclose(stored["x"].values, expected["x"].values, **STEP_TOL)
    assert (stored.attrs["backend"], stored.attrs["device"]) == ("torch", "cpu")
    if not torch.cuda.is_available():
        bad_args = [*args[:-4], "cuda", "--out", str(tmp_path / "cuda.zarr")]
        bad = CliRunner().invoke(main, bad_args)
        assert bad.exit_code == 2 and "sees no CUDA device" in bad.output


@pytest.mark.requires("cuda")
@pytest.mark.parametrize("name", ["chialvo", "lorenz63", "chialvo_rulkov_chain"])
def test_cuda_equals_numba(name):
    """On a GPU, float64: steps to 1e-12, a short sweep's reducers and Lyapunov spectra as on
    the CPU."""
    model = _model(name)
    compiled, generated = compile_model(model), torch_model(model)
    X, P = _batch(model, 64, seed=5)
    expected = X.copy()
    compiled.advance(expected, P, 0, X.shape[1], 1, 1e300, np.ones(64, dtype=np.bool_))
    got = generated.step(torch.tensor(X, device="cuda"), torch.tensor(P, device="cuda"))
    np.testing.assert_allclose(got.cpu().numpy(), expected, **STEP_TOL)
    options = {"steps": 14, "transient": 2, "keep": 3, "every": 4, "distinct_window": 14}
    a = iterate_batch(model, X, P, **options)
    b = iterate_batch(model, X, P, backend="torch", device="cuda", **options)
    _compare(a, b, REDUCERS)
    np.testing.assert_array_equal(b.distinct, a.distinct)
    assert b.backend.device.startswith("cuda")
    options = {"steps": 40, "transient": 4, "segments": 4}
    la = lyapunov_spectrum(model, X, P, **options)
    lb = lyapunov_spectrum(model, X, P, backend="torch", device="cuda", **options)
    np.testing.assert_allclose(lb.exponents, la.exponents, rtol=0, atol=1e-8)
