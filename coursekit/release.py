"""Release: turn a source notebook into the student's exercise, one small step at a time.

Each step is a plain function NotebookNode -> NotebookNode that returns a changed copy and does one
thing, like nbgrader's preprocessors. `release_notebook` runs them in order.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from coursekit import course
from coursekit.cells import (
    ALLOWED_MARKERS,
    CODE_STUB,
    HIDDEN_TESTS,
    MARK_SCHEME,
    SOLUTION,
    TEXT_STUB,
    CellKind,
    Marker,
    cell_kind,
    cell_label,
    find_regions,
    is_nbgrader_cell,
    nbgrader_meta,
    replace_regions,
)
from coursekit.errors import MarkerError
from coursekit.notebook_io import notebook_text, read_notebook, write_if_changed

Step = Callable[[NotebookNode], NotebookNode]

VOLATILE_CELL_METADATA = ("collapsed", "scrolled", "execution", "ExecuteTime")
KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info", "title", "authors")


def _remove_regions(
    nb: NotebookNode, marker: Marker, stub: Callable[[NotebookNode], str | None]
) -> NotebookNode:
    """Copy of `nb` with each `marker` region replaced by `stub(cell)` (None drops it)."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        try:
            regions = [r for r in find_regions(cell.source) if r.marker == marker]
            if regions and marker not in ALLOWED_MARKERS[cell_kind(cell)]:
                raise MarkerError(f"{marker.name} markers in a cell of kind '{cell_kind(cell)}'")
            if regions:
                cell.source = replace_regions(cell.source, marker, stub(cell))
        except MarkerError as exc:
            raise MarkerError(f"{cell_label(cell, index)}: {exc}") from None
    return nb


