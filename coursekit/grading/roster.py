"""Who is who: a class roster, matching files to students, one graded file per student, and deadlines.

A roster is the platform's own export, recognised by its columns, or a plain CSV:

- Canvas's gradebook export ("Grades > Export"): `Student, ID, SIS User ID, SIS Login ID, Section, ...`, with a
  "Points Possible" row under the header;
- Moodle's grade export ("Export > Plain text file"): `First name, Last name, ID number, Institution, Department,
  Email address, ...`; or Moodle's assignment grading worksheet: `Identifier, Full name, Email address, ...`
  (its identifier, "Participant 4411", is the number in the "download all submissions" folder names);
- plain: `student, name, email, ...`.

Any of them may carry extra columns the instructor adds: `extension_days` (days added to the due date) or `due`
(this student's own due date, ISO 8601), for every assignment; or `extension_days:<assignment id>` and
`due:<assignment id>` for one assignment (see `deadlines.py`). Commas or semicolons separate the columns (Canvas
and Moodle write semicolons under some locale settings); the header line decides.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.csv_sniff import sniff_dialect
from coursekit.grading.deadlines import Extensions, parse_days, parse_due
from coursekit.grading.submissions import Submission

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_EXPORT_COLUMNS = ("First name", "Last name", "ID number", "Email address")
MOODLE_WORKSHEET_COLUMNS = ("Identifier", "Full name", "Email address")
PLAIN_COLUMNS = ("student",)


class RosterError(CoursekitError):
    """A roster that cannot be read or is not in a known format."""


def normal(text: str) -> str:
    """`text` for matching: accents removed, case folded, only letters and digits (as Canvas's file names)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.casefold())


@dataclass(frozen=True)
class Student:
    """One student of the roster. `id` is stable across assignments; `row` is the roster's own row."""

    id: str
    name: str = ""
    email: str = ""
    platform_user: str = ""  # Canvas user ID, Moodle participant number
    keys: frozenset[str] = frozenset()  # normalised names and ids a file may carry
    due: datetime | None = None
    extension_days: float = 0.0
    row: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Roster:
    """The students of a class, in the roster's order, and the format it came in."""

    kind: str  # canvas, moodle, moodle-worksheet or plain
    columns: list[str]
    students: list[Student]

    def by_id(self) -> dict[str, Student]:
        return {s.id: s for s in self.students}

    def extensions(self, assignment: str) -> Extensions:
        """Own due dates and extensions for one assignment, from the columns `due:<id>`, `extension_days:<id>`."""
        due, days = {}, {}
        for s in self.students:
            where = f"roster: student {s.id}"
            if (s.row.get(f"due:{assignment}") or "").strip():
                due[(s.id, assignment)] = parse_due(s.row[f"due:{assignment}"], where)
            if (s.row.get(f"extension_days:{assignment}") or "").strip():
                days[(s.id, assignment)] = parse_days(s.row[f"extension_days:{assignment}"], where)
        return Extensions(due, days)

    def match(self, sub: Submission) -> tuple[Student | None, str]:
        """The student a file belongs to, or None and the reason."""
        same_platform = self.kind == "plain" or self.kind.split("-")[0] == sub.platform
        if sub.platform_user and same_platform:  # Canvas user ids and Moodle participant numbers differ
            hits = [s for s in self.students if s.platform_user and s.platform_user == sub.platform_user]
            if len(hits) == 1:
                return hits[0], ""
        wanted = {normal(x) for x in (sub.student, sub.platform_name) if x and normal(x)}
        hits = [s for s in self.students if s.keys & wanted]
        if len(hits) == 1:
            return hits[0], ""
        if len(hits) > 1:
            return None, f"matches {len(hits)} students of the roster ({', '.join(s.id for s in hits[:3])})"
        return None, f"no student of the roster is called {sub.platform_name or sub.student!r}"


def _deadline_fields(row: dict[str, str], where: str) -> tuple[datetime | None, float]:
    due = (row.get("due") or "").strip()
    ext = (row.get("extension_days") or row.get("extension") or "").strip()
    days = parse_days(ext, where) if ext else 0.0
    return (parse_due(due, where) if due else None), days


def read_roster(path: Path) -> Roster:
    """Read a Canvas, Moodle or plain roster (see the module docstring); raises RosterError naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster {path} ({exc.__class__.__name__})") from None
    lines = text.splitlines()
    reader = csv.DictReader(lines, dialect=sniff_dialect(lines))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    has = set(columns)
    if set(CANVAS_COLUMNS[:2]) <= has:
        kind = "canvas"
    elif set(MOODLE_WORKSHEET_COLUMNS) <= has:
        kind = "moodle-worksheet"
    elif {"First name", "Last name"} <= has and ({"ID number", "Email address"} & has):
        kind = "moodle"
    elif "student" in has:
        kind = "plain"
    else:
        raise RosterError(
            f"{path}: not a roster this tool knows: expected Canvas's columns ({', '.join(CANVAS_COLUMNS)}), "
            f"Moodle's ({', '.join(MOODLE_EXPORT_COLUMNS)}) or a plain 'student,name,email'"
        )
    students: list[Student] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        where = f"{path}: line {line}"
        if kind == "canvas":
            name = row.get("Student", "")
            if not name or name.startswith("Points Possible") or name == "Student, Test":
                continue  # Canvas's "Points Possible" row and its test student
            sid = row.get("SIS Login ID") or row.get("SIS User ID") or row.get("ID", "")
            email = row.get("SIS Login ID", "") if "@" in row.get("SIS Login ID", "") else ""
            keys = {name, row.get("ID", ""), row.get("SIS User ID", ""), row.get("SIS Login ID", "")}
            if "," in name:  # "Park, Kai": Canvas file names use "parkkai"; people write "Kai Park"
                last, first = (p.strip() for p in name.split(",", 1))
                keys |= {f"{first} {last}", f"{last} {first}"}
            platform_user = row.get("ID", "")
        elif kind == "moodle-worksheet":
            name, email = row.get("Full name", ""), row.get("Email address", "")
            number = re.sub(r"\D", "", row.get("Identifier", ""))
            sid = email or number
            keys = {name, email, email.split("@")[0]}
            platform_user = number
        elif kind == "moodle":
            first, last = row.get("First name", ""), row.get("Last name", "")
            name, email = f"{first} {last}".strip(), row.get("Email address", "")
            sid = row.get("ID number") or email
            keys = {
                name,
                f"{last} {first}",
                f"{last}, {first}",
                email,
                email.split("@")[0],
                row.get("ID number", ""),
            }
            platform_user = ""
        else:
            sid, name, email = row.get("student", ""), row.get("name", ""), row.get("email", "")
            keys = {sid, name, email, email.split("@")[0]}
            platform_user = row.get("platform_id", "")
        if not sid:
            raise RosterError(f"{where}: a student without an id")
        if sid in seen:
            raise RosterError(f"{where}: student {sid!r} is listed twice")
        seen.add(sid)
        due, days = _deadline_fields(row, where)
        matchable = frozenset(k for k in (normal(x) for x in keys | {sid}) if k)
        students.append(Student(sid, name, email, platform_user, matchable, due, days, row))
    if not students:
        raise RosterError(f"{path}: the roster lists no students")
    return Roster(kind, columns, students)


@dataclass
class Resolution:
    """Which file of each student is graded; files not graded, with the reason."""

    graded: list[Submission]
    superseded: list[tuple[Submission, str]] = field(default_factory=list)
    unmatched: list[tuple[Submission, str]] = field(default_factory=list)


def _newest_key(sub: Submission) -> tuple:
    when = sub.submitted_at.timestamp() if sub.submitted_at else None
    try:
        mtime = sub.path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return (sub.order, when if when is not None else mtime, str(sub.path))


def resolve(submissions: Iterable[Submission], roster: Roster | None = None) -> Resolution:
    """One submission per student: with a roster, each file is matched to a roster student (the student id
    becomes the roster's id) or listed as unmatched; without one, the cleaned ids are used as they are. Where a
    student has several files, the newest (the platform's submission number, else nbgrader's timestamp, else
    the file's time) is graded and the others are listed as superseded."""
    result = Resolution([])
    by_student: dict[str, list[Submission]] = {}
    for sub in submissions:
        if roster is not None:
            student, reason = roster.match(sub)
            if student is None:
                result.unmatched.append((sub, reason))
                continue
            sub = replace(sub, student=student.id)
        elif not sub.student:
            result.unmatched.append((sub, "no student id could be read from the file name"))
            continue
        by_student.setdefault(sub.student, []).append(sub)
    for owner, subs in by_student.items():
        subs = sorted(subs, key=_newest_key)
        result.graded.append(subs[-1])
        for older in subs[:-1]:
            result.superseded.append((older, f"an older file of {owner}; {subs[-1].path.name} was graded"))
    result.graded.sort(key=lambda s: s.student)
    return result
