"""Spike trains in the sweep store: the padded layout equals the detection on the kept states,
elephant's statistics of the trains read back equal the stored measures, and a study's parts
merged equal the study computed in one job."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from neurodyn.analysis import add_measures
from neurodyn.analysis.measures import stored_spike_trains
from neurodyn.analysis.spikes import SPIKE_PAD, padded_spike_trains, spike_indices
from neurodyn.cli import main
from neurodyn.models import get_model
from neurodyn.sim import sweep
from neurodyn.store import PROVENANCE_KEYS, merge_stores, open_dataset, write_dataset
from neurodyn.workflow import StudyError, check_study, compute_chunk, load_study, n_chunks

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "workflows" / "config" / "tiny.yaml"


def test_padded_spike_trains_equal_spike_indices():
    """Random series and Rulkov bursts: counts and padded indices equal spike_indices exactly;
    a series with a NaN has count -1 and only padding."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 400))
    x[1, 2, 100] = np.nan
    counts, times = padded_spike_trains(x, 0.3)
    assert times.dtype == counts.dtype == np.int64
    assert times.shape[-1] == counts.max() > 50
    for index in np.ndindex(counts.shape):
        if index == (1, 2):
            assert counts[index] == -1 and np.all(times[index] == SPIKE_PAD)
            continue
        found = spike_indices(x[index], 0.3)
        np.testing.assert_array_equal(times[index][: counts[index]], found)
        assert np.all(times[index][counts[index] :] == SPIKE_PAD)


@pytest.fixture(scope="module")
def rulkov_store(tmp_path_factory) -> Path:
    """Chaotic Rulkov (2001) map, 4 alphas x 2 initial states, 1500 kept iterations, with the
    spikes measure and its spike trains, written to a store."""
    ds = sweep(
        get_model("rulkov2001"),
        {"alpha": np.linspace(3.9, 4.5, 4)},
        {},
        steps=1500,
        transient=1000,
        keep=1500,
        n_initial=2,
        seed=3,
    )
    measured = add_measures(ds, ["spikes"], spike_times=True, threshold=0.0, burst_isi=20.0)
    return write_dataset(measured, tmp_path_factory.mktemp("spikes") / "rulkov.zarr")


def test_stored_spike_times_equal_the_detection_on_the_kept_trajectory(rulkov_store):
    ds = open_dataset(rulkov_store).load()
    assert ds.spike_time.dtype == ds.spike_count.dtype == np.int64
    assert ds.spike_time.attrs["samples"] == 1500 and ds.sizes["node"] == 1
    for alpha in ds.alpha.values:
        for ic in ds.ic.values:
            point = {"alpha": alpha, "ic": ic}
            (train,) = stored_spike_trains(ds, point)
            expected = spike_indices(ds.x.sel(point).values, 0.0)
            np.testing.assert_array_equal(train, expected)
            assert ds.spike_count.sel(point).item() == ds.spike_n_spikes.sel(point).item()
    assert int(ds.spike_count.min()) > 20  # every point spikes
    unused = np.arange(ds.sizes["spike"]) >= ds.spike_count.values[..., None]
    assert np.all(ds.spike_time.values[unused] == SPIKE_PAD) and unused.any()


def test_elephant_on_the_stored_trains_equals_the_stored_measures(rulkov_store):
    statistics = pytest.importorskip("elephant.statistics")
    pq = pytest.importorskip("quantities")
    ds = open_dataset(rulkov_store).load()
    for alpha in ds.alpha.values:
        for ic in ds.ic.values:
            point = {"alpha": alpha, "ic": ic}
            (train,) = stored_spike_trains(ds, point, neo=True, dt=1.0, units="ms")
            isi = statistics.isi(train).rescale(pq.ms).magnitude
            measured = ds.sel(point)
            assert measured.spike_isi_mean.item() == pytest.approx(isi.mean(), rel=1e-12)
            assert measured.spike_isi_cv.item() == pytest.approx(statistics.cv(isi), rel=1e-10)
            rate = statistics.mean_firing_rate(train).rescale(1 / pq.ms).magnitude
            assert measured.spike_rate.item() == pytest.approx(float(rate), rel=1e-12)


def test_stored_spike_trains_bad_requests(rulkov_store):
    ds = open_dataset(rulkov_store)
    with pytest.raises(ValueError, match=r"leaves \['ic'\] unselected"):
        stored_spike_trains(ds, {"alpha": ds.alpha.values[0]})
    with pytest.raises(ValueError, match="holds no spike trains"):
        stored_spike_trains(ds.drop_vars("spike_time"), {"alpha": ds.alpha.values[0], "ic": 0})
    diverged = ds.load().copy()
    diverged["spike_count"][0, 0, 0] = -1
    with pytest.raises(ValueError, match="diverged"):
        stored_spike_trains(diverged, {"alpha": ds.alpha.values[0], "ic": 0})


