"""Grades and feedback in the shapes the learning platforms import.

Canvas, gradebook import ("Grades > Import", a CSV as its own export writes it). What Canvas's importer reads
(canvas-lms, app/models/gradebook_importer.rb; instructor guide: "How do I import grades in the Gradebook?",
https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807, and e.g.
https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
the header starts `Student, ID` and its student columns end with `Section` (`Student, ID, SIS User ID, SIS Login
ID, Section`); a row whose first cell contains "Points Possible" gives the assignments' points; each student row
is matched by its `ID` (then SIS ids, then name); an assignment column is matched by `Title (id)` as Canvas
exports it, else by title (an unknown title creates a new assignment). We copy the student columns from the
roster (Canvas's own export) and write one assignment column.

Moodle, grade import from CSV ("Grades > Import > CSV file", https://docs.moodle.org/en/Grade_import): the
instructor maps one column to a user field ("ID number" to useridnumber, or "Email address" to useremail) and
one to the grade item, and may map a feedback column; email addresses are compared case-sensitively. We write
`ID number` (when the roster has one for every student) or `Email address`, then the grade and the feedback.

Feedback files, bulk upload:
- Canvas, "Upload submissions" of an assignment (comments with files): the file name carries the user id and
  the attachment id as its first two all-digit `_` parts, as in the downloaded file names
  (`name_userid_attachmentid_...`; canvas-lms app/models/assignment.rb, infer_comment_context_from_filename).
- Moodle, "Upload multiple feedback files in a zip": a folder per participant named as in the download,
  `Full Name_participantid_assignsubmission_file_/` (mod/assign/feedback/file/importziplib.php splits the path on
  `_`: the second part is the participant id, the third and fourth name the submission plugin).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.roster import CANVAS_COLUMNS, Roster
from coursekit.grading.score import Result
from coursekit.grading.status import Status

LMS_CHOICES = ("plain", "canvas", "moodle")
CANVAS_FILE = "grades-canvas.csv"
MOODLE_FILE = "grades-moodle.csv"
PLAIN_FILE = "grades-lms.csv"
BOM = "\ufeff"


@dataclass(frozen=True)
class ExportSettings:
    """Which platform to export for, its name for the assignment's column, and whether to start with a BOM;
    `criteria` ({grade id: rubric points}, from `grade --show-criteria`) are shown on the feedback pages."""

    lms: str = "plain"
    column: str = ""
    bom: bool = False
    roster: Roster | None = None
    criteria: dict[str, list[str]] = field(default_factory=dict, hash=False)

    def check(self) -> None:
        """Refuse settings that cannot give an importable file (one line, exit 2)."""
        if self.lms not in LMS_CHOICES:
            raise CoursekitError(f"--lms must be one of {', '.join(LMS_CHOICES)}, not {self.lms!r}")
        wants = {"canvas": "Canvas's gradebook export of the course", "moodle": "Moodle's grade export or grading worksheet"}
        if self.lms in wants and self.roster is None:
            raise CoursekitError(f"--lms {self.lms} needs --roster: {wants[self.lms]}")
        if self.lms in wants and self.roster is not None and self.roster.kind.split("-")[0] != self.lms:
            raise CoursekitError(
                f"--lms {self.lms} needs {wants[self.lms]} as --roster, but the roster given is "
                f"{ROSTER_KINDS.get(self.roster.kind, self.roster.kind)}: export the roster from {self.lms.title()}, "
                f"or use --lms {self.roster.kind.split('-')[0]}"
            )


def canvas_column_note(roster: Roster, assignment_id: str, given: str = "") -> str:
    """A warning when the Canvas file's grade column is not one of the export's columns ("" when it is)."""
    column = canvas_column(roster, assignment_id, given)
    if column in roster.columns:
        return ""
    return (
        f"the Canvas export has no column for this assignment: grades-canvas.csv uses the column {column!r}, and "
        "Canvas's importer would create a new assignment of that name (give --lms-column with the existing "
        "column's exact header, e.g. 'Hype (70401)', to fill that one instead)"
    )


ROSTER_KINDS = {
    "canvas": "a Canvas gradebook export",
    "moodle": "a Moodle grade export",
    "moodle-worksheet": "a Moodle grading worksheet",
    "plain": "a plain student,name,email list",
}


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


NO_EXPORT = (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT, Status.TAMPERED, Status.REFUSED)


def _grade(result: Result | None) -> str:
    """The grade cell: blank for no file, or a file that could not be graded (empty, another assignment's), or a
    row the instructor must look at first (tampered, or answers refused by the clean room): the instructor decides,
    and grades.csv's message says why. What a blank does on import differs by platform (see canvas_rows and
    moodle_rows)."""
    if result is None or result.status in NO_EXPORT:
        return ""
    return _num(result.final)


def _csv(rows: list[list[str]], bom: bool) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # RFC 4180 line ends, as the platforms write
    return (BOM if bom else "") + buffer.getvalue()


def canvas_column(roster: Roster, assignment_id: str, given: str = "") -> str:
    """The assignment column's header: as given; else the roster's column for this assignment (Canvas exports
    `Title (id)`) when exactly one matches the assignment's name; else the assignment id (a new column)."""
    if given:
        return given
    words = assignment_id.split("-", 1)[-1].casefold()
    known = set(CANVAS_COLUMNS)
    hits = [c for c in roster.columns if c not in known and words in c.casefold()]
    return hits[0] if len(hits) == 1 else assignment_id


