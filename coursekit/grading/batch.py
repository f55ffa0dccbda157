"""Grade a batch of submissions: read, restore, run in a fresh sandboxed kernel, score, store, report.

`--jobs` submissions run at once, each in its own kernel; while one runs, the next kernel is already starting
in a fresh folder, so a kernel's start-up overlaps with the previous submission. No kernel ever sees two
submissions. A submission that cannot be graded gets a row with the reason; the batch always goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import astuple, dataclass, field
from pathlib import Path

from coursekit.cells import CellKind, cell_kind, grade_id
from coursekit.grading.assignment import Assignment
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.integrity import Guard
from coursekit.grading.kernel import Limits, SandboxKernel, started
from coursekit.grading.manual import apply_manual
from coursekit.grading.prepare import SubmissionProblem, check_assignment, read_submission, restore
from coursekit.grading.report import Progress, summary, write_reports
from coursekit.grading.run import ERROR, TIMEOUT, run_notebook, sandbox_chdir
from coursekit.grading.sandbox import AUTO, Containment, SandboxChoice, containment, sandbox_folder
from coursekit.grading.score import QuestionResult, Result, score_test, score_written
from coursekit.grading.submissions import Submission

GRADED, ERROR_STATUS, TIMEOUT_STATUS = "graded", "error", "timeout"
TAMPERED_STATUS = "tampered"  # the submission hooked the kernel to change how later cells run (integrity.py)


@dataclass
class Options:
    """How to grade: resource limits, parallel jobs, whether to ignore stored results, nbgrader's stderr rule."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = 0
    regrade: bool = False
    stderr_fails: bool = False
    sandbox: str = AUTO  # auto, bubblewrap or none (sandbox.py); not in the fingerprint: grades do not depend on it

    def fingerprint(self, assignment: Assignment) -> str:
        limits = ",".join(f"{float(v):g}" for v in astuple(self.limits))
        text = f"{assignment.fingerprint()}|{limits}|{self.stderr_fails}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rmtree(path: Path) -> None:
    def unlock(func, target, _exc) -> None:  # students can make their files read-only
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(target), stat.S_IRWXU)
            os.chmod(target, stat.S_IRWXU)
            func(target)

    shutil.rmtree(path, onerror=unlock)


def make_sandbox(assignment: Assignment, base: Path) -> tuple[Path, Path, dict[str, str]]:
    """A fresh folder holding copies of what the assignment needs (unsandboxed kernels): (root, working folder,
    kernel env)."""
    root = Path(tempfile.mkdtemp(prefix="sub-", dir=base))
    work = root / "work"
    work.mkdir()
    for path, name in assignment.files:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / name)
    env = {"NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1"}
    if assignment.data_dir is not None:
        shutil.copytree(assignment.data_dir, root / "data")
        env["HYPE_KIT_DATA"] = str(root / "data")
    return root, work, env


def _scores(assignment: Assignment, prepared, run, stderr_fails: bool) -> list[QuestionResult]:
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


