"""The gradebook: one SQLite file in the output folder, so that a re-run replaces rows instead of adding them,
and a run that was killed resumes where it stopped. Each submission is committed as soon as it is graded."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.score import QuestionResult, Result
from coursekit.grading.status import FINAL_STATUSES

FILE_NAME = "gradebook.sqlite"
FINAL = FINAL_STATUSES  # statuses reused by a re-run; others are re-graded

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    auto_score REAL NOT NULL,
    auto_max REAL NOT NULL,
    graded_at REAL NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS lateness (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    days REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS manual_scores (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    question TEXT NOT NULL,
    points REAL NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (assignment, student, question)
);
"""


CLAIM_FILE = ".coursekit-assignment"


def claim_folder(folder: Path, assignment: str) -> None:
    """Make `folder` an output folder of `assignment`, or refuse one that holds another assignment's work
    (its marker file, or results of another assignment in its gradebook). Raises CoursekitError (exit 2)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CoursekitError(f"--out {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CoursekitError(f"--out {folder}: cannot create the folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CoursekitError(f"--out {folder}: the folder is not writable")
    marker = folder / CLAIM_FILE
    owner = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    if not owner and (folder / FILE_NAME).is_file():
        book = Gradebook(folder)
        try:
            others = sorted(book.assignments() - {assignment})
        finally:
            book.close()
        owner = others[0] if others else ""
    if owner and owner != assignment:
        raise CoursekitError(
            f"--out {folder} holds the work of assignment {owner}, not {assignment}; use a folder per assignment"
        )
    if not marker.is_file():
        marker.write_text(assignment + "\n", encoding="utf-8")


def result_from_json(text: str) -> Result:
    """A Result back from its stored JSON."""
    data = json.loads(text)
    data["questions"] = [QuestionResult(**q) for q in data["questions"]]
    return Result(**data)


class Gradebook:
    """A connection to `<folder>/gradebook.sqlite` (created if needed)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = Path(folder) / FILE_NAME
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def is_current(self, assignment: str, student: str, sha256: str, fingerprint: str) -> bool:
        """True if this student's file was already graded, with the same bytes and the same grading setup."""
        row = self.db.execute(
            "SELECT sha256, fingerprint, status FROM submissions WHERE assignment=? AND student=?",
            (assignment, student),
        ).fetchone()
        return row is not None and row[0] == sha256 and row[1] == fingerprint and row[2] in FINAL

    def store(self, assignment: str, result: Result, sha256: str, fingerprint: str) -> None:
        """Insert or replace the student's row, committed at once."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    assignment,
                    result.student,
                    result.file,
                    sha256,
                    fingerprint,
                    result.status,
                    result.auto_score,
                    result.auto_max,
                    time.time(),
                    json.dumps(printable(asdict(result))),
                ),
            )

    def results(self, assignment: str) -> list[Result]:
        """Every stored result of an assignment, by student id."""
        rows = self.db.execute(
            "SELECT result FROM submissions WHERE assignment=? ORDER BY student", (assignment,)
        ).fetchall()
        return [result_from_json(json.dumps(printable(json.loads(text)))) for (text,) in rows]

    def set_manual(self, assignment: str, scores: list[tuple[str, str, float | None, str]]) -> None:
        """Store (student, question, points, comment) given by a grader, replacing earlier ones; points None
        (a cell the grader cleared) removes the earlier points."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO manual_scores VALUES (?,?,?,?,?)",
                [(assignment, *row) for row in scores if row[2] is not None],
            )
            self.db.executemany(
                "DELETE FROM manual_scores WHERE assignment=? AND student=? AND question=?",
                [(assignment, row[0], row[1]) for row in scores if row[2] is None],
            )

    def set_lateness(self, assignment: str, rows: list[tuple[str, float, str]]) -> None:
        """Store (student, days late, how it is known) of the files graded in this run."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO lateness VALUES (?,?,?,?)", [(assignment, *row) for row in rows]
            )

    def lateness(self, assignment: str) -> dict[str, tuple[float, str]]:
        """{student: (days late, how it is known)} as last stored."""
        rows = self.db.execute(
            "SELECT student, days, note FROM lateness WHERE assignment=?", (assignment,)
        ).fetchall()
        return {s: (d, n) for s, d, n in rows}

    def students(self, assignment: str) -> set[str]:
        """The students with a stored result for the assignment."""
        rows = self.db.execute("SELECT student FROM submissions WHERE assignment=?", (assignment,)).fetchall()
        return {s for (s,) in rows}

    def assignments(self) -> set[str]:
        """Every assignment with a stored result or manual score in this gradebook."""
        rows = self.db.execute(
            "SELECT assignment FROM submissions UNION SELECT assignment FROM manual_scores"
        ).fetchall()
        return {a for (a,) in rows}

    def manual(self, assignment: str) -> dict[tuple[str, str], tuple[float, str]]:
        """{(student, question): (points, comment)} given by graders."""
        rows = self.db.execute(
            "SELECT student, question, points, comment FROM manual_scores WHERE assignment=?", (assignment,)
        ).fetchall()
        return {(s, q): (p, c) for s, q, p, c in rows}


def printable(value: object) -> object:
    """`value` with every string made encodable as UTF-8 (a lone surrogate from a kernel's message becomes the
    text `\\ud800`), recursively through lists and dicts: what a kernel says can never stop a report being
    written."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    return value
