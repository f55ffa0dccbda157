"""Every lesson and solution notebook follows the kit's conventions (CONTRIBUTING.md)."""

import json
import re
from pathlib import Path

import pytest

from appraisal.sources import cited_ids

ROOT = Path(__file__).parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def test_there_are_lessons():
    assert LESSONS, "no lesson notebooks found"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_opens_with_objectives_time_and_navigation(path):
    first = _cells(path)[0]
    assert first["cell_type"] == "markdown"
    text = _source(first)
    number = path.name[:2]
    assert re.match(rf"# {number} · \S", text), "the first line should be '# NN · Title'"
    assert re.search(r"\*\*Time:\*\* about \d+", text), "state the time: '**Time:** about N minutes'"
    assert "## Learning objectives" in text
    objectives = re.findall(rf"^- \*\*{number}\.\d\*\*", text, flags=re.M)
    assert len(objectives) >= 2, "list the objectives as '- **NN.k** ...'"
    assert "glossary.ipynb" in text


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_links_to_its_neighbours(path):
    text = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    index = LESSONS.index(path)
    if index + 1 < len(LESSONS):
        assert LESSONS[index + 1].name in text, f"link to the next notebook, {LESSONS[index + 1].name}"
    if index > 0:
        assert LESSONS[index - 1].name in text, f"link to the previous notebook, {LESSONS[index - 1].name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_ends_with_key_points_and_its_sources(path):
    cells = _cells(path)
    key_points = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "## Key points" in _source(c)]
    assert key_points, "a '## Key points' cell near the end"
    assert key_points[-1] >= len(cells) - 4
    last = cells[-1]
    assert last["cell_type"] == "code" and re.search(r"\breference(s|_list)\(", _source(last)), (
        "end with a reference_list([...]) cell"
    )
    listed = set(re.findall(r"S\d+", _source(last)))
    cited = set()
    for cell in cells[:-1]:
        cited |= set(cited_ids(_source(cell)))
    assert listed == cited, f"sources cell lists {sorted(listed - cited)} not cited; misses {sorted(cited - listed)}"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: p.name)
def test_every_figure_has_alt_text(path):
    cells = _cells(path)
    for index, cell in enumerate(cells):
        has_image = cell["cell_type"] == "code" and any(
            "image/png" in output.get("data", {}) for output in cell.get("outputs", [])
        )
        if has_image:
            following = cells[index + 1] if index + 1 < len(cells) else None
            assert following and following["cell_type"] == "markdown" and _source(following).startswith(
                "*Alt text:*"
            ), f"cell {index} draws a figure; the next cell should start with '*Alt text:*'"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: p.name)
def test_stored_outputs_have_no_errors_or_warnings(path):
    for index, cell in enumerate(_cells(path)):
        for output in cell.get("outputs", []):
            if "raises-exception" in cell.get("metadata", {}).get("tags", []):
                continue
            assert output["output_type"] != "error", f"cell {index} stored an error"
            if output["output_type"] == "stream":
                assert output["name"] != "stderr", f"cell {index} wrote to stderr: {''.join(output['text'])[:200]}"


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=lambda p: p.name)
def test_notebooks_are_executed_in_order(path):
    counts = [c.get("execution_count") for c in _cells(path) if c["cell_type"] == "code"]
    assert None not in counts, "some code cells were not executed: run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), "cells were run out of order: Restart and Run All"


def _outputs_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        for value in output.get("data", {}).values():
            parts.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_says_what_you_need(path):
    assert "**You need:**" in _source(_cells(path)[0]), "add a '**You need:** ...' line beside the time"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lessons_name_other_lessons_as_notebooks_not_modules(path):
    text = "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")
    assert not re.search(r"\b[Mm]odules? \d", text), "call the lessons 'notebook 01' etc., as the others do"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_shipped_lessons_never_show_a_self_check_as_passed(path):
    lines = [line for cell in _cells(path) for line in _outputs_text(cell).splitlines()
             if line.startswith("Self-checks passed:")]
    passed = [line for line in lines if not line.startswith("Self-checks passed: 0 of")]
    assert not passed, f"a stored output shows a self-check already answered: {passed[:2]}"
    ticks = [line for cell in _cells(path) for line in _outputs_text(cell).splitlines() if line.startswith("✓")]
    assert not ticks, f"a stored output shows a right answer: {ticks[:2]}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_self_checks_appear_in_order(path):
    asked = [m for c in _cells(path) if c["cell_type"] == "code"
             for m in re.findall(r"""check\(\s*["'](\d\d\.[a-z])["']""", _source(c))]
    assert asked == sorted(asked), f"self-checks asked out of order: {asked}"
    assert len(asked) == len(set(asked)), f"a self-check is asked twice: {asked}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_reference_list_or_output_shows_nan_or_none_for_a_link_or_name(path):
    bad = []
    for index, cell in enumerate(_cells(path)):
        text = _outputs_text(cell)
        if re.search(r"<nan>|<None>|<NaN>|\bet al\.\.|^- \*\*\[S\d+\]\*\* (nan|None)\b", text, flags=re.M):
            bad.append(index)
    assert not bad, f"cells {bad} show nan/None where a link or name should be, or 'et al..'"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_no_stored_table_cuts_a_text_cell(path):
    cut = []
    for index, cell in enumerate(_cells(path)):
        for output in cell.get("outputs", []):
            html = "".join(output.get("data", {}).get("text/html", ""))
            cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
            if any(c.rstrip().endswith("...") for c in cells):
                cut.append(index)
    assert not cut, (f"cells {sorted(set(cut))} show a table whose text is cut at pandas' column width: "
                     "end the cell with appraisal.display.show_text_table(...)")