async def grade_one(
    assignment: Assignment,
    sub: Submission,
    options: Options,
    kernel_slot: asyncio.Task | None,
    base: Path,
    box: Containment | None = None,
) -> tuple[Result, bool]:
    """Grade one submission; returns the result and whether the pre-started kernel was used up. Without a
    `kernel_slot`, a kernel is started here, contained as `box` says (None: unsandboxed)."""
    result = Result(sub.student, str(sub.path), GRADED)
    t0 = time.monotonic()
    try:
        nb, notes = read_submission(sub.path)
        check_assignment(nb, assignment.source, assignment.id)
        prepared = restore(nb, assignment.source, assignment.release)
    except SubmissionProblem as problem:
        result.status, result.message = problem.status, problem.message
        return result, False
    result.notes = notes + prepared.notes
    kernel: SandboxKernel | None = None
    root = None
    try:
        try:
            root, kernel = (
                await kernel_slot if kernel_slot is not None else await _new_kernel(assignment, options, base, box)
            )
        except Exception as exc:  # noqa: BLE001 - a kernel that will not start is reported, not raised
            result.status, result.message = (
                ERROR_STATUS,
                f"the kernel did not start ({exc.__class__.__name__}: {exc})",
            )
            return result, True
        before = {i: sandbox_chdir(kernel.folder) for i in prepared.instructor}
        guard = Guard(kernel.folder)
        await guard.setup(kernel)
        run = await run_notebook(prepared.nb, kernel, options.limits, prepared.labels, before, guard)
        result.questions = _scores(assignment, prepared, run, options.stderr_fails)
        for index, cell_run in sorted(run.cells.items()):
            if index in prepared.instructor or cell_run.status not in (ERROR, TIMEOUT):
                continue
            result.answer_errors.append(
                f"{prepared.labels[index]}: {cell_run.ename}: {cell_run.evalue}".rstrip(": ")
            )
        if run.status == "timeout":
            result.status = TIMEOUT_STATUS
        elif run.status == "died":
            result.status = ERROR_STATUS
        timeouts = [
            f"{prepared.labels[i]} timed out after {r.seconds:.0f} s and was interrupted"
            for i, r in sorted(run.cells.items())
            if r.status == TIMEOUT and i not in prepared.instructor
        ]
        result.message = "; ".join(m for m in [run.message, *timeouts, *result.notes] if m)
        if guard.findings:
            result.status = TAMPERED_STATUS
            result.message = "; ".join(m for m in [tampered_message(guard.findings), result.message] if m)
    finally:
        if kernel is not None:
            await kernel.stop()
        if root is not None:
            _rmtree(root)
        result.seconds = round(time.monotonic() - t0, 2)
    return result, True


def tampered_message(findings: list[str], shown: int = 6) -> str:
    """The row's message for a submission that hooked the kernel: what was found, for the instructor to judge."""
    more = f"; and {len(findings) - shown} more" if len(findings) > shown else ""
    return (
        "TAMPERED: the submission changed how later cells run; the hooks found were removed and the tests "
        f"still ran, but check this notebook by hand: {'; '.join(findings[:shown])}{more}"
    )


async def _new_kernel(
    assignment: Assignment, options: Options, base: Path, box: Containment | None = None
) -> tuple[Path, SandboxKernel]:
    if box is not None and box.sandboxed:
        env = {"NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1"}
        root, spec, env = sandbox_folder(base, assignment.files, box, env)
        try:
            return root, await started(spec.work, options.limits, env, spec)
        except BaseException:
            _rmtree(root)
            raise
    root, work, env = make_sandbox(assignment, base)
    try:
        return root, await started(work, options.limits, env)
    except BaseException:
        _rmtree(root)
        raise


