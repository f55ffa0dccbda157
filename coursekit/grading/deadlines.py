"""Deadlines: each student's own due date for an assignment, how late a file was, and the late policy.

A student's deadline for assignment `A` is, in order of precedence:

1. their own due date for `A`: a roster column `due:A`, or a row of `--extensions` with a `due`;
2. their own due date for every assignment: a roster column `due`;
3. the course's `--due`;

plus their extension for `A` (a roster column `extension_days:A`, or a row of `--extensions` with `days`), else
their extension for every assignment (a roster column `extension_days`).

How late a file was, from the best evidence the download carries:

- a time of submission (nbgrader's `timestamp.txt`, or the "Last modified (submission)" column of Moodle's grading
  worksheet used as the roster) is compared with the student's own deadline;
- Canvas's `LATE` mark in a file name says the file came after Canvas's deadline, but not by how much: it counts as
  one day. For a student with an extension or a later own date it cannot be judged (the mark is against the
  course's date), so the row is flagged for the instructor (`CANNOT_JUDGE`) and not penalised;
- Moodle's worksheet status ("… 2 days 3 hours late") gives Moodle's own judgement (which includes extensions
  granted in Moodle) when it has no time column.

A row whose lateness cannot be judged at all, while a late policy is on, says so in its note (`CANNOT_JUDGE`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from coursekit.compat import UTC
from coursekit.errors import CoursekitError
from coursekit.grading.csv_sniff import sniff_dialect
from coursekit.grading.score import Result
from coursekit.grading.status import Status
from coursekit.grading.submissions import Submission

if TYPE_CHECKING:
    from coursekit.grading.gradebook import Gradebook

__all__ = [
    "CANNOT_JUDGE",
    "Deadline",
    "Extensions",
    "LatePolicy",
    "days_late",
    "moodle_late_days",
    "parse_due",
    "parse_moodle_time",
    "read_extensions",
]

#: The start of a lateness note that the instructor must decide by hand (never penalised).
CANNOT_JUDGE = "cannot judge"
#: Canvas's LATE mark carries no time: it counts as this many days.
CANVAS_LATE_DAYS = 1.0
MOODLE_TIME_COLUMN = "Last modified (submission)"
MOODLE_STATUS_COLUMN = "Status"
# Moodle's user-date formats for "Last modified (submission)" (strftimedatetime and its short forms), English.
MOODLE_TIME_FORMATS = ("%A, %d %B %Y, %I:%M %p", "%A, %d %B %Y, %H:%M", "%d %B %Y, %I:%M %p", "%d/%m/%Y, %H:%M")
_UNITS = {"year": 365.0, "day": 1.0, "hour": 1 / 24, "min": 1 / 1440, "sec": 1 / 86400}
_LATE_TEXT = re.compile(r"((?:\d+\s+(?:years?|days?|hours?|mins?|secs?)\s*)+)late\b", re.IGNORECASE)


def _parse_iso(text: str, where: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CoursekitError(
            f"{where}: {text!r} is not a date and time (use ISO 8601, e.g. 2026-10-01T23:59)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_due(text: str, where: str = "--due") -> datetime:
    """A due date (ISO 8601; UTC unless an offset is given). Raises CoursekitError naming `where`."""
    return _parse_iso(text, where)


def parse_days(text: str, where: str) -> float:
    """An extension in days: a number, 0 or more."""
    try:
        days = float(text)
    except ValueError:
        raise CoursekitError(f"{where}: extension {text!r} is not a number of days") from None
    if not math.isfinite(days) or days < 0:
        raise CoursekitError(f"{where}: extension {text!r} must be 0 or more days")
    return days


def parse_moodle_time(text: str, tz: object = UTC) -> datetime | None:
    """Moodle's "Last modified (submission)" ("Tuesday, 3 October 2026, 11:59 PM"), or ISO 8601; None if empty
    or "-". A time without a zone is taken in `tz` (the zone of the course's due date)."""
    text = (text or "").strip()
    if not text or text == "-":
        return None
    for fmt in MOODLE_TIME_FORMATS:
        try:
            when = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return when.replace(tzinfo=tz)  # type: ignore[arg-type]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=tz)  # type: ignore[arg-type]


def moodle_late_days(status: str) -> float | None:
    """Days late from Moodle's status text ("Submitted for grading - 1 day 2 hours late"); None when it says
    nothing of lateness."""
    found = _LATE_TEXT.search(status or "")
    if not found:
        return None
    days = 0.0
    for number, unit in re.findall(r"(\d+)\s+(year|day|hour|min|sec)", found.group(1), re.IGNORECASE):
        days += int(number) * _UNITS[unit.lower()]
    return round(days, 3)


@dataclass(frozen=True)
class Extensions:
    """Per-student, per-assignment own due dates and extensions (from roster columns or an extensions file)."""

    due: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (student, assignment) -> own due date
    days: dict[tuple[str, str], float] = field(default_factory=dict)  # (student, assignment) -> extra days

    def merged(self, other: Extensions) -> Extensions:
        return Extensions({**self.due, **other.due}, {**self.days, **other.days})


def read_extensions(path: Path, known: Iterable[str] | None = None) -> Extensions:
    """An extensions CSV: columns `student`, `assignment`, and `days` and/or `due` (ISO 8601), one row per grant.
    Raises CoursekitError naming the line of a bad row or an unknown student."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CoursekitError(f"cannot read the extensions file {path} ({exc.__class__.__name__})") from None
    reader = csv.DictReader(lines, dialect=sniff_dialect(lines))
    columns = {c.strip() for c in reader.fieldnames or []}
    if not {"student", "assignment"} <= columns or not ({"days", "due"} & columns):
        raise CoursekitError(f"{path}: an extensions file needs the columns student, assignment, and days or due")
    students = set(known) if known is not None else None
    due: dict[tuple[str, str], datetime] = {}
    days: dict[tuple[str, str], float] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        where = f"{path}: line {line}"
        student, assignment = row.get("student", ""), row.get("assignment", "")
        if not student or not assignment:
            raise CoursekitError(f"{where}: a row needs a student and an assignment")
        if students is not None and student not in students:
            raise CoursekitError(f"{where}: no student {student!r} in the roster")
        if row.get("due"):
            due[(student, assignment)] = parse_due(row["due"], where)
        if row.get("days"):
            days[(student, assignment)] = parse_days(row["days"], where)
    return Extensions(due, days)


@dataclass(frozen=True)
class LatePolicy:
    """`none` ignores deadlines; `flag` marks late work; `penalty` takes `per_day` percent of the score per
    started day late, never below `floor` percent of it."""

    kind: str = "flag"
    per_day: float = 0.0
    floor: float = 0.0

    def multiplier(self, days_late: float) -> float:
        if self.kind != "penalty" or days_late <= 0:
            return 1.0
        return max(self.floor / 100, 1 - self.per_day / 100 * math.ceil(days_late))


def own_deadline(due: datetime | None, student: object | None, assignment: str = "",
                 extensions: Extensions | None = None) -> tuple[datetime | None, bool]:
    """(the student's own deadline for `assignment`, whether it is later than the course's)."""
    sid = getattr(student, "id", "")
    ext = extensions or Extensions()
    own = ext.due.get((sid, assignment)) or getattr(student, "due", None)
    days = ext.days.get((sid, assignment), getattr(student, "extension_days", 0.0) or 0.0)
    base = own or due
    if base is None:
        return None, False
    deadline = base + timedelta(days=days)
    return deadline, bool(due is None and own is not None) or (due is not None and deadline > due)


def days_late(sub: Submission, due: datetime | None, student: object | None = None, assignment: str = "",
              extensions: Extensions | None = None) -> tuple[float, str]:
    """(days late, how it is known) of a submission against the student's own deadline (see the module)."""
    deadline, extended = own_deadline(due, student, assignment, extensions)
    row = getattr(student, "row", {}) or {}
    submitted = sub.submitted_at
    how = "nbgrader's timestamp.txt"
    if submitted is None and row.get(MOODLE_TIME_COLUMN):
        submitted = parse_moodle_time(row[MOODLE_TIME_COLUMN], deadline.tzinfo if deadline else UTC)
        how = "Moodle's 'Last modified (submission)'"
    if deadline is None:
        return 0.0, ""
    if submitted is not None:
        late = (submitted - deadline).total_seconds() / 86400
        return (round(late, 3), how) if late > 0 else (0.0, "")
    if sub.late:
        if extended:
            return 0.0, (f"{CANNOT_JUDGE}: marked LATE by Canvas against the course's date, but this student's own "
                         f"deadline is {deadline:%Y-%m-%d %H:%M %Z} and the file carries no time; check in Canvas")
        return CANVAS_LATE_DAYS, "marked LATE by Canvas (no time: counted as one day)"
    moodle = moodle_late_days(row.get(MOODLE_STATUS_COLUMN, ""))
    if moodle is not None:
        if extended:
            return 0.0, (f"{CANNOT_JUDGE}: Moodle's status says late, but this student has an extension in the "
                         "roster and the worksheet has no submission time; check in Moodle")
        return moodle, "Moodle's status"
    if sub.platform in ("moodle", "file") and not row.get(MOODLE_STATUS_COLUMN):
        return 0.0, f"{CANNOT_JUDGE}: the download carries no time of submission (give Moodle's grading worksheet " \
                    "as the roster)" if sub.platform == "moodle" else f"{CANNOT_JUDGE}: the file carries no time"
    return 0.0, ""


@dataclass(frozen=True)
class Deadline:
    """The due date, the late policy, the roster (each student's own date or extension) and the extensions."""

    due: datetime | None
    policy: LatePolicy = field(default_factory=LatePolicy)
    roster: object | None = None  # a roster.Roster
    assignment: str = ""
    extensions: Extensions | None = None

    def lateness(self, sub: Submission) -> tuple[float, str]:
        """(days late, how it is known) of a submission, with the student's own date or extension."""
        student = self.roster.by_id().get(sub.student) if self.roster is not None else None  # type: ignore[attr-defined]
        return days_late(sub, self.due, student, self.assignment, self._extensions())

    def _extensions(self) -> Extensions:
        from_roster = getattr(self.roster, "extensions", None)
        ext = from_roster(self.assignment) if callable(from_roster) else Extensions()
        return ext.merged(self.extensions) if self.extensions else ext

    def apply(self, result: Result, sub: Submission | None, stored: tuple[float, str] | None = None) -> Result:
        """`result` with its lateness (from this run's file, else as stored in the gradebook) and the penalty."""
        if self.policy.kind == "none":
            return replace(result, late_days=0.0, late_note="", penalty=0.0)
        days, note = self.lateness(sub) if sub is not None else (stored or (0.0, ""))
        result = replace(result, late_days=days, late_note=note)
        if result.status in (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT):
            return replace(result, penalty=0.0)
        penalty = round(result.total * (1 - self.policy.multiplier(result.late_days)), 2)
        return replace(result, penalty=penalty)


def apply_deadline(
    deadline: Deadline, book: Gradebook, assignment: str, submissions: list[Submission], results: list[Result]
) -> list[Result]:
    """Store how late each of `submissions` is (what the platform's file said, kept for later runs), then the
    results with the late policy applied to every student's row of `assignment` in `book`."""
    book.set_lateness(assignment, [(sub.student, *deadline.lateness(sub)) for sub in submissions])
    late = book.lateness(assignment)
    return [deadline.apply(r, None, late.get(r.student)) for r in results]
