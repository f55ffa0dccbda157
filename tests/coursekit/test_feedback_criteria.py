"""`coursekit grade --show-criteria`: each written question's rubric points (its mark scheme, never the model
answer) on the student's feedback page as a checklist; without the flag, neither."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.cells import SOLUTION, region_lines
from coursekit.cli import main
from coursekit.grading.assignment import load_assignment, rubric_items
from coursekit.grading.feedback import feedback_html
from coursekit.grading.score import QuestionResult, Result
from coursekit.grading.status import Status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCE = FIXTURES / "assignments" / "solutions" / "ps1" / "ps1.ipynb"
PERFECT = FIXTURES / "submissions" / "ps1" / "perfect.ipynb"
ROOT = Path(__file__).resolve().parents[2]

# The fixture's q3 rubric and model answer, copied by hand from tests/fixtures/assignments/solutions/ps1.
CRITERIA = [
    "1 point: says the evidence is preclinical (animals or cells), not from people.",
    '1 point: says that "cure" needs patient outcomes from a clinical trial.',
]
MODEL_ANSWER = "done in twelve mice"


def test_rubric_items_join_continuation_lines():
    lines = ["- 1 point: names the design", "  and its level.", "", "* 2 points: says why.", "1. a third"]
    assert rubric_items(lines) == ["1 point: names the design and its level.", "2 points: says why.", "a third"]
    assert rubric_items(["Full marks for a reason", "that is concrete.", "", "Half for a vague one."]) == [
        "Full marks for a reason that is concrete.",
        "Half for a vague one.",
    ]
    assert rubric_items([]) == []


def test_criteria_come_from_the_mark_scheme_only():
    assignment = load_assignment(str(SOURCE))
    assert assignment.criteria == {"q3-written": CRITERIA}


@pytest.mark.parametrize("assignment_id", ["01-hype", "02-evidence", "03-mechanism", "04-capstone"])
def test_every_written_question_of_the_kit_has_criteria_and_none_is_its_model_answer(assignment_id):
    assignment = load_assignment(assignment_id, ROOT)
    written = [q.grade_id for q in assignment.questions if q.manual]
    assert list(assignment.criteria) == written
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in assignment.source.cells}
    for gid, items in assignment.criteria.items():
        assert 2 <= len(items) <= 4, (gid, items)  # CONTRIBUTING: a rubric of 2-4 concrete points
        model = " ".join(line.strip() for line in region_lines(cells[gid].source, SOLUTION))
        assert model and not any(item in model or model in item for item in items), gid


def _result() -> Result:
    return Result(
        "ana", "/home/teacher/in/ana.ipynb", Status.GRADED,
        questions=[QuestionResult("q1-tests", 2, 2.0, False, "passed"),
                   QuestionResult("q3-written", 2, None, True, "pending")],
    )


def test_the_page_shows_a_checklist_only_when_asked():
    titles = {"q3-written": "Q3 · Why is 'cure' too strong?"}
    page = feedback_html(_result(), "ps1", titles, {"q3-written": CRITERIA})
    assert "What the grader looks for" in page and "&#9744; 1 point: says the evidence is preclinical" in page
    assert "Q3 · Why is &#x27;cure&#x27; too strong?</h3>" in page
    for page in (feedback_html(_result(), "ps1", titles), feedback_html(_result(), "ps1", titles, {})):
        assert "What the grader looks for" not in page and "preclinical" not in page
    not_graded = Result("bo", "bo.ipynb", Status.NOT_A_NOTEBOOK, message="the file is empty")
    assert "preclinical" not in feedback_html(not_graded, "ps1", titles, {"q3-written": CRITERIA})


@pytest.mark.slow
def test_grade_show_criteria_end_to_end(tmp_path):
    pages = {}
    for flag in ([], ["--show-criteria"]):
        out = tmp_path / ("with" if flag else "without")
        code = main(["grade", str(SOURCE), str(PERFECT), "--out", str(out), "--jobs", "1",
                     "--sandbox", "none", *flag])
        assert code == 0
        pages[bool(flag)] = (out / "feedback" / "perfect.html").read_text(encoding="utf-8")
    with_flag, without = pages[True], pages[False]
    assert "1 point: says the evidence is preclinical (animals or cells), not from people." in with_flag
    assert "1 point: says that &quot;cure&quot; needs patient outcomes from a clinical trial." in with_flag
    for page in (with_flag, without):
        assert MODEL_ANSWER not in page and "MARK SCHEME" not in page and "BEGIN SOLUTION" not in page
    assert "preclinical" not in without and "What the grader looks for" not in without
