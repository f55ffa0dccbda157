"""Issue 12, "who is who" and "grades that import", without kernels: platform file names (Canvas, Moodle,
nbgrader), rosters of each platform, newest file per student, deadlines and late policies, and the exported CSVs
checked against each platform's documented import rules (written out here from the platforms' own code and docs,
not from coursekit's constants)."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from coursekit.compat import UTC
from coursekit.errors import CoursekitError
from coursekit.grading.deadlines import Deadline, LatePolicy, days_late
from coursekit.grading.lms import ExportSettings, feedback_zips, write_exports
from coursekit.grading.report import atomic_write, feedback_summary
from coursekit.grading.roster import RosterError, read_roster, resolve
from coursekit.grading.score import QuestionResult, Result
from coursekit.grading.submissions import find_submissions, parse_name

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions" / "ps1"

# Canvas's gradebook export: its student columns, a "Points Possible" row, one column per assignment
# ("Title (id)"), read-only totals; and Canvas's test student.
CANVAS_ROSTER = """\
Student,ID,SIS User ID,SIS Login ID,Section,PS1 Hype words (70401),PS3 Mechanism (70403),Current Points,Final Points
    Points Possible,,,,,3,15,(read only),(read only)
"Park, Kai",11147,S1001,kpark,Section A,,,0,0
"Díaz, Rosa",11184,S1002,rdiaz,Section A,,,0,0
"Brown, Noah",11190,S1003,nbrown,Section B,,,0,0
"Student, Test",11999,,,Section A,,,0,0
"""
# Moodle's grade export (Export > Plain text file) and the assignment's grading worksheet
MOODLE_EXPORT = """\
First name,Last name,ID number,Institution,Department,Email address,Assignment: PS1 (Real),Last downloaded from this course
Kai,Park,S1001,,,kai.park@uni.example,-,1760000000
Rosa,Díaz,S1002,,,rosa.diaz@uni.example,-,1760000000
Noah,Brown,S1003,,,noah.brown@uni.example,-,1760000000
"""
MOODLE_WORKSHEET = """\
Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,Last modified (submission),Last modified (grade),Feedback comments
Participant 4411,Kai Park,kai.park@uni.example,Submitted for grading,,3.00,Yes,"Monday, 1 December 2026, 9:00 AM",-,
Participant 4412,Rosa Díaz,rosa.diaz@uni.example,Submitted for grading,,3.00,Yes,"Monday, 1 December 2026, 9:00 AM",-,
Participant 4413,Noah Brown,noah.brown@uni.example,No submission,,3.00,Yes,-,-,
"""
PLAIN_ROSTER = "student,name,email,extension_days\nkpark,Kai Park,kai.park@uni.example,\nrdiaz,Rosa Díaz,rosa.diaz@uni.example,2\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _copy(src: str, dest: Path, mtime: float | None = None) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes((SUBMISSIONS / src).read_bytes())
    if mtime is not None:
        os.utime(dest, (mtime, mtime))
    return dest


@pytest.fixture
def canvas_download(tmp_path: Path) -> Path:
    """Canvas's "Download Submissions" names: name[_LATE]_userid_attachmentid_file[-N], plus a browser copy."""
    d = tmp_path / "canvas"
    _copy("perfect.ipynb", d / "parkkai_LATE_11147_50217_ps1.ipynb")
    _copy("partly_right.ipynb", d / "diazrosa_11184_50224_ps1.ipynb")  # Canvas drops accents: Díaz -> diaz
    _copy("perfect.ipynb", d / "diazrosa_11184_50301_ps1-1.ipynb")  # her resubmission: larger attachment id
    _copy("blank.ipynb", d / "brownnoah_11190_50230_ps1 (1).ipynb")  # downloaded twice by the browser
    _copy("blank.ipynb", d / "someoneelse_12000_50400_ps1.ipynb")  # not in the course any more
    return d


@pytest.fixture
def moodle_download(tmp_path: Path) -> Path:
    """Moodle's "Download all submissions": a folder per participant."""
    d = tmp_path / "moodle"
    _copy("perfect.ipynb", d / "Kai Park_4411_assignsubmission_file_" / "ps1.ipynb", 1_000_000)
    _copy("partly_right.ipynb", d / "Kai Park_4411_assignsubmission_file_" / "ps1 (1).ipynb", 2_000_000)
    _copy("blank.ipynb", d / "Rosa Díaz_4412_assignsubmission_file_" / "ps1.ipynb")
    return d


