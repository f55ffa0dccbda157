"""Where grading's time goes (coursekit/grading/profile.py) and `coursekit grade --profile`."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.cli import main
from coursekit.grading.kernels.sandbox import probe
from coursekit.grading.profile import PHASES, Profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "assignments"
SOURCE = FIXTURES / "solutions" / "ps1" / "ps1.ipynb"
RELEASE = FIXTURES / "exercises" / "ps1" / "ps1.ipynb"


def _rows(lines: list[str]) -> dict[str, list[str]]:
    """phase -> [total, times, mean] of the table's rows."""
    return {line[2:18].strip(): line[18:].split()[:3] for line in lines[2:]}


def test_phases_add_up_and_the_table_shows_total_times_and_mean_in_the_phases_order():
    profile = Profile(submissions=2, wall=3.0)
    profile.add("cells", 1.0)
    profile.add("cells", 2.0)
    profile.add("kernel start", 0.5)
    profile.add("something new", 0.25)
    lines = profile.table().splitlines()
    assert lines[0] == "profile: 2 submissions graded in 3.0 s wall time"
    rows = _rows(lines)
    assert rows["cells"] == ["3.00", "2", "1.500"]
    assert rows["kernel start"] == ["0.50", "1", "0.500"]
    assert list(rows) == ["kernel start", "cells", "something new"]  # known phases first, in PHASES order


def test_a_timed_block_counts_even_when_it_raises():
    profile = Profile()
    with pytest.raises(ValueError), profile.timed("restore"):
        raise ValueError
    assert profile.counts == {"restore": 1} and profile.seconds["restore"] >= 0


def test_every_phase_is_described():
    names = [name for name, _ in PHASES]
    assert len(set(names)) == len(names) and all(text for _, text in PHASES)


@pytest.mark.parametrize("sandbox", ["none", "auto"])
def test_grade_profile_prints_each_phase_once_per_submission(tmp_path, capsys, sandbox):
    code = main(
        ["grade", str(SOURCE), str(RELEASE), "--out", str(tmp_path / "out"), "--profile", "--sandbox", sandbox]
    )
    assert code == 0
    text = capsys.readouterr().out
    table = text[text.index("profile: 1 submissions graded") :].splitlines()
    rows = _rows(table)
    for phase in ("wait for kernel", "restore", "checker setup", "cells", "checker", "scoring"):
        assert rows[phase][1] == "1", phase  # once for the one submission
    assert rows["kernel start"][1] == "2"  # its kernel and its checker (cleanroom.py)
    # Unsandboxed, each kernel imports the assignment's modules after it starts; in the sandbox, the batch's fork
    # server imports them once, before any kernel (when bubblewrap cannot run here, "auto" is unsandboxed).
    forked = sandbox == "auto" and not probe()
    once = "fork server" if forked else "imports"
    assert rows[once][1] == ("1" if forked else "2") and ({"fork server", "imports"} - {once}).isdisjoint(rows)
    assert rows["prepare batch"][1] == "1" and float(rows["cells"][0]) > 0
    assert rows["writing"][1] == "2"  # its gradebook row, then the reports


def test_without_profile_no_table_is_printed(tmp_path, capsys):
    assert main(["grade", str(SOURCE), str(RELEASE), "--out", str(tmp_path / "out"), "--sandbox", "none"]) == 0
    assert "profile:" not in capsys.readouterr().out
