"""Grade a batch of submissions: choose the kernels, grade each submission (steps.py) with `--jobs` at once, store
every row, then write the reports.

Kernels come from one provider per batch (kernels/providers.py) through a warm pool (pool.py): slots are started
ahead of need in fresh folders, with the assignment's modules already imported, so a kernel's start-up overlaps
with earlier submissions. No kernel ever sees two submissions. A submission that cannot be graded gets a row with
the reason; the batch always goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path

from coursekit.grading.assignment import Assignment
from coursekit.grading.cleanup import remove_tree
from coursekit.grading.deadlines import Deadline, apply_deadline
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.janitor import batch_folder
from coursekit.grading.kernels.memory import WATCH_INTERVAL
from coursekit.grading.kernels.protocol import KernelProvider
from coursekit.grading.kernels.providers import open_provider
from coursekit.grading.kernels.sandbox import Containment, SandboxChoice, containment
from coursekit.grading.kernels.spec import TOKEN_VARIABLE, KernelSpec, Limits
from coursekit.grading.kernels.watchdog import MemoryWatch
from coursekit.grading.lms import ExportSettings
from coursekit.grading.manual import apply_manual
from coursekit.grading.options import Options
from coursekit.grading.pool import BatchPrep, WarmPool, pool_ahead, prepare_batch
from coursekit.grading.profile import Profile
from coursekit.grading.report import Progress, write_reports
from coursekit.grading.score import Result
from coursekit.grading.slot import Slot, discard_task, new_slot
from coursekit.grading.status import Status
from coursekit.grading.steps import grade_one
from coursekit.grading.submissions import Submission


class GradingInterrupted(Exception):
    """Ctrl-C during a batch: what was graded is saved; `graded` says how many."""

    def __init__(self, graded: int) -> None:
        super().__init__(f"interrupted; {graded} graded and saved; run the same command to resume")
        self.graded = graded


def sha256_of(path: Path) -> str:
    """The file's SHA-256, or '' when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def kernel_spec(assignment: Assignment, options: Options, prep: BatchPrep | None = None) -> KernelSpec:
    """What every kernel of this batch starts with."""
    prep = prep or BatchPrep()
    return KernelSpec(
        limits=options.limits,
        files=tuple(assignment.files),
        data_dir=assignment.data_dir,
        imports=prep.imports,
        home_seed=prep.home_seed,
    )


async def _grade_all(
    assignment: Assignment,
    todo: list[Submission],
    options: Options,
    on_result: Callable[[Submission, Result], None],
    provider: KernelProvider,
    profile: Profile,
    ahead: int | None = None,
) -> None:
    """Grade `todo` with `options.jobs` workers taking slots from one warm pool that keeps `ahead` slots starting
    or ready (default: one per worker)."""
    waiting: asyncio.Queue[Submission] = asyncio.Queue()
    for sub in todo:
        waiting.put_nowait(sub)
    workers = max(1, min(options.jobs, len(todo)))
    timeout = options.limits.cell_timeout or 60.0
    pool: WarmPool[Slot] = WarmPool(
        lambda: new_slot(provider, assignment, options.clean_room, timeout, profile),
        workers if ahead is None else ahead,
        len(todo),
    )

    async def worker() -> None:
        while not waiting.empty():
            sub = waiting.get_nowait()
            current = pool.take()
            try:
                result, used = await grade_one(assignment, sub, options, provider, current, profile)
            except Exception as exc:  # noqa: BLE001 - a grader bug on one file must not stop the batch
                result = Result(sub.student, str(sub.path), Status.ERROR, f"grader error: {exc!r}")
                await discard_task(current)  # it may have run code of this submission: never reused
            else:
                if not used:
                    pool.give_back(current)
            on_result(sub, result)

    pool.fill()
    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        await pool.close(discard_task)


async def _grade_with_provider(
    assignment: Assignment,
    todo: list[Submission],
    options: Options,
    on_result: Callable[[Submission, Result], None],
    spec: KernelSpec,
    box: Containment | None,
    base: Path,
    profile: Profile,
    ahead: int | None,
) -> None:
    """Open the batch's kernel provider and memory watch, grade, close them."""
    watch = MemoryWatch(TOKEN_VARIABLE)
    watching = asyncio.ensure_future(watch.run(WATCH_INTERVAL))
    try:
        provider = await open_provider(spec, box, base, options.warm, profile, watch)
        try:
            await _grade_all(assignment, todo, options, on_result, provider, profile, ahead)
        finally:
            await provider.close()
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


@dataclass
class BatchOutcome:
    results: list[Result]
    graded_now: int
    reused: int
    seconds: float
    exports: list[Path] = field(default_factory=list)
    sandbox: SandboxChoice | None = None
    profile: Profile = field(default_factory=Profile)
    limits: Limits | None = None


def grade_batch(
    assignment: Assignment,
    submissions: list[Submission],
    out: Path,
    options: Options,
    manual_scores: list[tuple[str, str, float | None, str]] | None = None,
    progress: Progress | None = None,
    deadline: Deadline | None = None,
    export: ExportSettings | None = None,
) -> BatchOutcome:
    """Grade `submissions` into the gradebook in `out`, then write the CSVs, feedback and class report for every
    student of the assignment in the gradebook. `options` is not changed."""
    t0 = time.monotonic()
    profile = Profile()
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
        t_prepare = time.monotonic()
        if todo:
            protected = [assignment.source_path.parent, out, *(s.path.parent for s in submissions)]
            box = containment(options.sandbox, protected, assignment.data_dir)

        def on_result(sub: Submission, result: Result) -> None:
            result.sandbox = box.choice.mode if box is not None else ""
            with profile.timed("writing"):
                book.store(assignment.id, result, sha256_of(sub.path), fingerprint)
            progress.update(result)

        if todo:
            run_options = replace(options, jobs=options.jobs or os.cpu_count() or 1)
            base = batch_folder()
            stored_now = [0]

            def on_result_counted(sub: Submission, result: Result) -> None:
                on_result(sub, result)
                stored_now[0] += 1

            try:
                prep = BatchPrep()
                if options.warm:
                    with contextlib.suppress(Exception):  # only time is at stake: kernels then start cold
                        # the release's imports: nothing of the solution in any kernel
                        prep = prepare_batch(assignment.release, box, base, kernel_spec(assignment, options))
                spec = kernel_spec(assignment, options, prep)
                ahead = pool_ahead(run_options.jobs, options.limits.memory) if options.warm else None
                profile.add("prepare batch", time.monotonic() - t_prepare)
                _run_outside_any_loop(
                    lambda report: _grade_with_provider(
                        assignment, todo, run_options, report, spec, box, base, profile, ahead
                    ),
                    on_result_counted,
                )
            except KeyboardInterrupt:
                raise GradingInterrupted(stored_now[0]) from None
            finally:
                remove_tree(base)
        manual = book.manual(assignment.id)
        results = [apply_manual(r, manual) for r in book.results(assignment.id)]
        if deadline is not None:
            results = apply_deadline(deadline, book, assignment.id, submissions, results)
        question_ids = [q.grade_id for q in assignment.questions]
        t_write = time.monotonic()
        exports = write_reports(
            out,
            assignment.id,
            results,
            question_ids,
            assignment.titles,
            export,
            assignment.auto_max + assignment.manual_max,
        )
        profile.add("writing", time.monotonic() - t_write)
    finally:
        book.close()
    profile.submissions, profile.wall = len(todo), time.monotonic() - t0
    return BatchOutcome(
        results, len(todo), reused, time.monotonic() - t0, exports, box.choice if box else None, profile, options.limits
    )


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
