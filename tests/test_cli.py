"""The neurodyn command: bad input exits with code 2 naming the problem and writes nothing;
a sweep writes a store whose values equal the library call."""

import numpy as np
import pytest
from click.testing import CliRunner

from neurodyn.cli import main
from neurodyn.models import get_model
from neurodyn.sim import sweep
from neurodyn.store import open_dataset


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "chialvox", "--sweep", "b=0:1:3"], "unknown model 'chialvox'"),
        (["simulate", "chialvo", "--set", "kk=0.1", "--sweep", "b=0:1:3"], "unknown parameter"),
        (["simulate", "chialvo", "--sweep", "b=0:50:3"], "outside its valid range"),
        (["simulate", "chialvo", "--sweep", "b=0:1"], "malformed sweep"),
        (["simulate", "chialvo", "--set", "k=abc", "--sweep", "b=0:1:3"], "malformed setting"),
        (["simulate", "chialvo", "--sweep", "b=0:1:3", "--sweep", "b=1,2"], "swept twice"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out.zarr"
    result = CliRunner().invoke(main, [*args, "--out", str(out), "--steps", "100", "--keep", "10"])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_simulate_writes_the_sweep_and_info_describes_it(tmp_path):
    out = tmp_path / "chialvo.zarr"
    args = ["simulate", "chialvo", "--set", "k=0.03", "--sweep", "b=0.1:0.7:7"]
    args += ["--steps", "2000", "--keep", "50", "--out", str(out), "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "7 runs, 0 diverged" in result.output
    stored = open_dataset(out)
    direct = sweep(get_model("chialvo"), {"b": np.linspace(0.1, 0.7, 7)}, {"k": 0.03},
                   steps=2000, keep=50)
    np.testing.assert_array_equal(stored["x"].values, direct["x"].values)
    np.testing.assert_array_equal(stored["b"].values, direct["b"].values)
    info = CliRunner().invoke(main, ["info", str(out)])
    assert info.exit_code == 0
    assert "chialvo" in info.output and "b" in info.output
    versions = stored.attrs["package_versions"]
    assert versions["numpy"] == np.__version__
    assert "package versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) in info.output
    assert "  equations:\n    x: x**2 * exp(y - x) + k\n    y: a*y - b*x + c\n" in info.output


def test_models_lists_and_describes():
    listing = CliRunner().invoke(main, ["models"])
    assert listing.exit_code == 0 and "rulkov2001" in listing.output
    described = CliRunner().invoke(main, ["models", "chialvo"])
    assert described.exit_code == 0 and "Chialvo" in described.output
    unknown = CliRunner().invoke(main, ["models", "nope"])
    assert unknown.exit_code == 2 and "unknown model" in unknown.output
