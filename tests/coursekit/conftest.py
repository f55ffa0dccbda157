"""Shared fixtures for the coursekit tests: the fixture course (tests/fixtures/assignments) and copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbformat import NotebookNode

from coursekit.notebook_io import read_notebook

FIXTURE_ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "assignments"


@pytest.fixture
def fixture_root() -> Path:
    """The committed fixture course (read only: copy it before changing anything)."""
    return FIXTURE_ROOT


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A fresh copy of the fixture course (solutions/ and exercises/) that a test may break."""
    root = tmp_path / "course"
    for folder in ("solutions", "exercises"):
        shutil.copytree(FIXTURE_ROOT / folder, root / folder)
    return root


@pytest.fixture
def source_nb() -> NotebookNode:
    """The fixture's source notebook, solutions/ps1/ps1.ipynb."""
    return read_notebook(FIXTURE_ROOT / "solutions" / "ps1" / "ps1.ipynb")
