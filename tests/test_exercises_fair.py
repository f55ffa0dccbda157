"""Rules that keep the graded exercises fair (issue 10):

- every assert in a test cell has a message, so a failure tells the student what is wrong;
- no message, public or hidden, prints the value a hidden test expects;
- every question says where it is taught ("Taught in: notebook NN, section '...' (`name`)"), and the lesson, the
  section and the names exist: each name is used in a code cell of that section.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from coursekit.cells import HIDDEN_TESTS, CellKind, cell_kind, find_regions, grade_id

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "solutions").glob("*/*.ipynb"))
LESSONS = REPO / "notebooks"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
REFERENCE = re.compile(r"notebook (\d\d), section '(.+?)'(?=\s\(|[.;,]\s|[.;,]?$)((?:\s\((?:`[^`]+`(?:,\s)?)+\))?)")


def _id(path: Path) -> str:
    return path.parent.name


def _test_cells(nb):
    return [c for c in nb.cells if cell_kind(c) is CellKind.AUTOGRADER_TESTS]


def _hidden_line_numbers(source: str) -> set[int]:
    """1-based line numbers strictly inside the hidden regions of a test cell."""
    lines: set[int] = set()
    for region in find_regions(source):
        if region.marker == HIDDEN_TESTS:
            lines.update(range(region.begin + 2, region.end + 1))
    return lines


def _asserts(source: str) -> list[ast.Assert]:
    return [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert)]


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_hidden_assert_has_a_message(path):
    nb = nbformat.read(path, as_version=4)
    silent = []
    hidden_count = 0
    for cell in _test_cells(nb):
        hidden = _hidden_line_numbers(cell.source)
        for node in _asserts(cell.source):
            if node.lineno in hidden:
                hidden_count += 1
                if node.msg is None:
                    silent.append(f"{grade_id(cell)} line {node.lineno}")
    assert hidden_count, "no hidden asserts found: is the hidden region parsed?"
    assert not silent, f"hidden asserts without a message: {silent}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_public_assert_has_a_message(path):
    nb = nbformat.read(path, as_version=4)
    silent = [
        f"{grade_id(cell)} line {node.lineno}"
        for cell in _test_cells(nb)
        for node in _asserts(cell.source)
        if node.lineno not in _hidden_line_numbers(cell.source) and node.msg is None
    ]
    assert not silent, f"public asserts without a message: {silent}"


def _expected_values(node: ast.Assert) -> set[str]:
    """The literal values an assert compares an answer with: `x == 16.7`, `x == ["C01", "C02"]`,
    `abs(x - 3.2) < tol`, `round(x, 3) == 0.111`. Small whole numbers (< 10) are left out: they also occur as
    sentence ids, points or counts in ordinary words."""
    found: set[str] = set()

    def add(value: ast.AST) -> None:
        if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            if isinstance(value.value, float) and not value.value.is_integer() or abs(value.value) >= 10:
                found.add(repr(value.value))
        elif isinstance(value, ast.Constant) and isinstance(value.value, str) and re.fullmatch(r"[A-Z]\d+", value.value):
            found.add(value.value)
        elif isinstance(value, (ast.List, ast.Set, ast.Tuple)):
            for element in value.elts:
                add(element)
        elif isinstance(value, ast.Dict):
            for element in value.values:
                add(element)

    for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
        if all(isinstance(op, ast.Eq) for op in compare.ops):
            for side in [compare.left, *compare.comparators]:
                add(side)
        left = compare.left
        if isinstance(left, ast.Call) and getattr(left.func, "id", "") == "abs" and left.args:
            inner = left.args[0]
            if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub):
                add(inner.right)
    return found


def _message_text(node: ast.Assert) -> str:
    """Every string literal in the assert's message expression (the words a student can be shown)."""
    if node.msg is None:
        return ""
    parts = []
    for n in ast.walk(node.msg):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            parts.append(n.value)
    return " ".join(parts)


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_no_message_prints_an_expected_value(path):
    nb = nbformat.read(path, as_version=4)
    leaks = []
    for cell in _test_cells(nb):
        hidden = _hidden_line_numbers(cell.source)
        nodes = _asserts(cell.source)
        expected = set().union(*(_expected_values(n) for n in nodes if n.lineno in hidden))
        for node in nodes:
            text = _message_text(node)
            for value in expected:
                if re.search(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)", text):
                    leaks.append(f"{grade_id(cell)} line {node.lineno}: {value}")
    assert not leaks, f"messages that print what a hidden test expects: {leaks}"


def _question_texts(nb) -> dict[str, str]:
    """{question: the text of its prompt cells} (q6-prompt and q6-prompt-2 together)."""
    texts: dict[str, str] = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        match = re.fullmatch(r"(q\d+)-prompt(?:-\d+)?", gid or "")
        if match and cell.cell_type == "markdown":
            texts[match.group(1)] = texts.get(match.group(1), "") + "\n" + cell.source
    return texts


