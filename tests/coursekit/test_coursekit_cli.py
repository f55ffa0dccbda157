"""The `python -m coursekit` command line: outputs, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_python_dash_m_check_on_the_fixture(fixture_root):
    done = subprocess.run(
        [sys.executable, "-m", "coursekit", "check", "--root", str(fixture_root)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("coursekit check: OK: 1 assignment, 1 notebook")


def test_release_prints_what_it_wrote(course, capsys):
    (course / "exercises/ps1/ps1.ipynb").unlink()
    assert main(["release", "ps1", "--root", str(course)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "wrote exercises/ps1/ps1.ipynb",
        "coursekit release: 1 assignment, 1 written, 1 unchanged, 0 removed",
    ]


def test_release_without_solutions_folder(tmp_path, capsys):
    assert main(["release", "--root", str(tmp_path)]) == 0
    assert (
        capsys.readouterr().out
        == f"coursekit release: no solutions/ folder in {tmp_path}; nothing to release\n"
    )


def test_unknown_assignment_is_one_line_exit_2(course, capsys):
    assert main(["release", "99-nope", "--root", str(course)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"coursekit release: error: unknown assignment '99-nope': no folder {course / 'solutions/99-nope'} "
        "(known: ps1)\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{oops", "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        ("[1, 2]", "not a notebook (no 'cells' in the JSON)"),
        (
            '{"cells": [], "metadata": {}, "nbformat": 4}',
            "invalid notebook: 'nbformat_minor' is a required property",
        ),
    ],
)
def test_bad_notebook_is_one_line_exit_2(course, capsys, text, message):
    (course / "solutions/ps1/ps1.ipynb").write_text(text, encoding="utf-8")
    assert main(["release", "--root", str(course)]) == 2
    assert capsys.readouterr().err == f"coursekit release: error: solutions/ps1/ps1.ipynb: {message}\n"


def test_execute_missing_path_exit_2(tmp_path, capsys):
    assert main(["execute", str(tmp_path / "nope.ipynb")]) == 2
    assert (
        capsys.readouterr().err
        == f"coursekit execute: error: {tmp_path / 'nope.ipynb'}: not a notebook or a folder\n"
    )


def test_no_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err  # one line (issue 12), naming the missing command and where help is
    assert err.count("\n") == 1 and "required: COMMAND" in err and "python -m coursekit --help" in err
