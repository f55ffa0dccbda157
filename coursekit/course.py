"""The course layout: `solutions/<assignment>/<nb>.ipynb` is released to `exercises/<assignment>/<nb>.ipynb`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from coursekit.errors import UnknownAssignmentError

SOLUTIONS_DIR = "solutions"
EXERCISES_DIR = "exercises"
IGNORED_NAMES = frozenset({".ipynb_checkpoints", "__pycache__", ".DS_Store"})


def _ignored(path: Path) -> bool:
    return path.name in IGNORED_NAMES or path.name.startswith(".")


def assignment_ids(root: Path) -> list[str]:
    """The assignments of a course: the folders under `solutions/`, sorted."""
    solutions = Path(root) / SOLUTIONS_DIR
    if not solutions.is_dir():
        return []
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and not _ignored(p))


def resolve_assignments(root: Path, names: Sequence[str] | None) -> list[str]:
    """The named assignments (all when `names` is empty); raises UnknownAssignmentError."""
    known = assignment_ids(root)
    if not names:
        return known
    for name in names:
        if name not in known:
            where = Path(root) / SOLUTIONS_DIR / name
            raise UnknownAssignmentError(
                f"unknown assignment {name!r}: no folder {where} (known: {', '.join(known) or 'none'})"
            )
    return list(dict.fromkeys(names))


def source_notebooks(root: Path, assignment: str) -> list[Path]:
    """The source notebooks of an assignment, `solutions/<assignment>/*.ipynb`, sorted."""
    folder = Path(root) / SOLUTIONS_DIR / assignment
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not _ignored(p))


def data_files(root: Path, assignment: str) -> list[Path]:
    """Files other than notebooks under `solutions/<assignment>/`, relative to it, sorted.
    Hidden files, checkpoints and caches are left out."""
    folder = Path(root) / SOLUTIONS_DIR / assignment
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(_ignored(Path(part)) for part in rel.parts) or not path.is_file():
            continue
        if path.suffix != ".ipynb":
            found.append(rel)
    return sorted(found)


def release_path(root: Path, assignment: str, name: str) -> Path:
    """Where a source notebook or data file `name` of an assignment is released."""
    return Path(root) / EXERCISES_DIR / assignment / name


def released_notebooks(root: Path, assignment: str) -> list[Path]:
    """The notebooks currently in `exercises/<assignment>/`, sorted."""
    folder = Path(root) / EXERCISES_DIR / assignment
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file() and not _ignored(p))


def relative(root: Path, path: Path) -> str:
    """`path` relative to the course root, with forward slashes, for messages."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()
