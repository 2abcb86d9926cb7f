"""A study's stores are found from any folder of the repository (a notebook runs in
notebooks/), and a missing store is reported with the command that writes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neurodyn.store import write_dataset
from neurodyn.workflow import StudyError, open_study_store, repository_root, study_results

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def checkout(tmp_path) -> Path:
    root = tmp_path / "checkout"
    (root / "notebooks" / "deeper").mkdir(parents=True)
    shutil.copy(ROOT / "Snakefile", root / "Snakefile")
    shutil.copytree(ROOT / "workflows" / "config", root / "workflows" / "config")
    return root


def test_stores_are_found_from_below_the_root(checkout):
    below = checkout / "notebooks" / "deeper"
    assert repository_root(below) == checkout
    assert study_results(start=below) == checkout / "results" / "chialvo_rulkov_chain"
    assert study_results("workflows/config/tiny.yaml", below) == checkout / "results" / "tiny"
    ds = xr.Dataset({"v": ("p", np.arange(3.0))}, attrs={"model": "m", "equations": {"x": "x"}})
    write_dataset(ds, checkout / "results" / "tiny" / "sweep.zarr", durable=False)
    opened = open_study_store("sweep.zarr", "workflows/config/tiny.yaml", start=below)
    np.testing.assert_array_equal(opened["v"].values, [0.0, 1.0, 2.0])
    assert opened.attrs["equations"] == {"x": "x"}


def test_a_missing_store_says_how_to_produce_it(checkout):
    with pytest.raises(FileNotFoundError) as err:
        open_study_store("orbit.zarr", start=checkout / "notebooks")
    message = str(err.value)
    assert str(checkout / "results" / "chialvo_rulkov_chain" / "orbit.zarr") in message
    assert "neurodyn sweep workflows/config/default.yaml" in message
    with pytest.raises(StudyError, match="no study config"):
        study_results("workflows/config/nope.yaml", start=checkout)


def test_outside_a_checkout_the_installed_checkout_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("NEURODYN_WORKFLOW", raising=False)
    assert repository_root(tmp_path) == ROOT
