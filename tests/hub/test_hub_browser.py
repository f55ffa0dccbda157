"""A class on the demo hub of `make hub`, in a real browser (Playwright driving Debian's Chromium, as tests/browser).

Three students log in, follow the nbgitpuller link (from `coursekit hub-link`) to the student repository (from
`coursekit student-repo`, on this machine through file://: no network), run lesson 00 to the end with no errors,
edit the "Try it" cell and save. The instructor then changes the same notebook; each student follows the link
again and finds both their own edit and the instructor's other change. `make hub-stop` then stops everything.
Screenshots of each step go to test-artifacts/hub/. Skips, saying why, where the hub or Chromium is missing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hub_env import HUB, LESSON, ORIGINAL_LINE, STUDENT_LINE, hub_missing, instructor_update

from coursekit.hub import hub_link, student_repo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from lab_browser import (  # noqa: E402
    CHROMIUM_FLAGS,
    LAB_SETTINGS,
    ChromiumUnavailable,
    _screenshot,
    ensure_chromium,
    run_notebook,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STUDENTS = ("student1", "student2", "student3")
PASSWORD = "hype-demo"
ARTIFACTS = ROOT / "test-artifacts" / "hub"
REPO = "hype-course"
PATH = f"{REPO}/{LESSON}"  # the lesson as each student's server names it

_JS_SOURCES = """
() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
        return p && p.content ? p.content.widgets.map(c => c.model.sharedModel.getSource()) : null; }
"""
_JS_OPENED = """
(path) => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            return !!p && !!p.context && p.context.path === path && p.context.isReady; }
"""


def _free_ports(count: int = 3) -> int:
    """A port p with p .. p+count-1 free on 127.0.0.1 (the hub, its API, the proxy's API)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            held = []
            for offset in range(count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError("no three free ports in a row")


@pytest.fixture(scope="module")
def chromium() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as reason:
        pytest.skip(f"Chromium is not installed and cannot be installed here: {reason}")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return student_repo(tmp_path_factory.mktemp("instructor") / REPO, ROOT).path


@pytest.fixture(scope="module")
def hub(tmp_path_factory, chromium):
    """The demo hub, started by `make hub` (in the background) and stopped by `make hub-stop`."""
    why = hub_missing()
    if why:
        pytest.skip(why)
    work = tmp_path_factory.mktemp("hub")
    settings = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values), encoding="utf-8")
    state, port = work / "state", _free_ports()
    env = {**os.environ, "H2M_HUB_LAB_SETTINGS": str(settings)}
    started = subprocess.run(
        ["make", "--no-print-directory", "hub", f"HUB_PORT={port}", f"HUB_STATE={state}", "HUB_ARGS=--background"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert started.returncode == 0, f"make hub failed:\n{started.stdout[-3000:]}\n{started.stderr[-3000:]}"
    try:
        yield {"url": f"http://127.0.0.1:{port}", "state": state}
    finally:
        stopped = subprocess.run(["make", "--no-print-directory", "hub-stop", f"HUB_STATE={state}"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        print(stopped.stdout, stopped.stderr)
    assert stopped.returncode == 0 and "nothing of it is running" in stopped.stdout, stopped.stdout
    sys.path.insert(0, str(HUB))
    from hubctl import marked_processes

    assert marked_processes(state) == [], "processes of the hub are still running after make hub-stop"


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _follow_link(page, link: str, shot: Path) -> list[str]:
    """Open the nbgitpuller link; wait until JupyterLab shows the lesson; return the notebook's cell sources."""
    page.goto(link)
    page.wait_for_function(_JS_OPENED, arg=PATH, timeout=180_000)  # spawn, clone or pull, open
    page.wait_for_timeout(500)
    _screenshot(page, shot)
    return page.evaluate(_JS_SOURCES)


def _edit_try_it(page, mine: str) -> None:
    """Type the student's line into the "Try it" cell in place of its first line, then save (Ctrl+S)."""
    sources = page.evaluate(_JS_SOURCES)
    index = next(i for i, source in enumerate(sources) if source.startswith(ORIGINAL_LINE))
    page.set_viewport_size({"width": 1400, "height": 1000})
    editor = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+End")
    page.keyboard.type(mine)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    page.wait_for_function(
        """() => { const p = window.jupyterapp.shell.currentWidget; return !p.context.model.dirty; }""",
        timeout=30_000,
    )
    assert page.evaluate(_JS_SOURCES)[index].startswith(mine)


def test_three_students_pull_run_edit_and_keep_their_edit_after_an_update(hub, published, browser):
    started = time.monotonic()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    link = hub_link(hub["url"], published.as_uri(), branch="main", path=LESSON)
    pages, timings = {}, {}
    for student in STUDENTS:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = pages[student] = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{hub['url']}/hub/login")
        page.fill("#username_input", student)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        page.wait_for_url("**/user/**", timeout=180_000)
        sources = _follow_link(page, link, ARTIFACTS / f"{student}-1-pulled.png")
        assert any(source.startswith(ORIGINAL_LINE) for source in sources), "lesson 00 is not the kit's"
        run = run_notebook(browser, None, PATH, ARTIFACTS / f"{student}-2-ran-lesson-00.png", timeout=180,
                           page=page)
        assert not run.errors and not run.dom_errors, f"{student}: errors in lesson 00: {run.errors or run.dom_errors}"
        assert run.executed_cells == run.code_cells, f"{student}: {run.executed_cells} of {run.code_cells} cells ran"
        assert not run.dialog, f"{student}: a dialog is open after the run: {run.dialog}"
        timings[student] = round(run.seconds, 1)
        _edit_try_it(page, STUDENT_LINE.format(student=student))
        _screenshot(page, ARTIFACTS / f"{student}-3-edited.png")
        saved = json.loads((hub["state"] / "home" / student / PATH).read_text(encoding="utf-8"))
        assert any(STUDENT_LINE.format(student=student) in "".join(cell["source"]) for cell in saved["cells"])

    sentence, theirs = instructor_update(published, ORIGINAL_LINE)

    for student in STUDENTS:
        sources = _follow_link(pages[student], link, ARTIFACTS / f"{student}-4-after-update.png")
        text = "\n".join(sources)
        assert STUDENT_LINE.format(student=student) in text, f"{student}'s edit was lost by the update"
        assert theirs not in text, f"{student}: the instructor's line replaced the student's"
        assert sentence in text, f"{student}: the instructor's change did not arrive"
        other = [s for s in STUDENTS if s != student]
        assert not any(STUDENT_LINE.format(student=o) in text for o in other), "students share a copy"
        pages[student].context.close()
    print(f"hub browser test: {time.monotonic() - started:.0f} s; Run All of lesson 00 per student (s): {timings}")
