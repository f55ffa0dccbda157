"""Write the two concept-inventory assignments from `data/inventory_items.csv` (the one place of truth).

    .venv/bin/python tools/make_inventory.py          # writes solutions/00-inventory-pre/form_a.ipynb (form A)
                                                      #    and solutions/05-inventory-post/form_b.ipynb (form B)

Then execute them (`python -m coursekit execute ...`) and regenerate exercises/ (`make exercises`). Each item
becomes one question worth 1 point: a prompt cell (scenario, question, options A-D, the IHC Key Concept it tests
and where it is taught), an answer cell holding `answer_qN = "<letter>"`, and a test cell whose public check is
that the answer is one of "A"-"D" and whose hidden check compares it with the key; a wrong letter's message names
the misconception behind that option. The explanations are not in the notebooks: `python -m coursekit gain` shows
them to each student after the post-test.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import nbformat

from appraisal.sources import reference_list

ROOT = Path(__file__).resolve().parents[1]
ITEMS = ROOT / "data" / "inventory_items.csv"
FORMS = {
    "A": ("00-inventory-pre", "form_a.ipynb", "00", "before the lessons"),
    "B": ("05-inventory-post", "form_b.ipynb", "05", "after the lessons"),
}
SOURCES = ["S108", "S300"]
KERNEL = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = True, points: int = 0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def read_items(path: Path = ITEMS) -> list[dict[str, str]]:
    """The rows of the item table, in form and item order."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return sorted(rows, key=lambda r: (r["form"], int(r["item"])))


def _intro(form: str, number: str, when: str, n: int) -> str:
    return (
        f"# Assignment {number} · Concept inventory, form {form} ({when})\n\n"
        "**Time:** about 25 minutes. No code beyond typing a letter.\n\n"
        f"{n} short questions. Each describes a situation with a claim about a treatment, and asks you to choose the "
        "*best* of four answers. Each question tests one of the Informed Health Choices (IHC) Key Concepts, the "
        "principles people need to judge claims about treatments [S108]; the questions follow the style of the IHC "
        "Claim Evaluation Tools [S300], but they are written for this course.\n\n"
        "Answer from what you think now; there is no need to look anything up. Your instructor reads the answers of "
        "the whole class to see which ideas the lessons should work on, and gives the same kind of questions again "
        "(with other situations) at the other end of the course. "
        "In each answer cell, replace `raise NotImplementedError()` with one line such as "
        '`answer_q1 = "B"` (a capital letter in quotes), then run the test cell under it. '
        "A test cell that finishes silently has accepted the *form* of your answer; whether it is right is checked at "
        "grading time. After the post-test you get, for each question you missed, a one-line explanation and the "
        "lesson section that teaches its idea.\n\n"
        "Each question ends with a \"Taught in\" line: the lesson section that teaches its idea."
    )


def _prompt(row: dict[str, str]) -> str:
    n = row["item"]
    options = "\n".join(f"- **{x}.** {row[f'option_{x.lower()}']}" for x in "ABCD")
    taught = f"Taught in: notebook {row['notebook']}, section '{row['section']}'"
    taught += f" (`{row['name']}`)." if row["name"] else "."
    return (
        f"## Q{n} · {row['title']} (Objective {row['objective']}, IHC Key Concept {row['concept']}, 1 point)\n\n"
        f"{row['scenario']}\n\n**{row['question']}**\n\n{options}\n\n"
        f'Set `answer_q{n}` to one of `"A"`, `"B"`, `"C"` or `"D"`.\n\n{taught}'
    )


def _tests(row: dict[str, str]) -> str:
    n, key = row["item"], row["key"]
    var = f"answer_q{n}"
    lines = [
        f'assert isinstance({var}, str) and {var}.strip().upper() in ("A", "B", "C", "D"), \\',
        f'    \'{var} should be one capital letter in quotes: "A", "B", "C" or "D"\'',
        "### BEGIN HIDDEN TESTS",
        f"assert {var}.strip().upper() == {key!r}, {{",
    ]
    for x in "ABCD":
        if x != key:
            text = f"You chose {x}, an answer that follows the misconception that {row[f'misconception_{x.lower()}']}."
            lines.append(f"    {x!r}: {text!r},")
    lines += [f"}}[{var}.strip().upper()]", "### END HIDDEN TESTS"]
    return "\n".join(lines)


def build(form: str, rows: list[dict[str, str]]) -> nbformat.NotebookNode:
    """The source notebook of one form."""
    _, _, number, when = FORMS[form]
    mine = [r for r in rows if r["form"] == form]
    cells = [nbformat.v4.new_markdown_cell(_intro(form, number, when, len(mine)), metadata=_meta("intro"))]
    for row in mine:
        n = row["item"]
        cells.append(nbformat.v4.new_markdown_cell(_prompt(row), metadata=_meta(f"q{n}-prompt")))
        cells.append(
            nbformat.v4.new_code_cell(
                f"### BEGIN SOLUTION\nanswer_q{n} = {row['key']!r}\n### END SOLUTION",
                metadata=_meta(f"q{n}-answer", solution=True, locked=False),
            )
        )
        cells.append(
            nbformat.v4.new_code_cell(_tests(row), metadata=_meta(f"q{n}-tests", grade=True, points=1))
        )
    # the references as markdown, written here from the registry: no code to run, so a kernel grading the
    # inventory imports nothing (it is graded three times per form in the test suite, by the kit and by nbgrader)
    cells.append(
        nbformat.v4.new_markdown_cell(
            "## Sources cited in this assignment\n\n" + reference_list(SOURCES), metadata=_meta("sources")
        )
    )
    nb = nbformat.v4.new_notebook(cells=cells, metadata=KERNEL)
    for i, cell in enumerate(nb.cells):  # stable ids, so a rebuild changes nothing it need not
        cell.id = f"{form.lower()}{i:03d}"
    return nb


def main(argv: list[str] | None = None) -> int:
    rows = read_items()
    for form, (assignment, name, _, _) in FORMS.items():
        path = ROOT / "solutions" / assignment / name
        path.parent.mkdir(parents=True, exist_ok=True)
        new = build(form, rows)
        if path.exists():  # keep stored outputs of unchanged cells (the sources table)
            old = nbformat.read(path, as_version=4)
            outputs = {c.id: c for c in old.cells if c.cell_type == "code"}
            for cell in new.cells:
                if cell.cell_type == "code" and cell.id in outputs and outputs[cell.id].source == cell.source:
                    cell.outputs = outputs[cell.id].outputs
                    cell.execution_count = outputs[cell.id].execution_count
        nbformat.write(new, path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
