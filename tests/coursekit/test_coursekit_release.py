"""coursekit.release: each step on its own, then the release of the fixture course."""

from __future__ import annotations

import copy
import json

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursekit import release
from coursekit.cells import grade_id
from coursekit.errors import MarkerError, UnknownAssignmentError
from coursekit.notebook_io import read_notebook

SOURCE = "solutions/ps1/ps1.ipynb"
EXERCISE = "exercises/ps1/ps1.ipynb"
FIXTURE_CELL_IDS = [
    "intro", "setup", "q1-prompt", "q1-answer", "q1-tests",
    "q2-prompt", "q2-answer", "q2-tests", "q3-prompt", "q3-written",
]  # fmt: skip


def nbg(gid: str, **flags: object) -> dict:
    meta = {"schema_version": 3, "grade": False, "solution": False, "locked": False, "grade_id": gid}
    meta.update(flags)
    return {"nbgrader": meta}


def one_cell(cell):
    return new_notebook(cells=[cell])


# ---------------------------------------------------------------- steps


def test_clear_outputs():
    cell = new_code_cell("print(1)", execution_count=3, outputs=[new_output("stream", text="1\n")])
    cell.metadata.update(
        {"scrolled": True, "collapsed": False, "execution": {"iopub.status.busy": "x"}, "tags": ["t"]}
    )
    nb = one_cell(cell)
    out = release.clear_outputs(nb)
    assert out.cells[0].outputs == []
    assert out.cells[0].execution_count is None
    assert out.cells[0].metadata == {"tags": ["t"]}
    assert nb.cells[0].execution_count == 3, "the input notebook must not change"


def test_clear_solutions_keeps_indentation_and_the_rest_of_the_cell():
    source = 'def f(x):\n    """Double x."""\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION'
    nb = one_cell(new_code_cell(source, metadata=nbg("q1", solution=True)))
    out = release.clear_solutions(nb)
    assert (
        out.cells[0].source
        == 'def f(x):\n    """Double x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    assert nb.cells[0].source == source


def test_clear_solutions_in_markdown_and_without_markers():
    written = new_markdown_cell(
        "### BEGIN SOLUTION\nIt was mice.\n### END SOLUTION",
        metadata=nbg("w", solution=True, grade=True, points=1),
    )
    bare = new_code_cell("answer = 42", metadata=nbg("a", solution=True))
    plain = new_code_cell("answer = 42")
    out = release.clear_solutions(new_notebook(cells=[written, bare, plain]))
    assert [c.source for c in out.cells] == [
        "YOUR ANSWER HERE",
        "# YOUR CODE HERE\nraise NotImplementedError()",
        "answer = 42",
    ]


def test_clear_solutions_refuses_markers_outside_solution_cells():
    tests = new_code_cell(
        "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", metadata=nbg("q1-tests", grade=True, points=1)
    )
    with pytest.raises(MarkerError, match="q1-tests: solution markers in a cell of kind 'autograder tests'"):
        release.clear_solutions(one_cell(tests))


def test_clear_solutions_refuses_unbalanced_markers():
    cell = new_code_cell("### BEGIN SOLUTION\nx = 1", metadata=nbg("q1", solution=True))
    with pytest.raises(MarkerError, match="q1: BEGIN SOLUTION on line 1 without END SOLUTION"):
        release.clear_solutions(one_cell(cell))


def test_clear_hidden_tests():
    source = "assert f(1) == 2, 'f(1)'\n### BEGIN HIDDEN TESTS\nassert f(3) == 6\n### END HIDDEN TESTS\nprint('done')"
    nb = one_cell(new_code_cell(source, metadata=nbg("t", grade=True, locked=True, points=1)))
    assert release.clear_hidden_tests(nb).cells[0].source == "assert f(1) == 2, 'f(1)'\nprint('done')"


def test_clear_hidden_tests_refuses_them_in_an_answer_cell():
    cell = new_code_cell(
        "### BEGIN HIDDEN TESTS\nassert 1\n### END HIDDEN TESTS", metadata=nbg("q1", solution=True)
    )
    with pytest.raises(MarkerError, match="q1: hidden tests markers"):
        release.clear_hidden_tests(one_cell(cell))


def test_clear_mark_schemes():
    source = "YOUR ANSWER HERE\n\n=== BEGIN MARK SCHEME ===\n- 1 point: mice\n=== END MARK SCHEME ==="
    nb = one_cell(new_markdown_cell(source, metadata=nbg("w", solution=True, grade=True, points=1)))
    assert release.clear_mark_schemes(nb).cells[0].source == "YOUR ANSWER HERE\n"


def test_lock_cells():
    cells = [
        new_code_cell("", metadata=nbg("answer", solution=True)),
        new_code_cell("", metadata=nbg("tests", grade=True, locked=True, points=1)),
        new_markdown_cell("", metadata=nbg("written", solution=True, grade=True, points=1)),
        new_markdown_cell("", metadata=nbg("intro", locked=True)),
        new_markdown_cell(""),
    ]
    out = release.lock_cells(new_notebook(cells=cells))
    flags = [(c.metadata.get("deletable"), c.metadata.get("editable")) for c in out.cells]
    assert flags == [(False, None), (False, False), (False, None), (False, False), (None, None)]


def test_record_cell_types():
    cells = [new_code_cell("", metadata=nbg("a", solution=True)), new_markdown_cell("")]
    out = release.record_cell_types(new_notebook(cells=cells))
    assert out.cells[0].metadata.nbgrader.cell_type == "code"
    assert "nbgrader" not in out.cells[1].metadata


def test_clean_notebook_metadata():
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "version": "3.11.7"},
            "celltoolbar": "Create Assignment",
            "widgets": {"state": {}},
            "title": "PS1",
        }
    )
    out = release.clean_notebook_metadata(nb)
    assert out.metadata == {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "title": "PS1",
    }


