"""`coursekit student-repo`: the repository students get through nbgitpuller holds what they need and no solution
text (checked with the kit's own leak check, coursekit/leaks.py, against every solution notebook)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.cells import delimiter
from coursekit.cli import main
from coursekit.errors import CoursekitError
from coursekit.hub import student_repo
from coursekit.leaks import secrets, visible_lines

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "hype-course"
    assert main(["student-repo", str(out), "--root", str(ROOT)]) == 0
    return out


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def _student_lines(repo: Path):
    """(file, line) for every line a student can read in the repository: notebook sources and text outputs,
    and every line of every other text file."""
    for relative in _git(repo, "ls-files").splitlines():
        path = repo / relative
        if path.suffix == ".ipynb":
            for label, line in visible_lines(nbformat.read(path, as_version=4)):
                yield f"{relative} {label}", line
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # binary (none today)
            for line in text.splitlines():
                yield relative, line.strip()


def _leaks(repo: Path) -> list[str]:
    hidden = {}
    for source in SOLUTIONS:
        for line, (what, cell) in secrets(nbformat.read(source, as_version=4)).items():
            hidden.setdefault(line, f"{source.relative_to(ROOT)} {cell} ({what})")
    return [f"{where}: {line!r} from {hidden[line]}" for where, line in _student_lines(repo) if line in hidden]


def test_student_repo_is_a_committed_git_repository_of_what_students_need(repo):
    assert _git(repo, "status", "--porcelain") == ""
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    files = set(_git(repo, "ls-files").splitlines())
    tops = {name.split("/", 1)[0] for name in files}
    assert tops == {"notebooks", "exercises", "data", "appraisal", "README.md", "environment.yml",
                    "requirements.txt", "pyproject.toml", ".gitignore"}
    lessons = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("*.ipynb")}
    released = {p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("*/*.ipynb")}
    assert lessons and released and lessons | released <= files
    assert "data/article.txt" in files and "appraisal/__init__.py" in files


def test_student_repo_holds_no_solutions_hidden_tests_rubrics_or_grader(repo):
    files = _git(repo, "ls-files").splitlines()
    assert not [f for f in files if f.split("/", 1)[0] in ("solutions", "coursekit", "tests", "bench", "tools")]
    assert "appraisal/selfcheck_answers.py" not in files  # it would compute every self-check answer
    assert not [f for f in files if "__pycache__" in f or ".ipynb_checkpoints" in f]
    assert SOLUTIONS, "no solution notebooks found to check against"
    assert _leaks(repo) == []
    markers = [(where, line) for where, line in _student_lines(repo) if delimiter(line) is not None]
    assert markers == [], "solution / hidden-test / mark-scheme delimiters in the student repository"


def test_leak_check_finds_a_planted_hidden_test(repo, tmp_path):
    """The check can fail: a hidden-test line copied into a student notebook is reported."""
    source = nbformat.read(ROOT / "solutions/01-hype/hype.ipynb", as_version=4)
    hidden = next(line for line, (what, _cell) in secrets(source).items() if what == "hidden tests")
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True)
    notebook = copy / "exercises/01-hype/hype.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(hidden))
    nbformat.write(nb, notebook)
    assert any(repr(hidden) in leak for leak in _leaks(copy))


def test_run_again_commits_only_changes_and_refuses_other_folders(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    assert student_repo(repo, ROOT).commit is None  # the kit has not changed: nothing to commit
    # A file of an older kit, committed earlier, is gone from the kit now: the update removes it in a commit.
    (repo / "notebooks" / "old-lesson.txt").write_text("from an older kit")
    _git(repo, "add", "notebooks/old-lesson.txt")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-q", "-m", "older kit")
    update = student_repo(repo, ROOT, message="Update")
    assert update.commit and _git(repo, "rev-parse", "HEAD~2") == head
    assert not (repo / "notebooks" / "old-lesson.txt").exists() and _git(repo, "status", "--porcelain") == ""
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("an instructor's own file")
    with pytest.raises(CoursekitError, match="not empty and not a git repository"):
        student_repo(other, ROOT)
    foreign = tmp_path / "another-repo"
    foreign.mkdir()
    subprocess.run(["git", "init", "-q", str(foreign)], check=True)
    (foreign / "README.md").write_text("# Someone's project\n")
    with pytest.raises(CoursekitError, match="not a student repository"):
        student_repo(foreign, ROOT)
    assert (foreign / "README.md").read_text() == "# Someone's project\n"
    with pytest.raises(CoursekitError, match="outside the kit's folder"):
        student_repo(ROOT, ROOT)


def test_environment_files_pin_the_kits_versions(repo):
    lock = dict(
        line.split("==", 1) for line in (ROOT / "requirements-lock.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    requirements = [line for line in (repo / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert requirements[-1] == "-e ."
    for pin in requirements[:-1]:
        name, version = pin.split("==")
        assert lock[name] == version, pin
        assert f"      - {pin}\n" in (repo / "environment.yml").read_text()


@pytest.mark.slow
def test_start_lesson_runs_from_the_student_repository_alone(repo, tmp_path):
    """Lesson 00 runs with the repository's own `appraisal` package and data, not the kit's."""
    copy = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "HYPE_KIT_DATA"}
    env["PYTHONPATH"] = str(copy)
    script = (
        "import appraisal, nbformat, nbclient, sys\n"
        "assert appraisal.__file__.startswith(sys.argv[1]), appraisal.__file__\n"
        "nb = nbformat.read(sys.argv[2], as_version=4)\n"
        "nbclient.NotebookClient(nb, timeout=120, resources={'metadata': {'path': sys.argv[3]}}).execute()\n"
        "print('ok')\n"
    )
    lesson = copy / "notebooks" / "00-start-here.ipynb"
    done = subprocess.run(
        [sys.executable, "-c", script, str(copy), str(lesson), str(lesson.parent)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    assert json.loads(lesson.read_text())["cells"], "the lesson is empty"
