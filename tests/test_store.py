"""Tests of neurodyn.store: round trips, provenance, laziness, atomic overwrite, merging."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from neurodyn.provenance import provenance
from neurodyn.store import (
    CREATED_KEY,
    PROVENANCE_KEYS,
    AttrsNotStorableError,
    _atomic,
    attr_value,
    auto_chunks,
    combine_parts,
    merge_stores,
    open_dataset,
    store_info,
    write_dataset,
)

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def sweep_dataset(seed: int = 0) -> xr.Dataset:
    """A small sweep result: two parameter axes, float (with NaN), int and bool variables."""
    rng = np.random.default_rng(seed)
    a = np.round(np.linspace(0.1, 0.9, 9), 12)
    k = np.array([0.0, 0.25, 0.5, 0.75])
    lyap = rng.normal(size=(9, 4))
    lyap[2, 1] = lyap[7, 3] = np.nan  # diverged points
    ds = xr.Dataset(
        {
            "lyapunov": (("a", "k"), lyap, {"units": "1/iteration", "convention": "natural log"}),
            "period": (("a", "k"), rng.integers(0, 64, size=(9, 4)).astype(np.int64)),
            "diverged": (("a", "k"), np.isnan(lyap)),
            "count32": ("a", np.arange(9, dtype=np.int32)),
            "order": ("k", rng.random(4).astype(np.float32)),
        },
        coords={
            "a": ("a", a, {"units": "1"}),
            "k": k,
            "state": ("state", np.array(["x", "y"])),
            "label": ("a", np.array([f"p{i}" for i in range(9)])),
        },
        attrs={
            "model": "chialvo",
            "seed": 12345,
            "schedule": {"transient": 1000, "keep": 200},
            "parameters": {"b": 0.6, "c": 0.28},
        },
    )
    ds["trajectory_mean"] = (("a", "state"), rng.random((9, 2)))
    return ds


def without_provenance(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k not in PROVENANCE_KEYS}
    return out


def assert_same(actual: xr.Dataset, expected: xr.Dataset) -> None:
    """Identical data, coords and attrs (minus provenance), and identical dtypes."""
    actual = without_provenance(actual.load())
    xr.testing.assert_identical(actual, expected)
    for name, var in expected.variables.items():
        assert actual.variables[name].dtype == var.dtype, name
        np.testing.assert_array_equal(actual.variables[name].values, var.values)


def leftover_names(path: Path) -> list[str]:
    return [p.name for p in _atomic.leftovers(path)]


# --------------------------------------------------------------------------- round trip


def test_round_trip_values_dtypes_and_attrs(tmp_path: Path) -> None:
    ds = sweep_dataset()
    target = tmp_path / "sweep.zarr"
    assert write_dataset(ds, target) == target
    back = open_dataset(target)
    assert_same(back, ds)
    # NaN stays NaN at the same places, bool stays bool
    assert np.array_equal(np.isnan(back["lyapunov"].values), ds["diverged"].values)
    assert back["diverged"].values.sum() == 2
    assert back["lyapunov"].attrs == {"units": "1/iteration", "convention": "natural log"}
    # nothing left beside the store, and the input was not modified
    assert sorted(os.listdir(tmp_path)) == ["sweep.zarr"]
    assert set(ds.attrs) == {"model", "seed", "schedule", "parameters"}


def test_round_trip_scalars_and_empty(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"h": ((), 1.5), "n": ((), np.int64(-3)), "empty": ("t", np.zeros(0))},
        coords={"t": np.zeros(0)},
    )
    write_dataset(ds, tmp_path / "s.zarr")
    assert_same(open_dataset(tmp_path / "s.zarr"), ds)


def test_zarr_v3_with_consolidated_metadata(tmp_path: Path) -> None:
    write_dataset(sweep_dataset(), tmp_path / "s.zarr")
    meta = json.loads((tmp_path / "s.zarr" / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    consolidated = meta["consolidated_metadata"]["metadata"]
    assert {"lyapunov", "period", "a", "k"} <= set(consolidated)


def test_attrs_are_converted_to_json(tmp_path: Path) -> None:
    ds = xr.Dataset(
        {"x": ("i", [1.0, 2.0], {"threshold": np.float32(0.5), "lags": (1, 2)})},
        attrs={
            "seed": np.int64(7),
            "flag": np.bool_(True),
            "ratio": np.float64(0.25),
            "grid": np.arange(6).reshape(2, 3),
            "nested": {"a": {"b": np.array([0.5, 1.5]), "c": [np.int32(1), "s"]}},
            "name": np.str_("chialvo"),
            "when": dt.datetime(2024, 5, 6, 7, 8, 9),
            "config": Path("/cfg/sweep.yaml"),
            "none": None,
        },
    )
    original = {k: v for k, v in ds.attrs.items()}
    write_dataset(ds, tmp_path / "s.zarr")
    raw = json.loads((tmp_path / "s.zarr" / "zarr.json").read_text())["attributes"]
    assert raw["seed"] == 7 and type(raw["seed"]) is int
    assert raw["flag"] is True
    assert raw["ratio"] == 0.25
    assert raw["grid"] == [[0, 1, 2], [3, 4, 5]]
    assert raw["nested"] == {"a": {"b": [0.5, 1.5], "c": [1, "s"]}}
    assert raw["name"] == "chialvo"
    assert raw["when"] == "2024-05-06T07:08:09"
    assert raw["config"] == "/cfg/sweep.yaml"
    assert raw["none"] is None
    back = open_dataset(tmp_path / "s.zarr")
    assert back["x"].attrs == {"threshold": 0.5, "lags": [1, 2]}
    assert back.attrs["nested"] == {"a": {"b": [0.5, 1.5], "c": [1, "s"]}}
    assert ds.attrs.keys() == original.keys()  # input untouched


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"z": 1 + 2j}, "attrs['z']"),
        ({"p": {"q": [1, {3, 4}]}}, "attrs['p']['q'][1]"),
        ({"o": object()}, "attrs['o']"),
        ({"r": float("nan")}, "NaN"),
        ({"r": np.array([1.0, np.inf])}, "attrs['r'][1]"),
        ({"m": {1: "a"}}, "not a string"),
        ({"b": b"raw"}, "decode"),
    ],
)
def test_unstorable_attrs_raise_clearly_and_write_nothing(
    tmp_path: Path, attrs: dict, fragment: str
) -> None:
    ds = xr.Dataset({"x": ("i", [1.0])}, attrs=attrs)
    with pytest.raises(AttrsNotStorableError, match=None) as info:
        write_dataset(ds, tmp_path / "s.zarr")
    assert fragment in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert os.listdir(tmp_path) == []


def test_unstorable_variable_attr_names_the_variable(tmp_path: Path) -> None:
    ds = xr.Dataset({"x": ("i", [1.0], {"bad": {1, 2}})})
    with pytest.raises(AttrsNotStorableError, match="variable 'x'"):
        write_dataset(ds, tmp_path / "s.zarr")


# --------------------------------------------------------------------------- provenance


def test_provenance_attrs_added_and_correct(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    write_dataset(sweep_dataset(), tmp_path / "s.zarr")
    after = dt.datetime.now(dt.UTC)
    attrs = open_dataset(tmp_path / "s.zarr").attrs
    expected = provenance()
    assert isinstance(attrs["git_revision"], str) and attrs["git_revision"]
    assert attrs["git_revision"] == expected["git_revision"]
    if attrs["git_revision"] != "unknown":
        rev = attrs["git_revision"].removesuffix("+dirty")
        assert len(rev) == 40 and int(rev, 16) >= 0
    assert attrs["package_versions"] == expected["package_versions"]
    assert attrs["package_versions"]["xarray"] == xr.__version__
    assert attrs["package_versions"]["numpy"] == np.__version__
    created = attrs[CREATED_KEY]
    assert created.endswith("Z")
    stamp = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    assert before <= stamp <= after


def test_existing_provenance_is_kept(tmp_path: Path) -> None:
    ds = sweep_dataset().assign_attrs(git_revision="abc123", created_utc="2020-01-01T00:00:00Z")
    write_dataset(ds, tmp_path / "s.zarr")
    attrs = open_dataset(tmp_path / "s.zarr").attrs
    assert attrs["git_revision"] == "abc123"
    assert attrs[CREATED_KEY] == "2020-01-01T00:00:00Z"
    assert attrs["package_versions"] == provenance()["package_versions"]


# --------------------------------------------------------------------------- lazy reading


def test_open_is_lazy_and_loads_on_access(tmp_path: Path) -> None:
    ds = sweep_dataset()
    target = tmp_path / "s.zarr"
    write_dataset(ds, target)
    lazy = open_dataset(target)
    for name in lazy.data_vars:
        var = lazy[name].variable
        assert not var._in_memory, name
        assert not isinstance(var._data, np.ndarray), name
    # Behaviour, not just types: chunks deleted after opening were never read at open time.
    # zarr returns the fill value (NaN) for a missing chunk, so the values come from disk now.
    for chunk in (target / "lyapunov" / "c").rglob("*"):
        if chunk.is_file():
            chunk.unlink()
    assert np.isnan(lazy["lyapunov"].values).all()
    # A selection reads values of the right points; .load() puts numpy arrays in memory.
    np.testing.assert_array_equal(lazy["period"].isel(a=3).values, ds["period"].isel(a=3).values)
    loaded = lazy.load()
    assert loaded["period"].variable._in_memory
    assert isinstance(loaded["period"].variable._data, np.ndarray)
    np.testing.assert_array_equal(loaded["period"].values, ds["period"].values)


def test_chunking(tmp_path: Path) -> None:
    small = sweep_dataset()
    assert auto_chunks(small) == dict(small.sizes)  # small results stay in one chunk
    big = xr.Dataset({"x": (("a", "t"), np.zeros((64, 20000)))})  # 10 MiB
    chunks = auto_chunks(big, target_bytes=2**20)
    assert chunks["a"] * chunks["t"] * 8 <= 2**20
    assert chunks["a"] * chunks["t"] * 8 > 2**19  # not needlessly small
    assert auto_chunks(big, {"a": 1}, target_bytes=2**20)["a"] == 1
    write_dataset(small, tmp_path / "s.zarr", chunks={"a": 4})
    back = open_dataset(tmp_path / "s.zarr")
    assert back["lyapunov"].encoding["chunks"] == (4, 4)
    assert back["count32"].encoding["chunks"] == (4,)
    assert_same(back, small)
    with pytest.raises(ValueError, match="'nope' is not a dimension"):
        write_dataset(small, tmp_path / "t.zarr", chunks={"nope": 2})


# --------------------------------------------------------------------------- errors on reading


def test_missing_store_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.zarr"
    with pytest.raises(FileNotFoundError, match="nothing.zarr"):
        open_dataset(missing)
    with pytest.raises(FileNotFoundError, match="nothing.zarr"):
        store_info(missing)
    (tmp_path / "empty.zarr").mkdir()
    with pytest.raises(ValueError, match="empty.zarr.*not a Zarr store"):
        open_dataset(tmp_path / "empty.zarr")
    (tmp_path / "file.zarr").write_text("hello")
    with pytest.raises(ValueError, match="file.zarr.*not a Zarr store"):
        open_dataset(tmp_path / "file.zarr")


# --------------------------------------------------------------------------- atomic overwrite


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Path, xr.Dataset]:
    old = sweep_dataset(seed=1)
    target = tmp_path / "s.zarr"
    write_dataset(old, target)
    return target, old


def test_overwrite_replaces_store(old_store: tuple[Path, xr.Dataset]) -> None:
    target, _old = old_store
    new = sweep_dataset(seed=2).isel(a=slice(0, 5))
    write_dataset(new, target)
    assert_same(open_dataset(target), new)
    assert leftover_names(target) == []


def test_exchange_swaps_directories(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "which").write_text("a")
    (b / "which").write_text("b")
    if not _atomic.exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported here")
    assert (a / "which").read_text() == "b"
    assert (b / "which").read_text() == "a"


def test_overwrite_uses_exchange(
    old_store: tuple[Path, xr.Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, _old = old_store
    calls = []
    real = _atomic.exchange

    def spy(src: Path, dst: Path) -> bool:
        calls.append((Path(src).name, Path(dst)))
        return real(src, dst)

    monkeypatch.setattr(_atomic, "exchange", spy)
    new = sweep_dataset(seed=3)
    write_dataset(new, target)
    assert len(calls) == 1 and calls[0][1] == target and calls[0][0].startswith(".s.zarr.tmp-")
    assert_same(open_dataset(target), new)
    assert leftover_names(target) == []


def test_crash_in_exchange_keeps_old_store(
    old_store: tuple[Path, xr.Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, old = old_store

    def boom(src: Path, dst: Path) -> bool:
        raise OSError("simulated crash during the swap")

    monkeypatch.setattr(_atomic, "exchange", boom)
    with pytest.raises(OSError, match="simulated crash"):
        write_dataset(sweep_dataset(seed=2), target)
    assert_same(open_dataset(target), old)
    assert leftover_names(target) == []


def test_crash_in_zarr_write_keeps_old_store(
    old_store: tuple[Path, xr.Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, old = old_store
    real = xr.Dataset.to_zarr

    def half_write(self: xr.Dataset, store: str, **kwargs: object) -> None:
        real(self[["period"]], store, **kwargs)  # something is on disk already
        raise RuntimeError("simulated failure in to_zarr")

    monkeypatch.setattr(xr.Dataset, "to_zarr", half_write)
    with pytest.raises(RuntimeError, match="simulated failure"):
        write_dataset(sweep_dataset(seed=2), target)
    assert_same(open_dataset(target), old)
    assert leftover_names(target) == []


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = xr.Dataset.to_zarr

    def half_write(self: xr.Dataset, store: str, **kwargs: object) -> None:
        real(self, store, **kwargs)
        raise RuntimeError("simulated failure in to_zarr")

    monkeypatch.setattr(xr.Dataset, "to_zarr", half_write)
    with pytest.raises(RuntimeError, match="simulated failure"):
        write_dataset(sweep_dataset(), tmp_path / "s.zarr")
    assert os.listdir(tmp_path) == []


def test_fallback_without_exchange(
    old_store: tuple[Path, xr.Dataset], monkeypatch: pytest.MonkeyPatch
) -> None:
    target, old = old_store
    monkeypatch.setattr(_atomic, "exchange", lambda src, dst: False)
    new = sweep_dataset(seed=5)
    write_dataset(new, target)
    assert_same(open_dataset(target), new)
    assert leftover_names(target) == []

    # The fallback's second rename fails: the old store is put back.
    real_rename = os.rename

    def failing_rename(src: str, dst: str) -> None:
        if Path(src).name.startswith(".s.zarr.tmp-"):
            raise OSError("simulated failure of the second rename")
        real_rename(src, dst)

    monkeypatch.setattr(_atomic.os, "rename", failing_rename)
    with pytest.raises(OSError, match="second rename"):
        write_dataset(old, target)
    monkeypatch.setattr(_atomic.os, "rename", real_rename)
    assert_same(open_dataset(target), new)
    assert leftover_names(target) == []


def test_store_caught_aside_is_reported_and_restored(old_store: tuple[Path, xr.Dataset]) -> None:
    """A crash between the fallback's two renames leaves the old store at .<name>.old-<uuid>."""
    target, old = old_store
    aside = target.parent / f".{target.name}.old-{'0' * 32}"
    os.rename(target, aside)
    with pytest.raises(FileNotFoundError, match=r"\.old-0+"):
        open_dataset(target)
    assert _atomic.cleanup_leftovers(target) == [aside]
    assert_same(open_dataset(target), old)