# ---------------------------------------------------------------- the fixture release


def test_release_of_the_fixture_hides_every_secret(source_nb):
    out = release.release_notebook(source_nb)
    text, source_text = json.dumps(out), json.dumps(source_nb)
    for secret in [
        "word.strip(",  # q1 solution
        "sum(1 for word in words",  # q1 solution
        'total_participants = sum(int(row[\\"participants\\"])',  # q2 solution
        'Miracle berry cures cancer\\", {',  # q1 hidden test
        "MIRACLE, miracle!",  # q1 hidden test
        "total_participants == 60",  # q2 hidden test
        "twelve mice",  # q3 model answer
        "1 point:",  # q3 mark scheme
        "BEGIN",
        "END SOLUTION",
        "MARK SCHEME",
        "HIDDEN TESTS",
    ]:
        assert secret in source_text, f"fixture changed? {secret!r} is not in the source"
        assert secret not in text, secret
    assert 'count_hype_words(\\"\\", {\\"miracle\\"}) == 0' in text, "public tests stay"
    assert [c.id for c in out.cells] == FIXTURE_CELL_IDS
    for cell in out.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert source_nb.cells[1].outputs, "the source keeps its outputs"


def test_release_of_the_fixture_cells(source_nb):
    out = {grade_id(c): c for c in release.release_notebook(source_nb).cells}
    assert out["q1-answer"].source == (
        "def count_hype_words(text, lexicon):\n"
        '    """Return how many words of `text` are in `lexicon`, ignoring case and punctuation."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )
    assert out["q2-answer"].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert (
        out["q2-tests"].source
        == 'assert isinstance(total_participants, int), "total_participants should be an int"'
    )
    assert out["q3-written"].source == "YOUR ANSWER HERE\n"
    assert out["q1-tests"].metadata.nbgrader == {
        "schema_version": 3, "grade": True, "solution": False, "locked": True,
        "grade_id": "q1-tests", "points": 2, "cell_type": "code",
    }  # fmt: skip


def test_committed_exercise_is_the_release_of_the_committed_source(fixture_root):
    fresh = release.render_release(fixture_root / SOURCE)
    assert fresh == (fixture_root / EXERCISE).read_bytes()
    assert fresh.endswith(b"}\n")


def test_release_writes_exercises_and_data_and_is_byte_identical_on_rerun(course):
    (course / "exercises").rename(course / "old-exercises")
    first = release.release(course)
    assert sorted(p.relative_to(course).as_posix() for p in first.written) == [
        "exercises/ps1/headlines.csv",
        EXERCISE,
    ]
    written = (course / EXERCISE).read_bytes()
    assert written == (course / "old-exercises/ps1/ps1.ipynb").read_bytes()
    assert (course / "exercises/ps1/headlines.csv").read_bytes() == (
        course / "solutions/ps1/headlines.csv"
    ).read_bytes()
    second = release.release(course, ["ps1"])
    assert second.written == [] and len(second.unchanged) == 2
    assert (course / EXERCISE).read_bytes() == written


def test_release_removes_exercises_whose_source_is_gone(course):
    orphan = course / "exercises/ps1/old.ipynb"
    orphan.write_text("{}")
    result = release.release(course)
    assert result.removed == [orphan] and not orphan.exists()


def test_release_of_a_broken_source_writes_nothing(course):
    path = course / SOURCE
    nb = read_notebook(path)
    nb.cells[4].source = nb.cells[4].source.replace("### END HIDDEN TESTS", "")
    path.write_text(json.dumps(nb))
    (course / "exercises").rename(course / "gone")
    with pytest.raises(
        MarkerError, match="solutions/ps1/ps1.ipynb: q1-tests: BEGIN HIDDEN TESTS on line 3 without"
    ):
        release.release(course)
    assert not (course / "exercises").exists()


def test_release_of_an_unknown_assignment(course):
    with pytest.raises(UnknownAssignmentError, match="unknown assignment '99-nope'"):
        release.release(course, ["99-nope"])


def test_same_cells_as_nbgrader(source_nb):
    """nbgrader's own preprocessors, as `nbgrader generate_assignment` runs them, give the same cells
    (the kit's manually graded answers need ClearMarkScheme.enforce_metadata = False in nbgrader)."""
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    nb, resources = copy.deepcopy(source_nb), {}
    for step in [
        preprocessors.LockCells(),
        preprocessors.ClearSolutions(),
        preprocessors.ClearOutput(),
        preprocessors.ClearHiddenTests(),
        preprocessors.ClearMarkScheme(enforce_metadata=False),
    ]:
        nb, resources = step.preprocess(nb, resources)
    ours = release.release_notebook(source_nb)
    assert [c.source for c in ours.cells] == [c.source for c in nb.cells]
    for mine, theirs in zip(ours.cells, nb.cells, strict=True):
        theirs.metadata.get("nbgrader", {}).pop("checksum", None)
        if "nbgrader" in theirs.metadata:
            theirs.metadata.nbgrader["cell_type"] = theirs.cell_type
        assert mine.metadata == theirs.metadata, mine.id
