"""Issue 12: `coursekit check` accepts a release written by nbgrader's own `generate_assignment` (checksums in the
cells' metadata, no kit stamp, nbgrader's JSON formatting), and still calls a changed release stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from coursekit import check

pytest.importorskip("nbgrader")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "assignments"


def test_check_accepts_nbgraders_release_and_not_a_changed_one(tmp_path, nbgrader_course):
    # nbgrader's `generate_assignment` of the fixture's ps1, run on the shared nbgrader course (a copy of the
    # fixture's solutions/ps1 with the repo's nbgrader_config.py), in place of the kit's release
    course = tmp_path / "course"
    shutil.copytree(FIXTURES, course)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.rmtree(course / "exercises")
    shutil.copytree(nbgrader_course.release("ps1"), course / "exercises" / "ps1")
    released = course / "exercises" / "ps1" / "ps1.ipynb"
    data = json.loads(released.read_text())
    assert any("checksum" in c["metadata"].get("nbgrader", {}) for c in data["cells"])  # really nbgrader's
    assert "coursekit" not in data["metadata"]
    stale = [p for p in check.check_course(course).errors if "stale" in p.message]
    assert stale == []
    data["cells"][0]["source"] = "changed by hand"
    released.write_text(json.dumps(data, indent=1))
    assert [p for p in check.check_course(course).errors if "stale" in p.message]
