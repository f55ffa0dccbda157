"""Grade a batch of submissions: read, restore, run in a fresh sandboxed kernel, score, store, report.

`--jobs` submissions run at once, each in its own kernel. Kernels come from a warm pool (pool.py): started ahead
of need in fresh folders, with the assignment's modules already imported, so a kernel's start-up overlaps with
earlier submissions. No kernel ever sees two submissions. A submission that cannot be graded gets a row with the
reason; the batch always goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import queue
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path

from coursekit.cells import CellKind, cell_kind, grade_id
from coursekit.grading.assignment import Assignment
from coursekit.grading.cleanroom import CleanRoom, prelude, refused_message, run_prelude
from coursekit.grading.cleanup import remove_tree
from coursekit.grading.deadlines import Deadline
from coursekit.grading.forkserver import (
    ForkServer,
    ForkServerError,
    forked_kernel,
    start_server,
)
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.kernel import Kernel, Limits, started
from coursekit.grading.lms import ExportSettings
from coursekit.grading.manual import apply_manual
from coursekit.grading.pool import (
    BatchPrep,
    WarmPool,
    assignment_imports,
    pool_ahead,
    preimport,
    prepare_batch,
    settle,
)
from coursekit.grading.prepare import (
    SubmissionProblem,
    check_assignment,
    is_unchanged,
    read_submission,
    restore,
)
from coursekit.grading.profile import Profile
from coursekit.grading.report import Progress, summary, write_reports
from coursekit.grading.run import ERROR, TIMEOUT, run_notebook, sandbox_chdir
from coursekit.grading.sandbox import AUTO, Containment, SandboxChoice, containment, sandbox_folder
from coursekit.grading.score import QuestionResult, Result, score_test, score_written
from coursekit.grading.status import RunStatus, Status
from coursekit.grading.submissions import Submission
from coursekit.release import stamp_of

GRADED, ERROR_STATUS, TIMEOUT_STATUS = Status.GRADED, Status.ERROR, Status.TIMEOUT
REFUSED_STATUS = Status.REFUSED  # the clean room refused some answers (cleanroom.py)
UNCHANGED_STATUS = Status.UNCHANGED
UNCHANGED_MESSAGE = "the notebook is the release as handed out: no answer was changed (was the right file handed in?)"
TEMP_PREFIX = "coursekit-grade-"
OWNER_FILE = "owner.pid"
STALE_AFTER = 6 * 3600  # seconds: a temporary folder without a live owner older than this is removed


def _not_in_fingerprint() -> dict[str, bool]:
    return {"fingerprint": False}


@dataclass(frozen=True)
class Options:
    """How to grade: resource limits, parallel jobs, whether to ignore stored results, nbgrader's stderr rule.

    Every field decides the grades (and is part of the fingerprint) unless its metadata says otherwise, so an
    option added later cannot silently reuse grades made without it."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default=0, metadata=_not_in_fingerprint())
    regrade: bool = field(default=False, metadata=_not_in_fingerprint())
    stderr_fails: bool = False
    sandbox: str = AUTO  # auto, bubblewrap or none (sandbox.py); in the fingerprint: a row graded without
    # containment is graded again when the sandbox is asked for
    warm: bool = field(default=True, metadata=_not_in_fingerprint())  # pre-import, font cache, bytecode
    # (pool.py); False: kernels start cold, one ahead per job (for measuring what the pool saves)
    clean_room: bool = True  # tests run in a checker kernel that never runs student code (cleanroom.py); False:
    # in the student's kernel, as nbgrader does (unprotected: for negative controls and measurements only)

    def fingerprint(self, assignment: Assignment) -> str:
        """A hash of the assignment and of every option that can change a grade."""
        grading = {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("fingerprint", True)}
        text = f"{assignment.fingerprint()}|{json.dumps(_plain(grading), sort_keys=True)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: object) -> object:
    """Dataclasses as dicts (with their type's name), numbers as floats, recursively, for a stable JSON text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{k: _plain(v) for k, v in asdict(value).items()}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)  # 4 and 4.0 seconds are the same limit
    return value


class GradingInterrupted(Exception):
    """Ctrl-C during a batch: what was graded is saved; `graded` says how many."""

    def __init__(self, graded: int) -> None:
        super().__init__(f"interrupted; {graded} graded and saved; run the same command to resume")
        self.graded = graded


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp(base: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove `coursekit-grade-*` folders left by killed runs: their owner process is gone (or, without an owner
    file, they are older than STALE_AFTER). Returns the folders removed."""
    base = Path(base or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    try:
        folders = list(base.glob(f"{TEMP_PREFIX}*"))
    except OSError:
        folders = []
    for folder in folders:
        try:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            owner = folder / OWNER_FILE
            if owner.is_file() and not owner.is_symlink() and owner.stat().st_size < 64:
                text = owner.read_text().strip()
                stale = not (text.isdigit() and _alive(int(text)))
            else:
                stale = now - info.st_mtime > STALE_AFTER
        except (OSError, ValueError):
            continue
        if stale and remove_tree(folder):
            removed.append(folder)
    removed += _remove_stale_connection_files(base, now)
    return removed


SANDBOX_KERNEL_NAME = "coursekit-sandbox"  # kernel.py's spec name, written into each connection file
CONNECTION_FILE_AGE = 600  # seconds: a kernel reads its connection file at start-up, within a minute


def _remove_stale_connection_files(base: Path, now: float) -> list[Path]:
    """Kernel connection files (jupyter_client writes `tmp*.json` in the temp folder) of the grader's sandbox
    kernels, older than CONNECTION_FILE_AGE: left by killed runs (a clean run removes its own)."""
    removed = []
    for path in base.glob("tmp*.json"):
        try:
            info = path.stat()
            if info.st_uid != os.getuid() or info.st_size > 4096 or now - info.st_mtime < CONNECTION_FILE_AGE:
                continue
            if json.loads(path.read_text(encoding="utf-8")).get("kernel_name") != SANDBOX_KERNEL_NAME:
                continue
            path.unlink()
        except (OSError, ValueError, AttributeError):
            continue
        removed.append(path)
    return removed


def _rmtree(path: Path) -> None:
    """Remove a temporary folder, whatever a submission left in it (cleanup.py: never raises, never follows a
    link, however deep the tree)."""
    remove_tree(path)


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
    prep: BatchPrep | None = None,
    profile: Profile | None = None,
) -> tuple[Result, bool]:
    """Grade one submission; returns the result and whether the pre-started kernel was used up. Without a
    `kernel_slot`, a kernel is started here, contained as `box` says (None: unsandboxed). Phases are timed
    into `profile`."""
    profile = profile if profile is not None else Profile()
    result = Result(
        sub.student,
        str(sub.path),
        GRADED,
        platform=sub.platform,
        platform_user=sub.platform_user,
        platform_name=sub.platform_name,
        platform_file=str(sub.order[0]) if sub.order else "",
    )
    t0 = time.monotonic()
    try:
        with profile.timed("restore"):
            nb, notes = read_submission(sub.path)
            check_assignment(nb, assignment.source, assignment.id, assignment.others)
            prepared = restore(nb, assignment.source, assignment.release)
            _forgive_rerelease(nb, assignment, prepared.notes)
    except SubmissionProblem as problem:
        result.status, result.message = problem.status, problem.message
        return result, False
    result.notes = notes + prepared.notes
    kernel: Kernel | None = None
    checker: Kernel | None = None
    root = checker_root = None
    try:
        try:
            with profile.timed("wait for kernel"):
                slot = (
                    await kernel_slot
                    if kernel_slot is not None
                    else await _new_slot(assignment, options, base, box, prep, profile)
                )
            root, kernel = slot[0], slot[1]
            ran: tuple[str, ...] = ()
            if len(slot) == 5:
                checker_root, checker, ran = slot[2], slot[3], slot[4]
        except Exception as exc:  # noqa: BLE001 - a kernel that will not start is reported, not raised
            result.status, result.message = (
                ERROR_STATUS,
                f"the kernel did not start ({exc.__class__.__name__}: {exc})",
            )
            return result, True
        before = {i: sandbox_chdir(kernel.folder) for i in prepared.instructor}
        room, tests = None, set()
        if checker is not None:
            room = CleanRoom(kernel, checker, tuple(m for m, _names in assignment_imports(assignment.source)), ran)
            tests = {
                i for i in prepared.instructor if cell_kind(prepared.nb.cells[i]) is CellKind.AUTOGRADER_TESTS
            }
            with profile.timed("checker setup"):
                if not (await room.setup_student() and await room.setup_checker()):
                    raise RuntimeError("the clean room could not be set up")
        with profile.timed("cells"):
            run = await run_notebook(prepared.nb, kernel, options.limits, prepared.labels, before, room, tests)
        if room is not None:
            for phase, seconds in room.seconds.items():
                profile.add(phase, seconds)
        with profile.timed("scoring"):
            result.questions = _scores(assignment, prepared, run, options.stderr_fails)
        for index, cell_run in sorted(run.cells.items()):
            if index in prepared.instructor or cell_run.status not in (ERROR, TIMEOUT):
                continue
            result.answer_errors.append(
                f"{prepared.labels[index]}: {cell_run.ename}: {cell_run.evalue}".rstrip(": ")
            )
        if run.status == RunStatus.TIMEOUT:
            result.status = TIMEOUT_STATUS
        elif run.status == RunStatus.DIED:
            result.status = ERROR_STATUS
        timeouts = [
            f"{prepared.labels[i]} timed out after {r.seconds:.0f} s and was interrupted"
            for i, r in sorted(run.cells.items())
            if r.status == TIMEOUT and i not in prepared.instructor
        ]
        result.message = "; ".join(m for m in [run.message, *timeouts, *result.notes] if m)
        if result.status == GRADED and is_unchanged(prepared.answers, assignment.release):
            result.status = UNCHANGED_STATUS
            result.message = "; ".join(m for m in [UNCHANGED_MESSAGE, result.message] if m)
        if room is not None and room.refusals:
            if result.status in (GRADED, UNCHANGED_STATUS):  # refused values: the instructor looks first
                result.status = REFUSED_STATUS
            result.message = "; ".join(m for m in [refused_message(room.refusals), result.message] if m)
    finally:
        with profile.timed("kernel stop"):
            for k in (kernel, checker):
                if k is not None:
                    await k.stop()
            for folder in (root, checker_root):
                if folder is not None:
                    _rmtree(folder)
        result.seconds = round(time.monotonic() - t0, 2)
    return result, True


