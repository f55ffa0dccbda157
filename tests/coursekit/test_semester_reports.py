"""Issue 12: the class report, feedback for students, forgiving manual grading, blinded written pages, the CLI's
refusals (one line, exit 2), and one end-to-end run of a Canvas download with a roster and a due date."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.errors import CoursekitError
from coursekit.grading.assignment import load_assignment
from coursekit.grading.class_report import correlation, question_stats, report_html
from coursekit.grading.feedback import feedback_html
from coursekit.grading.manual import read_manual_scores
from coursekit.grading.run import CellRun
from coursekit.grading.score import QuestionResult, Result, explain
from coursekit.grading.submissions import find_submissions
from coursekit.written import collect, reflow, student_answers

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS / "fixtures" / "assignments"
SUBMISSIONS = TESTS / "fixtures" / "submissions" / "ps1"


def _result(student: str, q1: float, q2: float, message: str = "") -> Result:
    return Result(
        student,
        "x.ipynb",
        "graded",
        questions=[
            QuestionResult(
                "q1-tests", 2, q1, False, "passed" if q1 == 2 else "failed", "" if q1 == 2 else message
            ),
            QuestionResult("q2-tests", 1, q2, False, "passed" if q2 == 1 else "failed"),
        ],
    )


def test_discrimination_is_the_correlation_with_the_rest_of_the_test():
    # q1 follows the rest (q2) exactly: r = 1; a question everyone gets right has no discrimination
    results = [_result("a", 2, 1), _result("b", 0, 0, "a hidden test failed: x"), _result("c", 2, 1)]
    results += [_result("d", 0, 0, "a public check failed: AssertionError")]
    stats = {s.grade_id: s for s in question_stats(results)}
    assert stats["q1-tests"].discrimination == pytest.approx(1.0)
    assert correlation([1, 1, 1], [0, 1, 2]) is None
    assert (stats["q1-tests"].public_failures, stats["q1-tests"].hidden_failures) == (1, 1)
    assert stats["q1-tests"].full_share == 0.5 and stats["q1-tests"].mean == 1.0
    # upper-lower check by hand: students with high rest scores got q1, low ones did not
    reversed_item = [_result("a", 0, 1), _result("b", 2, 0), _result("c", 0, 1), _result("d", 2, 0)]
    assert {s.grade_id: s for s in question_stats(reversed_item)}["q1-tests"].discrimination == pytest.approx(
        -1
    )


def test_questions_are_sorted_worst_first_and_the_page_has_figures_with_alt_text():
    results = [_result("a", 2, 0), _result("b", 2, 0), _result("c", 0, 1, "a hidden test failed: boom")]
    stats = question_stats(results, {"q1-tests": "Q1 · Count the words"})
    assert [s.grade_id for s in stats] == ["q2-tests", "q1-tests"]  # q2: 1/3 of its point; q1: 2/3
    page = report_html("ps1", results, stats)
    images = re.findall(r"<img src='data:image/png;base64,([A-Za-z0-9+/=]+)' alt='([^']+)'>", page)
    assert len(images) == 2 and all(
        len(png) > 1000 and "submissions" in alt or "questions" in alt for png, alt in images
    )
    assert "Q1 · Count the words" in page and "a hidden test failed: boom (1)" in page


def test_hidden_assertion_messages_reach_the_student_but_never_the_code():
    source = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 4, 'f must square its input'\n### END HIDDEN TESTS"
    run = CellRun(status="error", ename="AssertionError", evalue="f must square its input", line=3)
    message = explain(run, source)
    assert "f must square its input" in message and "f(2)" not in message and "hidden" in message
    bare = explain(CellRun(status="error", ename="AssertionError", evalue="", line=3), source)
    assert bare == "a hidden test failed (AssertionError: a check did not hold)"


def test_feedback_uses_titles_hides_paths_and_explains_an_empty_file():
    result = _result("kpark", 0, 1, "a hidden test failed: count words, not characters")
    result.file = "/home/instructor/course/dl/parkkai_11147_50217_ps1.ipynb"
    page = feedback_html(result, "ps1", {"q1-tests": "Q1 · Count the hype words"})
    assert "Q1 · Count the hype words" in page and "/home/instructor" not in page
    assert "parkkai_11147_50217_ps1.ipynb" in page
    crashed = Result("kpark", result.file, "error", f"grader error: OSError('{result.file} is busy')")
    page = feedback_html(crashed, "ps1")
    assert "/home/instructor" not in page and "parkkai_11147_50217_ps1.ipynb is busy" in page
    empty = Result("nbrown", "/srv/x/empty.ipynb", "not-a-notebook", "the file is empty")
    page = feedback_html(empty, "ps1")
    assert "was not graded" in page and "the file is empty" in page and "Save Notebook" in page


def test_manual_scores_refuse_unknown_students_and_questions_with_the_line(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("student,question,points\nkpark,q3-written,1\nkprak,q3-written,2\n")
    with pytest.raises(CoursekitError, match="line 3: no submission of a student 'kprak'"):
        read_manual_scores(path, {"q3-written": 2}, {"kpark"})
    path.write_text("student,question,points\nkpark,q3-writen,1\n")
    with pytest.raises(CoursekitError, match="line 2: 'q3-writen' is not a written question"):
        read_manual_scores(path, {"q3-written": 2}, {"kpark"})


def test_written_pages_reflow_and_can_be_blinded(tmp_path):
    assert reflow("one\ntwo\n\n- a\n- b") == "<p>one two</p>\n<pre>- a\n- b</pre>"
    ps1 = load_assignment("ps1", ROOT)
    subs = find_submissions([SUBMISSIONS / "perfect.ipynb", SUBMISSIONS / "blank.ipynb"], "ps1", "ps1")
    pages, scores = collect(ps1, subs, tmp_path, blind=True)
    text = pages[0].read_text() + scores.read_text()
    assert "perfect" not in text and "blank" not in text
    rows = list(csv.DictReader(scores.read_text().splitlines()))
    assert all(re.fullmatch(r"S\d{3}", r["student"]) for r in rows)
    key = {
        r["anonymous"]: r["student"]
        for r in csv.DictReader((scores.parent / "key.csv").read_text().splitlines())
    }
    assert sorted(key.values()) == ["blank", "perfect"]
    # the grader fills in points by anonymous id; grade --manual reads them back as students
    filled = scores.read_text().replace(
        f"{rows[0]['student']},q3-written,2,,", f"{rows[0]['student']},q3-written,2,2,ok"
    )
    scores.write_text(filled)
    back = read_manual_scores(scores, {"q3-written": 2}, {"perfect", "blank"})
    assert (key[rows[0]["student"]], "q3-written", 2.0, "ok") in back
    # another assignment's notebook gives no answers here
    assert (
        "belongs to another assignment"
        in student_answers(
            find_submissions([SUBMISSIONS / "other_assignment.ipynb"], "ps1", "ps1")[0], ["q3-written"], ps1
        )["q3-written"]
    )
    # the ids are kept on the next run; unblinding the same folder is refused
    collect(ps1, subs, tmp_path, blind=True)
    assert {
        r["anonymous"]: r["student"]
        for r in csv.DictReader((scores.parent / "key.csv").read_text().splitlines())
    } == key
    with pytest.raises(CoursekitError, match="blinded"):
        collect(ps1, subs, tmp_path)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cell-timeout", "-5"], "-5 must be >= 0"),
        (["--jobs", "0"], "0 must be >= 1"),
        (["--memory", "lots"], "'lots' is not an integer"),
        (["--late-penalty", "0"], "must be > 0"),
        (["--late-floor", "150"], "150 must be <= 100 percent"),
        (["--due", "next friday"], "not a date and time"),
        (["--lms", "blackboard"], "invalid choice"),
        (["--lms", "canvas"], "--lms canvas needs --roster"),
        (["--late", "penalty", "--due", "2026-10-01T23:59"], "--late penalty needs --late-penalty"),
    ],
)
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, extra, message):
    code = _exit_code(
        [
            "grade",
            "ps1",
            str(SUBMISSIONS / "perfect.ipynb"),
            "--root",
            str(ROOT),
            "--out",
            str(tmp_path / "o"),
            *extra,
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1, err


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def test_bad_out_folders_and_another_assignments_folder_are_refused(tmp_path, capsys, course):
    readme = tmp_path / "README.md"
    readme.write_text("x")
    base = ["grade", "ps1", str(SUBMISSIONS / "perfect.ipynb"), "--root", str(ROOT), "--out"]
    assert _exit_code([*base, str(readme)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert _exit_code([*base, str(readme / "out")]) == 2  # a folder cannot be made inside a file
    assert "cannot create the folder" in capsys.readouterr().err
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        assert _exit_code([*base, str(locked / "out")]) == 2
        assert "cannot create" in capsys.readouterr().err
    finally:
        os.chmod(locked, 0o700)
    other = tmp_path / "other"
    other.mkdir()
    (other / ".coursekit-assignment").write_text("03-mechanism\n")
    assert _exit_code([*base, str(other)]) == 2
    assert "holds the work of assignment 03-mechanism" in capsys.readouterr().err
    # written for one assignment into another's folder
    assert (
        _exit_code(
            ["written", "ps1", str(SUBMISSIONS / "perfect.ipynb"), "--root", str(ROOT), "--out", str(other)]
        )
        == 2
    )
    assert "holds the work of assignment 03-mechanism" in capsys.readouterr().err
    # the release as ASSIGNMENT
    assert (
        _exit_code(
            [
                "grade",
                str(ROOT / "exercises/ps1/ps1.ipynb"),
                str(SUBMISSIONS / "perfect.ipynb"),
                "--out",
                str(tmp_path / "r"),
            ]
        )
        == 2
    )
    assert "released exercise" in capsys.readouterr().err


CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,PS1 (70401)
    Points Possible,,,,,5
"Park, Kai",11147,S1001,kpark,A,
"Diaz, Rosa",11184,S1002,rdiaz,A,
"Brown, Noah",11190,S1003,nbrown,B,
"""


