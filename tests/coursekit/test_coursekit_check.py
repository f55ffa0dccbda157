"""coursekit.check: the fixture passes; each defect, made in a copy of it, gives its one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_output

from coursekit import release
from coursekit.cells import find_cell
from coursekit.check import check_course
from coursekit.cli import main
from coursekit.leaks import find_leaks
from coursekit.notebook_io import notebook_text, read_notebook

SOURCE = "solutions/ps1/ps1.ipynb"
EXERCISE = "exercises/ps1/ps1.ipynb"


def edit(course: Path, rel: str, change: Callable[[NotebookNode], None], rerelease: bool = False) -> None:
    """Change a notebook of the course copy in place; optionally release again (so only the defect remains)."""
    nb = read_notebook(course / rel)
    change(nb)
    (course / rel).write_text(notebook_text(nb), encoding="utf-8")
    if rerelease:
        release.release(course)


def problems(course: Path) -> list[str]:
    return [str(p) for p in check_course(course).problems]


def test_fixture_passes(fixture_root, capsys):
    assert main(["check", "--root", str(fixture_root)]) == 0
    assert capsys.readouterr().out == (
        "coursekit check: OK: 1 assignment, 1 notebook, 3 graded cells (5 points), exercises up to date\n"
    )


def test_duplicate_grade_id(course):
    edit(
        course,
        SOURCE,
        lambda nb: find_cell(nb, "q2-tests").metadata.nbgrader.update(grade_id="q1-tests"),
        True,
    )
    assert problems(course) == ["solutions/ps1/ps1.ipynb: q1-tests: duplicate grade_id (used by 2 cells)"]


def test_missing_and_non_positive_points(course):
    def change(nb):
        del find_cell(nb, "q2-tests").metadata.nbgrader["points"]
        find_cell(nb, "q3-written").metadata.nbgrader["points"] = 0

    edit(course, SOURCE, change, rerelease=True)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: q2-tests: grade cell has no points",
        "solutions/ps1/ps1.ipynb: q3-written: grade cell needs positive numeric points (found 0)",
    ]


def test_begin_without_end(course, capsys):
    def change(nb):
        cell = find_cell(nb, "q1-tests")
        cell.source = cell.source.replace("\n### END HIDDEN TESTS", "")

    edit(course, SOURCE, change)
    assert main(["check", "--root", str(course)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "solutions/ps1/ps1.ipynb: q1-tests: BEGIN HIDDEN TESTS on line 3 without END HIDDEN TESTS",
        "coursekit check: 1 problem, 0 warnings in 1 notebook",
    ]


def test_end_without_begin(course):
    def change(nb):
        cell = find_cell(nb, "q2-answer")
        cell.source = cell.source.replace("### BEGIN SOLUTION\n", "")

    edit(course, SOURCE, change)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: q2-answer: END SOLUTION on line 2 without BEGIN SOLUTION",
    ]


def test_hidden_tests_in_an_answer_cell(course):
    def change(nb):
        find_cell(nb, "q2-answer").source += "\n### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"

    edit(course, SOURCE, change)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: q2-answer: hidden tests markers in an autograded answer cell",
    ]


def test_answer_without_tests(course):
    def change(nb):
        nb.cells.remove(find_cell(nb, "q1-tests"))

    edit(course, SOURCE, change, rerelease=True)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: q1-answer: autograded answer has no test cell before the next answer (q2-answer)",
    ]


def test_last_answer_without_tests(course):
    edit(course, SOURCE, lambda nb: nb.cells.remove(find_cell(nb, "q2-tests")), rerelease=True)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: q2-answer: autograded answer has no test cell after it (end of notebook)",
    ]


def test_stale_missing_and_extra_exercises(course):
    edit(course, SOURCE, lambda nb: setattr(find_cell(nb, "intro"), "source", "# Problem set 1, revised"))
    (course / "exercises/ps1/headlines.csv").unlink()
    (course / "exercises/ps1/ps0.ipynb").write_text("{}")
    (course / "exercises/99-old").mkdir()
    (course / "exercises/99-old/old.ipynb").write_text("{}")
    assert problems(course) == [
        "exercises/ps1/ps1.ipynb: stale: differs from a fresh release of solutions/ps1/ps1.ipynb; "
        "run 'python -m coursekit release ps1'",
        "exercises/ps1/headlines.csv: missing; run 'python -m coursekit release ps1'",
        "exercises/99-old/old.ipynb: extra: no source solutions/99-old/old.ipynb; delete it",
        "exercises/ps1/ps0.ipynb: extra: no source solutions/ps1/ps0.ipynb; run 'python -m coursekit release ps1'",
    ]
    (course / EXERCISE).unlink()
    assert problems(course)[0] == "exercises/ps1/ps1.ipynb: missing; run 'python -m coursekit release ps1'"


def test_leaked_solution_hidden_test_and_mark_scheme(course):
    def change(nb):
        find_cell(
            nb, "q2-answer"
        ).source = 'total_participants = sum(int(row["participants"]) for row in headlines)'
        find_cell(nb, "q1-tests").source += '\nassert count_hype_words("MIRACLE, miracle!", {"miracle"}) == 2'
        find_cell(
            nb, "q3-written"
        ).source = "- 1 point: says the evidence is preclinical (animals or cells), not from people."

    edit(course, EXERCISE, change)
    stale = (
        "exercises/ps1/ps1.ipynb: stale: differs from a fresh release of solutions/ps1/ps1.ipynb; "
        "run 'python -m coursekit release ps1'"
    )
    assert problems(course) == [
        stale,
        "exercises/ps1/ps1.ipynb: q1-tests: leaks a hidden tests line of q1-tests: "
        '\'assert count_hype_words("MIRACLE, miracle!", {"miracle"})...\'',
        "exercises/ps1/ps1.ipynb: q2-answer: leaks a solution line of q2-answer: "
        "'total_participants = sum(int(row[\"participants\"]) for row...'",
        "exercises/ps1/ps1.ipynb: q3-written: leaks a mark scheme line of q3-written: "
        "'- 1 point: says the evidence is preclinical (animals or c...'",
    ]


def test_leak_in_stored_output(course):
    def change(nb):
        cell = find_cell(nb, "setup")
        cell.outputs = [new_output("stream", name="stdout", text="assert total_participants == 60\n")]

    edit(course, EXERCISE, change)
    assert problems(course)[1:] == [
        "exercises/ps1/ps1.ipynb: setup: leaks a hidden tests line of q2-tests: 'assert total_participants == 60'"
    ]


def test_secret_line_that_is_also_public_is_no_leak(source_nb):
    released = release.release_notebook(source_nb)
    line = "assert total_participants == 60"
    released.cells[7].source += "\n" + line
    assert [leak.line for leak in find_leaks(source_nb, released)] == [line]
    source_nb.cells.append(new_markdown_cell(f"For example `{line}` would be checked like this:\n\n{line}"))
    assert find_leaks(source_nb, released) == []


def test_short_lines_and_comments_are_not_leaks(source_nb):
    source_nb.cells[
        6
    ].source = "### BEGIN SOLUTION\n# add them all up, over every row\nx = 60\n### END SOLUTION"
    released = release.release_notebook(source_nb)
    released.cells[6].source = "# add them all up, over every row\nx = 60"
    assert find_leaks(source_nb, released) == []


def test_invalid_json(course, capsys):
    (course / SOURCE).write_text('{"cells": [', encoding="utf-8")
    assert main(["check", "--root", str(course)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "solutions/ps1/ps1.ipynb: not valid JSON: Expecting value (line 1, column 12)"
    assert out[-1] == "coursekit check: 1 problem, 0 warnings in 1 notebook"


def test_source_not_executed_is_a_warning_only(course, capsys):
    edit(
        course,
        SOURCE,
        lambda nb: [
            cell.update(outputs=[], execution_count=None) for cell in nb.cells if cell.cell_type == "code"
        ],
    )
    assert main(["check", "--root", str(course)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "warning: solutions/ps1/ps1.ipynb: not executed (5 of 5 code cells have no stored output); "
        "run 'python -m coursekit execute solutions/ps1'",
        "coursekit check: OK: 1 assignment, 1 notebook, 3 graded cells (5 points), exercises up to date, 1 warning",
    ]


def test_no_solutions_folder(tmp_path, capsys):
    assert main(["check", "--root", str(tmp_path)]) == 0
    assert (
        capsys.readouterr().out == f"coursekit check: no solutions/ folder in {tmp_path}; nothing to check\n"
    )
    (tmp_path / "solutions/ps1").mkdir(parents=True)
    assert main(["check", "--root", str(tmp_path)]) == 0
    assert "no notebooks under" in capsys.readouterr().out


def test_nbgrader_metadata_problems(course):
    def change(nb):
        del find_cell(nb, "q1-answer").metadata.nbgrader["grade_id"]
        find_cell(nb, "q2-answer").metadata.nbgrader["schema_version"] = 1
        find_cell(nb, "intro").metadata.nbgrader["grade_id"] = "intro page"

    edit(course, SOURCE, change, rerelease=True)
    assert problems(course) == [
        "solutions/ps1/ps1.ipynb: intro page: grade_id may only hold letters, digits, '-' and '_'",
        "solutions/ps1/ps1.ipynb: cell 4 (id q1-answer): nbgrader cell (autograded answer) has no grade_id",
        "solutions/ps1/ps1.ipynb: q2-answer: nbgrader schema_version must be 3",
    ]
