"""The assignment being graded: its source notebook (tests, hidden tests, rubrics), its release, and the files a
submission needs beside it. Named by id (`01-hype`, under `<root>/solutions/`) or by the source notebook's path."""

from __future__ import annotations

import hashlib
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from coursekit import course
from coursekit.cells import (
    HIDDEN_TESTS,
    MARK_SCHEME,
    SOLUTION,
    CellKind,
    cell_kind,
    find_regions,
    grade_id,
    graded_cells,
    points,
    region_lines,
)
from coursekit.errors import CoursekitError, MarkerError, UnknownAssignmentError
from coursekit.notebook_io import read_notebook
from coursekit.release import release_notebook, stamp_of

KIT_DATA_DIR = (
    "data"  # the course's data folder, copied into each sandbox (appraisal reads it via HYPE_KIT_DATA)
)


#: A line that starts a question: a heading or a bold lead naming it (`## Q6 · ...`, `**Q6 (2 points) · ...**`).
QUESTION_START = re.compile(r"^\s*(?:#+\s*|\*\*)Q\d+\b")


@dataclass(frozen=True)
class Question:
    """One graded cell of the source: a test cell (autograded) or a written answer (manually graded)."""

    grade_id: str
    points: float
    manual: bool


@dataclass
class Assignment:
    """A source notebook and what grading it needs. `files` are (source path, name in the sandbox)."""

    id: str
    source_path: Path
    source: NotebookNode
    release: NotebookNode
    files: list[tuple[Path, str]]
    data_dir: Path | None
    others: dict[str, frozenset[str]] = field(default_factory=dict)  # other assignments' grade ids

    @property
    def release_version(self) -> str:
        """The version stamped in the current release's notebook metadata."""
        stamp = stamp_of(self.release)
        return stamp[1] if stamp else ""

    @property
    def notebook_name(self) -> str:
        return self.source_path.name

    @property
    def questions(self) -> list[Question]:
        """The graded cells in notebook order."""
        return [
            Question(gid, points(cell) or 0.0, cell_kind(cell) is CellKind.MANUAL_ANSWER)
            for cell in graded_cells(self.source)
            if (gid := grade_id(cell))
        ]

    @property
    def auto_max(self) -> float:
        return sum(q.points for q in self.questions if not q.manual)

    @property
    def manual_max(self) -> float:
        return sum(q.points for q in self.questions if q.manual)

    @property
    def titles(self) -> dict[str, str]:
        """{grade id: a title for students}: the last line above the question that starts one (`## Q6 · ...` or
        `**Q6 (2 points) · ...**`, its bold part only), else the first line of the markdown cell above it; without
        markdown emphasis, shortened at a word to at most 80 characters; the grade id when there is none."""
        titles: dict[str, str] = {}
        heading = prompt = ""
        for cell in self.source.cells:
            if cell.cell_type == "markdown" and cell_kind(cell) is not CellKind.MANUAL_ANSWER:
                lines = [line for line in cell.source.splitlines() if line.strip()]
                prompt = lines[0] if lines else prompt
                starts = [line for line in lines if QUESTION_START.match(line)]
                if starts:
                    bold = re.match(r"^\s*\*\*(.+?)\*\*", starts[-1])
                    heading = bold.group(1) if bold else starts[-1]
            gid = grade_id(cell)
            if gid and cell_kind(cell) in (CellKind.AUTOGRADER_TESTS, CellKind.MANUAL_ANSWER):
                text = " ".join(re.sub(r"\*\*|__|[`#*]", "", heading or prompt).split())
                titles[gid] = textwrap.shorten(text, 80, placeholder=" ...") if text else gid
        return titles

    @property
    def criteria(self) -> dict[str, list[str]]:
        """{grade id: rubric points} of each written question, in notebook order: the items of its mark scheme
        (the lines between `=== BEGIN MARK SCHEME ===` and `=== END MARK SCHEME ===`), never the model answer."""
        criteria: dict[str, list[str]] = {}
        for cell in self.source.cells:
            gid = grade_id(cell)
            if gid and cell_kind(cell) is CellKind.MANUAL_ANSWER:
                items = rubric_items(region_lines(cell.source, MARK_SCHEME))
                if items:
                    criteria[gid] = items
        return criteria

    @property
    def grade_ids(self) -> set[str]:
        return {gid for cell in self.source.cells if (gid := grade_id(cell))}

    def fingerprint(self) -> str:
        """A hash of everything that decides a grade: the source notebook and the files copied beside it."""
        digest = hashlib.sha256(self.source_path.read_bytes())
        for path, name in self.files:
            digest.update(name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]


