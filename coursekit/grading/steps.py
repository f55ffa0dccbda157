"""Grading one submission, as an ordered list of one-job steps (`GRADE_STEPS`), each reading and adding to one
`Grading` record:

1. `prepare`: read the notebook, check it is this assignment's, restore the instructor's cells;
2. `take_kernels`: the slot's kernels (slot.py), and the clean room set up in both;
3. `run`: every cell, the student's in the student kernel, the tests in the checker (run.py, cleanroom.py);
4. `score`: nbgrader's rules per question (score.py), and the errors of the student's own cells;
5. `check`: the row's status and message (timeout, died, unchanged, refused values).

A step that ends the grading early (an unreadable file, a kernel that will not start) sets the result and raises
`Stop`; whatever happens, the slot is discarded after the last step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from coursekit.cells import CellKind, cell_kind, grade_id
from coursekit.grading.assignment import Assignment
from coursekit.grading.cleanroom import CleanRoom, refused_message
from coursekit.grading.kernels.protocol import KernelProvider
from coursekit.grading.options import Options
from coursekit.grading.pool import assignment_imports
from coursekit.grading.prepare import (
    Prepared,
    SubmissionProblem,
    check_assignment,
    forgive_rerelease,
    is_unchanged,
    read_submission,
    restore,
)
from coursekit.grading.profile import Profile
from coursekit.grading.run import ERROR, TIMEOUT, NotebookRun, run_notebook, sandbox_chdir
from coursekit.grading.score import QuestionResult, Result, score_test, score_written
from coursekit.grading.slot import Slot, new_slot
from coursekit.grading.status import RunStatus, Status
from coursekit.grading.submissions import Submission

SETUP_FAILED = (
    ": the scores after it may be wrong (if every row says so, check --memory, --cell-timeout and the assignment)"
)
UNCHANGED_MESSAGE = "the notebook is the release as handed out: no answer was changed (was the right file handed in?)"


class Stop(Exception):
    """A step ended the grading of this submission early; the result says why."""


@dataclass
class Grading:
    """One submission on its way through GRADE_STEPS."""

    assignment: Assignment
    sub: Submission
    options: Options
    provider: KernelProvider
    slot_task: asyncio.Future[Slot] | None
    profile: Profile
    result: Result
    prepared: Prepared | None = None
    slot: Slot | None = None
    used_slot: bool = False
    room: CleanRoom | None = None
    tests: set[int] = field(default_factory=set)
    run: NotebookRun | None = None


def _prepared(g: Grading) -> Prepared:
    assert g.prepared is not None, "prepare runs first"
    return g.prepared


async def prepare(g: Grading) -> None:
    """Read the submission and restore the instructor's cells; an unusable file ends here with its reason."""
    with g.profile.timed("restore"):
        try:
            nb, notes = read_submission(g.sub.path)
            check_assignment(nb, g.assignment.source, g.assignment.id, g.assignment.others)
            g.prepared = restore(nb, g.assignment.source, g.assignment.release)
            forgive_rerelease(nb, g.assignment.release_version, g.prepared.notes)
        except SubmissionProblem as problem:
            g.result.status, g.result.message = problem.status, problem.message
            raise Stop from None
    g.result.notes = notes + g.prepared.notes


async def take_kernels(g: Grading) -> None:
    """The slot made ahead of need (or one made now), and the clean room set up in its kernels."""
    g.used_slot = True
    try:
        with g.profile.timed("wait for kernel"):
            g.slot = (
                await g.slot_task
                if g.slot_task is not None
                else await new_slot(
                    g.provider,
                    g.assignment,
                    g.options.clean_room,
                    g.options.limits.cell_timeout or 60.0,
                    g.profile,
                )
            )
    except Exception as exc:  # noqa: BLE001 - a kernel that will not start is reported, not raised
        g.result.status = Status.ERROR
        g.result.message = f"the kernel did not start ({exc.__class__.__name__}: {exc})"
        raise Stop from None
    if g.slot.checker is None:
        return
    prepared = _prepared(g)
    imports = tuple(module for module, _names in assignment_imports(g.assignment.source))
    g.room = CleanRoom(g.slot.student.kernel, g.slot.checker.kernel, imports, g.slot.prelude)
    g.tests = {i for i in prepared.instructor if cell_kind(prepared.nb.cells[i]) is CellKind.AUTOGRADER_TESTS}
    with g.profile.timed("checker setup"):
        if not (await g.room.setup_student() and await g.room.setup_checker()):
            raise RuntimeError("the clean room could not be set up")


async def run(g: Grading) -> None:
    """Run every cell in order, each instructor cell from the folder the kernel started in."""
    assert g.slot is not None, "take_kernels runs first"
    prepared, kernel = _prepared(g), g.slot.student.kernel
    before = {i: sandbox_chdir(kernel.folder) for i in prepared.instructor}
    with g.profile.timed("cells"):
        g.run = await run_notebook(
            prepared.nb, kernel, g.options.limits, prepared.labels, before, g.room, g.tests
        )
    if g.room is not None:
        for phase, seconds in g.room.seconds.items():
            g.profile.add(phase, seconds)


