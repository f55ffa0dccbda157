"""The grader's outputs: CSV files written atomically, feedback pages, a progress line and a summary."""

from __future__ import annotations

import csv
import io
import os
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import TextIO

from coursekit.grading.feedback import feedback_html, safe_name
from coursekit.grading.score import Result

GRADES = "grades.csv"
LONG = "grades-long.csv"
LMS = "grades-lms.csv"
FEEDBACK = "feedback"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: readers see the old or the new file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def grades_rows(results: list[Result], question_ids: list[str]) -> list[list[object]]:
    """The wide table: one row per submission."""
    header = [
        "student",
        "file",
        *question_ids,
        "autograded",
        "autograded_max",
        "manual",
        "manual_pending",
        "total",
        "status",
        "message",
        "sandbox",
    ]
    rows: list[list[object]] = [header]
    for r in results:
        by_id = {q.grade_id: q.points for q in r.questions}
        rows.append(
            [
                r.student,
                r.file,
                *(_num(by_id.get(g)) if g in by_id else "" for g in question_ids),
                _num(r.auto_score),
                _num(r.auto_max),
                _num(r.manual_score),
                _num(r.manual_pending),
                _num(r.total),
                r.status,
                r.message,
                r.sandbox,
            ]
        )
    return rows


def long_rows(results: list[Result], assignment: str) -> list[list[object]]:
    """The long table: one row per student and question."""
    rows: list[list[object]] = [
        ["student", "assignment", "question", "kind", "points", "max_points", "status", "message"]
    ]
    for r in results:
        for q in r.questions:
            rows.append(
                [
                    r.student,
                    assignment,
                    q.grade_id,
                    "manual" if q.manual else "auto",
                    _num(q.points),
                    _num(q.max_points),
                    q.status,
                    q.message,
                ]
            )
    return rows


def write_reports(out: Path, assignment: str, results: list[Result], question_ids: list[str]) -> None:
    """grades.csv, grades-long.csv, grades-lms.csv (student,total) and feedback/<student>.html under `out`."""
    atomic_write(out / GRADES, _csv(grades_rows(results, question_ids)))
    atomic_write(out / LONG, _csv(long_rows(results, assignment)))
    atomic_write(out / LMS, _csv([["student", "total"], *([r.student, _num(r.total)] for r in results)]))
    for r in results:
        atomic_write(out / FEEDBACK / f"{safe_name(r.student)}.html", feedback_html(r, assignment))


class Progress:
    """A one-line progress bar on a terminal; one line per submission otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()

    def update(self, result: Result, reused: bool = False) -> None:
        self.done += 1
        what = f"{result.student}: {result.status}" + (" (unchanged, kept)" if reused else "")
        if self.tty:
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {what[:40]:40}"
            )
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {what}\n")
        self.stream.flush()


def summary(results: list[Result], auto_max: float, seconds: float) -> str:
    """Counts by status, the mean autograded score and a small histogram of scores."""
    counts = Counter(r.status for r in results)
    lines = [
        f"{len(results)} submissions in {seconds:.1f} s: "
        + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    ]
    scores = [
        r.auto_score for r in results if r.status != "not-a-notebook" and r.status != "wrong-assignment"
    ]
    if scores:
        lines.append(
            f"autograded score: mean {statistics.fmean(scores):.2f} / {auto_max:g}, "
            f"median {statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}"
        )
        bins = Counter(min(int(5 * s / auto_max), 4) if auto_max else 4 for s in scores)
        for b in range(5):
            lo, hi = b * 20, (b + 1) * 20
            lines.append(f"  {lo:3d}-{hi:3d}% {'#' * bins.get(b, 0)} {bins.get(b, 0)}")
    pending = sum(1 for r in results if r.manual_pending)
    if pending:
        lines.append(f"{pending} submissions have written answers to grade (python -m coursekit written ...)")
    return "\n".join(lines)