def test_platform_names_are_read_as_the_platforms_write_them(canvas_download, moodle_download):
    canvas = {s.path.name: s for s in find_submissions([canvas_download], "ps1", "ps1")}
    late = canvas["parkkai_LATE_11147_50217_ps1.ipynb"]
    assert (late.student, late.platform, late.platform_user, late.late) == (
        "parkkai",
        "canvas",
        "11147",
        True,
    )
    copy = canvas["diazrosa_11184_50301_ps1-1.ipynb"]
    assert (copy.student, copy.order) == ("diazrosa", (50301, 1))
    assert canvas["brownnoah_11190_50230_ps1 (1).ipynb"].student == "brownnoah"
    moodle = find_submissions([moodle_download], "ps1", "ps1")
    assert {(s.student, s.platform_user) for s in moodle} == {("Kai Park", "4411"), ("Rosa Díaz", "4412")}
    # ids do not keep the platform's noise: the same student in the next assignment has the same id
    assert (
        parse_name(Path("parkkai_11147_70403_mechanism.ipynb"), "03-mechanism", "mechanism").student
        == "parkkai"
    )


def test_nbgrader_layout_reads_timestamp_and_only_the_named_assignment(tmp_path):
    sub = tmp_path / "submitted"
    _copy("perfect.ipynb", sub / "kpark" / "ps1" / "ps1.ipynb")
    _write(sub / "kpark" / "ps1" / "timestamp.txt", "2026-10-02 09:30:00.000000 UTC")
    _copy("blank.ipynb", sub / "kpark" / "03-mechanism" / "ps1.ipynb")  # another assignment's folder
    found = find_submissions([sub], "ps1", "ps1", other_assignments=["03-mechanism"])
    assert [(s.student, s.platform) for s in found] == [("kpark", "nbgrader")]
    assert found[0].submitted_at == datetime(2026, 10, 2, 9, 30, tzinfo=UTC)


def test_canvas_roster_matches_files_keeps_the_newest_and_lists_the_rest(tmp_path, canvas_download):
    roster = read_roster(_write(tmp_path / "canvas.csv", CANVAS_ROSTER))
    assert roster.kind == "canvas"
    assert [s.id for s in roster.students] == [
        "kpark",
        "rdiaz",
        "nbrown",
    ]  # no Points Possible, no test student
    chosen = resolve(find_submissions([canvas_download], "ps1", "ps1"), roster)
    graded = {s.student: s.path.name for s in chosen.graded}
    assert graded == {
        "kpark": "parkkai_LATE_11147_50217_ps1.ipynb",
        "rdiaz": "diazrosa_11184_50301_ps1-1.ipynb",  # the newer of her two files
        "nbrown": "brownnoah_11190_50230_ps1 (1).ipynb",
    }
    assert [s.path.name for s, _ in chosen.superseded] == ["diazrosa_11184_50224_ps1.ipynb"]
    assert [s.path.name for s, _ in chosen.unmatched] == ["someoneelse_12000_50400_ps1.ipynb"]
    assert "someoneelse" in chosen.unmatched[0][1]


@pytest.mark.parametrize("text", [MOODLE_EXPORT, MOODLE_WORKSHEET])
def test_moodle_rosters_match_moodle_folders_and_keep_the_newest_file(tmp_path, moodle_download, text):
    roster = read_roster(_write(tmp_path / "moodle.csv", text))
    assert roster.kind in ("moodle", "moodle-worksheet")
    chosen = resolve(find_submissions([moodle_download], "ps1", "ps1"), roster)
    by_student = {s.student: s.path.name for s in chosen.graded}
    kai = "S1001" if roster.kind == "moodle" else "kai.park@uni.example"
    assert by_student[kai] == "ps1 (1).ipynb"  # the later file of the two
    assert len(chosen.superseded) == 1 and not chosen.unmatched


def test_plain_roster_matches_email_prefixes_and_bad_rosters_are_refused(tmp_path):
    roster = read_roster(_write(tmp_path / "plain.csv", PLAIN_ROSTER))
    sub = parse_name(Path("dl/kai.park_ps1.ipynb"), "ps1", "ps1")
    assert roster.match(sub)[0].id == "kpark"
    assert roster.by_id()["rdiaz"].extension_days == 2
    with pytest.raises(RosterError, match="not a roster"):
        read_roster(_write(tmp_path / "x.csv", "a,b\n1,2\n"))
    with pytest.raises(RosterError, match="line 3: student 'kpark' is listed twice"):
        read_roster(_write(tmp_path / "dup.csv", "student,name\nkpark,A\nkpark,B\n"))
    with pytest.raises(CoursekitError, match="line 2: extension 'soon'"):
        read_roster(_write(tmp_path / "ext.csv", "student,extension_days\nkpark,soon\n"))


