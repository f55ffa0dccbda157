"""The exercise format: nbgrader cell kinds, markers and regions (schema_version 3).

This is the one place that knows how a source notebook marks its solutions, hidden tests and
mark schemes. The release, the check and the grader all read cells through these functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbformat import NotebookNode

from coursekit.compat import StrEnum
from coursekit.errors import MarkerError

SCHEMA_VERSION = 3
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
GRADE_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_\-]+$")


class CellKind(StrEnum):
    """The role of a cell, read from its `metadata.nbgrader` flags."""

    AUTOGRADED_ANSWER = "autograded answer"
    AUTOGRADER_TESTS = "autograder tests"
    MANUAL_ANSWER = "manually graded answer"
    TASK = "manually graded task"
    READ_ONLY = "read-only"
    PLAIN = "plain"


@dataclass(frozen=True)
class Marker:
    """A pair of region delimiters. A line holding `begin` (or `end`) anywhere is a delimiter line,
    as in nbgrader; `begin_line`/`end_line` are the canonical spellings for authors."""

    name: str
    begin: str
    end: str
    begin_line: str
    end_line: str


SOLUTION = Marker("solution", "BEGIN SOLUTION", "END SOLUTION", "### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_TESTS = Marker(
    "hidden tests", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
)
MARK_SCHEME = Marker(
    "mark scheme",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
    "=== BEGIN MARK SCHEME ===",
    "=== END MARK SCHEME ===",
)
MARKERS: tuple[Marker, ...] = (SOLUTION, HIDDEN_TESTS, MARK_SCHEME)

# Which regions each kind of cell may hold (nbgrader refuses the others at release).
ALLOWED_MARKERS: dict[CellKind, frozenset[Marker]] = {
    CellKind.AUTOGRADED_ANSWER: frozenset({SOLUTION}),
    CellKind.AUTOGRADER_TESTS: frozenset({HIDDEN_TESTS}),
    CellKind.MANUAL_ANSWER: frozenset({SOLUTION, MARK_SCHEME}),
    CellKind.TASK: frozenset({MARK_SCHEME}),
    CellKind.READ_ONLY: frozenset(),
    CellKind.PLAIN: frozenset(),
}


@dataclass(frozen=True)
class Region:
    """A marked region of a cell's source: `begin` and `end` are 0-based indexes of the delimiter lines."""

    marker: Marker
    begin: int
    end: int


def nbgrader_meta(cell: NotebookNode) -> dict:
    """The cell's `metadata.nbgrader` dict (empty if it has none)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader `grade_id`, or None."""
    value = nbgrader_meta(cell).get("grade_id")
    return value if isinstance(value, str) and value else None


def points(cell: NotebookNode) -> float | None:
    """The cell's nbgrader `points` if it is a number (not a bool), else None."""
    value = nbgrader_meta(cell).get("points")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def cell_kind(cell: NotebookNode) -> CellKind:
    """Classify a cell by its nbgrader flags, in nbgrader's order of precedence."""
    meta = nbgrader_meta(cell)
    if meta.get("task"):
        return CellKind.TASK
    if meta.get("solution") and meta.get("grade"):
        return CellKind.MANUAL_ANSWER
    if meta.get("solution"):
        return CellKind.AUTOGRADED_ANSWER
    if meta.get("grade"):
        return CellKind.AUTOGRADER_TESTS
    if meta.get("locked"):
        return CellKind.READ_ONLY
    return CellKind.PLAIN


def is_nbgrader_cell(cell: NotebookNode) -> bool:
    """True if nbgrader tracks the cell (it is graded, a solution, a task or locked)."""
    return cell_kind(cell) is not CellKind.PLAIN


def cell_label(cell: NotebookNode, index: int) -> str:
    """How messages name a cell: its grade_id, else `cell N` (1-based) and its id."""
    gid = grade_id(cell)
    if gid:
        return gid
    cid = cell.get("id")
    return f"cell {index + 1}" + (f" (id {cid})" if cid else "")


def find_cell(nb: NotebookNode, wanted_id: str) -> NotebookNode | None:
    """The first cell whose grade_id is `wanted_id`, or None."""
    return next((cell for cell in nb.cells if grade_id(cell) == wanted_id), None)


def cells_of_kind(nb: NotebookNode, *kinds: CellKind) -> list[NotebookNode]:
    """The cells of any of the given kinds, in notebook order."""
    return [cell for cell in nb.cells if cell_kind(cell) in kinds]


def graded_cells(nb: NotebookNode) -> list[NotebookNode]:
    """The cells that carry points (`grade: true`): test cells and manually graded answers."""
    return [cell for cell in nb.cells if nbgrader_meta(cell).get("grade")]