def rubric_items(lines: list[str]) -> list[str]:
    """The points of a mark scheme: each bullet ("- ", "* " or "1. ") with its indented continuation lines joined;
    without bullets, each paragraph is one point."""
    items: list[str] = []
    current: list[str] = []
    bulleted = any(re.match(r"\s*(?:[-*+]|\d+[.)])\s+", line) for line in lines)
    for line in lines:
        bullet = re.match(r"\s*(?:[-*+]|\d+[.)])\s+(.*)", line)
        if (bullet and bulleted) or (not bulleted and not line.strip()):
            if current:
                items.append(" ".join(current))
            current = [bullet.group(1).strip()] if bullet and bulleted else []
        elif line.strip():
            current.append(line.strip())
    if current:
        items.append(" ".join(current))
    return [item for item in items if item]


def _course_root_of(notebook: Path) -> Path | None:
    """The course folder when `notebook` sits at `<root>/solutions/<assignment>/<nb>.ipynb`."""
    if notebook.parent.parent.name == course.SOLUTIONS_DIR:
        return notebook.parent.parent.parent
    return None


def _regions(nb: NotebookNode, marker) -> int:
    count = 0
    for cell in nb.cells:
        try:
            count += sum(1 for r in find_regions(cell.source) if r.marker == marker)
        except MarkerError:
            continue
    return count


def _refuse_a_release(path: Path, nb: NotebookNode, assignment_id: str, root: Path) -> None:
    """Grading against a student's copy would run without the hidden tests and raise scores: refuse a notebook
    that carries the release stamp, sits under exercises/, has graded cells but neither solutions nor hidden
    tests, or lacks the hidden tests that the source of the same name under solutions/ has."""
    hint = f"name the source under {course.SOLUTIONS_DIR}/ (or its assignment id)"
    if stamp_of(nb) is not None or path.parent.parent.name == course.EXERCISES_DIR:
        raise UnknownAssignmentError(f"{path} is a released exercise, not the source; {hint}")
    if not graded_cells(nb):
        raise UnknownAssignmentError(f"{path} has no graded cells, so there is nothing to grade; {hint}")
    hidden = _regions(nb, HIDDEN_TESTS)
    if not hidden and not _regions(nb, SOLUTION):
        raise UnknownAssignmentError(
            f"{path} has no solutions and no hidden tests: it looks like a release; {hint}"
        )
    twin = Path(root) / course.SOLUTIONS_DIR / assignment_id / path.name
    if not hidden and twin.is_file() and twin.resolve() != path.resolve():
        try:
            twin_hidden = _regions(read_notebook(twin), HIDDEN_TESTS)
        except CoursekitError:
            twin_hidden = 0
        if twin_hidden:
            raise UnknownAssignmentError(f"{path} lacks the hidden tests of {twin}; {hint}")


def load_assignment(spec: str, root: Path = Path(".")) -> Assignment:
    """The assignment named by `spec`: an id under `<root>/solutions/` or a source notebook's path.
    Raises UnknownAssignmentError (or NotebookReadError for an unreadable source)."""
    root = Path(root)
    path = Path(spec)
    if spec.endswith(".ipynb"):
        if not path.is_file():
            raise UnknownAssignmentError(f"no source notebook {path}")
        source_path = path.resolve()
        assignment_id = source_path.parent.name
        course_root = _course_root_of(source_path)
    else:
        course.resolve_assignments(root, [spec])
        notebooks = course.source_notebooks(root, spec)
        if len(notebooks) != 1:
            found = ", ".join(p.name for p in notebooks) or "none"
            raise UnknownAssignmentError(
                f"assignment {spec!r} must have exactly one source notebook to grade by id (found: {found}); "
                "name the notebook's path instead"
            )
        source_path, assignment_id, course_root = notebooks[0].resolve(), spec, root.resolve()
    source = read_notebook(source_path)
    _refuse_a_release(source_path, source, assignment_id, root)
    folder = source_path.parent
    if course_root is not None and source_path.parent.parent.name == course.SOLUTIONS_DIR:
        rels = course.data_files(course_root, assignment_id)
    else:
        rels = sorted(
            p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.suffix != ".ipynb"
        )
    files = [(folder / rel, rel.as_posix()) for rel in rels]
    data_dir = None
    if course_root is not None and (course_root / KIT_DATA_DIR).is_dir():
        data_dir = course_root / KIT_DATA_DIR
    others = _other_assignments(course_root, assignment_id) if course_root is not None else {}
    return Assignment(
        assignment_id,
        source_path,
        source,
        release_notebook(source, assignment=assignment_id),
        files,
        data_dir,
        others,
    )


def _other_assignments(root: Path, assignment_id: str) -> dict[str, frozenset[str]]:
    """{assignment id: its grade ids} for every other assignment under `<root>/solutions/`."""
    others: dict[str, frozenset[str]] = {}
    for other in course.assignment_ids(root):
        if other == assignment_id:
            continue
        ids: set[str] = set()
        for path in course.source_notebooks(root, other):
            try:
                ids.update(gid for cell in read_notebook(path).cells if (gid := grade_id(cell)))
            except CoursekitError:
                continue
        others[other] = frozenset(ids)
    return others
