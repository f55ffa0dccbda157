"""Simulated classes for the concept inventory: a known model, so that `coursekit gain` can be checked against it.

SIMULATED DATA. The model and its assumptions (all adjustable in `ClassModel`, all seeded):
- each student has an ability (logits) drawn from a normal distribution; each item a difficulty, drawn once per
  class; the parallel item of form B has form A's difficulty plus a little noise, minus `form_shift` (a form B
  that is easier by that many logits);
- Rasch model with guessing: P(right) = c + (1 - c) / (1 + exp(-(ability + gain - difficulty))), where `gain`
  is 0 at the pre-test and the concept's true gain (logits) at the post-test, and c = `guessing`;
- a share `guessers` of students pick every answer at random (uniform over A-D), before and after;
- a student who gets an item wrong picks a distractor with the weights `distractor_weights`, in the item
  table's order of the distractors (the first is the most tempting misconception);
- `bad_items` have their discrimination reversed (abler students more often wrong: the planted bad items);
- a share of students misses the pre-test, and another share the post-test, at random;
- with `counterbalanced`, a random half takes form B first and form A second.

`simulate` returns the sittings (as `coursekit.gain` reads them) and the truth computed from the model; the
`write_grading_outputs` function writes them as grading output folders (grades.csv, grades-long.csv and small
notebooks holding each answer), so the whole command can be run on them.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coursekit.gain import LETTERS, Item, Responses, Sitting

ASSIGNMENT_OF = {"A": "00-inventory-pre", "B": "05-inventory-post"}


@dataclass(frozen=True)
class ClassModel:
    """The assumptions of one simulated class."""

    n_students: int = 120
    ability_mean: float = -0.4
    ability_sd: float = 1.0
    difficulty_sd: float = 0.8
    gain: dict[str, float] | float = 0.8  # logits at the post-test, per concept or one for all
    guessing: float = 0.2
    guessers: float = 0.05
    missing_pre: float = 0.05
    missing_post: float = 0.05
    bad_items: tuple[tuple[str, int], ...] = ()
    counterbalanced: bool = False
    form_shift: float = 0.0
    distractor_weights: tuple[float, float, float] = (0.55, 0.3, 0.15)

    def gain_of(self, concept: str) -> float:
        return self.gain.get(concept, 0.0) if isinstance(self.gain, dict) else float(self.gain)


@dataclass
class Truth:
    """What the model implies, computed from the model itself (not from the simulated answers)."""

    difference: float  # population mean of post% - pre%, percentage points
    concept_shares: dict[str, tuple[float, float]]  # concept -> expected share right (pre, post), population
    reliability: dict[str, float]  # form -> reliability at the pre-test, var(true score) / var(observed)
    form_difference: float  # expected score on B minus on A, same students at the pre-test, points
    difficulties: dict[tuple[str, int], float] = field(default_factory=dict)


def _difficulties(items: dict[tuple[str, int], Item], model: ClassModel, rng) -> dict[tuple[str, int], float]:
    numbers = sorted({n for f, n in items if f == "A"})
    base = {n: float(rng.normal(0, model.difficulty_sd)) for n in numbers}
    out = {}
    for form, n in items:
        out[form, n] = base[n] if form == "A" else base[n] + float(rng.normal(0, 0.15)) - model.form_shift
    return out


def _p_right(ability, difficulty: float, gain: float, bad: bool, c: float):
    z = ability + gain - difficulty
    if bad:
        z = -(ability - difficulty)  # reversed: abler students more often wrong
    return c + (1 - c) / (1 + np.exp(-z))


def _expected(items, b, model, form: str, post: bool, nodes, weights):
    """Per quadrature node: expected share right over the form's items, and per-item p (nodes x items)."""
    numbers = sorted(n for f, n in items if f == form)
    p = np.stack(
        [
            _p_right(nodes, b[form, n], model.gain_of(items[form, n].concept) if post else 0.0,
                     (form, n) in model.bad_items, model.guessing)
            for n in numbers
        ],
        axis=1,
    )
    return numbers, p


def truth_of(items: dict[tuple[str, int], Item], b: dict[tuple[str, int], float], model: ClassModel) -> Truth:
    """The model's population values, by Gauss-Hermite quadrature over the ability distribution."""
    x, w = np.polynomial.hermite_e.hermegauss(60)
    w = w / w.sum()
    nodes = model.ability_mean + model.ability_sd * x
    g = model.guessers

    def mean_score(form: str, post: bool) -> float:
        _, p = _expected(items, b, model, form, post, nodes, w)
        return 100 * ((1 - g) * float(w @ p.mean(axis=1)) + g * 0.25)

    orders = [("A", "B"), ("B", "A")] if model.counterbalanced else [("A", "B")]
    difference = float(np.mean([mean_score(post, True) - mean_score(pre, False) for pre, post in orders]))
    shares: dict[str, tuple[float, float]] = {}
    for concept in sorted({i.concept for i in items.values()}):
        pre_post = []
        for post in (False, True):
            vals = []
            for pre_form, post_form in orders:
                form = post_form if post else pre_form
                numbers, p = _expected(items, b, model, form, post, nodes, w)
                cols = [j for j, n in enumerate(numbers) if items[form, n].concept == concept]
                vals.append((1 - g) * float(w @ p[:, cols].mean(axis=1)) + g * 0.25)
            pre_post.append(float(np.mean(vals)))
        shares[concept] = (pre_post[0], pre_post[1])
    reliability = {}
    for form in ("A", "B"):
        _, p = _expected(items, b, model, form, False, nodes, w)
        true_score = p.sum(axis=1)
        mean_t = float(w @ true_score)
        var_t = float(w @ (true_score - mean_t) ** 2)
        error = float(w @ (p * (1 - p)).sum(axis=1))
        # guessers add a constant expected score and binomial error only
        k = p.shape[1]
        var_t_all = (1 - g) * var_t + g * (1 - g) * (mean_t - 0.25 * k) ** 2
        error_all = (1 - g) * error + g * k * 0.25 * 0.75
        reliability[form] = var_t_all / (var_t_all + error_all)
    return Truth(difference, shares, reliability, mean_score("B", False) - mean_score("A", False), dict(b))