def test_overwrite_false_and_non_stores_are_refused(
    old_store: tuple[Path, xr.Dataset], tmp_path: Path
) -> None:
    target, old = old_store
    with pytest.raises(FileExistsError, match="overwrite"):
        write_dataset(sweep_dataset(seed=2), target, overwrite=False)
    assert_same(open_dataset(target), old)
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("do not delete")
    with pytest.raises(FileExistsError, match="without Zarr metadata"):
        write_dataset(old, precious)
    assert (precious / "thesis.tex").read_text() == "do not delete"
    (tmp_path / "emptydir").mkdir()
    write_dataset(old, tmp_path / "emptydir")  # an empty directory may be replaced
    assert_same(open_dataset(tmp_path / "emptydir"), old)
    write_dataset(old, tmp_path / "new.zarr", overwrite=False)
    assert_same(open_dataset(tmp_path / "new.zarr"), old)


def test_leftovers_ignored_by_readers_and_removed_by_next_write(
    old_store: tuple[Path, xr.Dataset],
) -> None:
    target, old = old_store
    stale = target.parent / f".{target.name}.tmp-{'a' * 32}"
    stale.mkdir()
    (stale / "zarr.json").write_text("{half written")
    assert_same(open_dataset(target), old)
    assert "tmp-" not in store_info(target)
    with _atomic.locked_temp_dir(target) as busy:  # a live writer's directory stays
        write_dataset(old, target)
        assert busy.exists()
        assert leftover_names(target) == [busy.name]
    assert not stale.exists()
    assert leftover_names(target) == []


