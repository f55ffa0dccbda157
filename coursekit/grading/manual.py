"""Points for written answers, given by a grader in a CSV (`student,question,points[,comment]`, as written by
`python -m coursekit written`), checked against the assignment and merged into the results."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.score import GRADED, Result


def read_manual_scores(path: Path, maxima: dict[str, float]) -> list[tuple[str, str, float, str]]:
    """(student, question, points, comment) for every row with points; blank points are skipped.
    `maxima` maps each written question to its points. Raises CoursekitError naming the row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CoursekitError(f"cannot read the manual scores {path} ({exc.strerror})") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        return []
    missing = {"student", "question", "points"} - set(rows[0])
    if missing:
        raise CoursekitError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    scores = []
    for n, row in enumerate(rows, start=2):
        points = (row.get("points") or "").strip()
        if not points:
            continue
        question = (row.get("question") or "").strip()
        if question not in maxima:
            known = ", ".join(sorted(maxima)) or "none"
            raise CoursekitError(f"{path}: line {n}: {question!r} is not a written question (known: {known})")
        try:
            value = float(points)
        except ValueError:
            raise CoursekitError(f"{path}: line {n}: points {points!r} is not a number") from None
        if not 0 <= value <= maxima[question]:
            raise CoursekitError(f"{path}: line {n}: {value:g} points is outside 0..{maxima[question]:g}")
        scores.append(
            ((row.get("student") or "").strip(), question, value, (row.get("comment") or "").strip())
        )
    return scores


def apply_manual(result: Result, manual: dict[tuple[str, str], tuple[float, str]]) -> Result:
    """A copy of `result` with the graders' points (and comments) on its written questions."""
    questions = []
    for q in result.questions:
        given = manual.get((result.student, q.grade_id))
        if q.manual and given is not None:
            points, comment = given
            q = replace(q, points=points, status=GRADED, message=comment)
        questions.append(q)
    return replace(result, questions=questions)
