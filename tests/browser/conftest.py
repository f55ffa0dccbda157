"""Session fixtures for the browser tests: system Chromium, one Playwright browser, one JupyterLab server.

The server serves a temporary copy of `notebooks/`, so JupyterLab's autosave can never touch the committed
lessons. All of it is per xdist worker; `make test` runs it with `--dist loadfile`, so one worker gets the whole file (tests/conftest.py).
"""

import shutil
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


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """The folder the server serves: a copy of notebooks/ and a link to data/ (for notebooks that read it by a
    relative path; the `appraisal` package finds the kit's data/ by itself)."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def lab(chromium, lab_root, tmp_path_factory):
    server = LabServer(root_dir=lab_root, work_dir=tmp_path_factory.mktemp("lab-server"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
