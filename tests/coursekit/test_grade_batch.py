"""coursekit grade on the fixture submissions (tests/fixtures/submissions/ps1, made by make_submissions.py):
every bad submission gets a row with a clear reason and the batch goes on. One batch run, shared (slow)."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.grading import batch
from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import grade_batch
from coursekit.grading.kernels.providers import local_folder
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.options import Options
from coursekit.grading.report import Progress
from coursekit.grading.submissions import Submission, find_submissions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SUBMISSIONS = FIXTURES / "submissions" / "ps1"
SOURCE = FIXTURES / "assignments" / "solutions" / "ps1"
# Limits far beyond what an honest ps1 submission needs (a few tenths of a second), and far below what the
# limit-breaking submissions need: infinite_loop never ends; slow_notebook sleeps 8 x 2.5 s. So a loaded machine
# changes no outcome, only how late a stopped cell is reported (infinite_loop's check allows for that).
CELL_LIMIT, NOTEBOOK_LIMIT = 4, 10
LIMITS = ["--cell-timeout", str(CELL_LIMIT), "--timeout", str(NOTEBOOK_LIMIT), "--jobs", "2"]
LATE = 60  # seconds a stopped cell may be reported late on a loaded machine (interrupt, then idle)

# student: (q1-tests, q2-tests, status, a piece of the message or "")
EXPECTED = {
    "perfect": ("2", "1", "graded", ""),
    "blank": ("0", "0", "unchanged", "release as handed out"),
    "partly_right": ("2", "0", "graded", ""),
    "failing": ("0", "0", "graded", ""),
    "stderr_warning": ("2", "1", "graded", ""),
    "infinite_loop": ("0", "1", "graded", re.compile(r"q1-answer timed out after (\d+) s and was interrupted")),
    "os_exit": ("2", "0", "error", "the kernel died while running q2-answer"),
    "kernel_crash": ("2", "0", "error", "the kernel died while running q2-answer"),
    "memory_bomb": ("0", "1", "graded", ""),
    "big_output": ("2", "1", "graded", ""),
    "recursion": ("0", "1", "graded", ""),
    "deleted_tests": ("2", "1", "graded", "q1-tests was deleted; it was restored from the source"),
    "deleted_answer": ("2", "0", "graded", "the answer cell q2-answer is missing"),
    "moved_tests": ("2", "1", "graded", "q1-tests was moved above q1-answer; it was run after it"),
    "duplicated_cells": ("2", "1", "graded", "a second cell with grade id q2-tests was removed"),
    "type_changed": ("2", "1", "graded", "q1-answer was turned into a markdown cell"),
    "tests_pass": ("0", "0", "graded", "q1-tests was changed; the instructor's version was run"),
    "escape_writes": ("2", "1", "graded", ""),
    "child_process": ("2", "1", "graded", ""),
    "slow_notebook": ("2", "0", "timeout", f"the notebook took longer than {NOTEBOOK_LIMIT} s"),
    "Zoë Müller 123": ("2", "1", "graded", ""),
    "other_assignment": ("", "", "wrong-assignment", "belongs to another assignment"),
    "old_nbformat": ("2", "1", "graded", "converted from nbformat 3 to 4"),
    "empty": ("", "", "not-a-notebook", "the file is empty"),
    "not_json": ("", "", "not-a-notebook", "not valid JSON"),
    "not_a_notebook": ("", "", "not-a-notebook", "not a notebook"),
}
ORPHAN = "coursekit-fixture-orphan"


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _orphans() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if ORPHAN.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One run of the CLI over every fixture submission: (exit code, out folder, rows by student, stdout)."""
    out = tmp_path_factory.mktemp("grading") / "out"
    before = _digest(SOURCE)
    code = main(["grade", str(SOURCE / "ps1.ipynb"), str(SUBMISSIONS), "--out", str(out), *LIMITS])
    assert _digest(SOURCE) == before, "a submission changed the assignment's files"
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}
    return code, out, rows


pytestmark = pytest.mark.slow


def test_every_submission_gets_a_row_and_the_run_succeeds(graded):
    code, _, rows = graded
    assert code == 0
    assert set(rows) == set(EXPECTED)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_grade_and_a_clear_reason(graded, student):
    q1, q2, status, message = EXPECTED[student]
    row = graded[2][student]
    assert (row["q1-tests"], row["q2-tests"], row["status"]) == (q1, q2, status), row
    if isinstance(message, re.Pattern):  # a stopped cell: at the cell limit, or later on a loaded machine
        found = message.search(row["message"])
        assert found, row["message"]
        assert CELL_LIMIT <= int(found.group(1)) <= CELL_LIMIT + LATE, row["message"]
    else:
        assert message in row["message"]