def _crash_script(target: Path, where: str) -> str:
    return textwrap.dedent(
        f"""
        import os, sys
        import numpy as np, xarray as xr
        sys.path.insert(0, {str(REPO)!r})
        from neurodyn.store import _atomic, write_dataset
        real_to_zarr = xr.Dataset.to_zarr

        def die_after_write(self, store, **kw):
            real_to_zarr(self, store, **kw)
            os._exit(3)

        def die(*args, **kw):
            os._exit(3)

        if {where!r} == "to_zarr":
            xr.Dataset.to_zarr = die_after_write
        else:
            _atomic._rmtree = die
        ds = xr.Dataset({{"x": ("i", np.arange(5.0) + 100)}}, coords={{"i": np.arange(5)}})
        write_dataset(ds, {str(target)!r})
        """
    )


@pytest.mark.parametrize("where", ["to_zarr", "after_exchange"])
def test_real_crash_leaves_a_complete_store(old_store: tuple[Path, xr.Dataset], where: str) -> None:
    """Kill a writing process (os._exit) after the data is written / after the swap."""
    target, old = old_store
    if where == "after_exchange":
        probe = target.parent / "probe"
        probe.mkdir()
        if not _atomic.exchange(probe, target) or not _atomic.exchange(probe, target):
            pytest.skip("renameat2(RENAME_EXCHANGE) not supported here")
        probe.rmdir()
    run = subprocess.run([sys.executable, "-c", _crash_script(target, where)], timeout=120)
    assert run.returncode == 3
    assert len(leftover_names(target)) == 1  # the crashed writer's directory
    back = open_dataset(target)
    if where == "to_zarr":
        assert_same(back, old)  # the old store, complete
    else:
        np.testing.assert_array_equal(back["x"].values, np.arange(5.0) + 100)  # the new one
    write_dataset(old, target)
    assert leftover_names(target) == []
    assert_same(open_dataset(target), old)


