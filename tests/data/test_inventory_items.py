"""The concept inventory's items (issue 21): data/inventory_items.csv and the two notebooks written from it."""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import make_inventory  # noqa: E402

ROWS = make_inventory.read_items()
LETTERS = "ABCD"


def _csv(name: str) -> list[dict[str, str]]:
    with open(REPO / "data" / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_each_form_has_two_items_for_each_of_the_twelve_inventory_concepts():
    concepts = {r["code"] for r in _csv("ihc_key_concepts.csv") if r["inventory"] == "yes"}
    assert len(concepts) == 12
    for form in "AB":
        mine = [r for r in ROWS if r["form"] == form]
        assert [int(r["item"]) for r in mine] == list(range(1, 25))
        assert Counter(r["concept"] for r in mine) == {c: 2 for c in concepts}


def test_form_b_is_parallel_to_form_a_same_concept_and_aim_different_scenario():
    a = {r["item"]: r for r in ROWS if r["form"] == "A"}
    b = {r["item"]: r for r in ROWS if r["form"] == "B"}
    for item, ra in a.items():
        rb = b[item]
        assert (ra["concept"], ra["aim"]) == (rb["concept"], rb["aim"]), item
        assert ra["scenario"] != rb["scenario"] and ra["title"] != rb["title"], item
        # each distractor of B matches a misconception of its A twin
        mis_a = {ra[f"misconception_{x}"] for x in "abcd"} - {""}
        mis_b = {rb[f"misconception_{x}"] for x in "abcd"} - {""}
        assert mis_a == mis_b, item


def test_every_item_has_one_key_and_a_named_misconception_and_reason_for_each_distractor():
    for r in ROWS:
        assert r["key"] in LETTERS, r["item"]
        assert r["explanation"].strip() and r["scenario"].strip() and r["question"].strip()
        for x in "abcd":
            assert r[f"option_{x}"].strip(), (r["form"], r["item"], x)
            if x.upper() == r["key"]:
                assert not r[f"misconception_{x}"] and not r[f"why_{x}"]
            else:
                assert r[f"misconception_{x}"].strip() and r[f"why_{x}"].strip(), (r["form"], r["item"], x)
        assert len({r[f"option_{x}"] for x in "abcd"}) == 4


def test_the_keys_are_spread_evenly_over_the_letters():
    for form in "AB":
        assert Counter(r["key"] for r in ROWS if r["form"] == form) == {x: 6 for x in LETTERS}


def test_each_item_points_to_a_lesson_section_that_teaches_its_concept():
    sections = {(r["concept"], r["notebook"], r["section"]) for r in _csv("concept_sections.csv")}
    for r in ROWS:
        assert (r["concept"], r["notebook"], r["section"]) in sections, (r["form"], r["item"])


def test_no_item_is_about_ect_or_a_practice_article():
    """The inventory measures transfer: none of its scenarios reuses the case study or the practice articles."""
    names = {"ect", "electroconvulsive", "glucocalm", "moonrootmax", "migraine", "insomnia", "nasal spray",
             "walking group", "blood sugar", "knee"}
    for r in ROWS:
        text = " ".join(r[k] for k in ("title", "scenario", "question", "option_a", "option_b", "option_c",
                                       "option_d")).lower()
        hits = [n for n in names if re.search(rf"\b{re.escape(n)}\b", text)]
        assert not hits, (r["form"], r["item"], hits)


def test_the_notebooks_are_what_the_generator_writes_from_the_table():
    for form, (assignment, name, _, _) in make_inventory.FORMS.items():
        stored = nbformat.read(REPO / "solutions" / assignment / name, as_version=4)
        built = make_inventory.build(form, ROWS)
        assert [c.source for c in stored.cells] == [c.source for c in built.cells], (
            f"solutions/{assignment}/{name} is stale: run tools/make_inventory.py, execute it and make exercises"
        )
