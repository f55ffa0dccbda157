"""The assignment being graded: its source notebook (tests, hidden tests, rubrics), its release, and the files a
submission needs beside it. Named by id (`01-hype`, under `<root>/solutions/`) or by the source notebook's path."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from coursekit import course
from coursekit.cells import CellKind, cell_kind, grade_id, graded_cells, points
from coursekit.errors import UnknownAssignmentError
from coursekit.notebook_io import read_notebook
from coursekit.release import release_notebook

KIT_DATA_DIR = (
    "data"  # the course's data folder, copied into each sandbox (appraisal reads it via HYPE_KIT_DATA)
)


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

    @property
    def notebook_name(self) -> str:
        return self.source_path.name

    @property
    def questions(self) -> list[Question]:
        """The graded cells in notebook order."""
        return [
            Question(grade_id(cell), points(cell) or 0.0, cell_kind(cell) is CellKind.MANUAL_ANSWER)
            for cell in graded_cells(self.source)
            if grade_id(cell)
        ]

    @property
    def auto_max(self) -> float:
        return sum(q.points for q in self.questions if not q.manual)

    @property
    def manual_max(self) -> float:
        return sum(q.points for q in self.questions if q.manual)

    @property
    def grade_ids(self) -> set[str]:
        return {gid for cell in self.source.cells if (gid := grade_id(cell))}

    def fingerprint(self) -> str:
        """A hash of everything that decides a grade: the source notebook and the files copied beside it."""
        digest = hashlib.sha256(self.source_path.read_bytes())
        for path, name in self.files:
            digest.update(name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]


def _course_root_of(notebook: Path) -> Path | None:
    """The course folder when `notebook` sits at `<root>/solutions/<assignment>/<nb>.ipynb`."""
    if notebook.parent.parent.name == course.SOLUTIONS_DIR:
        return notebook.parent.parent.parent
    return None


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
    return Assignment(assignment_id, source_path, source, release_notebook(source), files, data_dir)
