"""The study's phase_portraits and basins sections: basins against a map whose basins are known
in closed form, picked points against the Hénon map's period-doubling thresholds, and the
Snakemake rules (each section reruns only its own rule)."""

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from neurodyn.analysis import add_measures
from neurodyn.analysis.basins import basins
from neurodyn.models import resolve_model
from neurodyn.models.registry import model_from_dict
from neurodyn.sim import sweep
from neurodyn.store import open_dataset, write_dataset
from neurodyn.workflow import StudyError, check_study, estimate_study, snakemake_command
from neurodyn.workflow.portraits import (
    compute_basins,
    compute_phase_portraits,
    pick_points,
)

REPO = Path(__file__).resolve().parents[1]
C = 0.5  # the parabola x = C y^2 bounding the basins

# u' = a u - u^3, y' = b y in the coordinates (x, y) = (u + C y^2, y): for 1 < a < 3 every
# start with 0 < u < sqrt(a) tends to the attractor of u > 0 (the fixed point sqrt(a - 1) for
# a < 2, a 2-cycle after its flip at a = 2), every start with -sqrt(a) < u < 0 to its mirror
# image; so the basin boundary is the parabola x = C y^2.
CUBIC = model_from_dict(
    "conjugated_cubic",
    {
        "kind": "map",
        "state": {"x": {"initial": 0.1, "box": [-0.6, 1.0]}, "y": {"initial": 0.0}},
        "equations": {
            "x": f"a*(x - {C}*y**2) - (x - {C}*y**2)**3 + {C}*(b*y)**2",
            "y": "b*y",
        },
        "parameters": {"a": {"default": 1.5}, "b": {"default": -0.5}},
    },
)


def _cubic(u: np.ndarray, a: float) -> np.ndarray:
    return a * u - u**3


@pytest.mark.parametrize("a, period", [(1.5, 1), (2.2, 2)])
def test_basins_of_the_cubic_map_are_split_by_the_parabola(a, period):
    xs = np.linspace(-0.6, 1.0, 33) + 1e-3  # no cell on the boundary
    ys = np.linspace(-0.9, 0.9, 25)
    ds = basins(CUBIC, {"a": a}, ("x", xs), ("y", ys), transient=2000, samples=64)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    u = gx - C * gy**2
    assert np.abs(u).max() < np.sqrt(a)
    labels = ds["basin"].values
    assert ds.sizes["attractor"] == 2 and ds.attrs["diverged_fraction"] == 0.0
    assert list(ds["attractor_period"].values) == [period, period]
    # one label on each side of the parabola, exactly
    assert np.unique(labels[u > 0]).size == 1 and np.unique(labels[u < 0]).size == 1
    assert labels[u > 0][0] != labels[u < 0][0]
    upper = int(labels[u > 0][0])
    assert ds["attractor_cells"].values[upper] == int((u > 0).sum())
    np.testing.assert_allclose(ds["attractor_fraction"].values.sum(), 1.0)
    cycle = ds["cycle"].values[upper, :period, 0]  # y = 0 on the attractor, so x = u
    np.testing.assert_allclose(ds["cycle"].values[:, :period, 1], 0.0, atol=1e-12)
    if period == 1:
        np.testing.assert_allclose(cycle, [np.sqrt(a - 1)], rtol=1e-12)
    else:  # a 2-cycle of the cubic map, from its smallest point, whichever phase cells end in
        np.testing.assert_allclose(_cubic(cycle, a), cycle[::-1], rtol=1e-10)
        assert cycle[0] < cycle[1] and cycle[0] > 0
        lower = ds["cycle"].values[1 - upper, :period, 0]
        np.testing.assert_allclose(np.sort(lower), np.sort(-cycle), rtol=1e-10)


@pytest.fixture(scope="module")
def henon_study(tmp_path_factory):
    config = check_study(
        {
            "study": "henon",
            "model": "henon",
            "fixed": {"b": 0.3},
            "sweep": {"a": "0.1:1.3:25"},
            "simulation": {"transient": 3000, "steps": 500, "keep": 500, "n_initial": 3},
            "measures": ["period", "lyapunov", "coexistence"],
            "measure_options": {"coexistence_samples": 500},
            "phase_portraits": {"n_initial": 3, "transient": 3000, "steps": 200},
        }
    )
    model = resolve_model("henon")
    ds = sweep(
        model,
        {"a": np.linspace(0.1, 1.3, 25)},
        {"b": 0.3},
        steps=500,
        transient=3000,
        keep=500,
        n_initial=3,
        seed=0,
    )
    ds = add_measures(ds, ["period", "lyapunov", "coexistence"], model, coexistence_samples=500)
    store = write_dataset(ds, tmp_path_factory.mktemp("henon") / "sweep.zarr")
    return config, store


