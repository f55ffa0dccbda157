"""Shared helpers of the hub tests: where `make hub-setup` puts the hub, and why a test must skip without it."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "hub"
HUB_PYTHON = HUB / ".venv" / "bin" / "python"
PROXY = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
LESSON = "notebooks/00-start-here.ipynb"


def hub_missing() -> str | None:
    """Why the hub cannot run here (None when `make hub-setup` has installed it)."""
    if not HUB_PYTHON.exists():
        return "hub/.venv is missing: `make hub-setup` installs JupyterHub and nbgitpuller (.ci/run does)"
    probe = subprocess.run([str(HUB_PYTHON), "-c", "import jupyterhub, nbgitpuller, appraisal"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"hub/.venv cannot import jupyterhub, nbgitpuller and the kit: {probe.stderr.strip()[-300:]}"
    if not PROXY.exists():
        return "hub/node_modules has no configurable-http-proxy: `make hub-setup` installs it from npm"
    return None


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@localhost", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout


def instructor_update(repo: Path, student_line: str) -> tuple[str, str]:
    """The instructor changes lesson 00 in the student repository and commits: one new sentence in the "Why this
    article" text (lines no student edits or runs) and a new default on the very line the student edits. Returns
    the new sentence and the instructor's version of the student's line."""
    import nbformat

    path = repo / LESSON
    nb = nbformat.read(path, as_version=4)
    why = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Why this article"))
    sentence = "Instructor's update: read the article once before you start."
    why.source += "\n\n" + sentence
    theirs = 'pattern = "studies show"   # change this pattern'
    code = next(c for c in nb.cells if c.cell_type == "code" and student_line in c.source)
    assert student_line in code.source, code.source
    code.source = code.source.replace(student_line, theirs)
    nbformat.write(nb, path)
    git(repo, "commit", "-q", "-am", "Lesson 00: another pattern to try")
    return sentence, theirs


ORIGINAL_LINE = 'pattern = "published in"   # change this pattern'
STUDENT_LINE = 'pattern = "a study"   # {student} tried this'
