"""The Makefile: `make help` lists every target, and the set-up takes a supported Python or says what to do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _phony() -> list[str]:
    line = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.M)
    assert line, "the Makefile declares its targets .PHONY"
    return line.group(1).split()


def test_every_target_says_what_it_does_in_make_help():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = re.findall(r"^make (\S+)\s+\S", out, re.M)
    assert sorted(listed) == sorted(_phony()), "each .PHONY target needs a '## what it does' comment"


def _check(version: tuple[int, int]) -> subprocess.CompletedProcess:
    code = f"import runpy, sys; sys.version_info = {version + (0,)!r}; runpy.run_path('tools/check_python.py')"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)


def test_a_supported_python_passes_and_an_old_one_is_told_what_to_do():
    for ok in [(3, 10), (3, 11), (3, 12), (3, 13)]:
        assert _check(ok).returncode == 0, ok
    for old in [(3, 9), (3, 14), (2, 7)]:
        result = _check(old)
        assert result.returncode == 1 and "Python 3.10 to 3.13" in result.stderr, old
        assert "PYTHON=/path/to/python3.12" in result.stderr


def test_make_takes_the_newest_supported_python_that_runs(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in [("python3.13", "exit 127"), ("python3.12", f'exec "{sys.executable}" "$@"')]:
        path = bin_dir / name  # 3.13 is a broken shim (as pyenv's for a version not selected), 3.12 runs
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        ["make", "-s", "--eval", "print-python: ; @echo $(PYTHON)", "print-python"],
        cwd=ROOT, capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()
    assert out == str(bin_dir / "python3.12")
