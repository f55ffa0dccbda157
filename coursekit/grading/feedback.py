"""Per-student feedback as a small self-contained HTML page, built from the results only (never from the graded
notebook, so the hidden tests cannot leak into it)."""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import replace
from html import escape
from pathlib import PurePath

from coursekit.grading.score import Result
from coursekit.grading.status import Status

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;"
    "vertical-align:top}.passed{color:#1a7f37}.failed,.unanswered{color:#b3261e}.partial,.pending{color:#8a5a00}"
    "ul.criteria{list-style:none;padding-left:1rem}ul.criteria li{margin:.3rem 0}"
)


def safe_name(student: str) -> str:
    """A file name for a student id: path separators, control characters and leading dots replaced."""
    name = re.sub(r'[/\\\x00-\x1f<>:"|?*]', "_", student).strip().lstrip(".")
    return name or "student"


def _points(value: float | None) -> str:
    return "pending" if value is None else f"{value:g}"


EMPTY_STATUSES = (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT)


def _not_graded(result: Result, assignment: str) -> list[str]:
    """What happened to a file that could not be graded, and what the student can do."""
    if result.status == Status.WRONG_ASSIGNMENT:
        what = (
            f"The notebook you handed in is not the one of {assignment}: {result.message}. Nothing in it was "
            "run or scored."
        )
        todo = f"Hand in your {assignment} notebook (check the file name before uploading)."
    else:
        what = (
            f"Your file could not be read as a notebook: {result.message}. Nothing in it was run or scored."
        )
        todo = (
            "Open your notebook in Jupyter, save it (File > Save Notebook), and hand in the .ipynb file itself, "
            "not a copy, a PDF or an empty file."
        )
    return [f"<p><b>Your file was not graded.</b> {escape(what)}</p>", f"<p>{escape(todo)}</p>"]


def without_paths(text: str, result: Result) -> str:
    """`text` with the instructor's folders (the submission's folder, the home folder) taken out."""
    for folder in sorted({str(PurePath(result.file).parent), os.path.expanduser("~")}, key=len, reverse=True):
        if len(folder) > 1:
            text = text.replace(folder + os.sep, "").replace(folder, "…")
    return text


def _criteria_section(criteria: dict[str, list[str]], titles: dict[str, str]) -> list[str]:
    """Each written question's rubric points as a checklist (the instructor's `grade --show-criteria`)."""
    parts = [
        "<h2>What the grader looks for in your written answers</h2>",
        "<p>Check your own answer against each point before it is graded. These are the points of the marking "
        "rubric: what earns credit, not a model answer.</p>",
    ]
    for gid, items in criteria.items():
        parts.append(f"<h3>{escape(titles.get(gid, gid))}</h3><ul class='criteria'>")
        parts.extend(f"<li>&#9744; {escape(item)}</li>" for item in items)
        parts.append("</ul>")
    return parts


def feedback_html(
    result: Result,
    assignment: str,
    titles: dict[str, str] | None = None,
    criteria: dict[str, list[str]] | None = None,
) -> str:
    """The feedback page of one student: question titles (not grade ids), and no path of the instructor's.
    `criteria` ({grade id: rubric points}) adds a checklist per written question; none by default."""
    titles = titles or {}
    result = replace(
        result,
        message=without_paths(result.message, result),
        notes=[without_paths(n, result) for n in result.notes],
        answer_errors=[without_paths(e, result) for e in result.answer_errors],
        questions=[replace(q, message=without_paths(q.message, result)) for q in result.questions],
    )
    rows = []
    parts_of = Counter(titles.get(q.grade_id, q.grade_id) for q in result.questions)
    seen: Counter[str] = Counter()
    for q in result.questions:
        kind = "written" if q.manual else "autograded"
        title = titles.get(q.grade_id, q.grade_id)
        seen[title] += 1
        if parts_of[title] > 1:  # a question graded in several cells: say which part this row is
            title = f"{title} (part {seen[title]} of {parts_of[title]})"
        rows.append(
            f"<tr class='{escape(q.status.split()[0])}'><td>{escape(title)}</td>"
            f"<td>{kind}</td><td>{_points(q.points)} / {q.max_points:g}</td><td>{escape(q.status)}</td>"
            f"<td>{escape(q.message)}</td></tr>"
        )
    pending = result.manual_pending
    file_name = PurePath(result.file).name
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>Feedback: {escape(assignment)}, {escape(result.student)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Feedback: {escape(assignment)}</h1>",
        f"<p>Student: <b>{escape(result.student)}</b> (file {escape(file_name)})</p>",
    ]
    if result.status in EMPTY_STATUSES:
        parts.extend(_not_graded(result, assignment))
    else:
        score = f"{result.total:g} / {result.max_total:g}"
        parts.append(
            f"<p>Score: <b>{score}</b>"
            + (f", with {pending:g} points of written answers still to be graded" if pending else "")
            + "</p>"
        )
        if result.late_days > 0:
            late = f"<p><b>Late:</b> handed in {result.late_days:g} day(s) after the due date"
            late += f" ({escape(result.late_note)})" if result.late_note else ""
            if result.penalty:
                late += f"; {result.penalty:g} points were taken off, so the grade is {result.final:g}"
            parts.append(late + ".</p>")
        if result.message:
            parts.append(f"<p><b>Note:</b> {escape(result.message)}</p>")
    if result.questions:
        parts.append(
            "<table><tr><th>Question</th><th>Kind</th><th>Points</th><th>Result</th><th>What happened</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    if criteria and result.status not in EMPTY_STATUSES:
        parts.extend(_criteria_section(criteria, titles))
    if result.answer_errors:
        parts.append("<h2>Errors in your answers</h2><ul>")
        parts.extend(f"<li>{escape(line)}</li>" for line in result.answer_errors)
        parts.append("</ul>")
    if result.notes:
        parts.append("<h2>What the grader repaired</h2><ul>")
        parts.extend(f"<li>{escape(line)}</li>" for line in result.notes)
        parts.append("</ul>")
    parts.append(
        "<p><small>Each test cell runs the instructor's public checks (the ones in your notebook) and hidden "
        "ones. A hidden check's code is not shown here.</small></p></body></html>"
    )
    return "\n".join(parts) + "\n"
