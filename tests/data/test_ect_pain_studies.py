"""data/ect_pain_studies.csv, evidence_levels.csv and grade_factors.csv: schema and agreement with the registry."""

from pathlib import Path

import pandas as pd
import pytest

from appraisal.evidence import DESIGNS, DOWN_FACTORS, GRADE_LEVELS, UP_FACTORS, ocebm_level

DATA = Path(__file__).parents[2] / "data"
COLUMNS = ["study_id", "source_id", "short_name", "year", "design", "n", "condition", "comparison",
           "direction_of_result", "pain_outcome_measured", "ocebm_level", "doi", "pmid", "confidence", "notes",
           "authors_conclusion"]
NO_LEVEL = {"narrative_review", "not_read"}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def studies() -> pd.DataFrame:
    return _read("ect_pain_studies.csv")


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return _read("sources.csv").set_index("id")


def test_columns_and_ids(studies):
    assert list(studies.columns) == COLUMNS
    assert studies["study_id"].is_unique
    assert studies["study_id"].str.fullmatch(r"E\d{2}").all()
    assert len(studies) >= 12


def test_controlled_vocabularies(studies):
    assert set(studies["design"]) <= set(DESIGNS) | NO_LEVEL
    assert set(studies["comparison"]) <= {"none", "matched", "randomised"}
    assert set(studies["direction_of_result"]) <= {"benefit", "no effect", "harm", "mixed", "not_assessed"}
    assert set(studies["pain_outcome_measured"]) <= {"yes", "no", "unclear"}
    assert set(studies["confidence"]) <= {"high", "medium", "low"}


def test_numbers_are_whole_and_plausible(studies):
    for column, low, high in [("year", 1900, 2030), ("n", 1, 100_000), ("ocebm_level", 1, 5)]:
        given = studies.loc[studies[column] != "", column]
        assert given.str.fullmatch(r"\d+").all(), column
        assert given.astype(int).between(low, high).all(), column


def test_n_counts_the_people_analysed(studies):
    # The dictionary defines n as the people analysed: where a note gives "N analysed", n must be N.
    for row in studies.itertuples():
        analysed = pd.Series([row.notes]).str.extract(r"(\d+) analysed").iloc[0, 0]
        if isinstance(analysed, str):
            assert row.n == analysed, row.study_id
    by_id = studies.set_index("study_id")
    assert by_id.loc["E14", "n"] == "82"    # Lin 2022: 97 randomised, 82 analysed (PubMed 35220359)
    assert by_id.loc["E12", "n"] == "10"    # Japanese chart review: 11 patients, 10 analysed
    assert by_id.loc["E03", "n"] == "50"    # Wasan 2004: 25 ECT patients and 25 matched controls


def test_each_study_says_what_its_authors_concluded(studies):
    for row in studies.itertuples():
        assert len(row.authors_conclusion) > 30, row.study_id
        assert row.authors_conclusion.endswith(f"[{row.source_id}]."), row.study_id
    unread = studies[studies["notes"].str.startswith("Open question")]
    assert unread["authors_conclusion"].str.match(r"(Open question|Not read)").all()
    wasan = studies[studies["source_id"] == "S26"].iloc[0]["authors_conclusion"]
    assert "independently of its effect on depression" in wasan


def test_levels_follow_the_design(studies):
    for row in studies.itertuples():
        if row.design in NO_LEVEL:
            assert row.ocebm_level == "", row.study_id
        else:
            assert int(row.ocebm_level) == ocebm_level(row.design), row.study_id


def test_sources_exist_and_identifiers_match_the_registry(studies, registry):
    assert set(studies["source_id"]) <= set(registry.index)
    for row in studies.itertuples():
        source = registry.loc[row.source_id]
        assert row.doi == source["doi"], row.study_id
        assert row.pmid == source["pmid"], row.study_id
        assert row.confidence == source["confidence"], row.study_id


def test_open_questions_are_marked(studies):
    # Low rows are open questions (seen only as a title or a reposted abstract) or unverified citations (read on a
    # copy, but no complete citation with a DOI, PMID or publisher page was found); lessons state neither as fact.
    low = studies[studies["confidence"] == "low"]
    assert low["notes"].str.startswith(("Open question", "Unverified citation")).all()
    # Juntendo: the fact sheet could not verify its authors, year, journal or sample size.
    juntendo = studies[studies["source_id"] == "S28"].iloc[0]
    assert juntendo["n"] == "" and juntendo["year"] == "" and "NOT VERIFIED" in juntendo["short_name"]


def test_the_fact_sheet_literature_is_all_there(studies):
    needed = {"S23", "S25", "S26", "S27", "S29", "S30", "S31", "S32", "S33", "S34", "S35", "S36", "S37"}
    assert needed <= set(studies["source_id"])


def test_facts_from_the_fact_sheet(studies):
    by_source = studies.groupby("source_id")
    assert set(by_source.get_group("S23")["design"]) == {"systematic_review_of_case_reports",
                                                         "retrospective_chart_review"}
    assert by_source.get_group("S27").iloc[0]["direction_of_result"] == "no effect"   # Huuhka: no pain effect
    assert by_source.get_group("S36").iloc[0]["direction_of_result"] == "harm"        # Lin 2020: more pain
    assert by_source.get_group("S26").iloc[0]["comparison"] == "matched"
    # No randomised comparison of ECT with no ECT was found for pain.
    assert (studies["comparison"] != "randomised").all()


@pytest.fixture(scope="module")
def levels() -> pd.DataFrame:
    return _read("evidence_levels.csv")


def test_evidence_levels_schema(levels, registry):
    assert list(levels.columns) == ["framework", "question", "level", "label", "description", "source_ids"]
    ocebm = levels[levels["framework"] == "OCEBM 2011"]
    for question in ["benefit", "harm"]:
        assert sorted(ocebm.loc[ocebm["question"] == question, "level"].astype(int)) == [1, 2, 3, 4, 5]
    benefit = ocebm[ocebm["question"] == "benefit"].set_index("level")["description"]
    assert "Mechanism" in benefit["5"] and "Randomised" in benefit["2"] and "Case series" in benefit["4"]
    grade = levels[levels["framework"] == "GRADE"].sort_values("level")
    assert list(grade["label"]) == list(GRADE_LEVELS)
    ids = levels["source_ids"].str.split(";").explode()
    assert set(ids) <= set(registry.index)


def test_grade_factors_agree_with_the_code(registry):
    factors = _read("grade_factors.csv")
    assert list(factors.columns) == ["factor", "direction", "max_steps", "meaning", "source_ids"]
    down = factors[factors["direction"] == "down"]
    up = factors[factors["direction"] == "up"]
    assert dict(zip(down["factor"], down["max_steps"].astype(int), strict=True)) == DOWN_FACTORS
    assert dict(zip(up["factor"], up["max_steps"].astype(int), strict=True)) == UP_FACTORS
    assert set(factors["source_ids"].str.split(";").explode()) <= set(registry.index)
