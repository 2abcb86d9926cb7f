"""Kernels compiled in one process and loaded from numba's disk cache in another give the same
numbers, and kernels of different models loaded into one process do not mix up."""

import json
import os
import subprocess
import sys

import pytest

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


NEWTON = """
import json
import numpy as np
from neurodyn.analysis.bifurcation import newton_cycles
from neurodyn.analysis.bifurcation.derivatives import map_derivatives
from neurodyn.analysis.bifurcation.fixed_points import _newton_kernel
from neurodyn.models import compile_model, get_model
from neurodyn.neuralmass import steady_states
from neurodyn.neuralmass.wilson_cowan import _newton

henon = get_model("henon")
seeds, parameters = np.array([[0.5, -1.0], [0.2, 0.3]]), np.array([[1.4, 1.4], [0.3, 0.3]])
X, status = newton_cycles(henon, seeds, parameters, period=2)
states = steady_states("fitzhugh_nagumo", starts_per_axis=5)
deriv = map_derivatives(henon)
flow = compile_model(get_model("fitzhugh_nagumo"))
kernels = [
    _newton_kernel(deriv.point_derivatives, deriv.n, deriv.m, False),
    _newton(flow.evaluate, flow.evaluate_jacobian),
]
print(json.dumps({
    "numbers": [X.ravel().tolist(), status.tolist(), [s.state.tolist() for s in states]],
    "hits": [sum(k.stats.cache_hits.values()) for k in kernels],
    "misses": [sum(k.stats.cache_misses.values()) for k in kernels],
}))
"""


@pytest.mark.slow
def test_newton_kernels_of_cycles_and_steady_states_are_cached_on_disk(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def run():
        done = subprocess.run(
            [sys.executable, "-c", NEWTON], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    cold, warm = run(), run()
    assert cold["misses"] == [1, 1] and cold["hits"] == [0, 0]
    assert warm["misses"] == [0, 0] and warm["hits"] == [1, 1]
    assert warm["numbers"] == cold["numbers"]
    assert cold["numbers"][1] == [1, 1]  # both seeds converged (f^2(x) = x)


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