CHANGED_NOTE = "was changed; the instructor's version was run"


def _forgive_rerelease(nb, assignment: Assignment, notes: list[str]) -> None:
    """A notebook from an earlier release has the instructor's older test cells: those differences are the
    instructor's, not the student's, so the "was changed" notes are replaced by one line saying so."""
    stamp = stamp_of(nb)
    if stamp is None or not stamp[1] or stamp[1] == assignment.release_version:
        return
    kept = [n for n in notes if not n.endswith(CHANGED_NOTE)]
    if len(kept) != len(notes):
        kept.append(
            "your notebook is from an earlier release of this assignment; the current checks were run"
        )
    notes[:] = kept


KERNEL_ENV_EXTRA = {"NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1"}


async def _new_kernel(
    assignment: Assignment,
    options: Options,
    base: Path,
    box: Containment | None = None,
    prep: BatchPrep | None = None,
    profile: Profile | None = None,
    server: ForkServer | None = None,
) -> tuple[Path, Kernel]:
    """A started kernel in a fresh folder holding the assignment's files (and nothing of any submission), with
    `prep`'s imports done (silently, or before the fork when a fork `server` is given); (its folder, the
    kernel)."""
    profile = profile if profile is not None else Profile()
    prep = prep or BatchPrep()
    if server is not None and box is not None:
        root, forked = forked_kernel(server, base, box, KERNEL_ENV_EXTRA, options.limits, prep.home_seed)
        try:
            with profile.timed("kernel start"):
                await forked.start()
            return root, forked
        except ForkServerError:  # this kernel could not be forked: it is started on its own below
            _rmtree(root)
            profile.add("fork failed", 0.0)
        except BaseException:
            _rmtree(root)
            raise
    if box is not None and box.sandboxed:
        root, spec, env = sandbox_folder(base, assignment.files, box, KERNEL_ENV_EXTRA)
        spec = replace(spec, home_seed=prep.home_seed)
        work = spec.work
    else:
        root, work, env = make_sandbox(assignment, base)
        spec = None
    try:
        with profile.timed("kernel start"):
            kernel = await started(work, options.limits, env, spec)
        try:
            if prep.imports:
                with profile.timed("imports"):
                    answer = await preimport(kernel, prep.imports)
                    if "no answer" in answer.get("failed", []):
                        await kernel.restart()  # a hung import: this kernel starts cold instead
                    else:
                        await settle(kernel)
        except BaseException:
            await kernel.stop()
            raise
        return root, kernel
    except BaseException:
        _rmtree(root)
        raise


