"""Check: validate the source notebooks and that `exercises/` is a fresh, leak-free release of them.

Each check is a function (notebook, path label) -> list[Problem]; `check_course` runs them all.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from coursekit import course
from coursekit.cells import (
    GRADE_ID_PATTERN,
    SCHEMA_VERSION,
    CellKind,
    cell_kind,
    cell_label,
    grade_id,
    graded_cells,
    is_nbgrader_cell,
    misplaced_markers,
    nbgrader_meta,
    points,
    scan_regions,
    total_points,
)
from coursekit.errors import CoursekitError, MarkerError, NotebookReadError
from coursekit.leaks import find_leaks
from coursekit.notebook_io import parse_notebook, read_notebook
from coursekit.release import STAMP_KEY, render_release


@dataclass(frozen=True)
class Problem:
    """One line of the report: a file, optionally a cell (grade_id or `cell N`), and what is wrong."""

    path: str
    message: str
    cell: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}: {self.cell}" if self.cell else self.path
        return f"{'warning: ' if self.warning else ''}{where}: {self.message}"


NotebookCheck = Callable[[NotebookNode, str], list[Problem]]


def check_cell_metadata(nb: NotebookNode, path: str) -> list[Problem]:
    """nbgrader cells need schema_version 3 and a valid grade_id; markdown grade cells must be answers."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if not is_nbgrader_cell(cell):
            continue
        meta, label = nbgrader_meta(cell), cell_label(cell, index)
        if meta.get("schema_version") != SCHEMA_VERSION:
            problems.append(Problem(path, f"nbgrader schema_version must be {SCHEMA_VERSION}", label))
        gid = grade_id(cell)
        if gid is None:
            problems.append(Problem(path, f"nbgrader cell ({cell_kind(cell)}) has no grade_id", label))
        elif not GRADE_ID_PATTERN.match(gid):
            problems.append(Problem(path, "grade_id may only hold letters, digits, '-' and '_'", label))
        if cell.cell_type == "markdown" and cell_kind(cell) is CellKind.AUTOGRADER_TESTS:
            problems.append(Problem(path, "markdown grade cell must also be a solution cell", label))
    return problems


def check_grade_ids(nb: NotebookNode, path: str) -> list[Problem]:
    """Every grade_id appears once in a notebook."""
    counts = Counter(grade_id(cell) for cell in nb.cells if is_nbgrader_cell(cell))
    return [
        Problem(path, f"duplicate grade_id (used by {n} cells)", gid)
        for gid, n in counts.items()
        if gid is not None and n > 1
    ]