# --------------------------------------------------------------------------- merging


def _write_parts(
    ds: xr.Dataset, tmp_path: Path, selections: list[dict], prefix: str = "part"
) -> list[Path]:
    return [
        write_dataset(ds.isel(sel), tmp_path / f"{prefix}{i}.zarr")
        for i, sel in enumerate(selections)
    ]


def test_merge_three_parts_equals_whole(tmp_path: Path) -> None:
    whole = sweep_dataset()
    parts = _write_parts(
        whole, tmp_path, [{"a": slice(3, 6)}, {"a": slice(6, 9)}, {"a": slice(0, 3)}]
    )
    out = merge_stores(parts, tmp_path / "merged.zarr")
    merged = open_dataset(out)
    assert_same(merged, whole)
    assert [m["path"] for m in merged.attrs["merged_from"]] == [str(p) for p in parts]
    assert merged.attrs["git_revision"] == provenance()["git_revision"]


def test_merge_blocks_on_two_axes_with_overlap(tmp_path: Path) -> None:
    whole = sweep_dataset()
    selections = [
        {"a": slice(0, 5), "k": slice(0, 2)},
        {"a": slice(4, 9), "k": slice(0, 2)},  # overlaps the first at a=0.5 (same values)
        {"a": slice(0, 9), "k": slice(2, 4)},
        {"a": slice(0, 5), "k": slice(0, 2)},  # a repeated part
    ]
    out = merge_stores(_write_parts(whole, tmp_path, selections), tmp_path / "m.zarr")
    assert_same(open_dataset(out), whole)