def simulate(items: dict[tuple[str, int], Item], model: ClassModel, seed: int) -> tuple[Responses, Truth]:
    """One simulated class: its sittings and the model's truth."""
    rng = np.random.default_rng(seed)
    b = _difficulties(items, model, rng)
    n = model.n_students
    ability = rng.normal(model.ability_mean, model.ability_sd, n)
    guesser = rng.random(n) < model.guessers
    takes_pre = rng.random(n) >= model.missing_pre
    takes_post = rng.random(n) >= model.missing_post
    b_first = (rng.random(n) < 0.5) if model.counterbalanced else np.zeros(n, dtype=bool)
    width = len(str(n))
    names = [f"s{i + 1:0{width}d}" for i in range(n)]
    weights = np.array(model.distractor_weights, dtype=float) / sum(model.distractor_weights)
    answers: dict[tuple[int, str], Sitting] = {}
    for occasion, takes in (("pre", takes_pre), ("post", takes_post)):
        for form in ("A", "B"):
            first = b_first if form == "B" else ~b_first  # who takes this form at the pre-test
            who = np.flatnonzero(takes & (first if occasion == "pre" else ~first))
            if not len(who):
                continue
            numbers = sorted(nn for f, nn in items if f == form)
            p = np.stack(
                [
                    _p_right(ability[who], b[form, nn],
                             model.gain_of(items[form, nn].concept) if occasion == "post" else 0.0,
                             (form, nn) in model.bad_items, model.guessing)
                    for nn in numbers
                ],
                axis=1,
            )
            right = rng.random(p.shape) < p
            wrong_pick = rng.choice(3, size=p.shape, p=weights)
            random_pick = rng.integers(4, size=p.shape)
            for row, i in enumerate(who):
                correct, letters = {}, {}
                for col, nn in enumerate(numbers):
                    item = items[form, nn]
                    if guesser[i]:
                        letter = LETTERS[int(random_pick[row, col])]
                    elif right[row, col]:
                        letter = item.key
                    else:
                        letter = [x for x in LETTERS if x != item.key][int(wrong_pick[row, col])]
                    correct[nn] = letter == item.key
                    letters[nn] = letter
                answers[int(i), occasion] = Sitting(names[i], occasion, form, correct, letters, "simulation")
    out = Responses(sittings=[answers[k] for k in sorted(answers)])
    return out, truth_of(items, b, model)


def write_grading_outputs(responses: Responses, folder: Path) -> dict[tuple[str, str], Path]:
    """Grading output folders, one per occasion and form ({(occasion, form): folder}), as `grade` writes them:
    grades.csv (student, file, status), grades-long.csv (a row per student and item) and each student's notebook
    with the letters in its answer cells. SIMULATED: no kernel ran."""
    groups: dict[tuple[str, str], list[Sitting]] = {}
    for s in responses.sittings:
        groups.setdefault((s.occasion, s.form), []).append(s)
    written = {}
    for (occasion, form), sittings in sorted(groups.items()):
        out = folder / f"{occasion}-{form}"
        (out / "submissions").mkdir(parents=True, exist_ok=True)
        assignment = ASSIGNMENT_OF[form]
        numbers = sorted({n for s in sittings for n in s.correct})
        with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["student", "name", "file", *[f"q{n}-tests" for n in numbers], "autograded", "status"])
            for s in sittings:
                path = out / "submissions" / f"{s.student}.ipynb"
                cells: list[dict[str, Any]] = [
                    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "id": f"c{n}",
                     "source": f"answer_q{n} = {s.letters[n]!r}\n"}
                    for n in numbers
                ]
                path.write_text(
                    json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8"
                )
                w.writerow([s.student, "", str(path), *[int(s.correct[n]) for n in numbers],
                            sum(s.correct.values()), "graded"])
        with open(out / "grades-long.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["student", "assignment", "question", "kind", "points", "max_points", "status", "message"])
            for s in sittings:
                for n in numbers:
                    right = s.correct[n]
                    w.writerow([s.student, assignment, f"q{n}-tests", "auto", int(right), 1,
                                "passed" if right else "failed",
                                "" if right else f"a hidden test failed: You chose {s.letters[n]}, ..."])
        written[occasion, form] = out
    return written


def coverage(items, model: ClassModel, repeats: int, seed: int = 0) -> tuple[float, list[tuple[float, float, float]]]:
    """Share of `repeats` simulated classes whose 95% interval for the mean difference (as `coursekit.gain.analyse`
    reports it) holds the model's truth; and the intervals."""
    from coursekit.gain import analyse

    hits, intervals = 0, []
    for r in range(repeats):
        responses, truth = simulate(items, model, seed + r)
        ci = analyse(responses, items, rasch=False).difference  # the interval only: no Rasch fits
        if ci is None:
            continue
        intervals.append(ci)
        hits += ci[1] <= truth.difference <= ci[2]
    return hits / max(1, len(intervals)), intervals


def logit(p: float) -> float:
    """log(p / (1 - p))."""
    return math.log(p / (1 - p))
