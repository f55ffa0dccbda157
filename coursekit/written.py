"""Written answers for grading by hand: `python -m coursekit written ASSIGNMENT SUBMISSION... --out DIR`.

Writes `DIR/written/<question>.html`, one page per manually graded question (the prompt, the model answer and the
rubric from the source, then every student's answer, escaped, never run), and `DIR/written/scores.csv`
(student, question, max_points, points, comment) for the grader to fill in and give back to
`python -m coursekit grade ... --manual DIR/written/scores.csv`. Points already filled in are kept when the
CSV is written again.
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import replace
from html import escape
from pathlib import Path

from coursekit.cells import MARK_SCHEME, SOLUTION, CellKind, cell_kind, grade_id, points, region_lines
from coursekit.errors import CoursekitError
from coursekit.grading.assignment import Assignment
from coursekit.grading.feedback import STYLE, safe_name
from coursekit.grading.manual import KEY_FILE, read_key
from coursekit.grading.prepare import SubmissionProblem, check_assignment, read_submission
from coursekit.grading.report import atomic_write
from coursekit.grading.submissions import Submission

FOLDER = "written"
SCORES = "scores.csv"


def _prompt(assignment: Assignment, gid: str) -> str:
    """The markdown cell just above the question in the source (its prompt), if any."""
    cells = assignment.source.cells
    index = next(i for i, c in enumerate(cells) if grade_id(c) == gid)
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            return cell.source
        break
    return ""


def student_answers(
    sub: Submission, question_ids: list[str], assignment: Assignment | None = None
) -> dict[str, str]:
    """{question: the student's text} (every cell with that grade id, joined); the reason instead if the file is
    unreadable or (given the assignment) another assignment's notebook, whose answers must not land here."""
    try:
        nb, _ = read_submission(sub.path)
        if assignment is not None:
            check_assignment(nb, assignment.source, assignment.id, assignment.others)
    except SubmissionProblem as problem:
        return {gid: f"(not graded: {problem.message})" for gid in question_ids}
    found: dict[str, list[str]] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is not None and gid in question_ids:
            found.setdefault(gid, []).append(cell.source.strip())
    return {gid: "\n\n".join(found[gid]) if gid in found else "(no answer cell)" for gid in question_ids}


LIST_OR_CODE = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|>|```|\s{4}|\|)")


def reflow(text: str) -> str:
    """An answer as HTML paragraphs: the lines of a paragraph joined (students' editors wrap lines anywhere),
    except paragraphs that hold a list, a quote, a table or code, which keep their lines."""
    parts = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = paragraph.splitlines()
        if any(LIST_OR_CODE.match(line) for line in lines):
            parts.append(f"<pre>{escape(paragraph)}</pre>")
        else:
            parts.append(f"<p>{escape(' '.join(line.strip() for line in lines))}</p>")
    return "\n".join(parts)


def anonymous_ids(students: list[str], folder: Path) -> dict[str, str]:
    """{student: anonymous id} kept in `folder/key.csv` (reused on the next run; new students get new ids, in
    a random order so that the ids do not follow the names)."""
    known = {student: anon for anon, student in read_key(folder).items()}
    new = [s for s in students if s not in known]
    random.SystemRandom().shuffle(new)
    used = {int(a[1:]) for a in known.values() if a[1:].isdigit()}
    number = max(used, default=0)
    for student in new:
        number += 1
        known[student] = f"S{number:03d}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["anonymous", "student"])
    writer.writerows(sorted(((a, s) for s, a in known.items())))
    atomic_write(Path(folder) / KEY_FILE, buffer.getvalue())
    return known


def _page(assignment: Assignment, gid: str, max_points: float, answers: list[tuple[str, str]]) -> str:
    cell = next(c for c in assignment.source.cells if grade_id(c) == gid)
    model = "\n".join(region_lines(cell.source, SOLUTION)).strip()
    rubric = "\n".join(region_lines(cell.source, MARK_SCHEME)).strip()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(assignment.id)} {escape(gid)}: written answers</title><style>{STYLE}"
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem}</style></head><body>",
        f"<h1>{escape(assignment.id)}: {escape(gid)} ({max_points:g} points)</h1>",
        f"<h2>Question</h2><pre>{escape(_prompt(assignment, gid))}</pre>",
        f"<h2>Model answer</h2><pre>{escape(model)}</pre>",
        f"<h2>Rubric</h2><pre>{escape(rubric)}</pre>",
        f"<h2>Answers ({len(answers)})</h2>",
    ]
    for student, text in answers:
        parts.append(f"<h3 id='{escape(safe_name(student))}'>{escape(student)}</h3>{reflow(text)}")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _kept_scores(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    if not path.is_file():
        return {}
    rows = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
    return {
        (r.get("student", ""), r.get("question", "")): (r.get("points", ""), r.get("comment", ""))
        for r in rows
    }


def collect(
    assignment: Assignment, submissions: list[Submission], out: Path, blind: bool = False
) -> tuple[list[Path], Path]:
    """Write the pages and the scores CSV under `out/written/`; returns (pages, csv path). Blinded, the pages
    and the CSV name students by anonymous ids only (key.csv maps them back; `grade --manual` reads it)."""
    folder = Path(out) / FOLDER
    if blind:
        names = anonymous_ids([sub.student for sub in submissions], folder)
        submissions = [replace(sub, student=names[sub.student]) for sub in submissions]
    elif (folder / KEY_FILE).is_file():
        raise CoursekitError(
            f"{folder} holds blinded pages (key.csv): run with --blind, or use another --out"
        )
    questions = [
        (gid, points(c) or 0.0)
        for c in assignment.source.cells
        if cell_kind(c) is CellKind.MANUAL_ANSWER and (gid := grade_id(c)) is not None
    ]
    ids = [gid for gid, _ in questions]
    answers = {sub.student: student_answers(sub, ids, assignment) for sub in submissions}
    pages = []
    for gid, max_points in questions:
        page = folder / f"{safe_name(gid)}.html"
        atomic_write(page, _page(assignment, gid, max_points, [(s, a[gid]) for s, a in answers.items()]))
        pages.append(page)
    csv_path = folder / SCORES
    kept = _kept_scores(csv_path)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "question", "max_points", "points", "comment"])
    for sub in submissions:
        for gid, max_points in questions:
            old_points, old_comment = kept.get((sub.student, gid), ("", ""))
            writer.writerow([sub.student, gid, f"{max_points:g}", old_points, old_comment])
    atomic_write(csv_path, buffer.getvalue())
    return pages, csv_path
