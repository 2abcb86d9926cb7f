"""Kernels compiled in one process and loaded from numba's disk cache in another give the same
numbers, and kernels of different models loaded into one process do not mix up."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json, sys
import numpy as np
from neurodyn.analysis.lyapunov import lyapunov_spectrum
from neurodyn.models import get_model
from neurodyn.sim import iterate_batch

CASES = {
    "logistic": (np.array([[0.3]]), np.array([[3.9]])),
    "henon": (np.array([[0.1], [0.1]]), np.array([[1.4], [0.3]])),
}
out = {}
for name in sys.argv[1:]:
    X, P = CASES[name]
    model = get_model(name)
    spectrum = lyapunov_spectrum(model, X, P, steps=3000, transient=100, segments=1)
    orbit = iterate_batch(model, X, P, steps=50, transient=10, keep=50)
    out[name] = [spectrum.exponents.ravel().tolist(), orbit.kept.ravel().tolist()]
print(json.dumps(out))
"""


def _run(cache_dir, *models):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *models], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_cached_kernels_of_two_models_load_into_one_process(tmp_path):
    first = _run(tmp_path, "logistic")
    second = _run(tmp_path, "henon")
    assert any(tmp_path.rglob("*.nbc")), "nothing was cached"
    both = _run(tmp_path, "logistic", "henon")
    assert both == {**first, **second}


WARM = """
import json, sys
import numpy as np
from neurodyn.models import get_model
from neurodyn.sim import iterate_batch

orbit = iterate_batch(get_model("henon"), np.array([[0.1], [0.1]]), np.array([[1.4], [0.3]]),
                      steps=50, keep=50)
print(json.dumps([orbit.kept.ravel().tolist(), "sympy" in sys.modules]))
"""


def test_warm_process_generates_no_code(tmp_path):
    """The second process finds the generated source (and the kernels) cached: it imports
    neither sympy nor the generator, and gets the same numbers."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", WARM], env=env, capture_output=True, text=True)
        for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), runs[-1].stderr
    (cold, cold_sympy), (warm, warm_sympy) = (json.loads(r.stdout.splitlines()[-1]) for r in runs)
    assert cold_sympy and not warm_sympy
    assert warm == cold
    assert len(list((tmp_path / "neurodyn-source").glob("*.src"))) == 1


def test_importing_the_simulator_and_cli_loads_no_heavy_libraries():
    """``import neurodyn.sim`` and the CLI module leave sympy, xarray and torch unimported, and so
    does checking an equation whose constants are within the grammar's limits."""
    code = (
        "import sys, neurodyn.sim, neurodyn.cli, neurodyn.models\n"
        "neurodyn.models.get_model('chialvo')\n"
        "neurodyn.models.expressions.check_expression('x**-1024 + 2**1023/3 - exp(-1e3)', 'x')\n"
        "print([m for m in ('sympy', 'xarray', 'torch') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