def canvas_rows(results: dict[str, Result], roster: Roster, column: str, points: float) -> list[list[str]]:
    """Canvas's gradebook CSV: student columns copied from the roster, a Points Possible row, one grade column.
    Students without a graded file are left blank. Canvas's importer counts a blank as no change only where Canvas
    has no score either; where it has one (entered by hand, say), the blank is a change, listed on the import's
    review page before anything is saved (gradebook_importer.rb, no_change_to_value?): see INSTRUCTORS.md."""
    student_columns = [c for c in CANVAS_COLUMNS if c in roster.columns]
    rows = [[*student_columns, column], ["Points Possible", *[""] * (len(student_columns) - 1), _num(points)]]
    for student in roster.students:
        result = results.get(student.id)
        rows.append([*(student.row.get(c, "") for c in student_columns), _grade(result)])
    return rows


def moodle_rows(
    results: dict[str, Result], roster: Roster, column: str, summary: Callable[[Result], str]
) -> list[list[str]]:
    """Moodle's CSV grade import: an identifying column, the grade, the feedback. A student with no grade to give
    (no file, or a file that could not be graded) gets no row: Moodle's importer reads a blank grade of an existing
    grade item as "no grade" and would clear a grade entered by hand (grade/import/csv/classes/load_data.php,
    update_grade_item)."""
    use_number = roster.kind == "moodle" and all(s.row.get("ID number") for s in roster.students)
    ident = "ID number" if use_number else "Email address"
    rows = [[ident, column, f"{column} (feedback)"]]
    for student in roster.students:
        result = results.get(student.id)
        if result is None or _grade(result) == "":
            continue
        key = student.row.get("ID number", "") if use_number else student.email
        rows.append([key, _grade(result), summary(result)])
    return rows


def plain_rows(results: dict[str, Result]) -> list[list[str]]:
    return [["student", "total"], *([r.student, _grade(r)] for r in results.values())]


def write_exports(
    out: Path,
    results: list[Result],
    assignment_id: str,
    points: float,
    settings: ExportSettings,
    summary: Callable[[Result], str],
    write: Callable[[Path, str], None],
) -> list[Path]:
    """Write grades-lms.csv (always) and the platform's file; returns the paths written."""
    by_student = {r.student: r for r in results}
    written = [out / PLAIN_FILE]
    write(out / PLAIN_FILE, _csv(plain_rows(by_student), settings.bom))
    roster = settings.roster
    if settings.lms == "canvas" and roster is not None:
        column = canvas_column(roster, assignment_id, settings.column)
        write(out / CANVAS_FILE, _csv(canvas_rows(by_student, roster, column, points), settings.bom))
        written.append(out / CANVAS_FILE)
    elif settings.lms == "moodle" and roster is not None:
        column = settings.column or assignment_id
        write(out / MOODLE_FILE, _csv(moodle_rows(by_student, roster, column, summary), settings.bom))
        written.append(out / MOODLE_FILE)
    return written


def canvas_feedback_name(result: Result) -> str | None:
    """`name_userid_attachmentid_feedback.html` for a file downloaded from Canvas, else None."""
    if result.platform != "canvas" or not (result.platform_user.isdigit() and result.platform_file.isdigit()):
        return None
    return f"{result.platform_name}_{result.platform_user}_{result.platform_file}_feedback.html"


def moodle_feedback_name(result: Result) -> str | None:
    """`Full Name_participantid_assignsubmission_file_/feedback.html` for a Moodle download, else None."""
    if result.platform != "moodle" or not result.platform_user.isdigit():
        return None
    return f"{result.platform_name}_{result.platform_user}_assignsubmission_file_/feedback.html"


def feedback_zips(out: Path, pages: dict[str, str], results: list[Result]) -> tuple[list[Path], list[str]]:
    """feedback-canvas.zip and feedback-moodle.zip with each page named for the platform's bulk upload (only
    the students whose file came from that platform); returns (zips written, students left out of any zip)."""
    namers = {"canvas": canvas_feedback_name, "moodle": moodle_feedback_name}
    written, left_out = [], []
    for platform, namer in namers.items():
        entries = [(name, pages[r.student]) for r in results if r.student in pages and (name := namer(r))]
        if not entries:
            continue
        target = out / f"feedback-{platform}.zip"
        tmp = target.with_name(f".{target.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, page in sorted(entries):
                archive.writestr(name, page)
        tmp.replace(target)
        written.append(target)
    left_out = [r.student for r in results if not any(n(r) for n in namers.values()) and r.platform in namers]
    return written, left_out