def test_merge_interleaved_parts_streams_like_combine(tmp_path: Path) -> None:
    """Parts whose labels interleave (every other value of a) land by orthogonal selection;
    the streamed store equals both the whole and the in-memory combine_parts."""
    whole = sweep_dataset()
    selections = [{"a": slice(0, 9, 2), "k": slice(0, 4)}, {"a": slice(1, 9, 2)}]
    paths = _write_parts(whole, tmp_path, selections)
    merged = open_dataset(merge_stores(paths, tmp_path / "m.zarr"))
    assert_same(merged, whole)
    assert_same(combine_parts([open_dataset(p).load() for p in paths]), whole)


def test_merge_inconsistent_overlap_is_an_error(tmp_path: Path) -> None:
    whole = sweep_dataset()
    bad = whole.isel(a=slice(0, 3)).copy(deep=True)
    bad["period"][1, 2] += 1
    paths = _write_parts(whole, tmp_path, [{"a": slice(0, 3)}, {"a": slice(3, 9)}])
    paths.append(write_dataset(bad, tmp_path / "bad.zarr"))
    with pytest.raises(ValueError, match="overlap inconsistently.*'period'.*a=0.2"):
        merge_stores(paths, tmp_path / "m.zarr")
    assert not (tmp_path / "m.zarr").exists()
    # NaN vs a number is a disagreement too (NaN marks divergence)
    nan = whole.isel(a=slice(0, 3)).copy(deep=True)
    nan["lyapunov"][0, 0] = np.nan
    paths[2] = write_dataset(nan, tmp_path / "bad.zarr")
    with pytest.raises(ValueError, match="'lyapunov'"):
        merge_stores(paths, tmp_path / "m.zarr")


