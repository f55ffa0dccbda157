"""The integrity guard (coursekit/grading/integrity.py): canaries that must fail, hooks found and removed with or
without the sandbox, and no false alarm for honest code that legitimately registers callbacks (matplotlib)."""

from __future__ import annotations

import ast
import csv
import random
import shutil
from pathlib import Path

import nbformat
import pytest

from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import Options, grade_batch
from coursekit.grading.integrity import canary
from coursekit.grading.kernel import Limits
from coursekit.grading.submissions import find_submissions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCE = FIXTURES / "assignments" / "solutions" / "ps1" / "ps1.ipynb"
HOSTILE = FIXTURES / "submissions" / "hostile"
FORGING = ("input_transformer", "ast_transformer", "event_hook", "trace_function", "hidden_errors")


class _NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.Pass:
        return ast.Pass()


@pytest.mark.parametrize("seed", range(200))
def test_a_canary_fails_as_written_and_passes_when_asserts_are_removed(seed):
    source, message = canary(random.Random(seed))
    with pytest.raises(AssertionError) as caught:
        exec(compile(source, "<canary>", "exec"), {})
    assert str(caught.value) == message
    stripped = _NoAsserts().visit(ast.parse(source))
    exec(compile(ast.fix_missing_locations(stripped), "<canary>", "exec"), {})  # no error: tampering shows


def test_canaries_differ():
    assert len({canary()[0] for _ in range(50)}) == 50


@pytest.fixture(scope="module")
def graded_unsandboxed(tmp_path_factory):
    """Forging fixtures, the honest fixture and an honest plot, graded with --sandbox none (the guard is on)."""
    tmp = tmp_path_factory.mktemp("integrity")
    subs = tmp / "subs"
    subs.mkdir()
    for name in (*FORGING, "patched_builtins", "honest"):
        shutil.copy(HOSTILE / f"{name}.ipynb", subs / f"{name}.ipynb")
    nb = nbformat.read(HOSTILE / "honest.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q2-answer")
    answer.source = (
        "import matplotlib.pyplot as plt\n%matplotlib inline\n"
        "plt.bar([r['headline'][:10] for r in headlines], [int(r['participants']) for r in headlines])\n"
        "plt.show()\n" + answer.source
    )
    nbformat.write(nb, subs / "honest_plot.ipynb")
    assignment = load_assignment(str(SOURCE))
    out = tmp / "out"
    options = Options(limits=Limits(cell_timeout=20, notebook_timeout=90), jobs=2, sandbox="none")
    grade_batch(assignment, find_submissions([subs], "ps1", "ps1"), out, options)
    return {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}


@pytest.mark.slow
@pytest.mark.parametrize("student", FORGING)
def test_without_the_sandbox_hooks_are_still_found_and_forge_nothing(graded_unsandboxed, student):
    row = graded_unsandboxed[student]
    assert (row["q1-tests"], row["q2-tests"], row["status"], row["sandbox"]) == ("0", "0", "tampered", "none")


@pytest.mark.slow
def test_honest_code_is_not_flagged_even_with_matplotlib_callbacks(graded_unsandboxed):
    for student in ("honest", "honest_plot"):
        row = graded_unsandboxed[student]
        assert (row["q1-tests"], row["q2-tests"], row["status"], row["message"]) == ("2", "1", "graded", ""), row