def question_scores(assignment: Assignment, prepared: Prepared, run: NotebookRun, stderr_fails: bool) -> list[QuestionResult]:
    """Per graded cell of the source, in order: its points under nbgrader's rules."""
    index_of = {gid: i for i, gid in prepared.instructor.items()}
    released = {grade_id(c): c for c in assignment.release.cells if grade_id(c)}
    results = []
    for cell in assignment.source.cells:
        gid = grade_id(cell)
        if not gid or not cell.metadata.get("nbgrader", {}).get("grade"):
            continue
        points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
        if cell_kind(cell) is CellKind.MANUAL_ANSWER:
            q = score_written(prepared.answers.get(gid, []), released.get(gid), points)
            q.grade_id = gid
        else:
            i = index_of.get(gid)
            got, status, message = score_test(
                run.cells.get(i) if i is not None else None, cell.source, points, stderr_fails=stderr_fails
            )
            q = QuestionResult(gid, points, got, False, status, message)
        results.append(q)
    return results


async def score(g: Grading) -> None:
    """Points per question, and the errors of the student's own cells."""
    assert g.run is not None, "run runs first"
    prepared, run_ = _prepared(g), g.run
    with g.profile.timed("scoring"):
        g.result.questions = question_scores(g.assignment, prepared, run_, g.options.stderr_fails)
    for index, cell_run in sorted(run_.cells.items()):
        if index in prepared.instructor or cell_run.status not in (ERROR, TIMEOUT):
            continue
        g.result.answer_errors.append(f"{prepared.labels[index]}: {cell_run.ename}: {cell_run.evalue}".rstrip(": "))


async def check(g: Grading) -> None:
    """The row's status and message: a timeout or a died kernel, an unchanged release, values the clean room
    refused (the instructor looks at those first)."""
    assert g.run is not None, "run runs first"
    prepared, run_, result = _prepared(g), g.run, g.result
    if run_.status == RunStatus.TIMEOUT:
        result.status = Status.TIMEOUT
    elif run_.status == RunStatus.DIED:
        result.status = Status.ERROR
    timeouts = [
        f"{prepared.labels[i]} timed out after {r.seconds:.0f} s and was interrupted"
        for i, r in sorted(run_.cells.items())
        if r.status == TIMEOUT and i not in prepared.instructor
    ]
    failed_setup = [
        f"the instructor's cell {prepared.labels[i]} raised {r.ename}"
        for i, r in sorted(run_.cells.items())
        if i in prepared.instructor and r.status in (ERROR, TIMEOUT) and not _is_test(prepared, i)
    ]
    if failed_setup:  # the scores after it may be wrong: the instructor looks (e.g. too small a --memory)
        timeouts.append("; ".join(failed_setup) + SETUP_FAILED)
    result.message = "; ".join(m for m in [run_.message, *timeouts, *result.notes] if m)
    if result.status == Status.GRADED and is_unchanged(prepared.answers, g.assignment.release):
        result.status = Status.UNCHANGED
        result.message = "; ".join(m for m in [UNCHANGED_MESSAGE, result.message] if m)
    if g.room is not None and g.room.refusals:
        if result.status in (Status.GRADED, Status.UNCHANGED):
            result.status = Status.REFUSED
        result.message = "; ".join(m for m in [refused_message(g.room.refusals), result.message] if m)


def _is_test(prepared: Prepared, index: int) -> bool:
    return cell_kind(prepared.nb.cells[index]) is CellKind.AUTOGRADER_TESTS


Step = Callable[[Grading], Awaitable[None]]
GRADE_STEPS: tuple[Step, ...] = (prepare, take_kernels, run, score, check)


async def grade_one(
    assignment: Assignment,
    sub: Submission,
    options: Options,
    provider: KernelProvider,
    slot_task: asyncio.Future[Slot] | None = None,
    profile: Profile | None = None,
    steps: tuple[Step, ...] = GRADE_STEPS,
) -> tuple[Result, bool]:
    """Grade one submission through `steps`; returns the result and whether the slot was used (a slot not used, its
    file being unreadable, can serve the next submission). Without a `slot_task`, a slot is made here."""
    g = Grading(
        assignment,
        sub,
        options,
        provider,
        slot_task,
        profile if profile is not None else Profile(),
        Result(
            sub.student,
            str(sub.path),
            Status.GRADED,
            platform=sub.platform,
            platform_user=sub.platform_user,
            platform_name=sub.platform_name,
            platform_file=str(sub.order[0]) if sub.order else "",
        ),
    )
    t0 = time.monotonic()
    try:
        for step in steps:
            await step(g)
    except Stop:
        pass
    finally:
        if g.slot is not None:
            with g.profile.timed("kernel stop"):
                await g.slot.discard()
        if g.used_slot:  # a file that could not be read took no grading time
            g.result.seconds = round(time.monotonic() - t0, 2)
    return g.result, g.used_slot