def test_picked_points_land_in_distinct_attractor_classes(henon_study):
    config, store = henon_study
    picked = pick_points(open_dataset(store))
    labels = [p["label"] for p in picked]
    assert len(set(labels)) == len(labels)
    at = {p["label"]: p["a"] for p in picked}
    # Hénon map, b = 0.3: the fixed point flips at a = 3(1-b)^2/4 = 0.3675, the 2-cycle at 0.9125
    assert at["period 1"] < 0.3675 < at["period 2"] < 0.9125
    assert at["chaotic"] > 1.05
    portraits = compute_phase_portraits(config, store)
    assert list(portraits["label"].values) == labels
    for k, point in enumerate(picked):  # the portrait reaches the class the sweep found there
        period = int(portraits["period"].values[k, point["ic"]])
        if point["label"].startswith("period"):
            assert period == int(point["label"].split()[1])
        elif point["label"] == "chaotic":
            assert period == 0
    np.testing.assert_array_equal(portraits["a"].values, [p["a"] for p in picked])


def test_sections_are_checked():
    base = yaml.safe_load((REPO / "workflows/config/tiny.yaml").read_text())
    with pytest.raises(StudyError, match="both 'x_1'"):
        check_study({**base, "basins": {"point": {"sigma_1_2": 0.1}, "x": "x_1", "y": "x_1"}})
    with pytest.raises(StudyError, match="'z' is not a state variable"):
        check_study({**base, "basins": {"point": {"sigma_1_2": 0.1}, "x": "z"}})
    with pytest.raises(StudyError, match="'nope' is not a parameter"):
        check_study({**base, "phase_portraits": {"points": [{"nope": 1.0}]}})
    with pytest.raises(StudyError, match="low 1 is not below high 0"):
        check_study({**base, "basins": {"point": {"sigma_1_2": 0.1}, "x_range": [1, 0]}})


def _jobs(config: Path, workdir: Path, *targets: str, dry_run: bool) -> str:
    done = subprocess.run(
        [
            *snakemake_command(config, cores=1, dry_run=dry_run),
            "--directory",
            str(workdir),
            *targets,
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
@pytest.mark.workflow
@pytest.mark.requires("snakemake")
def test_each_section_reruns_only_its_own_rule(tmp_path):
    config = yaml.safe_load((REPO / "workflows/config/tiny.yaml").read_text())
    config.update(
        results=str(tmp_path / "results"),
        phase_portraits={
            "points": [{"sigma_1_2": 0.1, "sigma_2_1": 0.2}],
            "n_initial": 2,
            "transient": 500,
            "steps": 100,
        },
        basins={
            "point": {"sigma_1_2": 0.1},
            "x": "x_1",
            "y": "y_1",
            "resolution": 6,
            "transient": 500,
            "samples": 64,
        },
    )
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(config))
    study = tmp_path / "results" / "tiny"
    targets = (str(study / "phase_portraits.zarr"), str(study / "basins.zarr"))
    output = _jobs(path, tmp_path, *targets, dry_run=False)
    assert "rule sweep_chunk" not in output  # given points: no sweep needed
    checked = check_study(config)
    stored = open_dataset(study / "basins.zarr")
    np.testing.assert_array_equal(stored["basin"].values, compute_basins(checked)["basin"].values)
    stored = open_dataset(study / "phase_portraits.zarr")
    np.testing.assert_array_equal(
        stored["trajectory"].values, compute_phase_portraits(checked)["trajectory"].values
    )

    def planned(**changes) -> set[str]:
        changed = tmp_path / "changed.yaml"
        changed.write_text(yaml.safe_dump({**config, **changes}))
        text = _jobs(changed, tmp_path, *targets, dry_run=True)
        return {
            line.split()[0]
            for line in text.splitlines()
            if line.split()[:1] and line.split()[0] in {"phase_portraits", "basins"}
        }

    assert planned(basins={**config["basins"], "resolution": 7}) == {"basins"}
    portraits = {**config["phase_portraits"], "steps": 120}
    assert planned(phase_portraits=portraits) == {"phase_portraits"}
    simulation = {**config["simulation"], "keep": 400}
    assert planned(measures=["period"], simulation=simulation) == set()  # sweep's sections


def test_estimate_knows_the_section_jobs():
    config = check_study(yaml.safe_load((REPO / "workflows/config/default.yaml").read_text()))
    estimate = estimate_study(config)
    model = resolve_model(config["model"], config.get("model_options"))
    spec = config["phase_portraits"]
    runs = spec["max_points"] * spec["n_initial"]
    assert estimate.portraits.disk_mb == np.ceil(8 * runs * spec["steps"] * model.n_state / 2**20)
    assert estimate.basins.seconds > 0 and "basins" in estimate.summary()
    without = estimate_study({k: v for k, v in config.items() if k != "basins"})
    assert without.basins.seconds == 0 and "basins" not in without.summary()
    assert estimate.core_seconds - without.core_seconds == pytest.approx(estimate.basins.seconds)