Slot = tuple  # (root, kernel) or, with the clean room, (root, kernel, checker's root, checker, prelude it ran)


async def _new_slot(
    assignment: Assignment,
    options: Options,
    base: Path,
    box: Containment | None = None,
    prep: BatchPrep | None = None,
    profile: Profile | None = None,
    server: ForkServer | None = None,
) -> Slot:
    """What one submission needs: its kernel, and with the clean room a checker kernel made the same way (both
    started at once; if either fails, neither is kept) that has run the assignment's set-up cells (its prelude,
    cleanroom.py)."""
    if not options.clean_room:
        return await _new_kernel(assignment, options, base, box, prep, profile, server)
    made = await asyncio.gather(
        _new_kernel(assignment, options, base, box, prep, profile, server),
        _new_kernel(assignment, options, base, box, prep, profile, server),
        return_exceptions=True,
    )
    started_pairs = [m for m in made if not isinstance(m, BaseException)]
    failed = [m for m in made if isinstance(m, BaseException)]
    if failed:
        for folder, started_kernel in started_pairs:
            with contextlib.suppress(BaseException):
                await started_kernel.stop()
            _rmtree(folder)
        raise failed[0]
    (root, kernel), (checker_root, checker) = started_pairs
    profile = profile if profile is not None else Profile()
    sources = prelude(assignment.source)
    ran: tuple[str, ...] = ()
    if sources:
        with profile.timed("checker prelude"):
            try:
                if await run_prelude(checker, sources, options.limits.cell_timeout or 60.0):
                    ran = sources
                else:  # it did not run to its end: a fresh checker runs every instructor cell in its place
                    await checker.restart()
            except BaseException:
                for k, folder in ((kernel, root), (checker, checker_root)):
                    with contextlib.suppress(BaseException):
                        await k.stop()
                    _rmtree(folder)
                raise
    return root, kernel, checker_root, checker, ran


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
    prep: BatchPrep | None = None,
    profile: Profile | None = None,
    ahead: int | None = None,
) -> None:
    """Grade `todo` with `options.jobs` workers taking kernels from one warm pool that keeps `ahead` kernels
    starting or ready (default: one per worker)."""
    profile = profile if profile is not None else Profile()
    queue: asyncio.Queue[Submission] = asyncio.Queue()
    for sub in todo:
        queue.put_nowait(sub)
    workers = max(1, min(options.jobs, len(todo)))
    prep = prep or BatchPrep()
    server = None
    if options.warm and box is not None and box.sandboxed:
        with profile.timed("fork server"):  # None when it cannot run here: kernels are then started one by one
            server, _why = await start_server(
                base, assignment.files, box, KERNEL_ENV_EXTRA, prep.imports, prep.home_seed
            )
    pool = WarmPool(
        lambda: _new_slot(assignment, options, base, box, prep, profile, server),
        workers if ahead is None else ahead,
        len(todo),
    )

    async def worker() -> None:
        while not queue.empty():
            sub = queue.get_nowait()
            current = pool.take()
            try:
                result, used = await grade_one(assignment, sub, options, current, base, box, prep, profile)
            except Exception as exc:  # noqa: BLE001 - a grader bug on one file must not stop the batch
                result = Result(sub.student, str(sub.path), ERROR_STATUS, f"grader error: {exc!r}")
                await _discard(current)  # it may have run code of this submission: never reused
            else:
                if not used:
                    pool.give_back(current)
            on_result(sub, result)

    pool.fill()
    try:
        await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        await pool.close(_discard)
        if server is not None:
            await server.close()


