"""Read a submission and rebuild the notebook to grade from it: the student's answers, the instructor's cells.

Rules (nbgrader's, plus the repairs it lacks):
- Every instructor cell (test cells with their hidden tests, read-only cells) is taken from the source, matched by
  grade id, whatever the student did to it: edited, emptied, rewritten to `pass`, or its type changed.
- An instructor cell that was deleted, or moved above its answer, is put back right after the student's answer
  (and any cells the student added after that answer).
- Answer cells keep the student's text; a changed cell type is restored so the code still runs.
- A second cell with the grade id of a test cell is dropped; a second copy of an answer cell runs as an ordinary cell.
- Cells the student added are kept where they are, without nbgrader metadata.
"""

from __future__ import annotations

import copy
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.cells import CellKind, cell_kind, grade_id, is_nbgrader_cell
from coursekit.errors import NotebookReadError
from coursekit.grading.status import Status
from coursekit.notebook_io import json_problem, parse_notebook
from coursekit.release import stamp_of

NOT_A_NOTEBOOK = Status.NOT_A_NOTEBOOK
WRONG_ASSIGNMENT = Status.WRONG_ASSIGNMENT
INSTRUCTOR_KINDS = (CellKind.AUTOGRADER_TESTS, CellKind.READ_ONLY)
ANSWER_KINDS = (CellKind.AUTOGRADED_ANSWER, CellKind.MANUAL_ANSWER, CellKind.TASK)
MAX_NOTEBOOK_BYTES = 100 * 2**20


