"""The map from the kit to the Informed Health Choices (IHC) Key Concepts (issue 21).

- data/ihc_key_concepts.csv: the published concepts the kit uses (2019 numbering [S108]), code and short name;
- data/kit_concepts.csv: every lesson objective and every graded question of solutions/01-04 -> concept codes;
- data/concept_sections.csv: for each concept the kit claims to teach, the lesson sections that teach it.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
OBJECTIVE = re.compile(r"^- \*\*(\d\d\.\d)\*\*", re.M)
QUESTION = re.compile(r"^(q\d+)-")
TAUGHT_LESSONS = ("01", "02", "03", "04")
GRADED = ("01-hype", "02-evidence", "03-mechanism", "04-capstone")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _codes(field: str) -> list[str]:
    return [c.strip() for c in field.split(";") if c.strip()]


def _lesson(number: str) -> dict:
    (path,) = sorted((REPO / "notebooks").glob(f"{number}-*.ipynb"))
    return json.loads(path.read_text(encoding="utf-8"))


def _sections(nb: dict) -> dict[str, str]:
    """{heading: the code under it, to the next heading of the same or a higher level} (as test_exercises_fair)."""
    open_sections: list[tuple[int, str]] = []
    code: dict[str, list[str]] = {}
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for line in source.splitlines():
                match = HEADING.match(line)
                if match:
                    level = len(match.group(1))
                    open_sections = [(lv, h) for lv, h in open_sections if lv < level]
                    open_sections.append((level, match.group(2)))
                    code.setdefault(match.group(2), [])
        elif cell["cell_type"] == "code":
            for _, heading in open_sections:
                code[heading].append(source)
    return {heading: "\n".join(parts) for heading, parts in code.items()}


def _objectives() -> list[str]:
    found = []
    for number in ("00", *TAUGHT_LESSONS):
        first = "".join(_lesson(number)["cells"][0]["source"])
        found += OBJECTIVE.findall(first)
    return found


def _graded_questions() -> list[str]:
    found = []
    for assignment in GRADED:
        (path,) = sorted((REPO / "solutions" / assignment).glob("*.ipynb"))
        nb = json.loads(path.read_text(encoding="utf-8"))
        ids = {
            QUESTION.match(c["metadata"]["nbgrader"]["grade_id"]).group(1)
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade", False)
            and QUESTION.match(c["metadata"]["nbgrader"]["grade_id"])
        }
        found += [f"{assignment}:{q}" for q in sorted(ids, key=lambda q: int(q[1:]))]
    return found


def test_the_concept_list_has_unique_codes_and_every_row_says_where_its_code_was_checked():
    rows = _rows("ihc_key_concepts.csv")
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes))
    for r in rows:
        assert re.fullmatch(r"[123]\.\d[a-l]", r["code"]), r
        assert r["short_name"] and r["code_checked"], r
        assert r["code_checked"] == "S108 Table 1" or r["code_checked"].startswith("provisional:"), r
        assert r["inventory"] in ("yes", "no"), r


def test_every_lesson_objective_maps_to_at_least_one_known_concept():
    known = {r["code"] for r in _rows("ihc_key_concepts.csv")}
    mapped = {r["ref"]: _codes(r["concepts"]) for r in _rows("kit_concepts.csv") if r["kind"] == "objective"}
    objectives = _objectives()
    assert len(objectives) >= 20, "the objective pattern found too few objectives: is it still **NN.N**?"
    missing = [o for o in objectives if not mapped.get(o)]
    assert not missing, f"objectives with no IHC concept in data/kit_concepts.csv: {missing}"
    stale = sorted(set(mapped) - set(objectives))
    assert not stale, f"rows for objectives no lesson has: {stale}"
    unknown = {c for codes in mapped.values() for c in codes} - known
    assert not unknown, f"codes not in data/ihc_key_concepts.csv: {sorted(unknown)}"


def test_every_graded_question_of_the_four_assignments_maps_to_a_concept():
    known = {r["code"] for r in _rows("ihc_key_concepts.csv")}
    mapped = {r["ref"]: _codes(r["concepts"]) for r in _rows("kit_concepts.csv") if r["kind"] == "question"}
    questions = _graded_questions()
    missing = [q for q in questions if not mapped.get(q)]
    assert not missing, f"graded questions with no IHC concept in data/kit_concepts.csv: {missing}"
    stale = sorted(set(mapped) - set(questions))
    assert not stale, f"rows for questions that no longer exist: {stale}"
    unknown = {c for codes in mapped.values() for c in codes} - known
    assert not unknown, f"codes not in data/ihc_key_concepts.csv: {sorted(unknown)}"


def test_every_concept_the_kit_claims_to_teach_has_a_lesson_section_that_exists():
    claimed = {c for r in _rows("kit_concepts.csv") for c in _codes(r["concepts"])}
    claimed |= {r["code"] for r in _rows("ihc_key_concepts.csv") if r["inventory"] == "yes"}
    sections = _rows("concept_sections.csv")
    taught = {r["concept"] for r in sections}
    assert claimed <= taught, f"concepts with no lesson section in data/concept_sections.csv: {sorted(claimed - taught)}"
    cache: dict[str, dict[str, str]] = {}
    for r in sections:
        lesson = cache.setdefault(r["notebook"], _sections(_lesson(r["notebook"])))
        assert r["section"] in lesson, f"notebook {r['notebook']} has no section {r['section']!r}"
        if r["name"]:
            assert re.search(rf"\b{re.escape(r['name'])}\b", lesson[r["section"]]), (
                f"`{r['name']}` is not used in a code cell of notebook {r['notebook']}, section {r['section']!r}"
            )


@pytest.mark.parametrize("code", ["1.1a", "1.2b", "1.2d", "1.2f", "1.2g"])
def test_the_codes_the_curriculum_names_carry_the_published_short_names(code):
    """Hand-copied from S108, Table 1 (2019 wording)."""
    names = {r["code"]: r["short_name"] for r in _rows("ihc_key_concepts.csv")}
    expected = {
        "1.1a": "Treatments can cause harms as well as benefits",
        "1.2b": "Beliefs alone about how treatments work are not reliable predictors of the presence or size of effects",
        "1.2d": "An outcome may be associated with a treatment but not caused by it",
        "1.2f": "Identifying effects of treatments depends on making comparisons",
        "1.2g": "The results of one study considered in isolation can be misleading",
    }
    assert names[code] == expected[code]