def test_csvs_and_feedback(graded):
    _, out, rows = graded
    assert rows["perfect"]["autograded"] == "3" and rows["perfect"]["autograded_max"] == "3"
    assert rows["perfect"]["manual_pending"] == "2" and rows["blank"]["manual_pending"] == "0"
    long_rows = list(csv.DictReader((out / "grades-long.csv").open(encoding="utf-8")))
    assert len(long_rows) == 3 * sum(1 for s in EXPECTED.values() if s[2] in ("graded", "unchanged", "error", "timeout"))
    lms = list(csv.DictReader((out / "grades-lms.csv").open(encoding="utf-8")))
    assert {r["student"]: r["total"] for r in lms}["perfect"] == "3"
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (out / "feedback").glob("*.html")}
    assert set(pages) == set(EXPECTED)
    for page in pages.values():
        assert "BEGIN HIDDEN TESTS" not in page and "Miracle berry cures cancer" not in page
        assert "total_participants == 60" not in page
    assert "a hidden test failed" in pages["failing"]


def test_no_process_survives_and_nothing_escapes_the_sandbox(graded):
    assert _orphans() == []
    assert not (SUBMISSIONS / "escaped.txt").exists() and not (SUBMISSIONS.parent / "escaped_dir").exists()
    assert (SOURCE / "headlines.csv").read_text().startswith("headline,design,participants")


def test_a_rerun_replaces_rows_and_resumes(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded[1], out)
    assignment = load_assignment(str(SOURCE / "ps1.ipynb"))
    subs = [s for s in find_submissions([SUBMISSIONS], "ps1", "ps1") if s.student in ("perfect", "blank")]
    new = tmp_path / "late"
    new.mkdir()
    shutil.copy(SUBMISSIONS / "partly_right.ipynb", new / "late_student.ipynb")
    subs += find_submissions([new], "ps1", "ps1")
    limits = Limits(cell_timeout=CELL_LIMIT, notebook_timeout=NOTEBOOK_LIMIT)
    outcome = grade_batch(assignment, subs, out, Options(limits=limits, jobs=2))
    # same limits as the CLI run: the two unchanged files are kept, the new one is graded
    assert (outcome.reused, outcome.graded_now) == (2, 1)
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert len(rows) == len(EXPECTED) + 1 and len({r["student"] for r in rows}) == len(rows)
    outcome = grade_batch(assignment, subs[:1], out, Options(limits=limits, jobs=1, regrade=True))
    assert outcome.graded_now == 1 and len(outcome.results) == len(EXPECTED) + 1


def test_manual_scores_reach_the_totals_and_feedback(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded[1], out)
    assert (
        main(["written", str(SOURCE / "ps1.ipynb"), str(SUBMISSIONS / "perfect.ipynb"), "--out", str(out)])
        == 0
    )
    scores = out / "written" / "scores.csv"
    scores.write_text(
        scores.read_text().replace("perfect,q3-written,2,,", "perfect,q3-written,2,1.5,half the rubric")
    )
    code = main(
        [
            "grade",
            str(SOURCE / "ps1.ipynb"),
            str(SUBMISSIONS / "perfect.ipynb"),
            "--out",
            str(out),
            "--manual",
            str(scores),
            *LIMITS,
        ]
    )
    assert code == 0
    row = next(
        r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8")) if r["student"] == "perfect"
    )
    assert (row["q3-written"], row["manual"], row["manual_pending"], row["total"]) == (
        "1.5",
        "1.5",
        "0",
        "4.5",
    )
    assert "half the rubric" in (out / "feedback" / "perfect.html").read_text(encoding="utf-8")


def test_instructor_mistakes_exit_non_zero_with_one_line(tmp_path, capsys):
    assert (
        main(
            [
                "grade",
                "nope",
                str(SUBMISSIONS),
                "--out",
                str(tmp_path),
                "--root",
                str(FIXTURES / "assignments"),
            ]
        )
        == 2
    )
    assert "unknown assignment 'nope'" in capsys.readouterr().err
    (tmp_path / "none").mkdir()
    assert main(["grade", str(SOURCE / "ps1.ipynb"), str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "no notebooks (*.ipynb) found" in capsys.readouterr().err


def test_the_sandbox_copies_the_assignment_files(tmp_path):
    assignment = load_assignment(str(SOURCE / "ps1.ipynb"))
    spec = batch.kernel_spec(assignment, Options())
    root, work, _data = local_folder(spec, tmp_path)
    assert (work / "headlines.csv").read_bytes() == (SOURCE / "headlines.csv").read_bytes()
    env = spec.environment("token", None, sandboxed=False)
    assert env["NBGRADER_EXECUTION"] == "autograde" and os.path.commonpath([root, tmp_path]) == str(tmp_path)
    assert sys.executable


def test_a_set_up_cell_that_fails_is_said_on_every_row(tmp_path):
    # the assignment's data file is missing (as too small a --memory made a set-up cell fail for a red team): the
    # rows say which instructor cell raised, instead of only scoring low
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "assignments", course)
    (course / "solutions" / "ps1" / "headlines.csv").unlink()
    assignment = load_assignment("ps1", course)
    subs = [Submission("perfect", SUBMISSIONS / "perfect.ipynb")]
    outcome = grade_batch(assignment, subs, tmp_path / "out", Options(jobs=1), progress=Progress(1))
    (row,) = outcome.results
    assert "the instructor's cell" in row.message and "raised FileNotFoundError" in row.message, row.message
    assert "check --memory" in row.message


def test_control_with_its_data_the_set_up_cell_is_not_mentioned(graded):
    assert "the instructor's cell" not in graded[2]["perfect"]["message"]
