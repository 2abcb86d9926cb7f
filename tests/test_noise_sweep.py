"""Noise and input in sweeps: the same numbers as trajectory(), for any chunks, threads, blocks
of the grid and backend; the exact stationary variance of a linear map over a grid; study
configs with a noise axis, and bad specifications refused."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from neurodyn.cli import main
from neurodyn.flows.trajectory import trajectory
from neurodyn.models import get_model
from neurodyn.models.drive import pulse_train
from neurodyn.models.noise import philox4x64, standard_normal
from neurodyn.sim import sweep
from neurodyn.store import open_dataset, write_dataset
from neurodyn.workflow import StudyError, check_study, compute_chunk, merge_chunks, n_chunks
from tests.test_map_noise import LINEAR

A_VALUES = np.array([0.2, 0.5, 0.9])
DRIVEN = {
    "noise": {"a": 0.05},
    "inputs": {"x": {"pulse_train": {"period": 7, "width": 2, "start": 3}}},
    "seed": 11,
}


def _grid(**options) -> dict:
    return {"a": A_VALUES, "noise_x": np.array([0.1, 0.3]), "input_x": np.array([0.0, 0.4])}


def test_noisy_sweep_equals_trajectory_for_any_chunks_threads_and_blocks():
    axes = _grid()
    ds = sweep(LINEAR, axes, steps=40, transient=10, keep=40, chunk_size=5, **DRIVEN)
    # the same 12 points as one trajectory batch: point k of the batch is grid point k
    a, g, amp = (m.reshape(-1) for m in np.meshgrid(*axes.values(), indexing="ij"))
    u = pulse_train(50, period=7, width=2, start=3)
    tr = trajectory(
        LINEAR,
        steps=40,
        transient_steps=10,
        initial=np.zeros((12, 1)),
        parameters={"a": a},
        noise={"x": g, "a": 0.05},
        inputs={"x": amp[:, None] * u[None, :]},
        seed=11,
    )
    np.testing.assert_array_equal(ds["x"].values.reshape(12, 40), tr["x"].values)
    before = numba.get_num_threads()
    try:
        for threads, chunk in ((1, 1), (min(2, numba.config.NUMBA_NUM_THREADS), 10**6)):
            numba.set_num_threads(threads)
            other = sweep(LINEAR, axes, steps=40, transient=10, keep=40, chunk_size=chunk, **DRIVEN)
            np.testing.assert_array_equal(other["x"].values, ds["x"].values)
            np.testing.assert_array_equal(other["x_mean"].values, ds["x_mean"].values)
    finally:
        numba.set_num_threads(before)
    # two initial states; a block of the grid keyed by its global indices gives its part
    both = sweep(LINEAR, axes, steps=40, transient=10, keep=40, initial=[[0.0], [0.3]], **DRIVEN)
    block = sweep(
        LINEAR,
        {"a": A_VALUES[1:], **{k: axes[k] for k in ("noise_x", "input_x")}},
        steps=40,
        transient=10,
        keep=40,
        initial=[[0.3]],
        point_index=np.arange(4, 12),
        ic_index=np.array([1]),
        **DRIVEN,
    )
    np.testing.assert_array_equal(block["x"].values, both["x"].values[1:, :, :, 1:])
    assert list(block["ic"].values) == [1]
    np.testing.assert_array_equal(both["x"].values[..., 0, :], ds["x"].values[..., 0, :])
    assert not np.array_equal(both["x"].values[..., 0, :], both["x"].values[..., 1, :] - 0.3)
    assert both.attrs["noise"] == {"a": 0.05} and both.attrs["drive_axes"] == ["noise_x", "input_x"]


def test_linear_map_in_a_sweep_reaches_its_exact_stationary_variance():
    # x' = (a + h xi) x + g eta: E x^2 -> g^2 / (1 - a^2 - h^2) at every a of the grid, the
    # ensemble over 8000 initial states, each with its own noise (relative standard error of
    # the mean of 8000 squares of a Gaussian: sqrt(2 / 8000) = 1.6 %)
    a = np.array([-0.8, 0.0, 0.5, 0.9])
    for g, h in ((0.2, 0.0), (0.2, 0.3)):
        ds = sweep(
            LINEAR,
            {"a": a, "noise_x": [g]},
            steps=1,
            transient=300,
            keep=1,
            initial=np.zeros((8000, 1)),
            noise={"a": h},
            seed=2,
        )
        var = (ds["x_final"].values[:, 0, :] ** 2).mean(axis=1)
        np.testing.assert_allclose(var, g**2 / (1 - a**2 - h**2), rtol=0.065)


def test_torch_draws_the_same_numbers_and_iterates_the_same_noisy_map():
    torch = pytest.importorskip("torch")
    from neurodyn.backends.torch_noise import philox4x64 as torch_philox
    from neurodyn.backends.torch_noise import standard_normals

    points = torch.arange(0, 2**40, 2**30, dtype=torch.int64)
    ics = torch.full_like(points, 3)
    bits = torch_philox(
        torch.full_like(points, 7), points, torch.zeros_like(points), ics, 2**64 - 5, 1
    )
    for k in range(points.numel()):
        expected = philox4x64(7, int(points[k]), 0, 3, 2**64 - 5, 1)
        got = [int(np.int64(b[k]).view(np.uint64)) for b in bits]
        assert got == [int(e) for e in expected]
    normals = standard_normals(
        5, 0, 3, torch.arange(4000), torch.zeros(4000, dtype=torch.int64), 6
    ).numpy()
    np.testing.assert_allclose(normals, standard_normal(5, (4000, 6), step=3).T, rtol=0, atol=1e-15)
    logistic = get_model("logistic")  # a stable fixed point: rounding differences decay
    options = {
        "steps": 60,
        "transient": 20,
        "keep": 60,
        "seed": 4,
        "noise": {"r": 0.02},
        "inputs": {"x": list(np.linspace(0, 0.01, 80))},
    }
    axes = {"r": np.array([2.5, 2.8]), "noise_x": np.array([0.0, 0.01])}
    ours = sweep(logistic, axes, **options)
    theirs = sweep(logistic, axes, backend="torch", device="cpu", **options)
    for name in ("x", "x_min", "x_max", "x_mean", "x_final"):
        np.testing.assert_allclose(theirs[name].values, ours[name].values, rtol=0, atol=1e-12)
    linear = {"steps": 40, "transient": 10, "keep": 40, **DRIVEN}
    np.testing.assert_allclose(
        sweep(LINEAR, _grid(), backend="torch", device="cpu", **linear)["x"].values,
        sweep(LINEAR, _grid(), **linear)["x"].values,
        rtol=0,
        atol=1e-12,
    )


NOISY_STUDY = {
    "study": "noisy",
    "model": "rulkov2002",
    "fixed": {"alpha": 1.95, "mu": 0.001},
    "sweep": {"noise_x": "0.05,0.3", "sigma": "0.5,0.58"},
    "chunk_size": 1,
    "simulation": {
        "transient": 100,
        "steps": 2000,
        "keep": 2000,
        "seed": 3,
        "initial": [[-0.42, -1.793, -0.42], [-0.5, -1.8, -0.5]],
        "noise": {"y": 0.001},
    },
    "measures": ["spikes"],
    "measure_options": {"variable": "x", "threshold": 0.0},
}


def test_study_with_a_noise_axis_is_the_same_in_one_job_or_many(tmp_path):
    config = check_study(NOISY_STUDY)
    whole = compute_chunk({**config, "chunk_size": 100}, 0)
    assert n_chunks(config) == 8  # one grid point and one initial state each
    parts = [
        write_dataset(compute_chunk(config, index), tmp_path / f"part{index}.zarr")
        for index in range(8)
    ]
    merged = open_dataset(merge_chunks(parts, tmp_path / "merged.zarr")).load()
    for name in ("x", "x_mean", "spike_isi_cv", "spike_n_spikes"):
        np.testing.assert_array_equal(merged[name].values, whole[name].values, err_msg=name)
    np.testing.assert_array_equal(merged["ic"].values, [0, 1])
    assert merged.attrs["noise"] == {"y": 0.001} and merged.attrs["drive_axes"] == ["noise_x"]
    assert np.all(whole["spike_n_spikes"].sel(noise_x=0.3).values > 50)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"noise": {"q": 0.1}}, "noise on 'q': not a state variable or parameter of rulkov2002"),
        ({"noise": {"x": -0.1}}, "simulation/noise/x: -0.1 is less than the minimum of 0"),
        ({"inputs": {"x": {"pulse_train": {"period": 2, "width": 3}}}}, "0 < width <= period"),
        ({"inputs": {"x": {"pulse": {"period": 2}}}}, "simulation/inputs/x"),
        ({"inputs": {"x": [0.1, 0.2]}}, "a series needs at least 2100 values"),
        ({"inputs": {"x": {"store": "/nonexistent.zarr", "variable": "u"}}}, "cannot open"),
        ({"sweep": {"noise_x": "-0.1,0.1"}}, "sweep/noise_x: noise amplitude of 'x' must be"),
        ({"sweep": {"noise_q": "0.1,0.2"}}, "unknown parameter 'noise_q'"),
        ({"measures": ["lyapunov"]}, "['lyapunov'] compute from the map without its noise"),
    ],
)
def test_bad_noise_specifications_are_refused(tmp_path, change, message):
    config = yaml.safe_load(yaml.safe_dump(NOISY_STUDY))
    config["simulation"].update({k: v for k, v in change.items() if k in ("noise", "inputs")})
    config.update({k: v for k, v in change.items() if k not in ("noise", "inputs")})
    with pytest.raises(StudyError) as caught:
        check_study(config)
    assert message in str(caught.value)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["sweep", str(path), "--dry-run"])
    assert result.exit_code == 2 and message in result.output
    with pytest.raises(ValueError, match="'q'"):
        sweep(LINEAR, {"a": [0.5]}, steps=5, transient=0, noise={"q": 0.1})


@pytest.mark.slow
@pytest.mark.workflow
@pytest.mark.requires("snakemake")
def test_snakemake_runs_a_noise_amplitude_sweep(tmp_path):
    """The study above through Snakemake (2 sweep jobs, the merge): the merged store equals the
    whole grid computed in one call, and records the noise specification."""
    import subprocess

    from neurodyn.workflow import snakemake_command

    config = {**NOISY_STUDY, "results": str(tmp_path / "results"), "chunk_size": 4}
    path = tmp_path / "noisy.yaml"
    path.write_text(yaml.safe_dump(config))
    store = tmp_path / "results" / "noisy" / "sweep.zarr"
    command = [*snakemake_command(path, cores=2), "--directory", str(tmp_path), str(store)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    merged = open_dataset(store).load()
    whole = compute_chunk({**check_study(config), "chunk_size": 100}, 0)
    for name in ("x", "x_mean", "spike_isi_cv", "spike_n_spikes"):
        np.testing.assert_array_equal(merged[name].values, whole[name].values, err_msg=name)
    assert merged.attrs["noise"] == {"y": 0.001} and merged.attrs["drive_axes"] == ["noise_x"]
