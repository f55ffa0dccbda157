"""The semester's inputs (issue 20): deadlines judged against each student's own date (Canvas's LATE mark with an
extension, per-assignment extensions, Moodle's worksheet times and late status), semicolon exports, and the checks
that name a problem in an instructor's files instead of grading wrongly."""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.compat import UTC
from coursekit.errors import CoursekitError
from coursekit.grading.deadlines import (
    CANNOT_JUDGE,
    Deadline,
    LatePolicy,
    days_late,
    moodle_late_days,
    parse_moodle_time,
    read_extensions,
)
from coursekit.grading.roster import read_roster
from coursekit.grading.score import QuestionResult, Result
from coursekit.grading.submissions import parse_name

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS / "fixtures" / "assignments"
SUBMISSIONS = TESTS / "fixtures" / "submissions" / "ps1"
DUE = datetime(2026, 10, 1, 23, 59, tzinfo=UTC)
LATE_FILE = Path("parkkai_LATE_11147_50217_ps1.ipynb")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_late_without_an_extension_counts_one_day(tmp_path):
    roster = read_roster(_write(tmp_path / "r.csv", "student,name\nkpark,Kai Park\n"))
    sub = parse_name(LATE_FILE, "ps1", "ps1")
    days, note = days_late(sub, DUE, roster.by_id()["kpark"], "ps1")
    assert days == 1.0 and "LATE" in note


def test_canvas_late_with_an_extension_is_flagged_not_penalised(tmp_path):
    roster = read_roster(_write(tmp_path / "r.csv", "student,name,extension_days\nkpark,Kai Park,3\n"))
    sub = parse_name(LATE_FILE, "ps1", "ps1")
    days, note = days_late(sub, DUE, roster.by_id()["kpark"], "ps1")
    assert days == 0.0 and note.startswith(CANNOT_JUDGE)
    result = Result("kpark", "f.ipynb", "graded", questions=[QuestionResult("q1", 20, 16, False, "passed")])
    matched = replace(sub, student="kpark")  # as roster.resolve names it
    graded = Deadline(DUE, LatePolicy("penalty", 10), roster, "ps1").apply(result, matched)
    assert graded.penalty == 0 and graded.final == graded.total  # 16 stays 16, not 14.4


def test_an_extension_for_one_assignment_only(tmp_path):
    roster = read_roster(_write(tmp_path / "r.csv", "student,extension_days:ps2,due:ps3\nkpark,2,2026-10-09T12:00\n"))
    student = roster.by_id()["kpark"]
    sub = parse_name(LATE_FILE, "ps1", "ps1")
    assert days_late(sub, DUE, student, "ps1", roster.extensions("ps1"))[0] == 1.0  # no extension for ps1
    assert days_late(sub, DUE, student, "ps2", roster.extensions("ps2"))[1].startswith(CANNOT_JUDGE)
    assert days_late(sub, DUE, student, "ps3", roster.extensions("ps3"))[1].startswith(CANNOT_JUDGE)


def test_an_extensions_file(tmp_path):
    path = _write(tmp_path / "ext.csv", "student,assignment,days,due\nkpark,ps1,2,\nrdiaz,ps1,,2026-10-05T12:00\n")
    ext = read_extensions(path, {"kpark", "rdiaz"})
    assert ext.days == {("kpark", "ps1"): 2.0}
    assert ext.due == {("rdiaz", "ps1"): datetime(2026, 10, 5, 12, tzinfo=UTC)}
    folder = tmp_path / "kpark" / "ps1"
    folder.mkdir(parents=True)
    _write(folder / "timestamp.txt", "2026-10-03 11:59:00 UTC")  # 1.5 days after DUE, within 2 days
    sub = parse_name(folder / "ps1.ipynb", "ps1", "ps1")
    assert days_late(sub, DUE, type("S", (), {"id": "kpark"})(), "ps1", ext) == (0.0, "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("student,assignment,days\nkpark,ps1,soon\n", "line 2: extension 'soon'"),
        ("student,assignment,days\nnobody,ps1,1\n", "line 2: no student 'nobody'"),
        ("student,days\nkpark,1\n", "needs the columns student, assignment"),
        ("student,assignment,due\nkpark,ps1,tuesday\n", "line 2: 'tuesday' is not a date"),
    ],
)
def test_a_bad_extensions_file_names_the_problem(tmp_path, text, message):
    with pytest.raises(CoursekitError, match=message):
        read_extensions(_write(tmp_path / "ext.csv", text), {"kpark"})