def test_late_by_timestamp_extension_and_canvas_mark_and_the_policies(tmp_path):
    roster = read_roster(_write(tmp_path / "plain.csv", PLAIN_ROSTER))
    due = datetime(2026, 10, 1, 23, 59, tzinfo=UTC)
    folder = tmp_path / "submitted" / "kpark" / "ps1"
    _copy("perfect.ipynb", folder / "ps1.ipynb")
    _write(folder / "timestamp.txt", "2026-10-03 12:00:00 UTC")  # 1.5 days late
    sub = parse_name(folder / "ps1.ipynb", "ps1", "ps1")
    days, how = days_late(sub, due, roster.by_id()["kpark"])
    assert days == pytest.approx(1.5, abs=0.01) and "timestamp" in how
    assert days_late(sub, due, roster.by_id()["rdiaz"])[0] == 0  # her 2-day extension covers it
    canvas = parse_name(Path("parkkai_LATE_11147_50217_ps1.ipynb"), "ps1", "ps1")
    assert days_late(canvas, due)[0] == 1.0
    # 10% per started day, floor 50%: 1.5 days -> 2 days -> 80%; 9 days -> 50%
    policy = LatePolicy("penalty", 10, 50)
    assert policy.multiplier(1.5) == pytest.approx(0.8) and policy.multiplier(9) == 0.5
    assert LatePolicy("flag").multiplier(9) == 1.0
    result = Result("kpark", "x", "graded", questions=[QuestionResult("q1", 10, 10, False, "passed")])
    late = Deadline(due, policy, roster).apply(result, sub)
    assert (late.total, late.penalty, late.final) == (10, 2, 8)
    assert Deadline(due, LatePolicy("none"), roster).apply(result, sub).late_days == 0


def _results() -> list[Result]:
    def result(student: str, points: float, platform: str, user: str, name: str, file: str) -> Result:
        return Result(
            student,
            f"/home/instructor/dl/{student}.ipynb",
            "graded",
            questions=[QuestionResult("q1-tests", 3, points, False, "passed")],
            platform=platform,
            platform_user=user,
            platform_name=name,
            platform_file=file,
        )

    return [
        result("kpark", 3, "canvas", "11147", "parkkai", "50217"),
        result("rdiaz", 1.5, "canvas", "11184", "diazrosa", "50301"),
    ]


