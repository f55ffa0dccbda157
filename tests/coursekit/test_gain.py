"""`python -m coursekit gain` (issue 21): its statistics, checked against hand-worked or published values, and the
command on small grading output folders written by hand."""

from __future__ import annotations

import csv
import json
from html import escape
from pathlib import Path

import pytest

from coursekit import gain
from coursekit.cli import main

REPO = Path(__file__).resolve().parents[2]
ITEMS = gain.read_items(REPO / "data" / "inventory_items.csv")


@pytest.mark.parametrize(
    "df, expected",  # two-sided 95% critical values of Student's t, from any printed t table
    [(1, 12.706), (2, 4.303), (10, 2.228), (30, 2.042), (119, 1.980)],
)
def test_t_quantile_matches_the_printed_table(df, expected):
    assert gain.t_quantile(0.975, df) == pytest.approx(expected, abs=0.001)


def test_mean_ci_by_hand():
    # values 1, 2, 3, 4: mean 2.5, sd 1.291, se 0.6455, t(3) = 3.182 -> 2.5 +- 2.054
    mean, low, high = gain.mean_ci([1, 2, 3, 4])
    assert mean == 2.5
    assert (low, high) == pytest.approx((0.446, 4.554), abs=0.002)
    assert gain.mean_ci([5]) is None


def test_hakes_normalised_gain():
    assert gain.hake_gain(40, 70) == pytest.approx(0.5)  # 30 of the 60 points there were to gain
    assert gain.hake_gain(80, 70) == pytest.approx(-0.5)
    assert gain.hake_gain(100, 100) is None


def test_kr20_by_hand():
    # two items that always agree: totals 2,0,2,0 (variance 1), p = 0.5 each (sum pq 0.5): 2 * (1 - 0.5) = 1
    assert gain.kr20([[1, 1], [0, 0], [1, 1], [0, 0]]) == pytest.approx(1.0)
    # two items that never agree beyond chance: totals 2,0,1,1 (variance 0.5), sum pq 0.5: 2 * (1 - 1) = 0
    assert gain.kr20([[1, 1], [0, 0], [1, 0], [0, 1]]) == pytest.approx(0.0)
    assert gain.kr20([[1, 1], [1, 1]]) is None


def test_letters_are_read_from_the_answer_cells_without_running_them(tmp_path):
    cells = [
        {"cell_type": "code", "source": 'answer_q1 = "b"\n', "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": ["answer_q2 = ' C '\n"], "metadata": {}, "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "source": 'answer_q3 = "maybe"\nimport os; os.remove("x")\n', "metadata": {},
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "source": "raise NotImplementedError()", "metadata": {}, "outputs": [],
         "execution_count": None},
        {"cell_type": "code", "source": "answer_q5 = (", "metadata": {}, "outputs": [], "execution_count": None},
    ]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    assert gain.letters_in_notebook(path) == {1: "B", 2: "C", 3: ""}
    assert gain.letters_in_notebook(tmp_path / "missing.ipynb") == {}