class SubmissionProblem(Exception):
    """A submission that cannot be graded: `status` (not-a-notebook, wrong-assignment) and a message."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


CHANGED_NOTE = "was changed; the instructor's version was run"


@dataclass
class Prepared:
    """The notebook to run; `labels[i]` names cell i; `instructor[i]` is the grade id of each restored
    instructor cell; `notes` says what was repaired."""

    nb: NotebookNode
    labels: dict[int, str]
    instructor: dict[int, str]
    answers: dict[str, list[NotebookNode]]
    notes: list[str] = field(default_factory=list)


def read_submission(path: Path) -> tuple[NotebookNode, list[str]]:
    """A submitted notebook as nbformat 4 (older formats converted) and notes; raises SubmissionProblem."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise SubmissionProblem(NOT_A_NOTEBOOK, "the file is empty")
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionProblem(NOT_A_NOTEBOOK, f"the file is too large for a notebook ({size} bytes)")
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionProblem(NOT_A_NOTEBOOK, f"cannot read the file ({exc.__class__.__name__})") from None
    if not text.strip():
        raise SubmissionProblem(NOT_A_NOTEBOOK, "the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionProblem(
            NOT_A_NOTEBOOK, f"not a notebook: not valid JSON: {json_problem(exc)}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nbformat"), int):
        raise SubmissionProblem(NOT_A_NOTEBOOK, "not a notebook: JSON without an nbformat version")
    version = data["nbformat"]
    if version < 4:
        try:
            nb = nbformat.reads(text, as_version=4)
            _ = [cell.cell_type for cell in nb.cells]
        except Exception as exc:  # noqa: BLE001 - any failure means we cannot convert it
            raise SubmissionProblem(
                NOT_A_NOTEBOOK,
                f"nbformat {version} notebook that could not be converted ({exc.__class__.__name__})",
            ) from None
        return nb, [f"converted from nbformat {version} to 4"]
    if version > 4:
        raise SubmissionProblem(NOT_A_NOTEBOOK, f"nbformat {version} is newer than this grader reads (4)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. duplicate cell ids, which nbformat repairs
            return parse_notebook(text, path.name), []
    except NotebookReadError as exc:
        if not isinstance(data.get("cells"), list):
            raise SubmissionProblem(NOT_A_NOTEBOOK, "not a notebook: no list of cells") from None
        return _lenient(data), [f"the notebook did not validate, read anyway ({exc})"]


def _lenient(data: dict) -> NotebookNode:
    """A notebook from JSON that fails validation: keep what looks like cells."""
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        node = {"cell_type": cell["cell_type"], "source": source, "metadata": metadata}
        if cell["cell_type"] == "code":
            node.update(outputs=[], execution_count=None)
        cells.append(node)
    return nbformat.from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def check_assignment(
    nb: NotebookNode,
    source: NotebookNode,
    assignment_id: str,
    others: dict[str, frozenset[str]] | None = None,
) -> None:
    """Raise SubmissionProblem(wrong-assignment) for a notebook of another assignment: its release stamp names
    another assignment, or (for unstamped, older files) it has none of the source's grade ids, or it has grade ids
    that only another assignment (`others`: id -> its grade ids) has and none that only this one has."""
    stamp = stamp_of(nb)
    if stamp is not None and stamp[0] != assignment_id:
        raise SubmissionProblem(
            WRONG_ASSIGNMENT, f"this notebook belongs to another assignment ({stamp[0]}), not {assignment_id}"
        )
    wanted = {gid for cell in source.cells if (gid := grade_id(cell))}
    found = {gid for cell in nb.cells if (gid := grade_id(cell))}
    if stamp is None and others:
        shared = set().union(*others.values())
        if not found & (wanted - shared):
            # the closest other assignment: most of the notebook's grade ids, fewest it lacks
            candidates = [(len(found & ids) - len(found - ids), other, ids) for other, ids in others.items()]
            for _, other, ids in sorted(candidates, key=lambda c: (-c[0], c[1])):
                own = sorted(found & (ids - wanted))
                if other != assignment_id and own:
                    raise SubmissionProblem(
                        WRONG_ASSIGNMENT,
                        f"this notebook belongs to another assignment ({other}: it has its cells "
                        f"{', '.join(own[:3])}), not {assignment_id}",
                    )
                break
    if wanted & found:
        return
    if found:
        shown = ", ".join(sorted(found)[:4]) + (", ..." if len(found) > 4 else "")
        raise SubmissionProblem(
            WRONG_ASSIGNMENT,
            f"this notebook belongs to another assignment (its cells are {shown}), not {assignment_id}",
        )
    raise SubmissionProblem(
        WRONG_ASSIGNMENT,
        f"no cell of {assignment_id} found: the notebook has no graded cells "
        "(was the work copied into a new notebook?)",
    )


def _plain(cell: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(cell)
    cell.metadata.pop("nbgrader", None)
    return cell


def _fresh(cell: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(cell)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def is_unchanged(answers: dict[str, list[NotebookNode]], release: NotebookNode) -> bool:
    """Whether every answer cell is still the release's own (the student handed in the notebook as given)."""
    released = {gid: c.source.strip() for c in release.cells if (gid := grade_id(c)) and gid in answers}
    given = [gid for c in release.cells if (gid := grade_id(c)) and cell_kind(c) in ANSWER_KINDS]
    return bool(given) and all(
        gid in answers and all(cell.source.strip() == released.get(gid) for cell in answers[gid]) for gid in given
    )


def restore(submitted: NotebookNode, source: NotebookNode, release: NotebookNode) -> Prepared:
    """The notebook to grade: see the module docstring for the rules."""
    src_kind = {grade_id(c): cell_kind(c) for c in source.cells if grade_id(c)}
    src_cell = {grade_id(c): c for c in source.cells if grade_id(c)}
    released = {grade_id(c): c for c in release.cells if grade_id(c)}
    order = [gid for c in source.cells if (gid := grade_id(c))]
    notes: list[str] = []
    items: list[tuple[str, str | None, NotebookNode]] = []  # (role, grade id, cell)
    answers: dict[str, list[NotebookNode]] = {}
    seen: set[str] = set()
    for cell in submitted.cells:
        gid = grade_id(cell) if is_nbgrader_cell(cell) else None
        kind = src_kind.get(gid)
        if kind is None or gid is None:
            items.append(("free", None, _fresh(_plain(cell))))
            continue
        if kind in INSTRUCTOR_KINDS:
            if gid in seen:
                notes.append(f"a second cell with grade id {gid} was removed")
                continue
            seen.add(gid)
            public = released.get(gid)
            original = {(c.cell_type, c.source.strip()) for c in (public, src_cell[gid]) if c is not None}
            if (cell.cell_type, cell.source.strip()) not in original:
                notes.append(f"{gid} {CHANGED_NOTE}")
            items.append(("instructor", gid, _fresh(src_cell[gid])))
            continue
        answers.setdefault(gid, []).append(cell)
        if gid in seen:
            notes.append(f"a second cell with grade id {gid} was kept as an ordinary cell")
            items.append(("free", None, _fresh(_plain(cell))))
            continue
        seen.add(gid)
        restored = _fresh(cell)
        if cell.cell_type != src_cell[gid].cell_type:
            notes.append(
                f"{gid} was turned into a {cell.cell_type} cell; it was graded as {src_cell[gid].cell_type}"
            )
            maker = new_code_cell if src_cell[gid].cell_type == "code" else new_markdown_cell
            restored = maker(cell.source, metadata=copy.deepcopy(cell.metadata))
        restored.metadata["nbgrader"] = copy.deepcopy(src_cell[gid].metadata["nbgrader"])
        items.append(("answer", gid, restored))

    def anchor(gid: str) -> str | None:
        """The nearest answer before `gid` in the source that the student still has."""
        present = {g for role, g, _ in items if role == "answer"}
        for prior in reversed(order[: order.index(gid)]):
            if src_kind[prior] in ANSWER_KINDS and prior in present:
                return prior
        return None

    def block_end(after: str | None) -> int:
        start = (
            -1
            if after is None
            else next(i for i, (r, g, _) in enumerate(items) if r == "answer" and g == after)
        )
        for j in range(start + 1, len(items)):
            if items[j][0] == "answer":
                return j
        return len(items)

    # An instructor cell now above its own answer was moved: take it out, to be put back below.
    for gid in [g for role, g, _ in items if role == "instructor" and g is not None]:
        a = anchor(gid)
        positions = {g: i for i, (r, g, _) in enumerate(items) if r != "free"}
        if a is not None and positions[gid] < positions[a]:
            notes.append(f"{gid} was moved above {a}; it was run after it")
            del items[positions[gid]]
    present = {g for role, g, _ in items if role == "instructor"}
    for gid in order:
        if src_kind[gid] in INSTRUCTOR_KINDS and gid not in present:
            if gid not in seen:
                notes.append(f"{gid} was deleted; it was restored from the source")
            items.insert(block_end(anchor(gid)), ("instructor", gid, _fresh(src_cell[gid])))
            present.add(gid)
    missing = [g for g in order if src_kind[g] in ANSWER_KINDS and g not in answers]
    notes.extend(f"the answer cell {g} is missing" for g in missing)

    nb = new_notebook(metadata=copy.deepcopy(source.metadata))
    nb.cells = [cell for _, _, cell in items]
    labels: dict[int, str] = {}
    instructor: dict[int, str] = {}
    for i, (role, gid, _) in enumerate(items):
        labels[i] = gid if gid else f"your cell {i + 1}"
        if role == "instructor" and gid is not None:
            instructor[i] = gid
    return Prepared(nb, labels, instructor, answers, notes)


def forgive_rerelease(nb: NotebookNode, release_version: str, notes: list[str]) -> None:
    """A notebook from an earlier release has the instructor's older test cells: those differences are the
    instructor's, not the student's, so the "was changed" notes are replaced by one line saying so."""
    stamp = stamp_of(nb)
    if stamp is None or not stamp[1] or stamp[1] == release_version:
        return
    kept = [n for n in notes if not n.endswith(CHANGED_NOTE)]
    if len(kept) != len(notes):
        kept.append("your notebook is from an earlier release of this assignment; the current checks were run")
    notes[:] = kept