def _canvas_import(text: str, roster_text: str) -> dict[str, object]:
    """What Canvas's gradebook importer (canvas-lms app/models/gradebook_importer.rb) reads from a CSV: the header
    must start with /Student/, /ID/ and end its student columns with /Section/ (3 columns, or 4 with SIS Login
    ID, or 5 with SIS User ID and SIS Login ID); a row whose first cell matches /Points Possible/ gives points;
    students are found by the ID column. Returns the assignments, points and grades by Canvas user id."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = rows[0]
    assert len(header) > 3 and re.search("Student", header[0]) and re.search("ID", header[1])
    columns = 3
    if re.search(r"SIS\s+Login\s+ID", header[2]):
        columns = 4
    elif re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3]):
        columns = 5
    assert re.search("Section", header[columns - 1]), "the last student column must be Section"
    assignments = header[columns:]
    points = None
    grades: dict[str, list[str]] = {}
    known_ids = {r["ID"] for r in csv.DictReader(io.StringIO(roster_text)) if r["ID"]}
    for row in rows[1:]:
        if re.search("Points Possible", row[0]):
            points = row[columns:]
            continue
        assert row[1] in known_ids, f"Canvas cannot find student {row[1]!r}"
        grades[row[1]] = row[columns:]
    return {"assignments": assignments, "points": points, "grades": grades}


def test_canvas_gradebook_csv_imports(tmp_path):
    roster = read_roster(_write(tmp_path / "canvas.csv", CANVAS_ROSTER))
    settings = ExportSettings("canvas", "", True, roster)
    settings.check()
    paths = write_exports(tmp_path, _results(), "ps1", 3, settings, feedback_summary, atomic_write)
    text = (tmp_path / "grades-canvas.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff") and tmp_path / "grades-canvas.csv" in paths
    parsed = _canvas_import(text, CANVAS_ROSTER)
    # the column Canvas exported for this assignment, so Canvas matches it by its id (70401)
    assert parsed["assignments"] == ["PS1 Hype words (70401)"]
    assert parsed["points"] == ["3"]
    assert parsed["grades"] == {"11147": ["3"], "11184": ["1.5"], "11190": [""]}  # blank: left unchanged
    # the student columns are the roster's own cells
    row = next(
        csv.DictReader(io.StringIO(text.lstrip("\ufeff").split("\n", 2)[0] + "\n" + text.split("\n")[2]))
    )
    assert (row["Student"], row["SIS User ID"], row["SIS Login ID"], row["Section"]) == (
        "Park, Kai",
        "S1001",
        "kpark",
        "Section A",
    )


@pytest.mark.parametrize(
    ("text", "ident"), [(MOODLE_EXPORT, "ID number"), (MOODLE_WORKSHEET, "Email address")]
)
def test_moodle_grade_import_csv(tmp_path, text, ident):
    roster = read_roster(_write(tmp_path / "moodle.csv", text))
    results = _results()
    for r, sid in zip(results, [s.id for s in roster.students], strict=False):
        r.student = sid
    ExportSettings("moodle", "PS1", False, roster).check()
    write_exports(
        tmp_path,
        results,
        "ps1",
        3,
        ExportSettings("moodle", "PS1", False, roster),
        feedback_summary,
        atomic_write,
    )
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades-moodle.csv").read_text(encoding="utf-8"))))
    # Moodle's CSV import maps one column to a user field: "ID number" -> useridnumber or email -> useremail
    # (https://docs.moodle.org/en/Grade_import); e-mail addresses are compared case-sensitively
    source = {r[ident]: r for r in csv.DictReader(io.StringIO(text))}
    assert [r[ident] for r in rows] == [r[ident] for r in list(source.values())[:2]]
    assert [float(r["PS1"]) for r in rows] == [3.0, 1.5]
    assert all(0 <= float(r["PS1"]) <= 3 for r in rows)
    assert "3 of 3 points" in rows[0]["PS1 (feedback)"]


def test_exports_that_cannot_import_are_refused(tmp_path):
    plain = read_roster(_write(tmp_path / "plain.csv", PLAIN_ROSTER))
    with pytest.raises(CoursekitError, match="--lms canvas needs .* as --roster, but the roster given is a plain"):
        ExportSettings("canvas", roster=plain).check()
    with pytest.raises(CoursekitError, match="--lms moodle needs --roster"):
        ExportSettings("moodle").check()


def test_feedback_zips_use_the_names_the_bulk_uploads_expect(tmp_path):
    results = _results()
    results.append(
        Result("Kai Park", "x", "graded", platform="moodle", platform_user="4411", platform_name="Kai Park")
    )
    pages = {r.student: f"<p>{r.student}</p>" for r in results}
    zips, _ = feedback_zips(tmp_path, pages, results)
    assert sorted(z.name for z in zips) == ["feedback-canvas.zip", "feedback-moodle.zip"]
    names = zipfile.ZipFile(tmp_path / "feedback-canvas.zip").namelist()
    for name in names:
        # Canvas (assignment.rb, infer_comment_context_from_filename): the first two all-digit "_" parts are the
        # user id and the id of the submitted file
        digits = [p for p in name.split("_") if re.fullmatch(r"\d+", p)]
        assert digits[:2] in (["11147", "50217"], ["11184", "50301"])
    (moodle,) = zipfile.ZipFile(tmp_path / "feedback-moodle.zip").namelist()
    # Moodle (importziplib.php): split on "_" into 5 parts: name, participant id, plugin type, plugin name, file
    info = moodle.split("_", 4)
    assert info[1] == "4411" and (info[2], info[3]) == ("assignsubmission", "file") and info[4]


def test_a_platform_number_is_only_compared_with_the_same_platforms_roster(tmp_path):
    moodle = read_roster(_write(tmp_path / "moodle.csv", MOODLE_WORKSHEET))
    # a Canvas file whose user id happens to equal a Moodle participant number is not that participant
    canvas_file = parse_name(Path("someone_4411_50217_ps1.ipynb"), "ps1", "ps1")
    assert moodle.match(canvas_file)[0] is None
    moodle_file = parse_name(Path("Someone Else_4411_assignsubmission_file_/ps1.ipynb"), "ps1", "ps1")
    assert moodle.match(moodle_file)[0].email == "kai.park@uni.example"
