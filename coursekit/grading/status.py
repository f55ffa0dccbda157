"""Every status the grader writes, in one place, as string enums (like `CellKind`): they compare equal to their
text, so the gradebook's JSON and the CSVs keep plain words.

- `Status`: what happened to a submission (one row of grades.csv).
- `QuestionStatus`: what happened to one graded cell of it.
- `CellStatus` / `RunStatus`: what the kernel did with one code cell / with the whole notebook.
"""

from __future__ import annotations

from coursekit.compat import StrEnum


class Status(StrEnum):
    """A submission's status in grades.csv."""

    GRADED = "graded"  # the notebook ran to the end (scores may still be 0)
    TIMEOUT = "timeout"  # the notebook's time limit stopped it; cells not reached score 0
    ERROR = "error"  # the kernel died or would not start
    NOT_A_NOTEBOOK = "not-a-notebook"
    WRONG_ASSIGNMENT = "wrong-assignment"
    TAMPERED = "tampered"  # rows stored by earlier versions (an in-kernel guard found hooks): the instructor decides
    REFUSED = "refused"  # graded, but the clean room refused some answers (cleanroom.py): the instructor decides
    UNCHANGED = "unchanged"  # the release as handed out, no answer changed: graded (0), left out of item statistics


# Statuses a re-run keeps when the file and the options are unchanged; the others are graded again.
FINAL_STATUSES = frozenset(
    {Status.GRADED, Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT, Status.TAMPERED, Status.REFUSED, Status.UNCHANGED}
)


class QuestionStatus(StrEnum):
    """One graded cell's result."""

    PASSED = "passed"
    PARTIAL = "partial"
    FAILED = "failed"
    PENDING = "pending"  # a written answer waiting for a grader
    UNANSWERED = "unanswered"
    MARKED = "graded by hand"  # a written answer a grader gave points to


class CellStatus(StrEnum):
    """What the kernel did with one code cell."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    DIED = "kernel died"
    NOT_RUN = "not run"


class RunStatus(StrEnum):
    """How the run of a whole notebook ended."""

    COMPLETE = "complete"
    TIMEOUT = "timeout"
    DIED = "died"