def test_cli_measures_spike_times_equal_add_measures(rulkov_store, tmp_path):
    store = shutil.copytree(rulkov_store, tmp_path / "cli.zarr")
    result = CliRunner().invoke(
        main, ["measures", str(store), "--measure", "spikes", "--spike-times", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    ours, reference = open_dataset(store).load(), open_dataset(rulkov_store).load()
    # the CLI's default threshold (0.5) is another threshold than the fixture's (0.0)
    expected = add_measures(reference, ["spikes"], spike_times=True)
    for name in ("spike_time", "spike_count", "spike_isi_cv"):
        np.testing.assert_array_equal(ours[name].values, expected[name].values, err_msg=name)


def test_study_parts_with_spike_trains_merge_to_the_one_job_store(tmp_path):
    """The tiny study (a 3-node Chialvo-Rulkov chain) with spike trains stored: parts of 12
    points have trains of different longest length; merged they equal the one-job store
    exactly. elephant's STTC of the read-back node trains equals the stored spike_sttc."""
    correlation = pytest.importorskip("elephant.spike_train_correlation")
    pq = pytest.importorskip("quantities")
    config = load_study(TINY)
    config["measures"] = ["spikes", "spike_synchrony"]
    config["measure_options"] = {"spike_times": True}
    config["simulation"] = {**config["simulation"], "transient": 500, "n_initial": 2}
    check_study(config)
    whole = compute_chunk({**config, "chunk_size": 10**6}, 0, threads=1)
    size = 12
    parts = [
        write_dataset(
            compute_chunk({**config, "chunk_size": size}, index, threads=1),
            tmp_path / f"part{index}.zarr",
        )
        for index in range(n_chunks({**config, "chunk_size": size}))
    ]
    lengths = {open_dataset(p).sizes["spike"] for p in parts}
    assert len(lengths) > 1 and max(lengths) == whole.sizes["spike"]
    merged = open_dataset(merge_stores(parts, tmp_path / "merged.zarr")).load()
    assert sorted(merged.data_vars) == sorted(whole.data_vars)
    for name in [*merged.data_vars, *merged.coords]:
        np.testing.assert_array_equal(merged[name].values, whole[name].values, err_msg=name)
        assert merged[name].dtype == whole[name].dtype
    assert whole.sizes["node"] == 3
    # a diverged point has no trains (count -1 on every node), every other point has them
    assert merged.diverged.any()
    np.testing.assert_array_equal((merged.spike_count < 0).all("node"), merged.diverged)
    np.testing.assert_array_equal((merged.spike_count < 0).any("node"), merged.diverged)
    keep = set(whole.attrs) - set(PROVENANCE_KEYS)
    assert {k: merged.attrs[k] for k in keep} == {k: whole.attrs[k] for k in keep}
    fewest = merged.spike_count.min("node")  # the point whose quietest node spikes most
    at = np.unravel_index(int(fewest.argmax()), fewest.shape)
    point = {d: fewest[d].values[i] for d, i in zip(fewest.dims, at, strict=True)}
    trains = stored_spike_trains(merged, point, neo=True)
    assert all(len(t) > 5 for t in trains)
    window = merged.spike_sttc.attrs["window"] * pq.ms
    pairs = [(0, 1), (0, 2), (1, 2)]
    sttc = [
        correlation.spike_time_tiling_coefficient(trains[a], trains[b], dt=window) for a, b in pairs
    ]
    assert merged.spike_sttc.sel(point).item() == pytest.approx(np.mean(sttc), abs=1e-12)


def test_spike_times_option_is_checked():
    config = load_study(TINY)
    check_study({**config, "measures": ["spikes"], "measure_options": {"spike_times": True}})
    with pytest.raises(StudyError, match="spike_times: 'yes' is not of the type"):
        check_study({**config, "measures": ["spikes"], "measure_options": {"spike_times": "yes"}})
    with pytest.raises(StudyError, match="spike_times: 1 is not of the type"):
        check_study({**config, "measures": ["spikes"], "measure_options": {"spike_times": 1}})


def test_trains_of_continued_series_equal_the_detection_on_them():
    """A sweep that kept no states: the trains are those of the series continued from the final
    states (the series the spikes measure reads), and their counts are its spike counts."""
    from neurodyn.analysis.measures.context import Grid, continue_states

    model = get_model("rulkov2001")
    ds = sweep(
        model,
        {"alpha": np.array([4.1, 4.4])},
        {},
        steps=500,
        transient=1000,
        keep=0,
        n_initial=2,
        seed=5,
    )
    measured = add_measures(ds, ["spikes"], spike_times=True, threshold=0.0, steps=800)
    states = continue_states(model, Grid.of(ds, model), 800, 1, None)  # (800, 2, points)
    count = measured.spike_count.values.reshape(-1)
    time = measured.spike_time.values.reshape(count.size, -1)
    for point in range(count.size):
        expected = spike_indices(states[:, 0, point], 0.0)
        np.testing.assert_array_equal(time[point, : count[point]], expected)
    np.testing.assert_array_equal(count, measured.spike_n_spikes.values.reshape(-1))
    assert count.min() > 5 and measured.spike_time.attrs["samples"] == 800
