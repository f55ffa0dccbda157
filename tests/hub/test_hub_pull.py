"""nbgitpuller's pull logic (the code behind the link) against two local git repositories: the student
repository as the instructor publishes it, and a student's copy. The student edits lesson 00, the instructor
changes the same notebook, the student clicks the link again: the student's edit is kept, the instructor's other
change arrives, and a new file arrives (nbgitpuller's merge cases 2 and 3). Runs in hub/.venv, where
`make hub-setup` installed nbgitpuller; skips with the reason where it is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from hub_env import HUB_PYTHON, LESSON, ORIGINAL_LINE, STUDENT_LINE, git, hub_missing, instructor_update

from coursekit.hub import repo_name, student_repo

ROOT = Path(__file__).resolve().parents[2]

PULL = """
import sys
from nbgitpuller.pull import GitPuller
for line in GitPuller(sys.argv[1], sys.argv[2], branch="main", depth=None).pull():
    print(line, end="" if str(line).endswith("\\n") else "\\n")
"""


def _pull(url: str, target: Path) -> str:
    done = subprocess.run([str(HUB_PYTHON), "-c", PULL, url, str(target)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"nbgitpuller failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    why = hub_missing()
    if why:
        pytest.skip(why)
    return student_repo(tmp_path_factory.mktemp("instructor") / "hype-course", ROOT).path


def test_student_edit_is_kept_when_the_instructor_changes_the_same_notebook(published, tmp_path):
    url = published.as_uri()
    copy = tmp_path / repo_name(url)  # where the link's urlpath expects it
    _pull(url, copy)  # first click: a clone
    lesson = copy / LESSON
    assert lesson.read_bytes() == (published / LESSON).read_bytes()

    # The student changes the "Try it" cell, as it invites, and saves.
    nb = nbformat.read(lesson, as_version=4)
    mine = STUDENT_LINE.format(student="student1")
    cell = next(c for c in nb.cells if c.cell_type == "code" and ORIGINAL_LINE in c.source)
    cell.source = cell.source.replace(ORIGINAL_LINE, mine)
    nbformat.write(nb, lesson)

    # The instructor changes the same notebook (other lines, and the student's line) and adds a file.
    sentence, theirs = instructor_update(published, ORIGINAL_LINE)
    (published / "notebooks" / "extra-reading.md").write_text("# Extra reading\n")
    git(published, "add", "notebooks/extra-reading.md")
    git(published, "commit", "-q", "-m", "Extra reading")

    log = _pull(url, copy)  # second click
    text = lesson.read_text(encoding="utf-8")
    after = nbformat.read(lesson, as_version=4)  # still a valid notebook
    nbformat.validate(after)
    sources = "\n".join(c.source for c in after.cells)
    assert mine in sources, f"the student's edit was lost:\n{log}"
    assert theirs not in sources, "the instructor's version of the student's line replaced the student's"
    assert sentence in sources, f"the instructor's change to other lines did not arrive:\n{log}"
    assert (copy / "notebooks" / "extra-reading.md").exists()
    assert "<<<<<<<" not in text and ">>>>>>>" not in text

    # A third click with nothing new changes nothing; the student's work stays.
    _pull(url, copy)
    assert mine in "\n".join(c.source for c in nbformat.read(lesson, as_version=4).cells)


def test_a_deleted_lesson_comes_back_fresh(published, tmp_path):
    """nbgitpuller's case 4: to start a lesson over, a student deletes it and clicks the link again."""
    url = published.as_uri()
    copy = tmp_path / repo_name(url)
    _pull(url, copy)
    (copy / LESSON).unlink()
    _pull(url, copy)
    assert (copy / LESSON).read_bytes() == (published / LESSON).read_bytes()
