"""The command line: `python -m coursekit {release,check,execute,grade,written} ...`.

A thin dispatcher: one function per subcommand, which imports its module and prints the outcome.
Exit codes: 0 all well, 1 problems found (check) or a cell failed (execute), 2 bad input (unknown
assignment, unreadable notebook, malformed markers) or bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coursekit.errors import CoursekitError


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
    from coursekit.grading.batch import Options
    from coursekit.grading.kernel import Limits

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


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade submissions: grades.csv, grades-long.csv, grades-lms.csv, feedback/ and a gradebook in --out."""
    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.batch import grade_batch, print_summary
    from coursekit.grading.manual import read_manual_scores
    from coursekit.grading.submissions import find_submissions

    assignment = load_assignment(args.assignment, Path(args.root))
    submissions = find_submissions(args.submissions, assignment.id, assignment.source_path.stem)
    manual = None
    if args.manual:
        maxima = {q.grade_id: q.points for q in assignment.questions if q.manual}
        manual = read_manual_scores(Path(args.manual), maxima)
    out = Path(args.out)
    print(
        f"coursekit grade: {assignment.id}: {_plural(len(submissions), 'submission')}, "
        f"{args.jobs or 'all'} jobs",
        flush=True,
    )
    outcome = grade_batch(assignment, submissions, out, _grading_options(args), manual)
    print_summary(outcome, assignment, out)
    return 0


def cmd_written(args: argparse.Namespace) -> int:
    """Collect the written answers, one page per question, and a CSV for the points."""
    from coursekit import written
    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.submissions import find_submissions

    assignment = load_assignment(args.assignment, Path(args.root))
    submissions = find_submissions(args.submissions, assignment.id, assignment.source_path.stem)
    pages, csv_path = written.collect(assignment, submissions, Path(args.out))
    print(
        f"coursekit written: {_plural(len(pages), 'question')}, {_plural(len(submissions), 'submission')}: "
        f"wrote {', '.join(str(p) for p in pages)}; fill in the points in {csv_path}, then run "
        f"grade ... --manual {csv_path}"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit", description="Instructor tools for the exercises."
    )
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
        "--timeout", type=int, default=120, metavar="SECONDS", help="per-cell timeout (default: 120)"
    )
    p.set_defaults(func=cmd_execute)

    p = sub.add_parser("grade", help="grade submitted notebooks: CSVs, feedback and a gradebook")
    p.add_argument("assignment", metavar="ASSIGNMENT", help="assignment id (01-hype) or source notebook path")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebooks or folders of notebooks")
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for grades, feedback and the gradebook"
    )
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding solutions/ (default: .)")
    p.add_argument("--jobs", type=int, default=0, metavar="N", help="submissions at once (default: cores)")
    p.add_argument(
        "--cell-timeout", type=float, default=30, metavar="S", help="seconds per cell (default: 30)"
    )
    p.add_argument(
        "--timeout", type=float, default=300, metavar="S", help="seconds per notebook (default: 300)"
    )
    p.add_argument("--memory", type=int, default=2048, metavar="MB", help="kernel memory cap (default: 2048)")
    p.add_argument(
        "--max-output",
        type=int,
        default=100_000,
        metavar="BYTES",
        help="output kept per cell (default: 100000)",
    )
    p.add_argument("--manual", metavar="CSV", help="points for written answers (from `coursekit written`)")
    p.add_argument("--regrade", action="store_true", help="grade again even unchanged submissions")
    p.add_argument(
        "--stderr-fails", action="store_true", help="nbgrader's rule: a test cell writing to stderr scores 0"
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
    p.set_defaults(func=cmd_written)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit code. Errors in the input are one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CoursekitError as exc:
        print(f"coursekit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
