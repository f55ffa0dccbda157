"""data/sources.csv `authors_conclusion`: every source the kit uses as evidence records what its own authors concluded.

Evidence source or method reference (the one definition; data/README.md repeats it):

- An **evidence source** is a source the kit cites for what is true of the world: a study, review, case report, survey,
  guideline, regulator's decision or reference page whose findings the kit reports (about ECT, pain, endorphins,
  placebo, regression to the mean, the case-report literature ...). Such a row's `authors_conclusion` says, in our own
  words and in under about 300 characters, what *its authors* concluded, not what the kit uses it for. Where the
  abstract could not be read it says "not read: <why>", never a guess.
- A **method reference** is cited for how to appraise: a scale, framework, definition, formula or style rule (the
  GRADE handbook and papers, the OCEBM table, Bradford Hill's paper and commentaries on it, Ioannidis, Sellke, Goodman,
  the IHC Key Concepts, the regression-to-the-mean and funnel-plot method papers). Its `authors_conclusion` stays empty.
- The case-study page itself (S1) is the object of study, not evidence; it stays empty too.

Which rows are evidence is computed, not listed: every id in a source-id column (any column whose name contains
"source_id") of the tables in EVIDENCE_TABLES, plus every id cited in the markdown of lessons 02 (evidence) and 03
(mechanism), minus METHOD_REFERENCES and CASE_STUDY. A new citation in those places therefore needs either an
`authors_conclusion` or, if it is a method reference, a place in METHOD_REFERENCES.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.sources import cited_ids

ROOT = Path(__file__).parents[2]
DATA = ROOT / "data"

EVIDENCE_TABLES = ["ect_pain_studies.csv", "claims.csv", "contradictions.csv", "mechanism_checks.csv",
                   "bradford_hill.csv", "ect_systemic_effects.csv", "grade_factors.csv"]
EVIDENCE_LESSONS = ["02-*.ipynb", "03-*.ipynb"]
CASE_STUDY = {"S1"}
METHOD_REFERENCES = {
    "S85", "S86", "S87",                                    # regression to the mean: method paper, code, explainer
    "S95", "S96", "S97", "S98",                             # OCEBM levels, their explanation, the 'new pyramid'
    "S99", "S101", "S102", "S103",                          # GRADE papers and rating table
    "S108", "S109",                                         # IHC Key Concepts
    "S135",                                                 # Ioannidis: PPV formula
    "S137", "S138", "S139", "S140", "S141", "S142",         # Bradford Hill and commentaries on his viewpoints
    "S143", "S146", "S260",                                 # Sellke and Goodman: minimum Bayes factors
    "S147", "S148",                                         # funnel-plot asymmetry test and recommendations
}
MAX_CHARACTERS = 330    # "under about 300"
NOT_READ = re.compile(r"not read: \S.{10,}")


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


def ids_in_tables(tables: dict[str, pd.DataFrame]) -> set[str]:
    """Every source id in a column whose name contains 'source_id', over the given tables."""
    found: set[str] = set()
    for table in tables.values():
        for column in [c for c in table.columns if "source_id" in c]:
            found |= set(table[column].str.findall(r"S\d+").explode().dropna())
    return found


def ids_in_lessons(paths: list[Path]) -> set[str]:
    """Every source id cited ([S12]) in the markdown cells of the given notebooks."""
    found: set[str] = set()
    for path in paths:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                found |= set(cited_ids("".join(cell["source"])))
    return found


def evidence_ids(tables: dict[str, pd.DataFrame], lessons: list[Path]) -> set[str]:
    """The kit's evidence sources: ids in the tables' source-id columns and in the lessons, less method references."""
    return (ids_in_tables(tables) | ids_in_lessons(lessons)) - METHOD_REFERENCES - CASE_STUDY


def missing_conclusions(registry: pd.DataFrame, evidence: set[str]) -> list[str]:
    """Evidence ids whose authors_conclusion is empty (or that have no row), in registry order."""
    filled = set(registry.loc[registry["authors_conclusion"].str.strip() != "", "id"])
    return sorted(evidence - filled, key=lambda i: int(i[1:]))


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return _read("sources.csv")


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: _read(name) for name in EVIDENCE_TABLES}


@pytest.fixture(scope="module")
def lessons() -> list[Path]:
    paths = [p for pattern in EVIDENCE_LESSONS for p in sorted((ROOT / "notebooks").glob(pattern))]
    assert len(paths) == len(EVIDENCE_LESSONS), paths
    return paths


@pytest.fixture(scope="module")
def evidence(tables, lessons) -> set[str]:
    return evidence_ids(tables, lessons)


def test_the_column_exists_and_is_documented(registry):
    assert "authors_conclusion" in registry.columns
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^#+ [^\n]*`authors_conclusion`[^\n]*$(.*?)(?=^#+ )", readme, flags=re.M | re.S)
    assert section, "data/README.md needs a subsection whose heading names `authors_conclusion`"
    for words in ["evidence source", "method reference", "not read:", "test_authors_conclusions.py"]:
        assert words in section.group(1), f"the README subsection should say {words!r}"


def test_every_evidence_source_records_what_its_authors_concluded(registry, evidence):
    missing = missing_conclusions(registry, evidence)
    assert not missing, (f"evidence sources without authors_conclusion: {missing}. Read each abstract and paraphrase "
                         "what its authors concluded (or write 'not read: <why>'); if the row is a method reference, "
                         "add it to METHOD_REFERENCES in this file")


def test_method_references_and_the_case_study_stay_empty(registry):
    rows = registry[registry["id"].isin(METHOD_REFERENCES | CASE_STUDY)]
    assert len(rows) == len(METHOD_REFERENCES | CASE_STUDY)
    filled = rows.loc[rows["authors_conclusion"] != "", "id"].tolist()
    assert not filled, f"method references and the case study carry no authors' conclusion: {filled}"


def test_conclusions_are_short_and_say_why_when_not_read(registry):
    given = registry[registry["authors_conclusion"] != ""].set_index("id")["authors_conclusion"]
    too_long = given[given.str.len() > MAX_CHARACTERS].index.tolist()
    assert not too_long, f"authors_conclusion over {MAX_CHARACTERS} characters: {too_long}"
    unread = given[given.str.lower().str.startswith("not read")]
    bare = unread[~unread.str.fullmatch(NOT_READ)].index.tolist()
    assert not bare, f"'not read' needs the form 'not read: <why>': {bare}"
    assert (given == given.str.strip()).all()


def test_the_evidence_rule_picks_studies_and_leaves_out_method(evidence):
    # Wasan 2004 (bradford_hill, claims), Lin 2020 (studies table), Alexopoulos 1983 (mechanism) are evidence;
    # the GRADE table (grade_factors), Sellke (lesson 03) and the case study are not.
    assert {"S26", "S36", "S45"} <= evidence
    assert not evidence & {"S1", "S102", "S143"}


def test_the_check_fails_when_a_conclusion_is_missing(registry, tables, lessons, tmp_path):
    complete = registry.assign(authors_conclusion="The authors concluded something.")
    assert missing_conclusions(complete, evidence_ids(tables, lessons)) == []
    broken = complete.copy()
    broken.loc[broken["id"] == "S26", "authors_conclusion"] = " "
    assert missing_conclusions(broken, evidence_ids(tables, lessons)) == ["S26"]
    registry = complete
    # A source newly cited as evidence in a table, with no conclusion yet, is caught too.
    added = dict(tables)
    added["claims.csv"] = pd.concat([tables["claims.csv"], pd.DataFrame({"evidence_source_ids": ["S26;S99999"]})])
    assert "S99999" in missing_conclusions(registry, evidence_ids(added, lessons))
    # So is one cited only in a lesson's markdown (a code cell's text is not a citation).
    lesson = tmp_path / "03-x.ipynb"
    lesson.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["A new study found so [S99998]."]},
        {"cell_type": "code", "source": ["# [S99997]"]}]}), encoding="utf-8")
    found = missing_conclusions(registry, evidence_ids(tables, [*lessons, lesson]))
    assert "S99998" in found and "S99997" not in found
