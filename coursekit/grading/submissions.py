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
from datetime import datetime
from pathlib import Path

from coursekit.compat import UTC
from coursekit.errors import CoursekitError

SKIPPED_PARTS = frozenset({".ipynb_checkpoints", "__MACOSX"})


class NoSubmissionsError(CoursekitError):
    """No submission was found where the instructor pointed."""


@dataclass(frozen=True)
class Submission:
    """A file to grade, and whose it is; what the platform's file name says about it (see `parse_name`)."""

    student: str
    path: Path
    platform: str = "file"  # canvas, moodle, nbgrader or file
    platform_user: str = ""  # Canvas user id, Moodle participant id
    platform_name: str = ""  # Canvas's name part (parkkai), Moodle's full name, nbgrader's student folder
    order: tuple[int, ...] = ()  # Canvas (attachment id, copy number): larger is newer
    late: bool = False  # Canvas marked the file LATE
    submitted_at: datetime | None = None  # nbgrader's timestamp.txt


CANVAS = re.compile(r"^(?P<name>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_[a-z]+_?(?P<file>.*)$")
BROWSER_COPY = re.compile(r"\s*\(\d+\)$")  # "hype (1)": a second download of the same file
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%f %Z",
    "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
)


def read_timestamp(folder: Path) -> datetime | None:
    """nbgrader's `timestamp.txt` beside a submission (e.g. `2026-10-01 12:00:00.000000 UTC`), as UTC."""
    try:
        text = (Path(folder) / "timestamp.txt").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    for fmt in TIMESTAMP_FORMATS:
        try:
            when = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_name(path: Path, assignment_id: str, notebook_stem: str) -> Submission:
    """A submission with its platform's details read from its path:

    - Canvas's "download submissions": `name[_LATE]_userid_attachmentid_file[-N].ipynb` (the name part is the
      student's sortable name, lower case, without punctuation);
    - Moodle's "download all submissions": a folder `Full Name_participantid_assignsubmission_file_` (or the
      same as a file-name prefix in older Moodle);
    - nbgrader's `submitted/<student>/<assignment>/<notebook>.ipynb` (with `timestamp.txt` beside it);
    - otherwise the file's stem, cleaned as `student_id` does, and of a browser's " (1)" suffix.
    """
    path = Path(path)
    stem = BROWSER_COPY.sub("", path.stem)
    canvas = CANVAS.match(stem)
    if canvas:
        file_part = canvas["file"]
        copy = re.search(r"-(\d+)$", file_part)
        return Submission(
            canvas["name"],
            path,
            "canvas",
            canvas["user"],
            canvas["name"],
            (int(canvas["sub"]), int(copy[1]) if copy else 0),
            late=bool(canvas["late"]),
        )
    for part in (path.parent.name, stem):
        moodle = MOODLE_FOLDER.match(part)
        if moodle:
            name = moodle["name"].strip()
            return Submission(name, path, "moodle", moodle["user"], name)
    named_for_assignment = stem.lower() in (notebook_stem.lower(), assignment_id.lower())
    if path.parent.name == assignment_id and path.parent.parent.name and named_for_assignment:
        student = path.parent.parent.name
        return Submission(student, path, "nbgrader", "", student, submitted_at=read_timestamp(path.parent))
    numbered = re.sub(r"-\d+$", "", stem)  # smith_hype-1: a platform's second copy of smith_hype
    student = student_id(path.with_name(numbered + path.suffix), assignment_id, notebook_stem)
    if numbered == stem or student == numbered:
        student = student_id(path.with_name(stem + path.suffix), assignment_id, notebook_stem)
    return Submission(student, path)


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


def find_submissions(
    paths: Iterable[Path], assignment_id: str, notebook_stem: str, other_assignments: Iterable[str] = ()
) -> list[Submission]:
    """The submissions named or found (recursively, `*.ipynb`, skipping checkpoints and hidden files) under the
    named folders, in order, each once. Two files of one student get distinct ids (`id`, `id~2`).
    Raises NoSubmissionsError if a path does not exist or nothing is found."""
    files: list[Path] = []
    others = set(other_assignments) - {assignment_id}  # nbgrader's submitted/<student>/<other assignment>/
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*.ipynb"))
                if p.is_file()
                and not any(
                    part in SKIPPED_PARTS or part.startswith(".") or part in others
                    for part in p.relative_to(path).parts[:-1]
                )
                and not p.name.startswith(".")
            )
        elif path.is_file():
            files.append(path)
        else:
            raise NoSubmissionsError(f"no file or folder {path}")
    files = list(dict.fromkeys(p.resolve() for p in files))
    if not files:
        raise NoSubmissionsError(f"no notebooks (*.ipynb) found in {', '.join(map(str, paths))}")
    return [parse_name(file, assignment_id, notebook_stem) for file in files]
