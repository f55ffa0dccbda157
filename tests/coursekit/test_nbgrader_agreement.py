"""The kit's grader agrees with nbgrader: nbgrader (a test extra) is configured on the kit's layout (source
`solutions/`, release `exercises/`, the repo's nbgrader_config.py), autogrades the same submissions, and the
autograded totals must be equal wherever the two sets of rules agree. Where they differ by design (a warning on
stderr), the kit agrees with nbgrader when asked to use nbgrader's rule (`--stderr-fails`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import Options, grade_batch
from coursekit.grading.kernel import Limits
from coursekit.grading.submissions import Submission

nbgrader_api = pytest.importorskip("nbgrader.api")

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
AGREE = [
    "perfect",
    "blank",
    "partly_right",
    "failing",
    "tests_pass",
    "recursion",
]  # never a memory bomb: nbgrader has no memory cap
DIFFER = ["stderr_warning"]  # nbgrader zeroes a test cell that writes to stderr; the kit does not

pytestmark = pytest.mark.slow


def _nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def nbgrader_scores(tmp_path_factory):
    """{student: autograded score} from `nbgrader autograde` on a course laid out like the kit."""
    course = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(FIXTURES / "assignments" / "solutions" / "ps1", course / "solutions" / "ps1")
    _nbgrader(course, "generate_assignment", "ps1", "--force")
    assert (course / "exercises" / "ps1" / "ps1.ipynb").is_file()
    for student in AGREE + DIFFER:
        target = course / "submitted" / student / "ps1" / "ps1.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(FIXTURES / "submissions" / "ps1" / f"{student}.ipynb", target)
    _nbgrader(course, "autograde", "ps1", "--force", "--ExecutePreprocessor.timeout=30")
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {
            student: gradebook.find_submission_notebook("ps1", "ps1", student).code_score
            for student in AGREE + DIFFER
        }


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
