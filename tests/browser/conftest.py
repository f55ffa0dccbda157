"""Session fixtures for the server and browser tests: system Chromium, one Playwright browser, and one JupyterLab
server for all of them, started by `make lab` (as a student starts it) and serving the kit's root.

The browser tests run temporary copies of `notebooks/` (under test-artifacts/, see `lab_root`), so JupyterLab's
autosave can never touch the committed lessons; test_make_lab.py only reads the committed start notebook. All of
it is per xdist worker; `make test` runs it with `--dist loadfile`, and tests/conftest.py keeps this folder's
two files on one worker (group "lab"), so the server is started once.
"""

import shutil
import tempfile
from pathlib import Path

import pytest
from lab_browser import ChromiumUnavailable, LabServer, ensure_chromium

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as reason:
        pytest.skip(f"Chromium is not installed and cannot be installed here: {reason}")


@pytest.fixture(scope="module")
def browser(chromium):
    # Module scope: Playwright's sync API keeps an asyncio loop running while it is open; closing it when this
    # module is done keeps that loop from leaking into other tests run later by the same pytest process.
    # Imported here so that collecting the tests never needs Playwright's driver.
    from lab_browser import CHROMIUM_FLAGS
    from playwright.sync_api import sync_playwright

    # executable_path: the system Chromium; Playwright never downloads or uses a browser of its own here.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def lab_page(browser):
    """One page of one browser context: JupyterLab is loaded in it once, and the lessons are opened one after
    another (see run_notebook)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def lab_root() -> Path:
    """The folder the browser tests run notebooks in, inside the served root: a copy of notebooks/ and a link to
    data/ (for notebooks that read it by a relative path; the `appraisal` package finds the kit's data/ by
    itself). Removed at the end."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="lab-root-", dir=ROOT / "test-artifacts"))
    try:
        shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """One JupyterLab for the whole run, started by `make lab` in the kit's root (so it serves the kit's root)."""
    server = LabServer(root_dir=ROOT, work_dir=tmp_path_factory.mktemp("lab-server"), make_dir=ROOT)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def page(browser):
    """A page of a browser window 1280 px wide, as an instructor's laptop shows the reports."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()