def test_moodle_status_and_time():
    assert moodle_late_days("Submitted for grading - Graded - 1 day 2 hours late") == pytest.approx(1 + 2 / 24, abs=1e-3)
    assert moodle_late_days("Submitted for grading - 3 hours 20 mins late") == pytest.approx(200 / 1440, abs=1e-3)
    assert moodle_late_days("Submitted for grading") is None
    assert parse_moodle_time("Friday, 2 October 2026, 11:59 PM") == datetime(2026, 10, 2, 23, 59, tzinfo=UTC)
    assert parse_moodle_time("-") is None


MOODLE_WORKSHEET = """\
Identifier,Full name,Email address,Status,Grade,Maximum Grade,Last modified (submission)
Participant 4411,Kai Park,kai.park@uni.example,Submitted for grading,,5.00,"Friday, 2 October 2026, 11:59 PM"
Participant 4412,Rosa Díaz,rosa.diaz@uni.example,Submitted for grading - 2 days late,,5.00,-
"""


def test_moodle_worksheet_time_and_status(tmp_path):
    roster = read_roster(_write(tmp_path / "w.csv", MOODLE_WORKSHEET))
    kai = parse_name(Path("Kai Park_4411_assignsubmission_file_/ps1.ipynb"), "ps1", "ps1")
    rosa = parse_name(Path("Rosa Díaz_4412_assignsubmission_file_/ps1.ipynb"), "ps1", "ps1")
    by_id = roster.by_id()
    assert days_late(kai, DUE, by_id["kai.park@uni.example"], "ps1") == (1.0, "Moodle's 'Last modified (submission)'")
    assert days_late(rosa, DUE, by_id["rosa.diaz@uni.example"], "ps1") == (2.0, "Moodle's status")


def test_a_moodle_download_without_times_says_lateness_cannot_be_judged(tmp_path):
    roster = read_roster(_write(tmp_path / "r.csv", "First name,Last name,ID number,Email address\nKai,Park,1,k@u.e\n"))
    kai = parse_name(Path("Kai Park_4411_assignsubmission_file_/ps1.ipynb"), "ps1", "ps1")
    days, note = days_late(kai, DUE, roster.students[0], "ps1")
    assert days == 0 and note.startswith(CANNOT_JUDGE)


def test_a_semicolon_export_is_read_as_canvas_does(tmp_path):
    text = 'Student;ID;SIS User ID;SIS Login ID;Section;PS1 (70401)\n"Park, Kai";11147;S1001;kpark;A;\n'
    roster = read_roster(_write(tmp_path / "c.csv", text))
    assert roster.kind == "canvas" and [s.id for s in roster.students] == ["kpark"]
    moodle = "First name;Last name;ID number;Email address\nKai;Park;1;k@u.e\n"
    assert read_roster(_write(tmp_path / "m.csv", moodle)).kind == "moodle"


