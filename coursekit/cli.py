"""The command line: `python -m coursekit {release,check,execute,grade,written} ...`.

A thin dispatcher: one function per subcommand, which imports its module and prints the outcome.
Exit codes: 0 all well, 1 problems found (check) or a cell failed (execute), 2 bad input (unknown
assignment, unreadable notebook, malformed markers) or bad arguments.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from coursekit.errors import CoursekitError

if TYPE_CHECKING:
    from coursekit.grading.assignment import Assignment
    from coursekit.grading.roster import Resolution, Roster


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2), as the docs promise."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind: type, low: float, *, inclusive: bool = True, what: str = "", high: float | None = None):
    """An argparse type: a `kind` number >= low (or > low), and <= high if given; one-line message otherwise."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a{'n integer' if kind is int else ' number'}"
            ) from None
        if value != value or (value < low if inclusive else value <= low):
            bound = f">= {low:g}" if inclusive else f"> {low:g}"
            raise argparse.ArgumentTypeError(f"{text} must be {bound}{what}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{text} must be <= {high:g}{what}")
        return value

    return parse


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_release(args: argparse.Namespace) -> int:
    """Write exercises/<a>/ from solutions/<a>/ for the named (or all) assignments."""
    from coursekit import course, release

    root = Path(args.root)
    if not (root / course.SOLUTIONS_DIR).is_dir():
        print(f"coursekit release: no {course.SOLUTIONS_DIR}/ folder in {root}; nothing to release")
        return 0
    names = course.resolve_assignments(root, args.assignments)
    if not any(course.source_notebooks(root, name) for name in names):
        print(f"coursekit release: no notebooks under {root / course.SOLUTIONS_DIR}; nothing to release")
        return 0
    result = release.release(root, names)
    for path in result.written:
        print(f"wrote {course.relative(root, path)}")
    for path in result.removed:
        print(f"removed {course.relative(root, path)} (its source is gone)")
    print(
        f"coursekit release: {_plural(len(names), 'assignment')}, {len(result.written)} written, "
        f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the sources and that exercises/ is fresh and leak-free."""
    from coursekit import check, course

    root = Path(args.root)
    if not (root / course.SOLUTIONS_DIR).is_dir():
        print(f"coursekit check: no {course.SOLUTIONS_DIR}/ folder in {root}; nothing to check")
        return 0
    report = check.check_course(root)
    if report.notebooks == 0:
        print(f"coursekit check: no notebooks under {root / course.SOLUTIONS_DIR}; nothing to check")
        return 0
    for problem in report.problems:
        print(problem)
    if report.errors:
        print(
            f"coursekit check: {_plural(len(report.errors), 'problem')}, "
            f"{_plural(len(report.warnings), 'warning')} in {_plural(report.notebooks, 'notebook')}"
        )
    else:
        print(
            f"coursekit check: OK: {_plural(report.assignments, 'assignment')}, "
            f"{_plural(report.notebooks, 'notebook')}, {_plural(report.graded_cells, 'graded cell')} "
            f"({report.points:g} points), exercises up to date"
            + (f", {_plural(len(report.warnings), 'warning')}" if report.warnings else "")
        )
    return report.exit_code


def cmd_execute(args: argparse.Namespace) -> int:
    """Execute notebooks in place, storing their outputs; stop at the first failing cell."""
    from coursekit import execute

    notebooks = execute.find_notebooks(args.paths)
    changed = 0
    for path in notebooks:
        print(f"executing {path}", flush=True)
        changed += execute.execute_file(path, timeout=args.timeout)
    print(f"coursekit execute: {_plural(len(notebooks), 'notebook')} executed, {changed} changed")
    return 0


def _grading_options(args: argparse.Namespace):
    from coursekit.grading.kernels.spec import Limits
    from coursekit.grading.options import Options

    limits = Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.timeout,
        memory=args.memory * 2**20,
        output_bytes=args.max_output,
    )
    return Options(
        limits=limits,
        jobs=args.jobs or 0,
        regrade=args.regrade,
        stderr_fails=args.stderr_fails,
        sandbox=args.sandbox,
    )


def _chosen_submissions(
    args: argparse.Namespace, assignment: Assignment, roster: Roster | None
) -> Resolution:
    """The files found, one per student (see roster.resolve); prints what is not graded and why."""
    from coursekit.grading.roster import resolve
    from coursekit.grading.submissions import find_submissions

    found = find_submissions(
        args.submissions, assignment.id, assignment.source_path.stem, assignment.others.keys()
    )
    chosen = resolve(found, roster)
    for sub, reason in chosen.superseded:
        print(f"not graded: {sub.path.name}: {reason}")
    for sub, reason in chosen.unmatched:
        print(f"not matched: {sub.path}: {reason}")
    if not chosen.graded:
        raise CoursekitError(
            f"none of the {_plural(len(found), 'file')} found matched a student of the roster"
        )
    return chosen


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade submissions: grades.csv, grades-long.csv, LMS exports, feedback/, report.html and a gradebook."""
    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.batch import GradingInterrupted, grade_batch
    from coursekit.grading.deadlines import CANNOT_JUDGE, Deadline, LatePolicy, parse_due, read_extensions
    from coursekit.grading.gradebook import Gradebook, claim_folder
    from coursekit.grading.lms import ExportSettings, canvas_column_note
    from coursekit.grading.manual import read_manual_scores
    from coursekit.grading.report import print_summary
    from coursekit.grading.roster import read_roster
    from coursekit.grading.status import Status

    assignment = load_assignment(args.assignment, Path(args.root))
    out = Path(args.out)
    roster = read_roster(Path(args.roster)) if args.roster else None
    criteria = assignment.criteria if args.show_criteria else {}
    export = ExportSettings(args.lms, args.lms_column or "", args.bom, roster, criteria)
    export.check()
    if args.lms == "canvas" and roster is not None:
        note = canvas_column_note(roster, assignment.id, args.lms_column or "")
        if note:
            print(f"coursekit grade: note: {note}", flush=True)
    due = parse_due(args.due) if args.due else None
    late = args.late or ("flag" if due or roster else "none")
    if late == "penalty" and not args.late_penalty:
        raise CoursekitError("--late penalty needs --late-penalty PERCENT (taken off per day late)")
    if late == "penalty" and due is None and not (roster and any(s.due for s in roster.students)):
        raise CoursekitError("--late penalty needs --due (or a due column in the roster)")
    extensions = (
        read_extensions(Path(args.extensions), {s.id for s in roster.students} if roster else None)
        if args.extensions
        else None
    )
    deadline = Deadline(
        due, LatePolicy(late, args.late_penalty or 0.0, args.late_floor), roster, assignment.id, extensions
    )
    created = not out.exists()
    try:
        claim_folder(out, assignment.id)
        chosen = _chosen_submissions(args, assignment, roster)
        manual = None
        if args.manual:
            maxima = {q.grade_id: q.points for q in assignment.questions if q.manual}
            book = Gradebook(out)
            try:
                known = {s.student for s in chosen.graded} | book.students(assignment.id)
                not_graded = {
                    r.student: r.message or r.status
                    for r in book.results(assignment.id)
                    if r.status in (Status.NOT_A_NOTEBOOK, Status.WRONG_ASSIGNMENT)
                }
            finally:
                book.close()
            manual = read_manual_scores(Path(args.manual), maxima, known, not_graded)
    except CoursekitError:
        if created:  # a run that fails on its inputs leaves no --out folder behind
            shutil.rmtree(out, ignore_errors=True)
        raise
    print(
        f"coursekit grade: {assignment.id}: {_plural(len(chosen.graded), 'submission')}, "
        f"{_plural(args.jobs, 'job') if args.jobs else 'one job per core'}",
        flush=True,
    )
    try:
        outcome = grade_batch(
            assignment, chosen.graded, out, _grading_options(args), manual, deadline=deadline, export=export
        )
    except GradingInterrupted as exc:
        print(f"coursekit grade: {exc}", file=sys.stderr)
        return 130
    print_summary(outcome, assignment, out)
    undecided = [r.student for r in outcome.results if r.late_note.startswith(CANNOT_JUDGE)]
    if undecided:
        print(
            f"coursekit grade: lateness {CANNOT_JUDGE} for {_plural(len(undecided), 'student')} "
            f"({', '.join(undecided[:5])}{', ...' if len(undecided) > 5 else ''}): not penalised; "
            "see late_note in grades.csv"
        )
    if args.profile:
        print(outcome.profile.table())
    _write_not_graded(out, chosen)
    if chosen.superseded or chosen.unmatched:
        print(
            f"coursekit grade: not graded: {_plural(len(chosen.superseded), 'older file')} of students with a "
            f"newer one, {_plural(len(chosen.unmatched), 'file')} not matched to a student "
            f"(listed above and in {out / NOT_GRADED})"
        )
    return 0


NOT_GRADED = "not-graded.csv"


def _write_not_graded(out: Path, chosen: Resolution) -> None:
    """`not-graded.csv`: every file of this run that was not graded (older copies, unmatched), with the reason."""
    import csv
    import io

    from coursekit.grading.report import atomic_write

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "student", "why"])
    writer.writerows([str(sub.path), sub.student, reason] for sub, reason in chosen.superseded)
    writer.writerows([str(sub.path), "", reason] for sub, reason in chosen.unmatched)
    atomic_write(out / NOT_GRADED, buffer.getvalue())


