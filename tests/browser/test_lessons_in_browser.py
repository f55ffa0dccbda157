"""Every lesson runs in JupyterLab in a real browser, as a student would run it: Run → Run All Cells, no errors.

Headless Debian Chromium driven by Playwright for Python (see lab_browser.py); a screenshot of each executed
notebook goes to test-artifacts/browser/<notebook>.png.
"""

from pathlib import Path

import nbformat
import pytest
from lab_browser import run_notebook

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
if (ROOT / "notebooks" / "glossary.ipynb").exists():
    NOTEBOOKS.append(ROOT / "notebooks" / "glossary.ipynb")
RUN_TIMEOUT = 120  # seconds for Run All in one notebook


def _report(run) -> str:
    # The notebook model names each error; the page check is listed only if it saw something the model did not.
    found = run.errors or [f"(seen in the page) {error}" for error in run.dom_errors]
    listed = "\n".join(f"  - {error}" for error in found)
    return f"{run.path}: error output(s) after Run All Cells in the browser:\n{listed}\nscreenshot: {run.screenshot}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_lesson_runs_in_the_browser_without_errors(notebook, browser, lab_page, lab, lab_root, artifacts):
    path = f"{lab_root.relative_to(ROOT).as_posix()}/notebooks/{notebook.name}"  # the copy, as the server names it
    run = run_notebook(browser, lab, path, artifacts / f"{notebook.stem}.png", timeout=RUN_TIMEOUT, page=lab_page)
    assert not run.errors and not run.dom_errors, _report(run)
    assert not run.dialog, f"a dialog is open after the run: {run.dialog}"
    assert run.executed_cells == run.code_cells, f"only {run.executed_cells} of {run.code_cells} code cells ran"


def _broken_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    stale = nbformat.v4.new_code_cell("print('never runs: Run All stops at the NameError above')")
    # An error stored in the file from an older run: clearing outputs first must make it go away.
    stale.outputs = [nbformat.v4.new_output("error", ename="StaleError", evalue="stored, not produced", traceback=[])]
    stale.execution_count = 9
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A deliberately broken notebook"),
        nbformat.v4.new_code_cell(
            "import sys, warnings\n"
            "print('only a warning on stderr', file=sys.stderr)\n"
            "warnings.warn('a harmless warning')"
        ),
        nbformat.v4.new_code_cell("1 / 0  # expected to fail", metadata={"tags": ["raises-exception"]}),
        nbformat.v4.new_code_cell("undefined_name + 1"),
        stale,
    ]
    return nb


def test_broken_notebook_is_caught(browser, lab_page, lab, lab_root, artifacts):
    """The check can fail: a NameError is reported (from the model and from the page), while a stderr warning,
    a cell tagged raises-exception and an error stored from an older run are not."""
    folder = lab_root / "selftest"
    folder.mkdir(exist_ok=True)
    nbformat.write(_broken_notebook(), folder / "broken.ipynb")
    path = f"{lab_root.relative_to(ROOT).as_posix()}/selftest/broken.ipynb"
    run = run_notebook(browser, lab, path, artifacts / "selftest-broken.png", timeout=60, page=lab_page)
    assert len(run.errors) == 1 and "NameError" in run.errors[0], run.errors
    assert "undefined_name" in run.errors[0]
    assert len(run.dom_errors) == 1 and "NameError" in run.dom_errors[0], run.dom_errors
    assert run.stderr_streams >= 1, "the stderr warning should be seen, and not counted as an error"
    assert (run.code_cells, run.executed_cells) == (4, 3), "Run All should stop at the NameError"
