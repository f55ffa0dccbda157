"""The command line: `python -m coursekit {release,check,execute} ...`.

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; returns the exit code. Errors in the input are one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CoursekitError as exc:
        print(f"coursekit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
