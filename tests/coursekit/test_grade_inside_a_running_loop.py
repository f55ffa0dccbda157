"""The batch grader also works where an asyncio loop is already running (Jupyter, async hosts, other tests)."""

import asyncio
import csv
import shutil
from pathlib import Path

import pytest

from coursekit.cli import main

FIXTURE_COURSE = Path(__file__).parents[1] / "fixtures" / "assignments"
PERFECT = Path(__file__).parents[1] / "fixtures" / "submissions" / "ps1" / "perfect.ipynb"


@pytest.mark.slow
def test_grade_from_inside_a_running_event_loop(tmp_path):
    if not PERFECT.exists():
        pytest.skip("fixture submission missing")
    submission = tmp_path / "subs" / "perfect.ipynb"
    submission.parent.mkdir()
    shutil.copy(PERFECT, submission)
    out = tmp_path / "out"

    async def grade_while_a_loop_runs() -> int:
        return main(["grade", str(FIXTURE_COURSE / "solutions" / "ps1" / "ps1.ipynb"), str(submission.parent),
                     "--out", str(out), "--jobs", "1"])

    assert asyncio.run(grade_while_a_loop_runs()) == 0
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["status"] == "graded"
    assert rows[0]["autograded"] == "3" and rows[0]["autograded_max"] == "3"
