"""`coursekit gain` on SIMULATED classes (coursekit/inventory_sim.py, seeded): the report recovers what the model
put in: the gain (its interval covers the truth in about 95% of repeats), the reliability (KR-20), the concepts
that gained most, the planted bad items, the students who missed a test, and a form that is easier than the
other (counterbalancing)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest

from coursekit import gain
from coursekit import inventory_sim as sim
from coursekit.cli import main

REPO = Path(__file__).resolve().parents[2]
ITEMS = gain.read_items(REPO / "data" / "inventory_items.csv")
CONCEPTS = sorted({i.concept for i in ITEMS.values()})


@pytest.mark.slow
def test_the_interval_for_the_mean_gain_covers_the_truth_in_about_95_percent_of_classes():
    coverage, intervals = sim.coverage(ITEMS, sim.ClassModel(n_students=120), repeats=100, seed=100)
    assert len(intervals) == 100
    # 95 expected; with 100 repeats the binomial spread is about +-2.2, so 89 to 99 is "about 95%"
    assert 0.89 <= coverage <= 0.99, coverage


def test_with_no_true_gain_the_interval_usually_holds_zero():
    coverage, intervals = sim.coverage(ITEMS, sim.ClassModel(n_students=120, gain=0.0), repeats=30, seed=7)
    assert coverage >= 0.85
    assert sum(lo <= 0 <= hi for _, lo, hi in intervals) >= 25


def test_kr20_is_close_to_the_reliability_of_the_simulated_test():
    model = sim.ClassModel(n_students=800, guessers=0.0, missing_pre=0.0, missing_post=0.0)
    responses, truth = sim.simulate(ITEMS, model, seed=11)
    report = gain.analyse(responses, ITEMS, rasch=False)
    n, kr20 = report.reliability["A", "pre"]
    assert n == 800
    assert abs(kr20 - truth.reliability["A"]) < 0.05, (kr20, truth.reliability["A"])


def test_the_concepts_that_gained_most_in_the_model_gain_most_in_the_report():
    true_gain = {c: g for c, g in zip(CONCEPTS, np.linspace(0.0, 1.6, len(CONCEPTS)), strict=True)}
    model = sim.ClassModel(n_students=400, gain=true_gain)
    responses, truth = sim.simulate(ITEMS, model, seed=3)
    report = gain.analyse(responses, ITEMS, rasch=False)
    seen = {c["concept"]: c["post_share"] - c["pre_share"] for c in report.concepts}
    expected = {c: truth.concept_shares[c][1] - truth.concept_shares[c][0] for c in CONCEPTS}
    r = np.corrcoef([seen[c] for c in CONCEPTS], [expected[c] for c in CONCEPTS])[0, 1]
    assert r > 0.8, r
    assert abs(seen[CONCEPTS[0]]) < 0.1  # the concept with no true gain hardly moves
    assert seen[CONCEPTS[-1]] > 0.2


def test_planted_bad_items_are_flagged_and_few_good_ones_are():
    bad = (("A", 5), ("A", 20), ("B", 9))
    model = sim.ClassModel(n_students=200, bad_items=bad)
    responses, _ = sim.simulate(ITEMS, model, seed=5)
    report = gain.analyse(responses, ITEMS, rasch=False)
    flagged = {(s.form, s.number) for s in report.items if any("negative discrimination" in f for f in s.flags)}
    assert set(bad) <= flagged
    assert len(flagged - set(bad)) <= 1


def test_a_distractor_nobody_picks_is_flagged():
    model = sim.ClassModel(n_students=150, guessers=0.0, distractor_weights=(0.7, 0.3, 0.0))
    responses, _ = sim.simulate(ITEMS, model, seed=9)
    report = gain.analyse(responses, ITEMS, rasch=False)
    unused = [s for s in report.items if any("chosen by nobody" in f for f in s.flags)]
    assert len(unused) == len(report.items)  # every item's third distractor had weight 0


def test_students_missing_a_test_are_listed_not_dropped():
    model = sim.ClassModel(n_students=120, missing_pre=0.1, missing_post=0.15)
    responses, _ = sim.simulate(ITEMS, model, seed=21)
    report = gain.analyse(responses, ITEMS, rasch=False)
    pre = {s.student for s in responses.sittings if s.occasion == "pre"}
    post = {s.student for s in responses.sittings if s.occasion == "post"}
    statuses = {r.student: r.status for r in report.students}
    assert {s for s, v in statuses.items() if v == "pre-test only"} == pre - post
    assert {s for s, v in statuses.items() if v == "post-test only"} == post - pre
    assert sum(v == "matched" for v in statuses.values()) == len(pre & post)
    assert pre - post and post - pre


def test_counterbalancing_separates_an_easier_form_from_learning():
    model = sim.ClassModel(n_students=600, counterbalanced=True, form_shift=0.6, gain=0.5, guessers=0.0)
    responses, truth = sim.simulate(ITEMS, model, seed=4)
    report = gain.analyse(responses, ITEMS, rasch=False)
    ab, ba = report.orders["A->B"]["difference"][0], report.orders["B->A"]["difference"][0]
    assert ab > ba + 5  # taking the easier form last looks like more learning
    assert abs((ab + ba) / 2 - truth.difference) < 3  # averaged over the orders, the gain is recovered
    assert abs((ab - ba) / 2 - truth.form_difference) < 3  # and half the gap is the forms' difference


@pytest.mark.slow
def test_the_command_on_a_simulated_class_of_120_runs_in_seconds(tmp_path, capsys):
    model = sim.ClassModel(n_students=120, counterbalanced=True)
    responses, _ = sim.simulate(ITEMS, model, seed=1)
    folders = sim.write_grading_outputs(responses, tmp_path / "graded")
    start = time.perf_counter()
    code = main([
        "gain", str(folders["pre", "A"]), str(folders["post", "B"]),
        "--pre-also", str(folders["pre", "B"]), "--post-also", str(folders["post", "A"]),
        "--out", str(tmp_path / "gain"), "--root", str(REPO),
    ])
    seconds = time.perf_counter() - start
    assert code == 0
    assert seconds < 30  # a few seconds on a laptop; generous for a loaded 2-core machine
    html = (tmp_path / "gain" / "gain.html").read_text()
    assert "form A then form B" in html and "form B then form A" in html
    rows = list(csv.DictReader(open(tmp_path / "gain" / "gain.csv")))
    assert len(rows) == len({s.student for s in responses.sittings})  # everyone who took a test is listed
    assert {r["letters_from"] for r in rows} == {"notebook"}
    # about 57 students a form and occasion, above the minimum of 30: all four are fitted, each centred at 0
    items = list(csv.DictReader(open(tmp_path / "gain" / "items.csv")))
    assert len(items) == 4 * 24 and all(r["rasch_difficulty"] and r["rasch_se"] for r in items)
    for key in {(r["form"], r["occasion"]) for r in items}:
        assert abs(sum(float(r["rasch_difficulty"]) for r in items if (r["form"], r["occasion"]) == key)) < 0.03
    assert "Rasch logit scale" in html
    in_memory = gain.analyse(responses, ITEMS, rasch=False)
    matched = [r for r in rows if r["status"] == "matched"]
    assert len(matched) == sum(r.status == "matched" for r in in_memory.students)
    assert len(list((tmp_path / "gain" / "feedback").glob("*.html"))) == sum(
        1 for s in responses.sittings if s.occasion == "post"
    )


def _matrix(responses, form: str, occasion: str) -> tuple[list[list[int]], list[int]]:
    group = [s for s in responses.sittings if (s.form, s.occasion) == (form, occasion)]
    numbers = sorted(group[0].correct)
    return [[int(s.correct[n]) for n in numbers] for s in group], numbers


@pytest.mark.slow
def test_the_rasch_fit_recovers_the_simulated_difficulties_and_flags_a_planted_misfitting_item():
    # the simulation's default class (guessing, 5% random guessers), 300 students, item A7 planted with its
    # discrimination reversed (abler students more often wrong)
    model = sim.ClassModel(n_students=300, bad_items=(("A", 7),))
    responses, truth = sim.simulate(ITEMS, model, seed=31)
    matrix, numbers = _matrix(responses, "A", "pre")
    report = gain.analyse(responses, ITEMS)
    fit = report.rasch["A", "pre"]
    assert fit.fitted, fit.status
    assert fit.n_used >= 0.9 * len(matrix)
    assert sum(fit.difficulty.values()) == pytest.approx(0, abs=1e-9)  # centred at mean 0
    good = [n for n in numbers if n != 7]
    r = np.corrcoef([truth.difficulties["A", n] for n in good], [fit.difficulty[n] for n in good])[0, 1]
    assert r > 0.9, r
    # with about 290 students answering, an item's standard error is near 1 / sqrt(290 p q): 0.12 at p = 0.5
    assert all(0.1 < se < 0.3 for se in fit.se.values()), fit.se
    misfit = {n for n in fit.difficulty if max(fit.infit[n], fit.outfit[n]) > gain.MISFIT}
    assert 7 in misfit
    assert len(misfit - {7}) <= 1
    # the report flags it too
    flags = next(s.flags for s in report.items if (s.form, s.occasion, s.number) == ("A", "pre", 7))
    assert any("Rasch misfit" in f for f in flags)


@pytest.mark.slow
def test_when_the_rasch_model_holds_the_intervals_cover_the_true_difficulties():
    # no guessing and no random guessers: the simulated answers follow the Rasch model exactly, so about 95% of
    # the 24 intervals of +-1.96 standard errors should hold the true (centred) difficulties: 20 or more expected
    model = sim.ClassModel(n_students=300, guessing=0.0, guessers=0.0, missing_pre=0.0)
    responses, truth = sim.simulate(ITEMS, model, seed=32)
    matrix, numbers = _matrix(responses, "A", "pre")
    fit = gain.fit_rasch(matrix, numbers)
    true = np.array([truth.difficulties["A", n] for n in numbers])
    true -= true.mean()
    hits = sum(abs(fit.difficulty[n] - t) <= 1.96 * fit.se[n] for n, t in zip(numbers, true, strict=True))
    assert hits >= 20, hits
    assert all(0.7 < fit.infit[n] < gain.MISFIT and fit.outfit[n] < gain.MISFIT for n in numbers)


def test_a_small_class_gets_no_rasch_fit_and_the_report_says_so(tmp_path):
    model = sim.ClassModel(n_students=25, missing_pre=0.0, missing_post=0.0)
    responses, _ = sim.simulate(ITEMS, model, seed=33)
    report = gain.analyse(responses, ITEMS)
    assert set(report.rasch) == {("A", "pre"), ("B", "post")}
    assert all(f.status.startswith("not attempted") and not f.difficulty for f in report.rasch.values())
    gain.write_report(report, tmp_path)
    html = (tmp_path / "gain.html").read_text()
    assert "(the minimum is 30)" in html and "classical approximation" in html
    rows = list(csv.DictReader(open(tmp_path / "items.csv")))
    assert rows and all(r["rasch_difficulty"] == r["rasch_se"] == r["rasch_outfit"] == "" for r in rows)