def clear_outputs(nb: NotebookNode) -> NotebookNode:
    """Remove outputs, execution counts and volatile cell metadata (scroll state, timings)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return nb


def clear_solutions(nb: NotebookNode) -> NotebookNode:
    """Replace solution regions by the stub (`# YOUR CODE HERE` + `raise NotImplementedError()` in code,
    `YOUR ANSWER HERE` in markdown), indented like the BEGIN line. A solution cell with no region is
    replaced whole, as nbgrader does."""

    def stub(cell: NotebookNode) -> str:
        return CODE_STUB if cell.cell_type == "code" else TEXT_STUB

    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        try:
            has_region = any(r.marker == SOLUTION for r in find_regions(cell.source))
        except MarkerError as exc:
            raise MarkerError(f"{cell_label(cell, index)}: {exc}") from None
        if not has_region and nbgrader_meta(cell).get("solution"):
            cell.source = stub(cell)
    return _remove_regions(nb, SOLUTION, stub)


def clear_hidden_tests(nb: NotebookNode) -> NotebookNode:
    """Remove the hidden-test regions of test cells, delimiters included."""
    return _remove_regions(nb, HIDDEN_TESTS, lambda cell: None)


def clear_mark_schemes(nb: NotebookNode) -> NotebookNode:
    """Remove the mark-scheme regions of manually graded cells, delimiters included."""
    return _remove_regions(nb, MARK_SCHEME, lambda cell: None)


def lock_cells(nb: NotebookNode) -> NotebookNode:
    """Set Jupyter's `deletable: false` on every nbgrader cell, and `editable: false` on test cells and
    read-only cells (nbgrader's LockCells)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        kind = cell_kind(cell)
        if kind is CellKind.PLAIN:
            continue
        if kind is CellKind.TASK and not nbgrader_meta(cell).get("locked"):
            continue
        cell.metadata["deletable"] = False
        if kind in (CellKind.AUTOGRADER_TESTS, CellKind.READ_ONLY, CellKind.TASK):
            cell.metadata["editable"] = False
    return nb


def record_cell_types(nb: NotebookNode) -> NotebookNode:
    """Record each nbgrader cell's type in `metadata.nbgrader.cell_type`, as nbgrader does, so that a
    grader can tell when a student changed it."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if is_nbgrader_cell(cell):
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
    return nb


def clean_notebook_metadata(nb: NotebookNode) -> NotebookNode:
    """Keep only stable notebook metadata: kernelspec, language_info without its version, title, authors."""
    nb = copy.deepcopy(nb)
    kept = {key: nb.metadata[key] for key in KEPT_NOTEBOOK_METADATA if key in nb.metadata}
    if "language_info" in kept:
        kept["language_info"].pop("version", None)
    nb.metadata = NotebookNode(kept)
    return nb


RELEASE_STEPS: tuple[Step, ...] = (
    clear_outputs,
    clear_solutions,
    clear_hidden_tests,
    clear_mark_schemes,
    lock_cells,
    record_cell_types,
    clean_notebook_metadata,
)


STAMP_KEY = "coursekit"  # notebook metadata: {"assignment": id, "version": hash of the released cells}


def release_version(nb: NotebookNode) -> str:
    """A short hash of a released notebook's cells (sources, types and nbgrader metadata): it changes when a
    re-release changes what students get, not when outputs or notebook metadata change."""
    cells = [
        [c.cell_type, c.source, {k: v for k, v in nbgrader_meta(c).items() if k != "checksum"}]
        for c in nb.cells
    ]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()[:12]


def stamp(nb: NotebookNode, assignment: str) -> NotebookNode:
    """Record the assignment id and the release version in the notebook metadata, so that every copy a
    student hands in says which assignment (and which release of it) it is."""
    nb = copy.deepcopy(nb)
    nb.metadata[STAMP_KEY] = NotebookNode({"assignment": assignment, "version": release_version(nb)})
    return nb


def stamp_of(nb: NotebookNode) -> tuple[str, str] | None:
    """(assignment, version) from a notebook's stamp, or None for an unstamped (older or foreign) notebook."""
    meta = nb.get("metadata", {}).get(STAMP_KEY)
    if isinstance(meta, dict) and isinstance(meta.get("assignment"), str):
        return meta["assignment"], str(meta.get("version", ""))
    return None


def release_notebook(
    nb: NotebookNode, steps: Sequence[Step] = RELEASE_STEPS, assignment: str | None = None
) -> NotebookNode:
    """The student version of a source notebook (the input is not changed), stamped with `assignment`."""
    for step in steps:
        nb = step(nb)
    return stamp(nb, assignment) if assignment else nb


def render_release(source: Path, name: str | None = None, assignment: str | None = None) -> bytes:
    """The bytes of the released version of a source notebook file, stamped with `assignment` (by default the
    name of the source's folder, `solutions/<assignment>/`); errors name the file."""
    label = name or str(source)
    nb = read_notebook(source, label)
    try:
        released = release_notebook(nb, assignment=assignment or Path(source).resolve().parent.name)
    except MarkerError as exc:
        raise MarkerError(f"{label}: {exc}") from None
    return notebook_text(released).encode("utf-8")


def planned_files(root: Path, assignment: str) -> dict[Path, bytes]:
    """Everything the release of one assignment writes, as {target path: bytes}, computed in memory."""
    root = Path(root)
    files: dict[Path, bytes] = {}
    for source in course.source_notebooks(root, assignment):
        target = course.release_path(root, assignment, source.name)
        files[target] = render_release(source, course.relative(root, source), assignment)
    for rel in course.data_files(root, assignment):
        source = root / course.SOLUTIONS_DIR / assignment / rel
        files[course.release_path(root, assignment, rel.as_posix())] = source.read_bytes()
    return files


@dataclass
class ReleaseResult:
    """What a release did, as paths."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def release(root: Path, assignments: Sequence[str] | None = None) -> ReleaseResult:
    """Release the named assignments (all by default). Everything is rendered before anything is
    written, so a bad source leaves `exercises/` untouched. Released notebooks whose source is gone
    are removed."""
    root = Path(root)
    names = course.resolve_assignments(root, assignments)
    plan: dict[Path, bytes] = {}
    for assignment in names:
        plan.update(planned_files(root, assignment))
    result = ReleaseResult()
    for target, content in plan.items():
        (result.written if write_if_changed(target, content) else result.unchanged).append(target)
    for assignment in names:
        for old in course.released_notebooks(root, assignment):
            if old not in plan:
                old.unlink()
                result.removed.append(old)
    return result