def cmd_written(args: argparse.Namespace) -> int:
    """Collect the written answers, one page per question, and a CSV for the points."""
    from coursekit import written
    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.gradebook import claim_folder
    from coursekit.grading.roster import read_roster

    assignment = load_assignment(args.assignment, Path(args.root))
    roster = read_roster(Path(args.roster)) if args.roster else None
    claim_folder(Path(args.out), assignment.id)
    chosen = _chosen_submissions(args, assignment, roster)
    pages, csv_path = written.collect(assignment, chosen.graded, Path(args.out), blind=args.blind)
    print(
        f"coursekit written: {_plural(len(pages), 'question')}, {_plural(len(chosen.graded), 'submission')}"
        f"{' (blinded)' if args.blind else ''}: wrote {', '.join(str(p) for p in pages)}; fill in the points "
        f"in {csv_path}, then run grade ... --manual {csv_path}"
    )
    return 0


def _limits_defaults():
    """The resource limits' defaults, from their one definition (kernels/spec.py, Limits)."""
    from coursekit.grading.kernels.spec import Limits

    return Limits()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per command."""
    parser = _Parser(prog="python -m coursekit", description="Instructor tools for the exercises.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("release", help="generate exercises/ from solutions/")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="assignment ids (default: all)")
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding solutions/ (default: .)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("check", help="validate solutions/ and check exercises/ is fresh and leak-free")
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding solutions/ (default: .)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("execute", help="run notebooks in place, storing outputs")
    p.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders (searched recursively)")
    p.add_argument(
        "--timeout",
        type=_number(int, 1, what=" seconds"),
        default=120,
        metavar="SECONDS",
        help="per-cell timeout (default: %(default)s)",
    )
    p.set_defaults(func=cmd_execute)

    defaults = _limits_defaults()
    p = sub.add_parser(
        "grade", help="grade submitted notebooks: CSVs, feedback, class report and a gradebook"
    )
    p.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id (01-hype) or source notebook path")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebooks or folders of notebooks")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for this assignment's grades and feedback"
    )
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding solutions/ (default: .)")
    p.add_argument(
        "--jobs", type=_number(int, 1), default=None, metavar="N", help="submissions at once (default: cores)"
    )
    p.add_argument(
        "--cell-timeout",
        type=_number(float, 0, what=" seconds (0: no limit)"),
        default=defaults.cell_timeout,
        metavar="S",
        help="seconds per cell, 0 for no limit (default: %(default)g)",
    )
    p.add_argument(
        "--timeout",
        type=_number(float, 0, what=" seconds (0: no limit)"),
        default=defaults.notebook_timeout,
        metavar="S",
        help="seconds per notebook, 0 for no limit (default: %(default)g)",
    )
    p.add_argument(
        "--memory",
        type=_number(int, 0, what=" MB (0: no limit)"),
        default=defaults.memory // 2**20,
        metavar="MB",
        help="kernel memory cap (default: %(default)s)",
    )
    p.add_argument(
        "--max-output",
        type=_number(int, 0, what=" bytes"),
        default=defaults.output_bytes,
        metavar="BYTES",
        help="output kept per cell (default: %(default)s)",
    )
    p.add_argument("--manual", metavar="CSV", help="points for written answers (from `coursekit written`)")
    p.add_argument("--regrade", action="store_true", help="grade again even unchanged submissions")
    p.add_argument(
        "--profile", action="store_true", help="print where the time went: seconds per phase (total and mean)"
    )
    p.add_argument(
        "--stderr-fails", action="store_true", help="nbgrader's rule: a test cell writing to stderr scores 0"
    )
    p.add_argument(
        "--roster",
        metavar="CSV",
        help="the class list: Canvas's or Moodle's grade export, or student,name,email",
    )
    p.add_argument("--due", metavar="DATETIME", help="due date, ISO 8601 (UTC unless an offset is given)")
    p.add_argument(
        "--extensions",
        metavar="CSV",
        help="per-assignment extensions: columns student, assignment, and days and/or due (see INSTRUCTORS.md)",
    )
    p.add_argument(
        "--late",
        choices=("none", "flag", "penalty"),
        help="late policy (default: flag when --due or a roster is given)",
    )
    p.add_argument(
        "--late-penalty",
        type=_number(float, 0, inclusive=False, what=" percent", high=100),
        metavar="PERCENT",
        help="with --late penalty: percent of the score taken off per started day late",
    )
    p.add_argument(
        "--late-floor",
        type=_number(float, 0, what=" percent", high=100),
        default=0.0,
        metavar="PERCENT",
        help="with --late penalty: never below this percent of the score (default: 0)",
    )
    p.add_argument(
        "--lms",
        choices=("plain", "canvas", "moodle"),
        default="plain",
        help="also write the platform's grade import CSV (canvas and moodle need --roster)",
    )
    p.add_argument(
        "--lms-column", metavar="NAME", help="the platform's name of the assignment's grade column"
    )
    p.add_argument(
        "--bom", action="store_true", help="start the CSVs for the platform with a UTF-8 byte-order mark"
    )
    p.add_argument(
        "--show-criteria",
        action="store_true",
        help="show each written question's rubric points (its mark scheme, not the model answer) on the "
        "feedback pages as a checklist (default: off)",
    )
    p.add_argument(
        "--sandbox",
        choices=("auto", "bubblewrap", "none"),
        default="auto",
        help="run each kernel in a bubblewrap sandbox: auto (default: when it works here), bubblewrap "
        "(required: stop if it cannot work), none (no containment)",
    )
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("written", help="collect written answers for grading by hand")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id (01-hype) or source notebook path")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebooks or folders of notebooks")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the pages and the CSV")
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding solutions/ (default: .)")
    p.add_argument("--roster", metavar="CSV", help="the class list, as for grade")
    p.add_argument("--blind", action="store_true", help="name students by anonymous ids on the pages and CSV")
    p.set_defaults(func=cmd_written)

    from coursekit.hub import add_commands  # student-repo and hub-link (a class on JupyterHub)

    add_commands(sub)

    from coursekit import gain  # the concept inventory's learning report (issue 21)

    gain.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit code. Errors in the input are one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CoursekitError as exc:
        print(f"coursekit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"coursekit {args.command}: interrupted; run the same command to resume", file=sys.stderr)
        return 130