def _references(text: str) -> list[tuple[str, str, list[str]]]:
    """(notebook number, section heading, names) for each reference on the question's 'Taught in:' lines."""
    refs = []
    for line in text.splitlines():
        if line.startswith("Taught in:"):
            for number, section, names in REFERENCE.findall(line):
                refs.append((number, section, re.findall(r"`([^`]+)`", names)))
    return refs


def _sections(lesson: nbformat.NotebookNode) -> dict[str, str]:
    """{heading text: the code of the code cells under it, up to the next heading of the same or a higher level}."""
    open_sections: list[tuple[int, str]] = []
    code: dict[str, list[str]] = {}
    for cell in lesson.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                match = HEADING.match(line)
                if match:
                    level = len(match.group(1))
                    open_sections = [(lv, h) for lv, h in open_sections if lv < level]
                    open_sections.append((level, match.group(2)))
                    code.setdefault(match.group(2), [])
        elif cell.cell_type == "code":
            for _, heading in open_sections:
                code[heading].append(cell.source)
    return {heading: "\n".join(sources) for heading, sources in code.items()}


def _all_questions():
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        for question, text in _question_texts(nb).items():
            yield pytest.param(path, question, text, id=f"{_id(path)}:{question}")


def test_the_reference_pattern_reads_headings_with_quotes_and_brackets():
    line = ("Taught in: notebook 03, section '5. Bradford Hill's viewpoints, as questions (03.4)' (`map`); notebook 02, "
            "section 'Rating down and up: grade_certainty(start, down=..., up=...) and .final' (`grade_certainty`, "
            "`final`).")
    assert _references(line) == [
        ("03", "5. Bradford Hill's viewpoints, as questions (03.4)", ["map"]),
        ("02", "Rating down and up: grade_certainty(start, down=..., up=...) and .final", ["grade_certainty", "final"]),
    ]


@pytest.mark.parametrize("path, question, text", list(_all_questions()))
def test_every_question_names_where_it_is_taught(path, question, text):
    refs = _references(text)
    assert refs, f"{question} has no line 'Taught in: notebook NN, section '...' (`name`)'"
    nb = nbformat.read(path, as_version=4)
    answer_cells = [c for c in nb.cells if grade_id(c).startswith(f"{question}-answer")]
    if any(cell_kind(c) is CellKind.AUTOGRADED_ANSWER for c in answer_cells):
        assert any(names for _, _, names in refs), f"{question}: name at least one function or method taught there"
    for number, section, names in refs:
        lessons = sorted(LESSONS.glob(f"{number}-*.ipynb"))
        assert len(lessons) == 1, f"{question}: no lesson notebook {number}"
        sections = _sections(nbformat.read(lessons[0], as_version=4))
        assert section in sections, f"{question}: {lessons[0].name} has no section '{section}'"
        for name in names:
            last = name.split(".")[-1]
            assert re.search(rf"\b{re.escape(last)}\b", sections[section]), (
                f"{question}: `{name}` is not used in a code cell of {lessons[0].name}, section '{section}'"
            )


def test_the_leak_check_finds_an_expected_value_in_a_message():
    source = 'assert x == 16.7, "x should be 16.7"\nassert abs(y - 3.20) < 0.01, "y should be about 3.2"\n'
    nodes = _asserts(source)
    assert _expected_values(nodes[0]) == {"16.7"} and _expected_values(nodes[1]) == {"3.2"}
    assert "16.7" in _message_text(nodes[0]) and "3.2" in _message_text(nodes[1])


def test_the_bradford_hill_sum_in_assignment_03_is_the_tables_sum():
    """03 Q8 quotes a classmate's sum of the support column; it must be the sum of the table as it is."""
    import csv

    score = {"none": 0, "weak": 1, "some": 2, "strong": 3}
    with open(REPO / "data" / "bradford_hill.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = sum(score[row["support"].strip()] for row in rows)
    nb = nbformat.read(REPO / "solutions" / "03-mechanism" / "mechanism.ipynb", as_version=4)
    prompt = _question_texts(nb)["q8"]
    assert f"to {total} out of {3 * len(rows)}" in prompt
    assert f"ECT is {round(100 * total / (3 * len(rows)))}% likely" in prompt


def test_the_capstone_model_answer_keeps_its_own_word_limit():
    nb = nbformat.read(REPO / "solutions" / "04-capstone" / "capstone.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if grade_id(c) == "q6-written"]
    answer = cell.source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
    assert "At most 300 words" in _question_texts(nb)["q6"]
    assert len(answer.split()) <= 300


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_source_a_solution_cites_is_in_its_sources_cell(path):
    nb = nbformat.read(path, as_version=4)
    last = [c for c in nb.cells if grade_id(c) in ("sources", "end")]
    assert last, "the assignment has no sources cell (grade id 'sources' or 'end')"
    body = "\n".join(c.source for c in nb.cells if c not in last)
    cited = set(re.findall(r"S\d+", " ".join(re.findall(r"\[(S\d+(?:,\s*S\d+)*)\]", body))))
    listed = set(re.findall(r"S\d+", "\n".join(c.source for c in last)))
    assert cited <= listed, f"cited but not in the sources cell: {sorted(cited - listed)}"