def sha256_of(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


async def _grade_all(
    assignment: Assignment,
    todo: list[Submission],
    options: Options,
    on_result,
    base: Path,
    box: Containment | None = None,
) -> None:
    queue: asyncio.Queue[Submission] = asyncio.Queue()
    for sub in todo:
        queue.put_nowait(sub)

    async def worker() -> None:
        slot: asyncio.Task | None = None
        try:
            while not queue.empty():
                sub = queue.get_nowait()
                if slot is None:
                    slot = asyncio.ensure_future(_new_kernel(assignment, options, base, box))
                current = slot
                slot = None
                if not queue.empty():
                    # look ahead: start the next kernel while this submission runs
                    slot = asyncio.ensure_future(_new_kernel(assignment, options, base, box))
                try:
                    result, used = await grade_one(assignment, sub, options, current, base, box)
                except Exception as exc:  # noqa: BLE001 - a grader bug on one file must not stop the batch
                    result, used = (
                        Result(sub.student, str(sub.path), ERROR_STATUS, f"grader error: {exc!r}"),
                        False,
                    )
                if not used:
                    if slot is None:
                        slot = current
                    else:
                        await _discard(current)
                on_result(sub, result)
        finally:
            if slot is not None:
                await _discard(slot)

    await asyncio.gather(*(worker() for _ in range(max(1, min(options.jobs, len(todo))))))


async def _discard(slot: asyncio.Task) -> None:
    with contextlib.suppress(BaseException):
        root, kernel = await slot
        await kernel.stop()
        _rmtree(root)


@dataclass
class BatchOutcome:
    results: list[Result]
    graded_now: int
    reused: int
    seconds: float
    sandbox: SandboxChoice | None = None


def grade_batch(
    assignment: Assignment,
    submissions: list[Submission],
    out: Path,
    options: Options,
    manual_scores: list[tuple[str, str, float, str]] | None = None,
    progress: Progress | None = None,
) -> BatchOutcome:
    """Grade `submissions` into the gradebook in `out`, then write the CSVs and feedback for every student of
    the assignment in the gradebook."""
    t0 = time.monotonic()
    out = Path(out)
    book = Gradebook(out)
    try:
        if manual_scores:
            book.set_manual(assignment.id, manual_scores)
        fingerprint = options.fingerprint(assignment)
        todo, reused = [], 0
        progress = progress or Progress(len(submissions))
        stored = {r.student: r for r in book.results(assignment.id)}
        for sub in submissions:
            if not options.regrade and book.is_current(
                assignment.id, sub.student, sha256_of(sub.path), fingerprint
            ):
                reused += 1
                progress.update(stored[sub.student], reused=True)
            else:
                todo.append(sub)

        box = None
        if todo:
            protected = [assignment.source_path.parent, out, *(s.path.parent for s in submissions)]
            box = containment(options.sandbox, protected, assignment.data_dir)

        def on_result(sub: Submission, result: Result) -> None:
            result.sandbox = box.choice.mode if box is not None else ""
            book.store(assignment.id, result, sha256_of(sub.path), fingerprint)
            progress.update(result)

        if todo:
            options.jobs = options.jobs or os.cpu_count() or 1
            base = Path(tempfile.mkdtemp(prefix="coursekit-grade-"))
            try:
                _run_outside_any_loop(
                    lambda report: _grade_all(assignment, todo, options, report, base, box), on_result
                )
            finally:
                _rmtree(base)
        manual = book.manual(assignment.id)
        results = [apply_manual(r, manual) for r in book.results(assignment.id)]
        question_ids = [q.grade_id for q in assignment.questions]
        write_reports(out, assignment.id, results, question_ids)
    finally:
        book.close()
    return BatchOutcome(results, len(todo), reused, time.monotonic() - t0, box.choice if box else None)


def _run_outside_any_loop(
    start: Callable[[Callable[[Submission, Result], None]], Coroutine[object, object, None]],
    on_result: Callable[[Submission, Result], None],
) -> None:
    """Run the grading coroutine with asyncio.run, even when called where an event loop is already running.

    Inside Jupyter (or any async host) asyncio.run refuses to start; the coroutine then runs in a thread of its
    own, and its results are handed back to this thread, so that the gradebook is only touched here.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(start(on_result))
        return
    results: queue.Queue[tuple[Submission, Result]] = queue.Queue()
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            asyncio.run(start(lambda sub, result: results.put((sub, result))))
        except BaseException as exc:  # handed to the calling thread below
            failure.append(exc)

    thread = threading.Thread(target=worker, name="coursekit-grade", daemon=True)
    thread.start()
    while thread.is_alive() or not results.empty():
        try:
            sub, result = results.get(timeout=0.1)
        except queue.Empty:
            continue
        on_result(sub, result)
    thread.join()
    if failure:
        raise failure[0]


def sandbox_line(choice: SandboxChoice) -> str:
    """The summary's line about containment: which sandbox, or a loud warning when there was none."""
    if choice.sandboxed:
        return "sandbox: bubblewrap (each kernel ran in its own sandbox: no network, no access to your files)"
    return (
        f"WARNING: graded WITHOUT a sandbox ({choice.reason}); student code could read and change your files "
        "(see INSTRUCTORS.md, 'What the grader protects against')"
    )


def print_summary(outcome: BatchOutcome, assignment: Assignment, out: Path, stream=None) -> None:
    stream = stream or sys.stdout
    print(summary(outcome.results, assignment.auto_max, outcome.seconds), file=stream)
    if outcome.sandbox is not None:
        print(sandbox_line(outcome.sandbox), file=stream)
    print(
        f"coursekit grade: {outcome.graded_now} graded now, {outcome.reused} unchanged since the last run; "
        f"wrote {out}/grades.csv, grades-long.csv, grades-lms.csv, feedback/",
        file=stream,
    )