@pytest.mark.kernel
def test_canvas_late_with_an_extension_end_to_end(tmp_path, capsys):
    dl = tmp_path / "canvas"
    dl.mkdir()
    shutil.copy(SUBMISSIONS / "perfect.ipynb", dl / LATE_FILE.name)
    roster = _write(
        tmp_path / "roster.csv",
        "Student;ID;SIS User ID;SIS Login ID;Section;extension_days:ps1\n"
        '    Points Possible;;;;;\n"Park, Kai";11147;S1001;kpark;A;3\n',
    )
    out = tmp_path / "out"
    argv = ["grade", "ps1", str(dl), "--root", str(ROOT), "--out", str(out), "--roster", str(roster)]
    argv += ["--due", "2026-10-01T23:59", "--late", "penalty", "--late-penalty", "10", "--cell-timeout", "10"]
    assert main(argv) == 0
    assert f"lateness {CANNOT_JUDGE} for 1 student (kpark)" in capsys.readouterr().out
    row = next(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert (row["name"], row["late_days"], row["penalty"], row["final"]) == ("Park, Kai", "0", "0", row["total"])
    assert row["late_note"].startswith(CANNOT_JUDGE)


# Other checks of the semester's inputs (issue 20): each names the real problem, and a failed run leaves nothing.


def test_points_for_a_student_without_a_graded_notebook_are_refused_with_the_line(tmp_path):
    from coursekit.grading.manual import read_manual_scores

    path = _write(tmp_path / "scores.csv", "student,question,points\nkpark,q3-written,1\nnbrown,q3-written,2\n")
    with pytest.raises(CoursekitError, match="line 3: 'nbrown' has no graded notebook .*the file is empty"):
        read_manual_scores(path, {"q3-written": 2}, {"kpark", "nbrown"}, {"nbrown": "the file is empty"})
    blank = _write(tmp_path / "blank.csv", "student,question,points\nnbrown,q3-written,\n")  # clearing is fine
    assert read_manual_scores(blank, {"q3-written": 2}, {"nbrown"}, {"nbrown": "empty"}) == [
        ("nbrown", "q3-written", None, "")
    ]


def test_lms_and_roster_of_different_platforms_name_the_real_problem(tmp_path, capsys):
    moodle = _write(tmp_path / "m.csv", "First name,Last name,ID number,Email address\nKai,Park,1,k@u.e\n")
    out = tmp_path / "out"
    argv = ["grade", "ps1", str(SUBMISSIONS), "--root", str(ROOT), "--out", str(out), "--roster", str(moodle)]
    assert main([*argv, "--lms", "canvas"]) == 2
    err = capsys.readouterr().err
    assert "the roster given is a Moodle grade export" in err and "--lms moodle" in err
    assert not out.exists()


def test_a_run_that_fails_on_its_inputs_leaves_no_out_folder(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["grade", "ps1", str(tmp_path / "nothing-here"), "--root", str(ROOT), "--out", str(out)]
    assert main(argv) == 2
    assert "no file or folder" in capsys.readouterr().err
    assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(argv) == 2 and (out / "keep.txt").read_text() == "mine"  # an existing folder is left alone


def test_a_canvas_export_without_the_assignments_column_is_named(tmp_path):
    from coursekit.grading.lms import canvas_column_note

    roster = read_roster(_write(tmp_path / "c.csv", 'Student,ID,SIS User ID,SIS Login ID,Section\n"Park, Kai",1,S1,kpark,A\n'))
    note = canvas_column_note(roster, "01-hype")
    assert "no column for this assignment" in note and "'01-hype'" in note and "new assignment" in note
    with_column = read_roster(
        _write(tmp_path / "d.csv", 'Student,ID,SIS User ID,SIS Login ID,Section,Hype (70401)\n"Park, Kai",1,S1,kpark,A,\n')
    )
    assert canvas_column_note(with_column, "01-hype") == ""


def test_a_json_error_reads_plainly():
    import json

    from coursekit.notebook_io import json_problem

    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads('{"cells": "unfinished')
    assert json_problem(caught.value) == "Unterminated string (line 1, column 11)"  # not "starting at at line"


def test_the_moodle_file_has_no_blank_grade_that_would_clear_a_hand_entered_one(tmp_path):
    from coursekit.grading.lms import moodle_rows

    roster = read_roster(_write(tmp_path / "m.csv", "First name,Last name,ID number,Email address\nKai,Park,1,k@u.e\nRosa,Diaz,2,r@u.e\n"))
    graded = Result("1", "k.ipynb", "graded", questions=[QuestionResult("q1", 2, 2, False, "passed")])
    empty = Result("2", "r.ipynb", "not-a-notebook", "the file is empty")
    rows = moodle_rows({"1": graded, "2": empty}, roster, "PS1", lambda r: "feedback")
    assert rows == [["ID number", "PS1", "PS1 (feedback)"], ["1", "2", "feedback"]]


def test_the_separator_is_chosen_as_canvas_chooses_it():
    from coursekit.grading.csv_sniff import sniff_dialect

    semicolons = ['Student;ID;Section', '"Park, Kai";1;A', '"Diaz, Rosa";2;B']
    assert sniff_dialect(semicolons).delimiter == ";"  # the commas inside quoted names do not mislead it
    commas = ["student,name,note", "kpark,Kai Park,a;b;c;d", "rdiaz,Rosa Diaz,"]
    assert sniff_dialect(commas).delimiter == ","  # semicolons in one field are not steady over the lines
