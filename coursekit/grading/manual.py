"""Points for written answers, given by a grader in a CSV (`student,question,points[,comment]`, as written by
`python -m coursekit written`), checked against the assignment and merged into the results."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.score import Result
from coursekit.grading.status import QuestionStatus

KEY_FILE = "key.csv"  # written by `written --blind`: anonymous id -> student


def read_key(folder: Path) -> dict[str, str]:
    """{anonymous id: student} from a blinded `written` folder's key.csv, or {} when not blinded."""
    path = Path(folder) / KEY_FILE
    if not path.is_file():
        return {}
    rows = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
    return {(r.get("anonymous") or "").strip(): (r.get("student") or "").strip() for r in rows}


def read_manual_scores(
    path: Path,
    maxima: dict[str, float],
    students: set[str] | None = None,
    not_graded: dict[str, str] | None = None,
) -> list[tuple[str, str, float | None, str]]:
    """(student, question, points, comment) for every row; points None where the grader left the cell blank
    (or cleared it), which clears any earlier points. `maxima` maps each written question to its points;
    `students`, when given, are the known students: any other id is refused; `not_graded` maps students whose
    file was not a gradable notebook to the reason: points for them are refused too. Anonymous ids of a blinded
    folder are turned back into students with its key.csv. Raises CoursekitError naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CoursekitError(f"cannot read the manual scores {path} ({exc.__class__.__name__})") from None
    rows = list(csv.DictReader(text.splitlines()))
    if not rows:
        return []
    missing = {"student", "question", "points"} - set(rows[0])
    if missing:
        raise CoursekitError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    key = read_key(path.parent)
    scores: list[tuple[str, str, float | None, str]] = []
    for n, row in enumerate(rows, start=2):
        student = (row.get("student") or "").strip()
        question = (row.get("question") or "").strip()
        points = (row.get("points") or "").strip()
        if not student and not question and not points:
            continue
        student = key.get(student, student)
        if question not in maxima:
            known = ", ".join(sorted(maxima)) or "none"
            raise CoursekitError(f"{path}: line {n}: {question!r} is not a written question (known: {known})")
        if students is not None and student not in students:
            raise CoursekitError(f"{path}: line {n}: no submission of a student {student!r} for this assignment")
        if points and not_graded and student in not_graded:
            raise CoursekitError(
                f"{path}: line {n}: {student!r} has no graded notebook for this assignment ({not_graded[student]}); "
                "remove these points, or grade a corrected file first"
            )
        if not points:
            scores.append((student, question, None, ""))
            continue
        try:
            value = float(points)
        except ValueError:
            raise CoursekitError(f"{path}: line {n}: points {points!r} is not a number") from None
        if not 0 <= value <= maxima[question]:
            raise CoursekitError(f"{path}: line {n}: {value:g} points is outside 0..{maxima[question]:g}")
        scores.append((student, question, value, (row.get("comment") or "").strip()))
    return scores


def apply_manual(result: Result, manual: dict[tuple[str, str], tuple[float, str]]) -> Result:
    """A copy of `result` with the graders' points (and comments) on its written questions."""
    questions = []
    for q in result.questions:
        given = manual.get((result.student, q.grade_id))
        if q.manual and given is not None:
            points, comment = given
            q = replace(q, points=points, status=QuestionStatus.MARKED, message=comment)
        questions.append(q)
    return replace(result, questions=questions)