@pytest.mark.parametrize(
    ("key", "value"), [("model", "rulkov"), ("seed", 54321), ("schedule", {"transient": 10})]
)
def test_merge_mismatched_attrs_is_an_error(tmp_path: Path, key: str, value: object) -> None:
    whole = sweep_dataset()
    paths = _write_parts(whole, tmp_path, [{"a": slice(0, 3)}, {"a": slice(3, 6)}])
    odd = whole.isel(a=slice(6, 9)).assign_attrs({key: value})
    paths.append(write_dataset(odd, tmp_path / "odd.zarr"))
    with pytest.raises(ValueError, match=f"attribute '{key}' disagrees.*odd.zarr"):
        merge_stores(paths, tmp_path / "m.zarr")
    assert not (tmp_path / "m.zarr").exists()
    merged = open_dataset(merge_stores(paths, tmp_path / "m.zarr", ignore_attrs=[key]))
    assert key not in merged.attrs
    assert_same(merged, without_attr(whole, key))


def without_attr(ds: xr.Dataset, key: str) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k != key}
    return out


def test_merge_other_errors(tmp_path: Path) -> None:
    whole = sweep_dataset()
    paths = _write_parts(whole, tmp_path, [{"a": slice(0, 3)}, {"a": slice(5, 9)}])
    # a missing block of a 2-D grid
    blocks = _write_parts(
        whole,
        tmp_path,
        [
            {"a": slice(0, 5), "k": slice(0, 2)},
            {"a": slice(5, 9), "k": slice(0, 2)},
            {"a": slice(0, 5), "k": slice(2, 4)},
        ],
        prefix="block",
    )
    with pytest.raises(ValueError, match="do not cover the whole grid.*a=0.6.*k=0.5"):
        merge_stores(blocks, tmp_path / "m.zarr")
    # variable attributes must agree
    units = whole.isel(a=slice(3, 5)).copy()
    units["lyapunov"].attrs["units"] = "1/s"
    with pytest.raises(ValueError, match="attributes of variable 'lyapunov'"):
        merge_stores([*paths, write_dataset(units, tmp_path / "u.zarr")], tmp_path / "m.zarr")
    # different revisions
    rev = whole.isel(a=slice(3, 5)).assign_attrs(git_revision="0" * 40)
    mixed = [*paths, write_dataset(rev, tmp_path / "r.zarr")]
    with pytest.raises(ValueError, match="different git_revision"):
        merge_stores(mixed, tmp_path / "m.zarr")
    merged = open_dataset(merge_stores(mixed, tmp_path / "m.zarr", allow_mixed_provenance=True))
    assert "0" * 40 in merged.attrs["git_revision"].split(" | ")
    assert_same(merged, whole)
    # coordinates computed separately in each part, one ulp apart
    shifted = whole.isel(a=slice(2, 5)).assign_coords(a=[np.nextafter(0.3, 1.0), 0.4, 0.5])
    with pytest.raises(ValueError, match="nearly equal but not identical"):
        merge_stores([*paths, write_dataset(shifted, tmp_path / "c.zarr")], tmp_path / "m.zarr")
    # missing part, no parts
    with pytest.raises(FileNotFoundError, match="gone.zarr"):
        merge_stores([*paths, tmp_path / "gone.zarr"], tmp_path / "m.zarr")
    with pytest.raises(ValueError, match="no part"):
        merge_stores([], tmp_path / "m.zarr")