async def _discard(slot: asyncio.Task) -> None:
    with contextlib.suppress(BaseException):
        made = await slot
        for root, kernel in zip(made[0:4:2], made[1:4:2], strict=True):
            with contextlib.suppress(BaseException):
                await kernel.stop()
            _rmtree(root)


@dataclass
class BatchOutcome:
    results: list[Result]
    graded_now: int
    reused: int
    seconds: float
    exports: list[Path] = field(default_factory=list)
    sandbox: SandboxChoice | None = None
    profile: Profile = field(default_factory=Profile)



def _sandboxed(box: Containment | None) -> Containment:
    """`box`, which prepare_batch asks a sandbox folder of only when the batch is sandboxed."""
    if box is None:
        raise ValueError("a sandbox folder was asked for in an unsandboxed batch")
    return box

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
            remove_stale_temp()
            base = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
            (base / OWNER_FILE).write_text(str(os.getpid()))
            stored_now = [0]

            def on_result_counted(sub: Submission, result: Result) -> None:
                on_result(sub, result)
                stored_now[0] += 1

            try:
                prep = BatchPrep()
                if options.warm:
                    with contextlib.suppress(Exception):  # only time is at stake: kernels then start cold
                        prep = prepare_batch(
                            assignment.release,  # the release's imports: nothing of the solution in any kernel
                            box,
                            lambda: sandbox_folder(base, assignment.files, _sandboxed(box), KERNEL_ENV_EXTRA)[:2],
                            base,
                        )
                ahead = pool_ahead(run_options.jobs, options.limits.memory) if options.warm else None
                profile.add("prepare batch", time.monotonic() - t_prepare)
                _run_outside_any_loop(
                    lambda report: _grade_all(
                        assignment, todo, run_options, report, base, box, prep, profile, ahead
                    ),
                    on_result_counted,
                )
            except KeyboardInterrupt:
                raise GradingInterrupted(stored_now[0]) from None
            finally:
                _rmtree(base)
        manual = book.manual(assignment.id)
        results = [apply_manual(r, manual) for r in book.results(assignment.id)]
        if deadline is not None:
            book.set_lateness(assignment.id, [(sub.student, *deadline.lateness(sub)) for sub in submissions])
            late = book.lateness(assignment.id)
            results = [deadline.apply(r, None, late.get(r.student)) for r in results]
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
        results, len(todo), reused, time.monotonic() - t0, exports, box.choice if box else None, profile
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
        f"wrote {out}/grades.csv, grades-long.csv, grades-lms.csv, feedback/, report.html, questions.csv"
        + "".join(
            f", {p.name}"
            for p in outcome.exports
            if p.name not in ("grades-lms.csv", "report.html", "questions.csv")
        ),
        file=stream,
    )
    print(f"coursekit grade: start with the class report: {out / 'report.html'}", file=stream)
