"""data/claims.csv: the spine of the kit, one row per substantive claim of the article."""

import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.text import load_article

CLAIMS = Path(__file__).parents[2] / "data" / "claims.csv"
COLUMNS = ["claim_id", "sentence_id", "quote", "claim_type", "claim_strength", "cited_source_as_written",
           "source_found", "verdict", "evidence_source_ids", "verdict_reason", "strongest_for"]
VERDICTS = {"supported", "partly true", "misleading", "unsupported", "contradicted", "cannot locate source"}
NONE_FOUND = "none found in the kit's sources"


@pytest.fixture(scope="module")
def claims() -> pd.DataFrame:
    return pd.read_csv(CLAIMS, dtype={"sentence_id": "int64"}, keep_default_na=False)


def test_columns_and_ids(claims):
    assert list(claims.columns[: len(COLUMNS)]) == COLUMNS
    assert claims["claim_id"].is_unique
    assert claims["claim_id"].str.fullmatch(r"C\d{2}").all()


def test_category_values(claims):
    assert set(claims["claim_type"]) <= {"efficacy", "safety", "mechanism", "scope", "source"}
    assert set(claims["claim_strength"]) <= {"none", "correlational", "conditional_causal", "direct_causal"}
    assert set(claims["source_found"]) <= {"yes", "no", "partly", "none cited"}
    assert set(claims["verdict"]) <= VERDICTS


def test_quotes_are_exact_and_join_the_sentence_table(claims):
    sentences = load_article().set_index("sentence_id")["text"]
    for row in claims.itertuples():
        assert row.sentence_id in sentences.index, row.claim_id
        assert row.quote in sentences[row.sentence_id], f"{row.claim_id}: quote not found in sentence {row.sentence_id}"


def test_source_found_agrees_with_what_was_cited(claims):
    cited = claims["cited_source_as_written"].str.strip() != ""
    assert (claims.loc[~cited, "source_found"] == "none cited").all()
    assert (claims.loc[cited, "source_found"] != "none cited").all()


def test_every_claim_has_evidence_ids_and_a_reason(claims):
    assert claims["evidence_source_ids"].str.fullmatch(r"S\d+(;S\d+)*").all()
    assert (claims["verdict_reason"].str.len() > 20).all()


def test_the_fact_sheet_claims_are_all_there(claims):
    # The 13 claims of the kit's fact sheet, by the sentence that makes them (read off data/article.txt).
    fact_sheet_sentences = {22, 23, 21, 14, 12, 18, 19, 27, 31, 33, 48, 51, 8}
    assert fact_sheet_sentences <= set(claims["sentence_id"])


def test_the_two_journal_only_citations_cannot_be_located(claims):
    journal_only = claims[claims["cited_source_as_written"].str.contains("published in")]
    assert sorted(journal_only["sentence_id"]) == [22, 23]
    assert (journal_only["verdict"] == "cannot locate source").all()


def test_every_verdict_shows_the_strongest_case_for_the_claim(claims):
    # Balance (issue 18): beside the case against, the strongest evidence FOR the claim, cited, or a plain
    # "none found in the kit's sources" (what we found, not what exists).
    from appraisal.sources import load_sources

    registry = set(load_sources().index)
    for row in claims.itertuples():
        text = row.strongest_for.strip()
        cited = set(re.findall(r"S\d+", " ".join(re.findall(r"\[(S\d+(?:,\s*S\d+)*)\]", text))))
        assert cited or text.startswith(NONE_FOUND), f"{row.claim_id}: strongest_for cites no source"
        assert cited <= registry, f"{row.claim_id}: strongest_for cites ids not in sources.csv: {cited - registry}"


def test_the_verdicts_are_no_stronger_than_their_weakest_link(claims):
    # "No such review exists" states an absence as fact; the kit says what its search found.
    absolute = re.compile(r"\b(?:no such \w+ (?:exists|was found)|nothing links|cannot both be true|contradicts the "
                          r"article's own)\b", re.IGNORECASE)
    wrong = [row.claim_id for row in claims.itertuples() if absolute.search(row.verdict_reason)]
    assert not wrong, f"verdict reasons worded stronger than the evidence: {wrong}"


def test_the_journal_only_citations_are_treated_alike(claims):
    # C01 and C02 both name a journal only, and for both a related real paper exists that does not say this.
    assert claims.set_index("claim_id").loc[["C01", "C02"], "source_found"].tolist() == ["partly", "partly"]
