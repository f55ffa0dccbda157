"""Module 1 tables: data/contradictions.csv, data/hnr_scorecard.csv, data/article_calibrated.txt (+ .json)."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.sources import cited_ids, load_sources
from appraisal.text import load_article, split_text

DATA = Path(__file__).parents[2] / "data"


@pytest.fixture(scope="module")
def sentences() -> pd.Series:
    return load_article().set_index("sentence_id")["text"]


@pytest.fixture(scope="module")
def registry_ids() -> set[str]:
    return set(load_sources().index)


def _ids(column: pd.Series) -> set[str]:
    return {i for cell in column for i in cell.split(";") if i}


# --- contradictions -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contradictions() -> pd.DataFrame:
    return pd.read_csv(DATA / "contradictions.csv", dtype=str, keep_default_na=False)


def test_contradictions_columns_and_ids(contradictions):
    assert list(contradictions.columns) == [
        "pair_id", "sentence_id_a", "quote_a", "sentence_id_b", "quote_b", "kind", "explanation", "source_ids",
        "relation", "strongest_for",
    ]
    assert contradictions["pair_id"].is_unique
    assert contradictions["pair_id"].str.fullmatch(r"P\d{2}").all()
    assert set(contradictions["kind"]) == {"within_text", "text_vs_evidence"}
    assert set(contradictions["relation"]) <= {"contradiction", "tension"}


def test_a_tension_is_not_called_a_contradiction(contradictions):
    # Relief through one path could be temporary and through another lasting: P01 and P02 are tensions.
    relation = contradictions.set_index("pair_id")["relation"]
    assert relation["P01"] == relation["P02"] == "tension"
    tensions = contradictions[contradictions["relation"] == "tension"]
    assert not tensions["explanation"].str.contains(r"cannot both|cannot be both|one has to go", case=False).any()


def test_every_pair_shows_the_strongest_case_for_the_text(contradictions, registry_ids):
    for row in contradictions.itertuples():
        cited = {i for group in re.findall(r"\[(S\d+(?:,\s*S\d+)*)\]", row.strongest_for)
                 for i in re.findall(r"S\d+", group)}
        assert cited or row.strongest_for.startswith(("none found in the kit's sources", "As for P")), row.pair_id
        assert cited <= registry_ids, row.pair_id


def test_quotes_are_exact(contradictions, sentences):
    for row in contradictions.itertuples():
        assert row.quote_a in sentences[int(row.sentence_id_a)], row.pair_id
        if row.kind == "within_text":
            assert row.quote_b in sentences[int(row.sentence_id_b)], row.pair_id
        else:
            assert row.sentence_id_b == "", f"{row.pair_id}: text-vs-evidence pairs have no sentence b"
            assert row.quote_b.startswith("Evidence: "), row.pair_id


def test_the_required_pairs_are_there(contradictions):
    pairs = {(r.sentence_id_a, r.sentence_id_b) for r in contradictions.itertuples()}
    # temporary vs sustained (and its repeat), CNS vs localised, non-systemic vs anaesthesia, emerging, side effects
    assert {("19", "27"), ("19", "39"), ("30", "31"), ("13", "29"), ("13", "39"), ("7", ""), ("48", "")} <= pairs


def test_contradiction_sources_exist(contradictions, registry_ids):
    assert contradictions["source_ids"].str.fullmatch(r"S\d+(;S\d+)*").all()
    assert _ids(contradictions["source_ids"]) <= registry_ids
    assert contradictions["explanation"].str.len().gt(40).all()


# --- HealthNewsReview scorecard ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scorecard() -> pd.DataFrame:
    return pd.read_csv(DATA / "hnr_scorecard.csv", dtype=str, keep_default_na=False)


def test_scorecard_has_the_ten_criteria(scorecard):
    assert list(scorecard.columns) == [
        "criterion_id", "criterion", "question", "rating", "reason", "sentence_ids", "source_ids"
    ]
    assert scorecard["criterion_id"].tolist() == [f"H{i:02d}" for i in range(1, 11)]
    assert scorecard["question"].str.endswith("?").all()
    assert set(scorecard["rating"]) <= {"satisfactory", "not satisfactory", "not applicable"}


def test_scorecard_reasons_sentences_and_sources(scorecard, sentences, registry_ids):
    assert scorecard["reason"].str.len().gt(40).all()
    cited = scorecard.loc[scorecard["sentence_ids"] != "", "sentence_ids"]
    assert cited.str.fullmatch(r"\d+(;\d+)*").all()
    assert {int(i) for i in _ids(cited)} <= set(sentences.index)
    assert scorecard["source_ids"].str.contains("S114").all(), "every row rests on the HNR criteria [S114]"
    assert _ids(scorecard["source_ids"]) <= registry_ids


# --- calibrated rewrite ---------------------------------------------------------------------------------------


def test_calibrated_article_length_and_citations(registry_ids):
    text = (DATA / "article_calibrated.txt").read_text(encoding="utf-8")
    meta = json.loads((DATA / "article_calibrated.json").read_text(encoding="utf-8"))
    assert 400 <= len(text.split()) <= 650
    assert set(cited_ids(text)) <= registry_ids
    assert sorted(cited_ids(text)) == sorted(meta["source_ids"])
    assert meta["published"] is False
    assert {"S23", "S26", "S36", "S27", "S45", "S50", "S60", "S62", "S71", "S90", "S93"} <= set(cited_ids(text))
    assert len(split_text(text)) > 20
