"""Every notebook in notebooks/ (jupytext percent scripts) runs top to bottom on a small study.

Each is converted with jupytext and executed with nbclient in a kernel of the interpreter that
runs the tests (a kernelspec written for it in a temporary folder), as JupyterLab runs it: with
the kernel's working directory in ``notebooks/`` of a repository whose default study's stores
(a sweep store with its measures and an orbit-diagram store, as the workflow writes them) are
a small study built here, at ``results/<study>/`` where the workflow puts them. Only the
notebooks' own size knobs are set through the environment. A notebook gets a time budget
(default :data:`DEFAULT_BUDGET_S`): a hang guard, not a benchmark.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402
from test_report import build_study  # noqa: E402

from neurodyn.workflow import study_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
#: Seconds a notebook may take; generous, so that only a hang or a runaway run trips it.
DEFAULT_BUDGET_S = 180
BUDGET_S = {
    "bifurcation_explorer": 120,
    "synchronization": 120,
    "wilson_cowan": 150,
    "marino_digits": 600,
    "trained_models": 300,
    "reconstruction": 300,
}
#: Environment of the kernel: the notebooks' size knobs turned down.
SMALL_RUN = {
    "MARINO_EPOCHS": "1",
    "TRAINED_MODELS_EPOCHS": "2",
    "COHERENCE_STEPS": "30000",
    "RECONSTRUCTION_EPOCHS": "2",
}
HOLOVIEWS = "application/vnd.holoviews_exec.v0+json"
#: What a notebook must show: {MIME type: at least how many outputs of it}.
SHOWN = {
    "bifurcation_explorer": {HOLOVIEWS: 4},
    "synchronization": {HOLOVIEWS: 2, "image/png": 2},
    "wilson_cowan": {"image/png": 3},
}
KERNEL = "neurodyn-tests"


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A repository laid out as a user's checkout after running the default study: Snakefile,
    workflows/config, notebooks/ and results/<study>/{sweep,orbit}.zarr."""
    root = tmp_path_factory.mktemp("repository")
    shutil.copy(ROOT / "Snakefile", root / "Snakefile")
    shutil.copytree(ROOT / "workflows" / "config", root / "workflows" / "config")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    build_study(study_results(start=root))
    return root


@pytest.fixture(scope="module")
def kernels(tmp_path_factory) -> KernelSpecManager:
    """A kernelspec that starts this interpreter's ipykernel."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "neurodyn tests",
                "language": "python",
            }
        )
    )
    return KernelSpecManager(kernel_dirs=[str(root)])


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, repository, kernels, monkeypatch):
    for key, value in SMALL_RUN.items():
        monkeypatch.setenv(key, value)
    notebook = jupytext.read(path)
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    budget = BUDGET_S.get(path.stem, DEFAULT_BUDGET_S)
    start = time.monotonic()

    def within_budget(cell, cell_index, execute_reply):
        elapsed = time.monotonic() - start
        if elapsed > budget:
            raise TimeoutError(
                f"{path.name}: {elapsed:.0f} s after cell {cell_index}, budget {budget} s"
            )

    client = nbclient.NotebookClient(
        notebook,
        km=KernelManager(kernel_name=KERNEL, kernel_spec_manager=kernels),
        timeout=budget,
        resources={"metadata": {"path": str(repository / "notebooks")}},
        on_cell_executed=within_budget,
    )
    client.execute()
    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out["output_type"] == "error"]
    stderr = "".join(
        out["text"] for out in outputs if out["output_type"] == "stream" and out["name"] == "stderr"
    )
    assert "Traceback" not in stderr
    assert outputs, f"{path.name} showed nothing"
    for mime, count in SHOWN.get(path.stem, {}).items():
        assert sum(mime in out.get("data", {}) for out in outputs) >= count, mime
    if any(HOLOVIEWS in out.get("data", {}) for out in outputs):
        # BokehJS is embedded (an exported HTML copy shows the plots offline), not loaded from
        # a CDN
        scripts = json.dumps([out.get("data", {}) for out in outputs])
        assert "cdn.bokeh.org" not in scripts
        assert scripts.count("Bokeh") > 100 and len(scripts) > 1_000_000
