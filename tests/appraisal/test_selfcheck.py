"""Self-checks answer right or wrong without revealing the answer."""

import json

import numpy as np
import pytest

from appraisal.selfcheck import SelfCheck, add_check, normalise


@pytest.fixture()
def checks(tmp_path):
    add_check("99", "99.a", 37, "number", hint="Count rows whose kind is 'sentence'.",
              wrong={55: "That counts every row, headings included."}, folder=tmp_path)
    add_check("99", "99.b", 0.7812, "number", digits=2, hint="Divide, then round to 2 decimals.", folder=tmp_path)
    add_check("99", "99.c", ["S23", "S26"], "set", hint="Two ids.", folder=tmp_path)
    add_check("99", "99.d", "Direct causal", "choice", hint="Look at the verb.", folder=tmp_path)
    return SelfCheck("99", folder=tmp_path)


def test_right_answers(checks):
    assert checks.verdict("99.a", 37) == (True, "Right.")
    assert checks.verdict("99.a", np.int64(37))[0]
    assert checks.verdict("99.b", 0.78)[0] and checks.verdict("99.b", 0.7849)[0]
    assert checks.verdict("99.c", ["s26", "S23", "S23"])[0]
    assert checks.verdict("99.d", "  direct   CAUSAL. ")[0]


def test_known_wrong_answer_gets_its_own_hint(checks):
    right, message = checks.verdict("99.a", 55)
    assert not right and "headings included" in message


def test_other_wrong_answers_get_the_general_hint(checks):
    right, message = checks.verdict("99.a", 36)
    assert not right and "Count rows" in message
    assert not checks.verdict("99.b", 0.79)[0]
    assert not checks.verdict("99.c", ["S23"])[0]


def test_unanswered_check_shows_no_hint(checks):
    # A shipped notebook passes None: the student sees the question only, never a hint before trying.
    for question, hint in [("99.a", "Count rows"), ("99.b", "Divide"), ("99.c", "Two ids"), ("99.d", "the verb")]:
        right, message = checks.verdict(question, None)
        assert not right and hint not in message and "Hint" not in message
        assert "replace None with" in message
    assert "a number" in checks.verdict("99.a", None)[1]
    assert "a list or set" in checks.verdict("99.c", None)[1]


def test_hint_appears_only_after_a_wrong_answer(checks, capsys):
    checks("99.a", None)
    out = capsys.readouterr().out
    assert "Count rows" not in out and "headings included" not in out
    assert out.startswith("· 99.a: Not answered yet")
    assert checks.progress_line().startswith("Self-checks passed: 0 of 4  (99.a ·")  # not tried yet
    checks("99.a", 55)  # a usual wrong answer: its own hint, not the general one
    out = capsys.readouterr().out
    assert "headings included" in out and "Count rows" not in out
    checks("99.a", 36)  # another wrong answer: the general hint
    assert "Count rows" in capsys.readouterr().out
    checks("99.a", None)  # running the placeholder again keeps the earlier attempt
    assert "99.a ✗" in checks.progress_line()


def test_shipped_hints_stay_hidden_until_a_wrong_answer():
    # Every real self-check (01.c, 02.d, 02.f, 03.e, 04.b used to show their hint for None).
    from appraisal.paths import data_dir

    for path in sorted((data_dir() / "selfchecks").glob("*.json")):
        specs = json.loads(path.read_text(encoding="utf-8"))
        check = SelfCheck(path.stem)
        for question, spec in specs.items():
            right, message = check.verdict(question, None)
            assert not right and spec["hint"] not in message, question
            assert not any(hint in message for hint in spec["wrong"].values()), question


def test_a_whole_series_gets_advice_to_pick_one_value(checks):
    import pandas as pd

    counts = pd.Series({"Benefits": 6, "FAQs": 7})
    right, message = checks.verdict("99.d", counts)
    assert not right and "whole pandas Series (2 rows)" in message and "Look at the verb" in message
    right, message = checks.verdict("99.a", counts)
    assert not right and "whole pandas Series" in message
    assert checks.verdict("99.a", pd.Series([37]))[0]  # one value in a Series is fine for a number
    assert "whole pandas DataFrame" in checks.verdict("99.d", counts.to_frame())[1]
    assert "whole pandas" not in checks.verdict("99.d", 3)[1]


def test_wrong_type_says_what_was_expected(checks):
    right, message = checks.verdict("99.a", "37 sentences")
    assert not right and "expected a number, got str" in message
    right, message = checks.verdict("99.c", "S23")
    assert not right and "expected a list" in message


def test_answers_are_not_stored_in_clear(tmp_path, checks):
    stored = (tmp_path / "99.json").read_text()
    assert "37" not in json.dumps(json.loads(stored)["99.a"]["answer"])
    assert "S23" not in stored and "direct causal" not in stored.lower()


def test_progress_line(checks, capsys):
    checks("99.a", 37)
    checks("99.b", 1.0)
    out = capsys.readouterr().out
    assert "✓ 99.a: Right." in out and "✗ 99.b" in out
    assert checks.progress_line() == "Self-checks passed: 1 of 4  (99.a ✓  99.b ✗  99.c ·  99.d ·)"
    checks("99.b", 0.78)
    assert checks.progress_line().startswith("Self-checks passed: 2 of 4")


def test_unknown_question_and_notebook(checks, tmp_path):
    with pytest.raises(KeyError, match="99.a, 99.b"):
        checks.verdict("99.z", 1)
    with pytest.raises(FileNotFoundError, match="No self-checks"):
        SelfCheck("nope", folder=tmp_path)


def test_author_mistakes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="equals the right one"):
        add_check("99", "q", 3, "number", hint="h", wrong={3.0: "same"}, folder=tmp_path)
    with pytest.raises(ValueError, match="needs a hint"):
        add_check("99", "q", 3, "number", hint=" ", folder=tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        normalise(3, "integer")


def test_normalise_numbers():
    assert normalise(-0.0001, "number", 2) == "0.00"
    assert normalise(2.5, "number") == "2"  # round half to even, as Python formats it
    assert normalise(78.0, "number", 1) == "78.0"
    with pytest.raises(TypeError):
        normalise(float("nan"), "number")
    with pytest.raises(TypeError):
        normalise(True, "number")


def test_stored_lesson_outputs_show_no_hint():
    # The shipped lessons' stored outputs (all checks at None) must not give any hint away.
    from appraisal.paths import data_dir

    root = data_dir().parent / "notebooks"
    for path in sorted((data_dir() / "selfchecks").glob("*.json")):
        specs = json.loads(path.read_text(encoding="utf-8"))
        hints = [spec["hint"] for spec in specs.values()]
        hints += [hint for spec in specs.values() for hint in spec["wrong"].values()]
        for notebook in root.glob(f"{path.stem}-*.ipynb"):
            cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
            text = "\n".join("".join(out.get("text", "")) for cell in cells for out in cell.get("outputs", []))
            shown = [hint for hint in hints if hint in text]
            assert not shown, f"{notebook.name} shows a self-check hint before any answer: {shown[0][:60]}"
