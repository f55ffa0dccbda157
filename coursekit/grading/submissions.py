"""Finding submissions and naming their students.

The student id is the file's stem, with the assignment's name stripped from its end when that is unambiguous:
`smith_jane_12345_hype.ipynb` graded against `hype.ipynb` (assignment `01-hype`) is `smith_jane_12345`. The suffix
stripped is `_` or `-` or a space followed by the source notebook's stem, the assignment id, or the id without its
number (`hype` for `01-hype`), compared without regard to case. A file named only for the assignment
(`hype.ipynb`, `01-hype.ipynb`) takes its student id from its folder: in nbgrader's layout,
`submitted/<student>/<assignment id>/<notebook>.ipynb`, that is the `<student>` folder; in a folder per student,
`<student>/<notebook>.ipynb`, the folder itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from coursekit.errors import CoursekitError

SKIPPED_PARTS = frozenset({".ipynb_checkpoints", "__MACOSX"})


class NoSubmissionsError(CoursekitError):
    """No submission was found where the instructor pointed."""


@dataclass(frozen=True)
class Submission:
    """A file to grade, and whose it is."""

    student: str
    path: Path


def _suffixes(assignment_id: str, notebook_stem: str) -> list[str]:
    names = {notebook_stem, assignment_id, re.sub(r"^\d+[-_ ]*", "", assignment_id)}
    return sorted((n.lower() for n in names if n), key=len, reverse=True)


def student_id(path: Path, assignment_id: str, notebook_stem: str) -> str:
    """The student a submitted file belongs to (see the module's docstring for the rule)."""
    path = Path(path)
    stem = path.stem if path.suffix == ".ipynb" else path.name
    if stem.lower() in _suffixes(assignment_id, notebook_stem):
        # the file carries no name: nbgrader's <student>/<assignment>/<nb>.ipynb, or <student>/<nb>.ipynb
        folder = path.parent.parent if path.parent.name == assignment_id else path.parent
        return folder.name or stem
    for suffix in _suffixes(assignment_id, notebook_stem):
        for sep in ("_", "-", " "):
            tail = sep + suffix
            if stem.lower().endswith(tail) and len(stem) > len(tail):
                return stem[: -len(tail)].rstrip(" _-") or stem
    return stem


def find_submissions(paths: Iterable[Path], assignment_id: str, notebook_stem: str) -> list[Submission]:
    """The submissions named or found (recursively, `*.ipynb`, skipping checkpoints and hidden files) under the
    named folders, in order, each once. Two files of one student get distinct ids (`id`, `id~2`).
    Raises NoSubmissionsError if a path does not exist or nothing is found."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*.ipynb"))
                if p.is_file()
                and not any(
                    part in SKIPPED_PARTS or part.startswith(".") for part in p.relative_to(path).parts
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            raise NoSubmissionsError(f"no file or folder {path}")
    files = list(dict.fromkeys(p.resolve() for p in files))
    if not files:
        raise NoSubmissionsError(f"no notebooks (*.ipynb) found in {', '.join(map(str, paths))}")
    seen: dict[str, int] = {}
    found = []
    for file in files:
        sid = student_id(file, assignment_id, notebook_stem)
        seen[sid] = seen.get(sid, 0) + 1
        found.append(Submission(sid if seen[sid] == 1 else f"{sid}~{seen[sid]}", file))
    return found