# --------------------------------------------------------------------------- info


def test_store_info_summarises(tmp_path: Path) -> None:
    target = write_dataset(sweep_dataset(), tmp_path / "s.zarr")
    text = store_info(target)
    assert "a=9, k=4, state=2" in text
    assert "0.1 … 0.9 (9 values, step 0.1)" in text
    assert "[0, 0.25, 0.5, 0.75]" in text
    assert "lyapunov" in text and "float64" in text and "units=1/iteration" in text
    assert "convention=natural log" in text
    assert "period" in text and "int64" in text and "diverged" in text and "bool" in text
    assert "model: chialvo" in text and "seed: 12345" in text
    assert f"git revision: {provenance()['git_revision']}" in text
    assert f"xarray {xr.__version__}" in text


def test_mapping_attrs_are_stored_as_json_objects_and_old_text_attrs_still_read(
    tmp_path: Path,
) -> None:
    ds = sweep_dataset()
    target = write_dataset(ds, tmp_path / "new.zarr")
    raw = json.loads((target / "zarr.json").read_text())["attributes"]
    assert raw["parameters"] == {"b": 0.6, "c": 0.28}
    assert raw["package_versions"] == provenance()["package_versions"]
    # a store written when mappings were JSON text: read and summarised the same way
    old = ds.copy()
    old.attrs = {
        **ds.attrs,
        "parameters": json.dumps(ds.attrs["parameters"]),
        "package_versions": json.dumps({"numpy": "1.2.3", "zarr": "3.0.0"}),
    }
    text = store_info(write_dataset(old, tmp_path / "old.zarr"))
    assert "package versions: numpy 1.2.3, zarr 3.0.0" in text
    assert "  parameters:\n    b: 0.6\n    c: 0.28\n" in text
    assert attr_value(open_dataset(tmp_path / "old.zarr").attrs["parameters"]) == {
        "b": 0.6,
        "c": 0.28,
    }
    assert attr_value("[not json") == "[not json" and attr_value(3) == 3
