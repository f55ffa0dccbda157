"""data/practice/: fictional practice articles for the capstone, with their answer keys."""

from pathlib import Path

import pandas as pd
import pytest

from appraisal.text import load_article

PRACTICE = Path(__file__).parents[2] / "data" / "practice"
MARKER_START = "[FICTIONAL ARTICLE WRITTEN FOR TEACHING."

INDEX_COLUMNS = ["article_id", "file", "key_file", "title", "calibration", "topic", "planted_flaws", "notes"]
KEY_COLUMNS = ["claim_id", "quote", "claim_type", "claim_strength", "cited_evidence", "evidence_design", "flaw",
               "explanation"]
CALIBRATIONS = {"hyped", "mixed", "well calibrated"}
CLAIM_TYPES = {"efficacy", "safety", "mechanism", "scope", "source"}
STRENGTHS = {"none", "correlational", "conditional_causal", "direct_causal"}
EVIDENCE_DESIGNS = {"none", "anecdote", "expert opinion", "unnamed studies", "unlocatable citation", "animal study",
                    "uncontrolled before/after", "customer survey", "observational cohort", "randomised trial"}
SOURCE_FLAWS = {"vague_source", "unlocatable_citation"}
HARMS_OR_ABSOLUTE_FLAWS = {"harms_omitted", "absolute_claim"}
FLAWS = SOURCE_FLAWS | HARMS_OR_ABSOLUTE_FLAWS | {
    "overstated_strength", "contradiction", "animal_to_human", "relative_risk_only", "uncontrolled_before_after",
    "conflict_of_interest", "testimonial", "disease_mongering", "none"}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


INDEX = _read(PRACTICE / "index.csv")
ARTICLE_IDS = list(INDEX["article_id"])


def _row(article_id: str) -> pd.Series:
    return INDEX.set_index("article_id").loc[article_id]


def _key(article_id: str) -> pd.DataFrame:
    return _read(PRACTICE / _row(article_id)["key_file"])


def _fold(text: str) -> str:
    return " ".join(text.split())


def test_index_columns_and_values():
    assert list(INDEX.columns) == INDEX_COLUMNS
    assert INDEX["article_id"].is_unique
    assert set(INDEX["calibration"]) <= CALIBRATIONS
    assert INDEX["planted_flaws"].str.fullmatch(r"\d+").all()
    assert (INDEX["topic"].str.strip() != "").all() and (INDEX["notes"].str.strip() != "").all()


def test_index_lists_existing_files_and_nothing_is_left_out():
    for row in INDEX.itertuples():
        assert (PRACTICE / row.file).is_file(), row.file
        assert (PRACTICE / row.key_file).is_file(), row.key_file
        assert row.file == f"{row.article_id}.txt" and row.key_file == f"{row.article_id}.key.csv"
    on_disk = {p.name for p in PRACTICE.glob("*.txt")}
    assert on_disk == set(INDEX["file"]), "every practice article needs a row in index.csv"


def test_the_set_has_good_and_bad_examples():
    counts = INDEX["calibration"].value_counts()
    assert counts.get("well calibrated", 0) >= 1
    assert counts.get("hyped", 0) >= 2


@pytest.mark.parametrize("article_id", ARTICLE_IDS)
def test_article_starts_with_the_fictional_marker_then_its_title(article_id):
    lines = (PRACTICE / _row(article_id)["file"]).read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith(MARKER_START) and lines[0].endswith("]"), "first line must be the fictional marker"
    assert "invented" in lines[0] and "health information" in lines[0]
    assert lines[1] == "", "a blank line must follow the marker"
    assert lines[2] == _row(article_id)["title"], "the title line must match index.csv"


@pytest.mark.parametrize("article_id", ARTICLE_IDS)
def test_article_length_and_shape(article_id):
    path = PRACTICE / _row(article_id)["file"]
    words = len(path.read_text(encoding="utf-8").split("\n", 1)[1].split())
    assert 350 <= words <= 600, f"{path.name}: {words} words without the marker (want 350-600)"
    table = load_article(path)
    assert list(table["kind"][:2]) == ["title", "title"], "marker and title should read as the two title rows"
    assert (table["kind"] == "heading").sum() >= 3
    assert (table["kind"] == "question").any(), "an FAQ with numbered questions"
    assert (table["kind"] == "link").any(), "footer lines"


@pytest.mark.parametrize("article_id", ARTICLE_IDS)
def test_key_columns_and_allowed_values(article_id):
    key = _key(article_id)
    assert list(key.columns) == KEY_COLUMNS
    assert list(key["claim_id"]) == [f"P{i}" for i in range(1, len(key) + 1)]
    assert set(key["claim_type"]) <= CLAIM_TYPES
    assert set(key["claim_strength"]) <= STRENGTHS
    assert set(key["evidence_design"]) <= EVIDENCE_DESIGNS
    assert set(key["flaw"]) <= FLAWS
    assert (key["cited_evidence"].str.strip() != "").all()
    assert (key["explanation"].str.len() > 20).all()


@pytest.mark.parametrize("article_id", ARTICLE_IDS)
def test_planted_flaw_count_matches_the_key(article_id):
    key = _key(article_id)
    row = _row(article_id)
    assert int(row["planted_flaws"]) == (key["flaw"] != "none").sum()
    if row["calibration"] == "hyped":
        assert 8 <= int(row["planted_flaws"]) <= 12
    if row["calibration"] == "well calibrated":
        assert int(row["planted_flaws"]) <= 2
        assert (key["flaw"] == "none").sum() >= 5, "list the good article's main claims too"


@pytest.mark.parametrize("article_id", ARTICLE_IDS)
def test_every_quote_is_in_exactly_one_sentence(article_id):
    sentences = load_article(PRACTICE / _row(article_id)["file"])["text"].map(_fold)
    for claim in _key(article_id).itertuples():
        quote = _fold(claim.quote)
        hits = sentences[sentences.str.contains(quote, regex=False)]
        assert len(hits) == 1, f"{article_id} {claim.claim_id}: quote found in {len(hits)} sentences"


@pytest.mark.parametrize("article_id", list(INDEX.loc[INDEX["calibration"] == "hyped", "article_id"]))
def test_hyped_articles_plant_each_main_kind_of_flaw(article_id):
    flaws = set(_key(article_id)["flaw"])
    assert flaws & SOURCE_FLAWS, "a vague or unlocatable source"
    assert "overstated_strength" in flaws
    assert flaws & HARMS_OR_ABSOLUTE_FLAWS, "omitted harms or an absolute claim"
