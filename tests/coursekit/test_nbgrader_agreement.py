"""The kit's grader agrees with nbgrader: nbgrader (a test extra) is configured on the kit's layout (source
`solutions/`, release `exercises/`, the repo's nbgrader_config.py), autogrades the same submissions, and the
autograded totals must be equal wherever the two sets of rules agree. Where they differ by design (a warning on
stderr), the kit agrees with nbgrader when asked to use nbgrader's rule (`--stderr-fails`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_nbgrader import AGREE, DIFFER

from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import grade_batch
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.options import Options
from coursekit.grading.submissions import Submission

nbgrader_api = pytest.importorskip("nbgrader.api")

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nbgrader_scores(nbgrader_course):
    """{student: autograded score} from `nbgrader autograde` on a course laid out like the kit (the shared
    nbgrader course of tests/shared_nbgrader.py, which releases ps1 with nbgrader and autogrades these students)."""
    assert (nbgrader_course.release("ps1") / "ps1.ipynb").is_file()
    return {student: nbgrader_course.code_score["ps1", student] for student in AGREE + DIFFER}


def _kit_scores(tmp_path: Path, students: list[str], stderr_fails: bool = False) -> dict[str, float]:
    assignment = load_assignment("ps1", FIXTURES / "assignments")
    subs = [Submission(s, FIXTURES / "submissions" / "ps1" / f"{s}.ipynb") for s in students]
    options = Options(limits=Limits(cell_timeout=30, notebook_timeout=120), jobs=2, stderr_fails=stderr_fails)
    outcome = grade_batch(assignment, subs, tmp_path, options)
    return {r.student: r.auto_score for r in outcome.results}


def test_totals_equal_nbgrader_where_the_rules_agree(nbgrader_scores, tmp_path):
    kit = _kit_scores(tmp_path, AGREE + DIFFER)
    assert {s: kit[s] for s in AGREE} == {s: nbgrader_scores[s] for s in AGREE}
    assert nbgrader_scores["perfect"] == 3 and nbgrader_scores["blank"] == 0
    # the documented difference: a warning on stderr does not zero a correct answer in the kit
    assert (kit["stderr_warning"], nbgrader_scores["stderr_warning"]) == (3, 1)


def test_with_nbgraders_stderr_rule_the_kit_agrees_everywhere(nbgrader_scores, tmp_path):
    kit = _kit_scores(tmp_path, DIFFER, stderr_fails=True)
    assert kit == {s: nbgrader_scores[s] for s in DIFFER}