@pytest.mark.kernel
def test_a_canvas_download_with_roster_and_due_date_end_to_end(tmp_path, capsys):
    dl = tmp_path / "dl"
    dl.mkdir()
    shutil.copy(SUBMISSIONS / "perfect.ipynb", dl / "parkkai_LATE_11147_50217_ps1.ipynb")
    shutil.copy(SUBMISSIONS / "partly_right.ipynb", dl / "diazrosa_11184_50224_ps1.ipynb")
    shutil.copy(SUBMISSIONS / "perfect.ipynb", dl / "diazrosa_11184_50301_ps1-1.ipynb")
    shutil.copy(SUBMISSIONS / "other_assignment.ipynb", dl / "brownnoah_11190_50230_ps1.ipynb")
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER)
    out = tmp_path / "out"
    argv = ["grade", "ps1", str(dl), "--root", str(ROOT), "--out", str(out), "--roster", str(roster)]
    argv += [
        "--due",
        "2026-10-01T23:59",
        "--late",
        "penalty",
        "--late-penalty",
        "10",
        "--lms",
        "canvas",
        "--bom",
    ]
    argv += ["--cell-timeout", "10", "--jobs", "2"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "not graded: diazrosa_11184_50224_ps1.ipynb" in printed and "report.html" in printed
    listed = list(csv.DictReader((out / "not-graded.csv").read_text().splitlines()))
    assert [(Path(r["file"]).name, r["student"]) for r in listed] == [("diazrosa_11184_50224_ps1.ipynb", "rdiaz")]
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    assert set(grades) == {"kpark", "rdiaz", "nbrown"}  # one row each, roster ids
    assert grades["rdiaz"]["q1-tests"] == "2" and grades["rdiaz"]["late_days"] == "0"
    assert (grades["kpark"]["late_days"], grades["kpark"]["total"], grades["kpark"]["final"]) == (
        "1",
        "3",
        "2.7",
    )
    assert grades["nbrown"]["status"] == "wrong-assignment"
    canvas = (out / "grades-canvas.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(canvas.lstrip("\ufeff"))))
    assert rows[0][-1] == "PS1 (70401)" and rows[1][0] == "Points Possible" and rows[1][-1] == "5"
    assert {r[1]: r[-1] for r in rows[2:]} == {"11147": "2.7", "11184": "3", "11190": ""}
    page = (out / "feedback" / "kpark.html").read_text()
    assert "Late:" in page and "0.3 points were taken off" in page and str(dl) not in page
    assert (out / "report.html").is_file() and (out / "questions.csv").is_file()
    assert (out / "feedback-canvas.zip").is_file()


MOODLE_WORKSHEET = """\
Identifier,Full name,Email address,Status,Grade,Maximum Grade
Participant 4411,Kai Park,kai.park@uni.example,Submitted for grading,,5.00
Participant 4412,Rosa Díaz,rosa.diaz@uni.example,Submitted for grading,,5.00
"""


@pytest.mark.kernel
def test_moodle_download_and_nbgrader_layout_end_to_end(tmp_path, capsys):
    import zipfile

    # Moodle: a folder per participant, Kai handed in twice
    dl = tmp_path / "moodle"
    kai = dl / "Kai Park_4411_assignsubmission_file_"
    kai.mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "blank.ipynb", kai / "ps1.ipynb")
    os.utime(kai / "ps1.ipynb", (1_000_000, 1_000_000))
    shutil.copy(SUBMISSIONS / "perfect.ipynb", kai / "ps1 (1).ipynb")
    rosa = dl / "Rosa Díaz_4412_assignsubmission_file_"
    rosa.mkdir()
    shutil.copy(SUBMISSIONS / "partly_right.ipynb", rosa / "ps1.ipynb")
    roster = tmp_path / "worksheet.csv"
    roster.write_text(MOODLE_WORKSHEET, encoding="utf-8")
    out = tmp_path / "moodle-out"
    argv = ["grade", "ps1", str(dl), "--root", str(ROOT), "--out", str(out), "--roster", str(roster)]
    assert main([*argv, "--lms", "moodle", "--lms-column", "PS1", "--cell-timeout", "10"]) == 0
    assert "not graded: ps1.ipynb" in capsys.readouterr().out  # Kai's older file
    rows = list(csv.DictReader((out / "grades-moodle.csv").read_text(encoding="utf-8").splitlines()))
    assert {r["Email address"]: r["PS1"] for r in rows} == {
        "kai.park@uni.example": "3",
        "rosa.diaz@uni.example": "2",
    }
    names = sorted(zipfile.ZipFile(out / "feedback-moodle.zip").namelist())
    assert names == [
        "Kai Park_4411_assignsubmission_file_/feedback.html",
        "Rosa Díaz_4412_assignsubmission_file_/feedback.html",
    ]

    # nbgrader: timestamp.txt gives the time; a later run of one more student keeps the first one's lateness
    sub = tmp_path / "submitted"
    (sub / "kpark" / "ps1").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "perfect.ipynb", sub / "kpark" / "ps1" / "ps1.ipynb")
    (sub / "kpark" / "ps1" / "timestamp.txt").write_text("2026-10-03 11:59:00.000000 UTC")  # 1.5 days
    out = tmp_path / "nbgrader-out"
    late = ["--due", "2026-10-01T23:59", "--late", "penalty", "--late-penalty", "10", "--late-floor", "50"]
    assert main(["grade", "ps1", str(sub), "--root", str(ROOT), "--out", str(out), *late]) == 0
    (sub / "rdiaz" / "ps1").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "partly_right.ipynb", sub / "rdiaz" / "ps1" / "ps1.ipynb")
    assert main(["grade", "ps1", str(sub / "rdiaz"), "--root", str(ROOT), "--out", str(out), *late]) == 0
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").read_text().splitlines())}
    # 1.5 days late -> 2 started days -> 20% of 3 points off
    assert (grades["kpark"]["late_days"], grades["kpark"]["penalty"], grades["kpark"]["final"]) == (
        "1.5",
        "0.6",
        "2.4",
    )
    assert grades["rdiaz"]["late_days"] == "0" and grades["rdiaz"]["final"] == "2"


@pytest.mark.slow
def test_the_report_figures_touch_no_global_matplotlib_state():
    import subprocess
    import sys

    code = (
        "import sys\nfrom coursekit.grading.class_report import histogram_of_totals\n"
        "histogram_of_totals([1.0, 2.0, 3.0], 5)\nassert 'matplotlib.pyplot' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_execute_refuses_a_timeout_below_one_second(capsys):
    assert _exit_code(["execute", str(SUBMISSIONS / "perfect.ipynb"), "--timeout", "-5"]) == 2
    err = capsys.readouterr().err
    assert "-5 must be >= 1 seconds" in err and err.count("\n") == 1