def total_points(nb: NotebookNode) -> float:
    """The sum of the points of the graded cells (cells without valid points count 0)."""
    return sum(points(cell) or 0.0 for cell in graded_cells(nb))


def delimiter(line: str) -> tuple[Marker, bool] | None:
    """(marker, is_begin) if the line is a delimiter line, else None."""
    for marker in MARKERS:
        if marker.begin in line:
            return marker, True
        if marker.end in line:
            return marker, False
    return None


def scan_regions(source: str) -> tuple[list[Region], list[str]]:
    """The well-formed regions of a source and one message per marker problem (unbalanced, nested)."""
    regions: list[Region] = []
    problems: list[str] = []
    open_regions: list[tuple[Marker, int]] = []  # a stack, so that nesting is reported once
    for i, line in enumerate(source.split("\n")):
        found = delimiter(line)
        if found is None:
            continue
        marker, is_begin = found
        if is_begin:
            if open_regions:
                outer, start = open_regions[-1]
                problems.append(
                    f"nested markers: {marker.begin} on line {i + 1} inside the {outer.name} region "
                    f"begun on line {start + 1}"
                )
            open_regions.append((marker, i))
        elif not open_regions:
            problems.append(f"{marker.end} on line {i + 1} without {marker.begin}")
        elif open_regions[-1][0] != marker:
            outer, start = open_regions[-1]
            problems.append(
                f"{marker.end} on line {i + 1} inside the {outer.name} region begun on line {start + 1}"
            )
        else:
            _, start = open_regions.pop()
            if not open_regions:
                regions.append(Region(marker, start, i))
    problems.extend(f"{m.begin} on line {start + 1} without {m.end}" for m, start in open_regions)
    return regions, problems


def find_regions(source: str) -> list[Region]:
    """The regions of a source; raises MarkerError on the first marker problem."""
    regions, problems = scan_regions(source)
    if problems:
        raise MarkerError(problems[0])
    return regions


def misplaced_markers(cell: NotebookNode) -> list[Marker]:
    """Markers whose regions this kind of cell may not hold (e.g. hidden tests in an answer cell)."""
    allowed = ALLOWED_MARKERS[cell_kind(cell)]
    found: list[Marker] = []
    for line in cell.source.split("\n"):
        hit = delimiter(line)
        if hit is not None and hit[0] not in allowed and hit[0] not in found:
            found.append(hit[0])
    return found


def replace_regions(source: str, marker: Marker, stub: str | None) -> str:
    """Replace each `marker` region (delimiters included) by `stub` indented like the begin line,
    or drop it when `stub` is None. Raises MarkerError if the markers are malformed."""
    regions = [r for r in find_regions(source) if r.marker == marker]
    if not regions:
        return source
    lines = source.split("\n")
    out: list[str] = []
    start = 0
    for region in regions:
        out.extend(lines[start : region.begin])
        if stub is not None:
            indent = lines[region.begin][: len(lines[region.begin]) - len(lines[region.begin].lstrip())]
            out.extend(indent + stub_line for stub_line in stub.split("\n"))
        start = region.end + 1
    out.extend(lines[start:])
    return "\n".join(out)


def region_lines(source: str, marker: Marker) -> list[str]:
    """The lines inside the `marker` regions of a source (delimiters excluded)."""
    lines = source.split("\n")
    return [
        line
        for region in find_regions(source)
        if region.marker == marker
        for line in lines[region.begin + 1 : region.end]
    ]


def split_secret(cell: NotebookNode) -> tuple[list[tuple[Marker, str]], list[str]]:
    """A cell's source lines split into secret ones, as (marker, line), and public ones (delimiters
    dropped). Secret lines are a student must not see: solution, hidden-test and mark-scheme regions, and
    the whole source of a solution cell with no solution region (the release replaces it all).
    Raises MarkerError if the markers are malformed."""
    lines = cell.source.split("\n")
    regions = find_regions(cell.source)
    whole = bool(nbgrader_meta(cell).get("solution")) and not any(r.marker == SOLUTION for r in regions)
    owner: dict[int, Marker] = {}
    for region in regions:
        owner.update((i, region.marker) for i in range(region.begin + 1, region.end))
    secret: list[tuple[Marker, str]] = []
    public: list[str] = []
    for i, line in enumerate(lines):
        if delimiter(line) is not None:
            continue
        if i in owner:
            secret.append((owner[i], line))
        elif whole:
            secret.append((SOLUTION, line))
        else:
            public.append(line)
    return secret, public


def secret_lines(cell: NotebookNode) -> list[str]:
    """The lines of a cell a student must not see (see `split_secret`)."""
    return [line for _, line in split_secret(cell)[0]]