def check_points(nb: NotebookNode, path: str) -> list[Problem]:
    """Every grade cell has positive numeric points."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if nbgrader_meta(cell).get("grade"):
            value, label = points(cell), cell_label(cell, index)
            if "points" not in nbgrader_meta(cell):
                problems.append(Problem(path, "grade cell has no points", label))
            elif value is None or value <= 0:
                found = nbgrader_meta(cell)["points"]
                problems.append(
                    Problem(path, f"grade cell needs positive numeric points (found {found!r})", label)
                )
    return problems


def check_markers(nb: NotebookNode, path: str) -> list[Problem]:
    """Markers are balanced, not nested, and only in the cell kinds that may hold them."""
    problems: list[Problem] = []
    for index, cell in enumerate(nb.cells):
        label = cell_label(cell, index)
        problems.extend(Problem(path, message, label) for message in scan_regions(cell.source)[1])
        for marker in misplaced_markers(cell):
            kind = cell_kind(cell)
            article = "an" if kind[0] in "aeiou" else "a"
            problems.append(Problem(path, f"{marker.name} markers in {article} {kind} cell", label))
    return problems


def check_tests_follow_answers(nb: NotebookNode, path: str) -> list[Problem]:
    """Each autograded answer is followed by at least one test cell before the next answer."""
    problems = []
    pending: tuple[int, NotebookNode] | None = None
    for index, cell in enumerate(nb.cells):
        kind = cell_kind(cell)
        if kind is CellKind.AUTOGRADER_TESTS:
            pending = None
        elif kind is CellKind.AUTOGRADED_ANSWER:
            if pending is not None:
                message = (
                    f"autograded answer has no test cell before the next answer ({cell_label(cell, index)})"
                )
                problems.append(Problem(path, message, cell_label(pending[1], pending[0])))
            pending = (index, cell)
    if pending is not None:
        message = "autograded answer has no test cell after it (end of notebook)"
        problems.append(Problem(path, message, cell_label(pending[1], pending[0])))
    return problems


def check_executed(nb: NotebookNode, path: str) -> list[Problem]:
    """Warn when code cells of the source have no stored execution (outputs are not stored)."""
    code = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
    missing = [cell for cell in code if cell.get("execution_count") is None]
    if not missing:
        return []
    folder = Path(path).parent.as_posix()
    message = (
        f"not executed ({len(missing)} of {len(code)} code cells have no stored output); "
        f"run 'python -m coursekit execute {folder}'"
    )
    return [Problem(path, message, warning=True)]


NOTEBOOK_CHECKS: tuple[NotebookCheck, ...] = (
    check_cell_metadata,
    check_grade_ids,
    check_points,
    check_markers,
    check_tests_follow_answers,
    check_executed,
)


def check_source(nb: NotebookNode, path: str) -> list[Problem]:
    """All the checks of one source notebook."""
    return [problem for check in NOTEBOOK_CHECKS for problem in check(nb, path)]


def same_as_nbgrader_release(fresh: bytes, on_disk: bytes) -> bool:
    """True if `on_disk` is the kit's release as nbgrader's `generate_assignment` writes it: the same cells,
    with nbgrader's `checksum` added to the cells' metadata, without the kit's assignment stamp (which nbgrader
    does not write) and with the Python version in `language_info` (which the kit drops). Cell ids and JSON
    formatting are ignored; any other change (a cell's text or metadata) is not."""

    def normal(data: bytes) -> str | None:
        try:
            nb = json.loads(data.decode("utf-8"))
            nb.get("metadata", {}).pop(STAMP_KEY, None)
            nb.get("metadata", {}).get("language_info", {}).pop("version", None)  # nbgrader keeps it; we drop it
            for cell in nb["cells"]:
                cell.pop("id", None)
                meta = cell.get("metadata", {}).get("nbgrader")
                if isinstance(meta, dict):
                    meta.pop("checksum", None)
                if isinstance(cell.get("source"), list):
                    cell["source"] = "".join(cell["source"])
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
            return None
        return json.dumps(nb, sort_keys=True)

    theirs = normal(on_disk)
    return theirs is not None and theirs == normal(fresh)


def check_release(root: Path, assignment: str, source: Path, nb: NotebookNode) -> list[Problem]:
    """The released notebook exists, equals a fresh release byte for byte, and leaks no secret line."""
    src_label = course.relative(root, source)
    target = course.release_path(root, assignment, source.name)
    label = course.relative(root, target)
    hint = f"run 'python -m coursekit release {assignment}'"
    if not target.is_file():
        return [Problem(label, f"missing; {hint}")]
    problems = []
    on_disk = target.read_bytes()
    try:
        fresh = render_release(source, src_label, assignment)
    except MarkerError:
        fresh = None  # the marker problem is reported by check_markers
    if fresh is not None and fresh != on_disk and not same_as_nbgrader_release(fresh, on_disk):
        problems.append(Problem(label, f"stale: differs from a fresh release of {src_label}; {hint}"))
    try:
        released = parse_notebook(on_disk.decode("utf-8", errors="replace"), label)
        leaks = find_leaks(nb, released)
    except (NotebookReadError, MarkerError):
        leaks = []
    for leak in leaks:
        text = leak.line if len(leak.line) <= 60 else leak.line[:57] + "..."
        message = f"leaks a {leak.what} line of {leak.source_cell}: {text!r}"
        problems.append(Problem(label, message, leak.release_cell))
    return problems


def check_data_files(root: Path, assignment: str) -> list[Problem]:
    """The assignment's data files are released, byte for byte."""
    problems = []
    for rel in course.data_files(root, assignment):
        target = course.release_path(root, assignment, rel.as_posix())
        source = Path(root) / course.SOLUTIONS_DIR / assignment / rel
        hint = f"run 'python -m coursekit release {assignment}'"
        if not target.is_file():
            problems.append(Problem(course.relative(root, target), f"missing; {hint}"))
        elif target.read_bytes() != source.read_bytes():
            problems.append(
                Problem(course.relative(root, target), f"stale: differs from {rel.as_posix()}; {hint}")
            )
    return problems


def check_extra_exercises(root: Path) -> list[Problem]:
    """Released notebooks without a source notebook."""
    problems = []
    folder = Path(root) / course.EXERCISES_DIR
    assignments = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    known = set(course.assignment_ids(root))
    for assignment in assignments:
        sources = (
            {p.name for p in course.source_notebooks(root, assignment)} if assignment in known else set()
        )
        for released in course.released_notebooks(root, assignment):
            if released.name not in sources:
                hint = (
                    f"run 'python -m coursekit release {assignment}'" if assignment in known else "delete it"
                )
                source = f"{course.SOLUTIONS_DIR}/{assignment}/{released.name}"
                problems.append(
                    Problem(course.relative(root, released), f"extra: no source {source}; {hint}")
                )
    return problems


@dataclass
class CheckReport:
    """The outcome of `check_course`."""

    problems: list[Problem] = field(default_factory=list)
    assignments: int = 0
    notebooks: int = 0
    graded_cells: int = 0
    points: float = 0.0
    unreadable: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.warning]

    @property
    def exit_code(self) -> int:
        """0 when all is well (warnings allowed), 1 when problems were found, 2 if a notebook was unreadable."""
        return 2 if self.unreadable else (1 if self.errors else 0)


def check_course(root: Path) -> CheckReport:
    """Run every check on the course at `root`."""
    root = Path(root)
    report = CheckReport()
    assignments = course.assignment_ids(root)
    report.assignments = len(assignments)
    for assignment in assignments:
        for source in course.source_notebooks(root, assignment):
            report.notebooks += 1
            label = course.relative(root, source)
            try:
                nb = read_notebook(source, label)
            except CoursekitError as exc:
                report.unreadable = True
                report.problems.append(Problem(label, str(exc).removeprefix(f"{label}: ")))
                continue
            report.problems.extend(check_source(nb, label))
            report.graded_cells += len(graded_cells(nb))
            report.points += total_points(nb)
            report.problems.extend(check_release(root, assignment, source, nb))
        report.problems.extend(check_data_files(root, assignment))
    report.problems.extend(check_extra_exercises(root))
    return report