def _folder(tmp_path: Path, name: str, assignment: str, answers: dict[str, dict[int, str] | None]) -> Path:
    """A grading output folder as `grade` writes it; a student whose answers are None was not graded."""
    form = gain.FORM_OF[assignment]
    out = tmp_path / name
    out.mkdir()
    wide = [["student", "name", "file", "status"]]
    long = [["student", "assignment", "question", "kind", "points", "max_points", "status", "message"]]
    for student, letters in answers.items():
        if letters is None:
            wide.append([student, "", "", "not a notebook"])
            continue
        path = out / f"{student}.ipynb"
        cells = [{"cell_type": "code", "source": f"answer_q{n} = {x!r}", "metadata": {}, "outputs": [],
                  "execution_count": None} for n, x in letters.items()]
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        wide.append([student, "", str(path), "graded"])
        for n in range(1, 25):
            right = letters.get(n) == ITEMS[form, n].key
            long.append([student, assignment, f"q{n}-tests", "auto", int(right), 1, "passed" if right else "failed",
                         "" if right else f"a hidden test failed: You chose {letters.get(n, '?')}, ..."])
    for file, rows in (("grades.csv", wide), ("grades-long.csv", long)):
        with open(out / file, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    return out


def _answers(form: str, right: int, wrong_letter_index: int = 0) -> dict[int, str]:
    """The first `right` items answered with the key, the rest with a distractor."""
    out = {}
    for n in range(1, 25):
        key = ITEMS[form, n].key
        out[n] = key if n <= right else [x for x in "ABCD" if x != key][wrong_letter_index]
    return out


def test_the_command_matches_students_lists_single_tests_and_writes_every_file(tmp_path, capsys):
    pre = _folder(tmp_path, "pre", "00-inventory-pre",
                  {"ann": _answers("A", 6), "bob": _answers("A", 12), "cy": _answers("A", 18), "dee": None})
    post = _folder(tmp_path, "post", "05-inventory-post",
                   {"ann": _answers("B", 15), "bob": _answers("B", 12), "cy": _answers("B", 24), "eve": _answers("B", 9)})
    out = tmp_path / "gain"
    assert main(["gain", str(pre), str(post), "--out", str(out), "--root", str(REPO)]) == 0
    assert "3 students with both tests, 1 with one, 1 with a test that was not graded" in capsys.readouterr().out
    rows = {r["student"]: r for r in csv.DictReader(open(out / "gain.csv"))}
    assert rows["ann"]["status"] == "matched" and rows["ann"]["pre_percent"] == "25.0"
    assert rows["ann"]["post_percent"] == "62.5" and rows["ann"]["difference"] == "37.5"
    assert rows["ann"]["normalised_gain"] == "0.500"  # (62.5 - 25) / (100 - 25)
    assert rows["bob"]["normalised_gain"] == "0.000"
    assert rows["cy"]["normalised_gain"] == "1.000"
    assert rows["ann"]["pre_pass"] == "false" and rows["ann"]["post_pass"] == "true"  # 6 and 15 against 13
    assert rows["eve"]["status"] == "post-test only"
    assert rows["dee"]["status"].startswith("pre-test not graded")
    html = (out / "gain.html").read_text()
    assert "There is no control group" in html
    # 3 usable students a form (ann, bob, cy before; ann, bob, eve after: cy's 24 of 24 carries no information)
    assert html.count("not attempted: 3 students with at least one right and one wrong answer (the minimum is 30)") == 2
    assert "classical approximation" in html
    items = list(csv.DictReader(open(out / "items.csv")))
    assert len(items) == 48 and {r["rasch_difficulty"] for r in items} == {""}
    assert html.count("alt='") >= 3
    # differences 37.5, 0, 25: mean 20.83, sd 19.09, se 11.02, t(2) 4.303 -> -26.6 to +68.3
    assert "+20.8 points (95% CI -26.6 to +68.3)" in html
    page = (out / "feedback" / "ann.html").read_text()
    assert page.count("<h2>Q") == 9  # the 9 items ann missed on the post-test
    first_missed = ITEMS["B", 16]
    assert escape(first_missed.explanation) in page and escape(first_missed.section) in page
    assert not (out / "feedback" / "dee.html").exists()


def test_the_distractors_chosen_are_counted_per_misconception(tmp_path):
    pre = _folder(tmp_path, "pre", "00-inventory-pre", {"ann": _answers("A", 0, 0), "bob": _answers("A", 0, 0)})
    post = _folder(tmp_path, "post", "05-inventory-post", {"ann": _answers("B", 0, 1), "bob": _answers("B", 24)})
    out = tmp_path / "gain"
    assert main(["gain", str(pre), str(post), "--out", str(out), "--root", str(REPO)]) == 0
    rows = list(csv.DictReader(open(out / "misconceptions.csv")))
    item = ITEMS["A", 1]
    twins = [i for (f, _), i in ITEMS.items() if f == "A" and i.concept == item.concept]
    first = item.misconceptions[[x for x in "ABCD" if x != item.key][0]]
    # both students chose the first distractor (by letter) of each of the concept's two items of form A
    expected = 2 * sum(i.misconceptions[[x for x in "ABCD" if x != i.key][0]] == first for i in twins)
    row = next(r for r in rows if r["concept"] == item.concept and r["misconception"] == first)
    assert row["chosen_pre"] == str(expected) and row["wrong_answers_pre"] == "4"
    post_first = sum(ITEMS["B", i.number].misconceptions[[x for x in "ABCD" if x != ITEMS["B", i.number].key][1]]
                     == first for i in twins)  # on the post-test ann chose the second distractor, bob was right
    assert row["chosen_post"] == str(post_first) and row["wrong_answers_post"] == "2"


def test_a_folder_that_is_not_an_inventory_grading_output_is_a_one_line_error(tmp_path, capsys):
    pre = _folder(tmp_path, "pre", "00-inventory-pre", {"ann": _answers("A", 6)})
    assert main(["gain", str(pre), str(tmp_path / "nowhere"), "--out", str(tmp_path / "g"), "--root", str(REPO)]) == 2
    assert "is not a grading output folder" in capsys.readouterr().err
    assert main(["gain", str(pre), str(pre), "--pass-score", "30", "--out", str(tmp_path / "g"),
                 "--root", str(REPO)]) == 2


def test_ml_ability_by_hand():
    # four items of difficulty 0 and one right: 4 / (1 + exp(-theta)) = 1, so theta = log(1/3)
    assert gain.ml_ability([0, 0, 0, 0], 1) == pytest.approx(-1.0986, abs=1e-4)
    assert gain.ml_ability([-1, 1], 1) == pytest.approx(0.0, abs=1e-9)  # symmetric: halfway
    assert gain.ml_ability([0.5, 0.5, 0.5], 2) == pytest.approx(0.5 + 0.6931, abs=1e-4)  # log 2 above them
    with pytest.raises(ValueError):
        gain.ml_ability([0, 0], 2)


def test_infit_and_outfit_by_hand():
    # one student, four items of difficulty 0, only the first right: ability log(1/3), P = 0.25, W = 0.1875;
    # item 1: (1 - 0.25)^2 / 0.1875 = 3; items 2-4: 0.25^2 / 0.1875 = 1/3 (one student: infit = outfit)
    infit, outfit, abilities = gain.item_fit([[1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]], [0, 0, 0, 0])
    assert abilities == [pytest.approx(-1.0986, abs=1e-4)]  # the all-right and all-wrong students are left out
    assert outfit == pytest.approx([3, 1 / 3, 1 / 3, 1 / 3]) and infit == pytest.approx(outfit)


def test_the_rasch_fit_is_not_attempted_below_the_minimum_and_statsmodels_is_not_imported():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from coursekit import gain\n"
        "fit = gain.fit_rasch([[1, 0, 1], [0, 1, 1], [1, 1, 1]] * 9, [1, 2, 3])\n"
        "print(fit.n_used, fit.status, 'statsmodels' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    # 27 students, 9 of them with every item right: 18 used, fewer than 30
    assert out.strip() == ("18 not attempted: 18 students with at least one right and one wrong answer "
                           "(the minimum is 30) False")
