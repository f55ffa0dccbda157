"""One nbgrader course for every test that compares the kit with nbgrader (the `nbgrader_course` session fixture
in tests/conftest.py), so that nbgrader starts twice per test run instead of once per assignment and step.

The course is laid out like the kit (the repo's nbgrader_config.py: source `solutions/`, release `exercises/`)
and holds the fixture assignment ps1 and the kit's own assignments. `nbgrader generate_assignment` and
`nbgrader autograde` each run once over all of them, on:
- ps1: the fixture submissions in PS1_STUDENTS (tests/fixtures/submissions/ps1);
- each kit assignment: its unchanged release, the solution, and a submission with every usual mistake of
  exercise_mistakes.py (`write_exercise_submissions`; the kit grades the very same files).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from exercise_mistakes import MISTAKES, Mistake

from coursekit.cells import CellKind, cell_kind, grade_id

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir())
FIXTURES = REPO / "tests" / "fixtures"
EXERCISE_STUDENTS = ("unchanged", "solved", "mistaken")

# The fixture submissions nbgrader grades (tests/coursekit/test_nbgrader_agreement.py): where the kit's and
# nbgrader's rules agree, and where they differ by design.
AGREE = [
    "perfect",
    "blank",
    "partly_right",
    "failing",
    "tests_pass",
    "recursion",
]  # never a memory bomb: nbgrader has no memory cap
DIFFER = ["stderr_warning"]  # nbgrader zeroes a test cell that writes to stderr; the kit does not
PS1_STUDENTS = AGREE + DIFFER


def source(assignment: str) -> nbformat.NotebookNode:
    """The solution notebook of a kit assignment."""
    (path,) = sorted((SOLUTIONS / assignment).glob("*.ipynb"))
    return nbformat.read(path, as_version=4)


def filled(assignment: str, mistakes: list[Mistake]) -> nbformat.NotebookNode:
    """The release notebook with every answer cell filled in: the solution's source, or the wrong answer."""
    solution = {grade_id(c): c.source for c in source(assignment).cells if grade_id(c)}
    wrong = {m.answer: m.source for m in mistakes}
    (path,) = sorted((REPO / "exercises" / assignment).glob("*.ipynb"))
    release = nbformat.read(path, as_version=4)
    for cell in release.cells:
        if cell_kind(cell) is CellKind.AUTOGRADED_ANSWER:
            cell.source = wrong.get(grade_id(cell), solution[grade_id(cell)])
    return release


def write_exercise_submissions(folder: Path) -> dict[str, dict[str, Path]]:
    """{assignment: {student: notebook}} for the students of EXERCISE_STUDENTS, written under `folder`."""
    files: dict[str, dict[str, Path]] = {}
    for assignment in ASSIGNMENTS:
        target = folder / assignment
        target.mkdir(parents=True)
        (release_path,) = sorted((REPO / "exercises" / assignment).glob("*.ipynb"))
        files[assignment] = {"unchanged": target / "unchanged.ipynb"}
        shutil.copy(release_path, files[assignment]["unchanged"])
        for student, mistakes in (("solved", []), ("mistaken", MISTAKES[assignment])):
            files[assignment][student] = target / f"{student}.ipynb"
            nbformat.write(filled(assignment, mistakes), files[assignment][student])
    return files


@dataclass
class NbgraderCourse:
    root: Path
    submitted: dict[tuple[str, str], Path] = field(default_factory=dict)  # (assignment, student): notebook
    code_score: dict[tuple[str, str], float] = field(default_factory=dict)
    cell_scores: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)  # code cells by grade id

    def release(self, assignment: str) -> Path:
        """nbgrader's release folder of the assignment (exercises/<assignment>)."""
        return self.root / "exercises" / assignment


# `python -m nbgrader`, without the 1.1 s grammar build that no notebook check uses (coursekit/startup.py).
NBGRADER = (
    "from coursekit.startup import skip_iri_grammar; skip_iri_grammar(); "
    "import runpy; runpy.run_module('nbgrader', run_name='__main__', alter_sys=True)"
)


def nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-c", NBGRADER, *args], cwd=course, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]


def build(course: Path, exercise_files: dict[str, dict[str, Path]]) -> NbgraderCourse:
    """Release every assignment with nbgrader, autograde every submission, and read the gradebook."""
    from nbgrader.api import Gradebook

    result = NbgraderCourse(course)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    notebooks = {"ps1": "ps1.ipynb"}
    shutil.copytree(FIXTURES / "assignments" / "solutions" / "ps1", course / "solutions" / "ps1")
    for assignment in ASSIGNMENTS:
        shutil.copytree(SOLUTIONS / assignment, course / "solutions" / assignment)
        (path,) = sorted((SOLUTIONS / assignment).glob("*.ipynb"))
        notebooks[assignment] = path.name
    nbgrader(course, "generate_assignment", "*", "--force")
    wanted = {("ps1", s): FIXTURES / "submissions" / "ps1" / f"{s}.ipynb" for s in PS1_STUDENTS}
    wanted |= {(a, s): exercise_files[a][s] for a in ASSIGNMENTS for s in EXERCISE_STUDENTS}
    for (assignment, student), path in wanted.items():
        target = course / "submitted" / student / assignment / notebooks[assignment]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
        result.submitted[assignment, student] = target
    nbgrader(course, "autograde", "*", "--force", "--ExecutePreprocessor.timeout=120")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for assignment, student in wanted:
            stem = Path(notebooks[assignment]).stem
            notebook = gradebook.find_submission_notebook(stem, assignment, student)
            result.code_score[assignment, student] = notebook.code_score
            result.cell_scores[assignment, student] = {
                g.name: g.score for g in notebook.grades if g.cell_type == "code"
            }
    return result
