"""coursekit.cells: cell kinds, grade ids, points and marker regions."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from coursekit.cells import (
    HIDDEN_TESTS,
    MARK_SCHEME,
    SOLUTION,
    CellKind,
    Region,
    cell_kind,
    cell_label,
    cells_of_kind,
    find_cell,
    find_regions,
    grade_id,
    graded_cells,
    misplaced_markers,
    points,
    replace_regions,
    scan_regions,
    secret_lines,
    total_points,
)
from coursekit.errors import MarkerError


def nbg(**flags: object) -> dict:
    meta = {"schema_version": 3, "grade": False, "solution": False, "locked": False}
    meta.update(flags)
    return {"nbgrader": meta}


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        (new_code_cell("x = 1"), CellKind.PLAIN),
        (new_code_cell("x = 1", metadata=nbg(solution=True, grade_id="a")), CellKind.AUTOGRADED_ANSWER),
        (
            new_code_cell("assert x", metadata=nbg(grade=True, locked=True, points=1)),
            CellKind.AUTOGRADER_TESTS,
        ),
        (
            new_markdown_cell("text", metadata=nbg(grade=True, solution=True, points=2)),
            CellKind.MANUAL_ANSWER,
        ),
        (new_markdown_cell("do it", metadata=nbg(task=True, points=2)), CellKind.TASK),
        (new_markdown_cell("read", metadata=nbg(locked=True)), CellKind.READ_ONLY),
        (new_markdown_cell("read", metadata=nbg()), CellKind.PLAIN),
    ],
)
def test_cell_kind(cell, kind):
    assert cell_kind(cell) is kind


def test_grade_id_and_points():
    cell = new_code_cell("", metadata=nbg(grade=True, grade_id="q1-tests", points=2))
    assert grade_id(cell) == "q1-tests"
    assert points(cell) == 2.0
    assert points(new_code_cell("", metadata=nbg(grade=True, points=True))) is None
    assert points(new_code_cell("", metadata=nbg(grade=True, points="2"))) is None
    assert grade_id(new_code_cell("")) is None


def test_cell_label_uses_grade_id_then_position():
    assert cell_label(new_code_cell("", metadata=nbg(grade_id="q1")), 0) == "q1"
    assert cell_label(new_code_cell("", id="abc"), 4) == "cell 5 (id abc)"


def test_finding_cells_in_the_fixture(source_nb):
    assert find_cell(source_nb, "q2-tests").source.startswith("assert isinstance(total_participants, int)")
    assert find_cell(source_nb, "nope") is None
    answers = [grade_id(c) for c in cells_of_kind(source_nb, CellKind.AUTOGRADED_ANSWER)]
    assert answers == ["q1-answer", "q2-answer"]
    assert [grade_id(c) for c in graded_cells(source_nb)] == ["q1-tests", "q2-tests", "q3-written"]
    assert total_points(source_nb) == 5.0


def test_balanced_regions():
    source = "a\n### BEGIN SOLUTION\nb\n### END SOLUTION\nc\n### BEGIN HIDDEN TESTS\nd\n### END HIDDEN TESTS"
    assert find_regions(source) == [Region(SOLUTION, 1, 3), Region(HIDDEN_TESTS, 5, 7)]


@pytest.mark.parametrize(
    ("source", "problems"),
    [
        ("### BEGIN SOLUTION\nx = 1", ["BEGIN SOLUTION on line 1 without END SOLUTION"]),
        ("x = 1\n### END SOLUTION", ["END SOLUTION on line 2 without BEGIN SOLUTION"]),
        (
            "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS\n### END SOLUTION",
            ["nested markers: BEGIN HIDDEN TESTS on line 2 inside the solution region begun on line 1"],
        ),
        (
            "=== BEGIN MARK SCHEME ===\nx\n### END SOLUTION",
            [
                "END SOLUTION on line 3 inside the mark scheme region begun on line 1",
                "BEGIN MARK SCHEME on line 1 without END MARK SCHEME",
            ],
        ),
    ],
)
def test_marker_problems(source, problems):
    assert scan_regions(source)[1] == problems
    with pytest.raises(MarkerError, match=problems[0].split(" on ")[0]):
        find_regions(source)


def test_replace_regions_indents_the_stub_like_the_begin_line():
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\nf()"
    expected = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nf()"
    assert replace_regions(source, SOLUTION, "# YOUR CODE HERE\nraise NotImplementedError()") == expected


def test_replace_regions_drops_a_region_without_stub_and_leaves_others():
    source = "keep\n=== BEGIN MARK SCHEME ===\nrubric\n=== END MARK SCHEME ===\n### BEGIN SOLUTION\nans\n### END SOLUTION"
    assert replace_regions(source, MARK_SCHEME, None) == "keep\n### BEGIN SOLUTION\nans\n### END SOLUTION"


def test_misplaced_markers():
    tests = new_code_cell("### BEGIN SOLUTION\nx\n### END SOLUTION", metadata=nbg(grade=True, points=1))
    answer = new_code_cell("### BEGIN HIDDEN TESTS\nx\n### END HIDDEN TESTS", metadata=nbg(solution=True))
    written = new_markdown_cell(
        "### BEGIN SOLUTION\na\n### END SOLUTION\n=== BEGIN MARK SCHEME ===\nr\n=== END MARK SCHEME ===",
        metadata=nbg(solution=True, grade=True, points=1),
    )
    assert misplaced_markers(tests) == [SOLUTION]
    assert misplaced_markers(answer) == [HIDDEN_TESTS]
    assert misplaced_markers(written) == []
    assert misplaced_markers(new_code_cell("# ### BEGIN SOLUTION")) == [SOLUTION]


def test_secret_lines():
    tests = new_code_cell(
        "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 10\n### END HIDDEN TESTS",
        metadata=nbg(grade=True, points=1),
    )
    assert secret_lines(tests) == ["assert f(5) == 10"]
    # a solution cell with no solution region is released as a stub: every line is secret
    whole = new_code_cell("x = 41\nx += 1", metadata=nbg(solution=True))
    assert secret_lines(whole) == ["x = 41", "x += 1"]
    assert secret_lines(new_code_cell("x = 1")) == []
