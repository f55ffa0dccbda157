"""Scoring, by nbgrader's rules (nbgrader/utils.py `determine_grade`), with two documented differences.

A test cell scores its points if it runs without an error; if its last expression is a number, that number is a
partial score. As in nbgrader, a value that is not a number, or is negative, gives full points. Differences:
output on stderr (a warning) does not zero the cell, and a partial score above the cell's points is capped
instead of crashing the grader. A written (manually graded) answer left as released scores 0; otherwise its
points are pending until a grader gives them.

Messages never quote the hidden tests: a failure on a hidden line says which kind of error it was, and, for an
`assert` with a message (`assert x == 3, "the mean of ..."`), that message, which the instructor wrote for students.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat import NotebookNode

from coursekit.cells import HIDDEN_TESTS, TEXT_STUB, find_regions
from coursekit.grading.run import DIED, ERROR, NOT_RUN, OK, TIMEOUT, CellRun
from coursekit.grading.status import QuestionStatus

PASSED, PARTIAL, FAILED, PENDING, UNANSWERED, MARKED = (
    QuestionStatus.PASSED,
    QuestionStatus.PARTIAL,
    QuestionStatus.FAILED,
    QuestionStatus.PENDING,
    QuestionStatus.UNANSWERED,
    QuestionStatus.MARKED,
)

HINTS = {
    "NotImplementedError": "the answer has not been written yet (it still raises NotImplementedError)",
    "NameError": "a name the tests use is not defined: run your answer cell, and check the name asked for",
    "AssertionError": "a check did not hold",
}


@dataclass
class QuestionResult:
    """The grade of one graded cell. `points` is None while a written answer waits for a grader."""

    grade_id: str
    max_points: float
    points: float | None
    manual: bool
    status: str
    message: str = ""


@dataclass
class Result:
    """Everything about one graded submission; stored in the gradebook as JSON."""

    student: str
    file: str
    status: str
    message: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    answer_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    platform: str = ""  # where the graded file came from (canvas, moodle, nbgrader, file) and its ids there,
    platform_user: str = ""  # kept so that feedback can be named as the platform's bulk upload expects
    platform_name: str = ""
    platform_file: str = ""
    late_days: float = 0.0
    late_note: str = ""
    penalty: float = 0.0  # points taken off for lateness
    sandbox: str = ""  # how the kernel was contained: bubblewrap or none ("" in rows stored before)

    @property
    def auto_score(self) -> float:
        return sum(q.points or 0.0 for q in self.questions if not q.manual)

    @property
    def auto_max(self) -> float:
        return sum(q.max_points for q in self.questions if not q.manual)

    @property
    def manual_pending(self) -> float:
        return sum(q.max_points for q in self.questions if q.manual and q.points is None)

    @property
    def manual_score(self) -> float:
        return sum(q.points or 0.0 for q in self.questions if q.manual)

    @property
    def total(self) -> float:
        """Points earned, before any late penalty."""
        return self.auto_score + self.manual_score

    @property
    def max_total(self) -> float:
        return sum(q.max_points for q in self.questions)

    @property
    def final(self) -> float:
        """The grade to report: the total less the late penalty."""
        return max(0.0, self.total - self.penalty)


def partial_credit(text: str, max_points: float) -> float:
    """nbgrader's get_partial_grade: a number in [0, max] is the score; anything else is full credit, except
    that a number above max is capped (nbgrader raises ValueError)."""
    try:
        value = float(text.strip())
    except ValueError:
        return max_points
    if value != value or value < 0:  # NaN or negative: full credit, as nbgrader
        return max_points
    return min(value, max_points)


def _hidden_lines(source: str) -> set[int]:
    """1-based line numbers inside the hidden-test regions of a test cell (delimiters included)."""
    lines: set[int] = set()
    for region in find_regions(source):
        if region.marker == HIDDEN_TESTS:
            lines.update(range(region.begin + 1, region.end + 2))
    return lines


def explain(run: CellRun, source: str) -> str:
    """What went wrong in a test cell, for the student: the public check's message, never a hidden line."""
    if run.status == TIMEOUT:
        return f"timed out: {run.evalue}"
    if run.status == DIED:
        return run.evalue
    hint = HINTS.get(run.ename, "")
    if run.line is not None and run.line not in _hidden_lines(source):
        lines = source.split("\n")
        shown = run.evalue or (lines[run.line - 1].strip() if 0 < run.line <= len(lines) else "")
        detail = f"{run.ename}: {shown}" if shown else run.ename
        return f"a public check failed: {detail}" + (f" ({hint})" if hint and not run.evalue else "")
    if run.ename == "NotImplementedError":
        return f"a hidden test failed: {HINTS['NotImplementedError']}"
    if run.ename == "AssertionError" and run.evalue.strip():
        # the instructor wrote this message for students (assert ..., "message"); the code stays hidden
        return f"a hidden test failed: {student_message(run.evalue)}"
    return f"a hidden test failed ({run.ename}" + (f": {hint})" if hint else ")")


def student_message(evalue: str, limit: int = 300) -> str:
    """An assertion's message as shown to a student: its text on one line, at most `limit` characters."""
    text = " ".join(evalue.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def score_test(
    run: CellRun | None, source: str, max_points: float, *, stderr_fails: bool = False
) -> tuple[float, str, str]:
    """(points, status, message) for a test cell's run."""
    if run is None or run.status == NOT_RUN:
        return 0.0, FAILED, "not run (see the message at the top)"
    if run.status in (ERROR, TIMEOUT, DIED):
        return 0.0, FAILED, explain(run, source)
    assert run.status == OK
    if stderr_fails and run.stderr:
        return 0.0, FAILED, "the cell wrote to stderr"
    for out in run.outputs:
        if out.output_type == "execute_result":
            got = partial_credit(str(out.get("data", {}).get("text/plain", "")), max_points)
            if got < max_points:
                return got, PARTIAL, f"partial credit: {got:g} of {max_points:g}"
            return got, PASSED, ""
    return max_points, PASSED, ""


def score_written(
    answers: list[NotebookNode], released: NotebookNode | None, max_points: float
) -> QuestionResult:
    """A written answer: 0 if missing or left as released, else pending (points None)."""
    stub = released.source.strip() if released is not None else TEXT_STUB
    texts = [cell.source.strip() for cell in answers]
    if not any(text and text != stub and text != TEXT_STUB for text in texts):
        return QuestionResult("", max_points, 0.0, True, UNANSWERED, "no answer was written")
    return QuestionResult("", max_points, None, True, PENDING, "waiting for a grader")
