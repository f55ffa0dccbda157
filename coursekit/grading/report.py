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
from typing import TYPE_CHECKING, TextIO

from coursekit.grading.class_report import write_class_report
from coursekit.grading.feedback import feedback_html, safe_name
from coursekit.grading.kernels.sandbox import SandboxChoice
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.lms import PLAIN_FILE, ExportSettings, feedback_zips, write_exports
from coursekit.grading.score import Result
from coursekit.grading.status import Status

if TYPE_CHECKING:
    from coursekit.grading.assignment import Assignment
    from coursekit.grading.batch import BatchOutcome

GRADES = "grades.csv"
LONG = "grades-long.csv"
LMS = PLAIN_FILE
FEEDBACK = "feedback"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: readers see the old or the new file whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
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


def grades_rows(
    results: list[Result], question_ids: list[str], names: dict[str, str] | None = None
) -> list[list[object]]:
    """The wide table: one row per submission, with the student's name from the roster (`names`) when given."""
    names = names or {}
    header = [
        "student",
        "name",
        "file",
        *question_ids,
        "autograded",
        "autograded_max",
        "manual",
        "manual_pending",
        "total",
        "late_days",
        "late_note",
        "penalty",
        "final",
        "status",
        "message",
        "sandbox",
    ]
    rows: list[list[object]] = [list(header)]
    for r in results:
        by_id = {q.grade_id: q.points for q in r.questions}
        rows.append(
            [
                r.student,
                names.get(r.student, ""),
                r.file,
                *(_num(by_id.get(g)) if g in by_id else "" for g in question_ids),
                _num(r.auto_score),
                _num(r.auto_max),
                _num(r.manual_score),
                _num(r.manual_pending),
                _num(r.total),
                _num(r.late_days),
                r.late_note,
                _num(r.penalty),
                _num(r.final),
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


def write_reports(
    out: Path,
    assignment: str,
    results: list[Result],
    question_ids: list[str],
    titles: dict[str, str] | None = None,
    export: ExportSettings | None = None,
    points: float | None = None,
) -> list[Path]:
    """grades.csv, grades-long.csv, the LMS exports, feedback/<student>.html (and the platforms' feedback zips),
    report.html and questions.csv under `out`; returns the platform files written. The feedback pages list the
    written questions' rubric criteria when `export.criteria` holds them (`grade --show-criteria`)."""
    export = export or ExportSettings()
    roster = export.roster
    names = {s.id: s.name for s in roster.students} if roster is not None else {}
    atomic_write(out / GRADES, _csv(grades_rows(results, question_ids, names)))
    atomic_write(out / LONG, _csv(long_rows(results, assignment)))
    if points is None:
        points = max((r.max_total for r in results), default=0.0)
    written = write_exports(out, results, assignment, points, export, feedback_summary, atomic_write)
    pages = {r.student: feedback_html(r, assignment, titles, export.criteria) for r in results}
    for student, page in pages.items():
        atomic_write(out / FEEDBACK / f"{safe_name(student)}.html", page)
    zips, _ = feedback_zips(out, pages, results)
    written += zips
    written += write_class_report(out, assignment, results, titles, atomic_write)
    return written


def feedback_summary(result: Result) -> str:
    """One line for a platform's feedback column."""
    if result.status in (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT):
        return f"not graded: {result.message}"
    text = f"{result.total:g} of {result.max_total:g} points"
    if result.manual_pending:
        text += f" ({result.manual_pending:g} points of written answers still to grade)"
    if result.penalty:
        text += (
            f"; late by {result.late_days:g} day(s): {result.penalty:g} points off, grade {result.final:g}"
        )
    return text + "; see the feedback page for each question"


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
        r.auto_score for r in results if r.status not in (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT)
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


def sandbox_line(choice: SandboxChoice) -> str:
    """The summary's line about containment: which sandbox, or a loud warning when there was none."""
    if choice.sandboxed:
        return "sandbox: bubblewrap (each kernel ran in its own sandbox: no network, no access to your files)"
    return (
        f"WARNING: graded WITHOUT a sandbox ({choice.reason}); student code could read and change your files "
        "(see INSTRUCTORS.md, 'What the grader protects against')"
    )


def limits_line(limits: Limits, sandboxed: bool, as_root: bool) -> str:
    """The summary's line about resource limits, saying how each is applied: the memory of a kernel with its
    children by the grader's memory watch (no cgroup is set up), processes by RLIMIT_NPROC in the kernel's own user
    namespace (which never binds root)."""
    mb = 2**20
    memory = (
        f"memory {limits.memory // mb} MB a process and {limits.memory // mb} MB a kernel with its children "
        "(the grader's memory watch; no cgroup v2 is set up)"
        if limits.memory > 0
        else "memory not capped"
    )
    if not sandboxed or limits.processes <= 0:
        processes = "processes not capped (no sandbox)" if not sandboxed else "processes not capped"
    elif as_root:
        processes = f"processes {limits.processes} a kernel, NOT enforced: you grade as root, which RLIMIT_NPROC never binds"
    else:
        processes = f"processes {limits.processes} a kernel (RLIMIT_NPROC in its own user namespace)"
    times = f"{limits.cell_timeout:g} s a cell, {limits.notebook_timeout:g} s a notebook"
    return f"limits: {memory}; {processes}; {times}"


def print_summary(outcome: BatchOutcome, assignment: Assignment, out: Path, stream: TextIO | None = None) -> None:
    """The end of a run: the class summary, the sandbox used, what was written and where to start."""
    stream = stream or sys.stdout
    print(summary(outcome.results, assignment.auto_max, outcome.seconds), file=stream)
    if outcome.sandbox is not None:
        print(sandbox_line(outcome.sandbox), file=stream)
        if outcome.limits is not None:
            print(limits_line(outcome.limits, outcome.sandbox.sandboxed, os.geteuid() == 0), file=stream)
    print(
        f"coursekit grade: {outcome.graded_now} graded now, {outcome.reused} unchanged since the last run; "
        f"wrote {out}/grades.csv, grades-long.csv, grades-lms.csv, feedback/, report.html, questions.csv"
        + "".join(
            f", {p.name}"
            for p in outcome.exports
            if p.name not in ("grades-lms.csv", "report.html", "questions.csv")
        ),
        file=stream,
    )
    print(f"coursekit grade: start with the class report: {out / 'report.html'}", file=stream)
