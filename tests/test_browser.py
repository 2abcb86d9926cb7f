"""Browser tier: in headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium), the HTML report shows its figures, and JupyterLab opens a jupytext percent script
(as notebooks/*.py are) as a notebook and runs it in the server's kernel. Everything started
here (the browser, the JupyterLab server and its kernels) is stopped here.
Skipped where Chromium is not installed (``.ci/run`` installs it on Debian)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver")
nbformat = pytest.importorskip("nbformat")
jupytext = pytest.importorskip("jupytext")
pytest.importorskip("jupyterlab")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from neurodyn.models import get_model  # noqa: E402
from neurodyn.report import write_report  # noqa: E402
from neurodyn.sim import sweep  # noqa: E402
from neurodyn.store import write_dataset  # noqa: E402

TOKEN = "neurodyn-browser-tests"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    driver.set_window_size(1400, 1000)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_figures_load(browser, tmp_path):
    ds = sweep(
        get_model("chialvo"), {"b": np.linspace(0.1, 0.7, 4), "k": [0.02, 0.04]},
        steps=1200, keep=100,
    )  # fmt: skip
    store = write_dataset(ds, tmp_path / "sweep.zarr", durable=False)
    page = write_report(store, None, tmp_path / "report")
    browser.get(page.as_uri())
    images = browser.find_elements(By.TAG_NAME, "img")
    assert len(images) >= 3
    for image in images:
        width, height = browser.execute_script(
            "return arguments[0].complete ? [arguments[0].naturalWidth, "
            "arguments[0].naturalHeight] : [0, 0]",
            image,
        )
        source = tmp_path / "report" / image.get_attribute("src").split("/report/", 1)[1]
        assert (width, height) == Image.open(source).size, source.name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over ``tmp_path`` (the app exposed to the page's scripts); its URL."""
    port = _free_port()
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115  (closed below)
    runtime = tmp_path / ".jupyter-runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(runtime)}
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
            "--ServerApp.allow_root=True",  # CI runs as root
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the JupyterLab server did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        _stop(server)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    """Stop ``process`` and everything it started (its process group)."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, None)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    # the kernels the server started share its process group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def test_jupyterlab_opens_a_percent_script_as_a_notebook_and_runs_it(browser, lab, tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }  # fmt: skip
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from neurodyn.models import get_model\n"
            "from neurodyn.sim import iterate_batch\n"
            "import numpy as np\n"
            "run = iterate_batch(get_model('logistic'), np.array([[0.2]]), np.array([[3.2]]),\n"
            "                    steps=2000, keep=2)\n"
            "print('orbit', *np.round(np.sort(run.kept.ravel()), 6))"
        )
    ]
    (tmp_path / "check.py").write_text(jupytext.writes(notebook, "py:percent"))
    browser.get(f"{lab}/lab?token={TOKEN}")
    started = "return !!(window.jupyterapp && window.jupyterapp.docRegistry.getWidgetFactory("
    started += "'Jupytext Notebook'));"
    WebDriverWait(browser, 120, poll_frequency=0.5).until(lambda d: d.execute_script(started))
    # Once the layout is restored (else the restorer may activate another tab), open the script
    # with jupytext's notebook factory, wait for its kernel, and run all its cells.
    browser.set_script_timeout(180)
    opened = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const app = window.jupyterapp;
        app.restored
          .then(() => app.commands.execute(
            'docmanager:open', {path: 'check.py', factory: 'Jupytext Notebook'}))
          .then(async (widget) => {
            await widget.context.ready;
            await widget.sessionContext.ready;
            app.shell.activateById(widget.id);
            await app.commands.execute('notebook:run-all-cells');
            const kernel = !!widget.sessionContext.session.kernel;
            done(`${widget.content.widgets.length} cell, kernel ${kernel}`);
          })
          .catch((error) => done('error: ' + error));
        """
    )
    assert opened == "1 cell, kernel true", opened

    def output(driver) -> str:
        texts = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")]
        return next((t for t in texts if "orbit" in t or "Error" in t), "")

    shown = WebDriverWait(browser, 180, poll_frequency=0.5).until(output)
    # the logistic map's 2-cycle at r = 3.2: x = (r + 1 -+ sqrt((r + 1)(r - 3))) / (2 r)
    r = 3.2
    exact = (r + 1 + np.array([-1, 1]) * np.sqrt((r + 1) * (r - 3))) / (2 * r)
    words = shown.split()
    assert words[0] == "orbit", shown
    np.testing.assert_allclose([float(w) for w in words[1:]], exact, atol=1e-6)
