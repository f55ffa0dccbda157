"""coursekit.execute: finding notebooks, then (slow) running them in a real kernel."""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.cells import CellKind, cell_kind, grade_id
from coursekit.errors import CoursekitError, NotebookExecutionError
from coursekit.execute import execute_file, execute_notebook, find_notebooks
from coursekit.notebook_io import notebook_text, read_notebook


def test_find_notebooks_walks_folders_and_skips_checkpoints(tmp_path):
    for rel in ["b.ipynb", "a/z.ipynb", "a/.ipynb_checkpoints/z-checkpoint.ipynb", "a/data.csv"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    assert find_notebooks([tmp_path]) == [tmp_path / "a/z.ipynb", tmp_path / "b.ipynb"]
    assert find_notebooks([tmp_path / "b.ipynb", tmp_path]) == [tmp_path / "b.ipynb", tmp_path / "a/z.ipynb"]
    with pytest.raises(CoursekitError, match="a/data.csv: not a notebook or a folder"):
        find_notebooks([tmp_path / "a/data.csv"])


@pytest.mark.slow
def test_released_exercise_runs_to_the_end_and_every_test_cell_fails(fixture_root):
    path = fixture_root / "exercises/ps1/ps1.ipynb"
    nb = execute_notebook(read_notebook(path), path.parent, allow_errors=True, timeout=60)
    errors = {
        grade_id(cell): [out.ename for out in cell.outputs if out.output_type == "error"]
        for cell in nb.cells
        if cell.cell_type == "code"
    }
    assert errors == {
        "setup": [],
        "q1-answer": [],  # defines the stub function
        "q1-tests": ["NotImplementedError"],
        "q2-answer": ["NotImplementedError"],
        "q2-tests": ["NameError"],  # total_participants was never set
    }
    tests = [cell for cell in nb.cells if cell_kind(cell) is CellKind.AUTOGRADER_TESTS]
    assert len(tests) == 2 and all(any(o.output_type == "error" for o in c.outputs) for c in tests)


@pytest.mark.slow
def test_source_runs_without_errors_in_its_folder(fixture_root):
    path = fixture_root / "solutions/ps1/ps1.ipynb"
    nb = execute_notebook(read_notebook(path), path.parent, timeout=60)
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert [out.output_type for out in outputs] == ["execute_result"]
    assert (
        outputs[0].data["text/plain"] == "3"
    )  # three rows in headlines.csv, read from the notebook's folder


@pytest.mark.slow
def test_execute_file_stores_outputs_reproducibly(tmp_path):
    path = tmp_path / "nb.ipynb"
    cells = [
        new_code_cell("import os\nprint(os.environ['PYTHONHASHSEED'], os.path.basename(os.getcwd()))"),
        new_code_cell("1 / 0", metadata={"tags": ["raises-exception"]}),
        new_code_cell("hash('abc')"),
    ]
    path.write_text(notebook_text(new_notebook(cells=cells)), encoding="utf-8")
    assert execute_file(path, timeout=60) is True
    nb = read_notebook(path)
    assert nb.cells[0].outputs[0].text == f"0 {tmp_path.name}\n"
    assert nb.cells[1].outputs[0].ename == "ZeroDivisionError"
    assert [cell.execution_count for cell in nb.cells] == [1, 2, 3]
    assert "execution" not in nb.cells[0].metadata
    first = path.read_bytes()
    assert execute_file(path, timeout=60) is False, "a second run stores the same bytes"
    assert path.read_bytes() == first


@pytest.mark.slow
def test_execute_file_stops_at_an_error_and_leaves_the_file_alone(tmp_path):
    path = tmp_path / "bad.ipynb"
    cells = [
        new_code_cell("x = 1"),
        new_code_cell("assert x == 2, 'x should be 2'", metadata={"nbgrader": {"grade_id": "q1-tests"}}),
        new_code_cell("print('never')"),
    ]
    path.write_text(notebook_text(new_notebook(cells=cells)), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(NotebookExecutionError, match=r"bad.ipynb: q1-tests: AssertionError: x should be 2$"):
        execute_file(path, timeout=60)
    assert path.read_bytes() == before


@pytest.mark.slow
def test_a_cell_that_hangs_times_out(tmp_path):
    nb = new_notebook(cells=[new_code_cell("import time\ntime.sleep(30)", id="slow-cell")])
    with pytest.raises(NotebookExecutionError, match=r"^nb: cell 1 \(id slow-cell\): timed out after 2 s$"):
        execute_notebook(nb, tmp_path, name="nb", timeout=2)


def test_coalesce_streams_merges_consecutive_text_of_one_stream():
    import nbformat

    from coursekit.execute import coalesce_streams

    out = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    cell.outputs = [out("stream", name="stdout", text="a\n"), out("stream", name="stdout", text="b\n"),
                    out("stream", name="stderr", text="w\n"), out("stream", name="stdout", text="c\n"),
                    out("execute_result", data={"text/plain": "3"}, execution_count=1)]
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_markdown_cell("text")])
    merged = coalesce_streams(nb).cells[0].outputs
    assert [(o.output_type, o.get("name"), "".join(o.get("text", ""))) for o in merged] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "w\n"), ("stream", "stdout", "c\n"),
        ("execute_result", None, ""),
    ]
