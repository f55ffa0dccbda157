"""Module 3's data: ect_systemic_effects.csv, bradford_hill.csv and mechanism_checks.csv."""

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[2] / "data"
IDS = r"S\d+(;S\d+)*"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def registry() -> set[str]:
    return set(_read("sources.csv")["id"])


@pytest.fixture(scope="module")
def claims() -> set[str]:
    return set(_read("claims.csv")["claim_id"])


def _all_ids(column: pd.Series) -> set[str]:
    return {i for cell in column for i in cell.split(";")}


def test_systemic_effects_schema_and_sources(registry):
    table = _read("ect_systemic_effects.csv")
    assert list(table.columns) == ["effect_id", "body_system", "effect", "timing", "size", "source_ids"]
    assert table["effect_id"].is_unique and table["effect_id"].str.fullmatch(r"X\d{2}").all()
    assert (table["effect"].str.len() > 10).all()
    assert table["source_ids"].str.fullmatch(IDS).all()
    assert _all_ids(table["source_ids"]) <= registry


def test_systemic_effects_cover_what_contradicts_localised(registry):
    table = _read("ect_systemic_effects.csv")
    text = " ".join(table["effect"]).lower()
    for needed in ("anaesthesia", "muscle relaxant", "generalised", "heart rate", "blood pressure", "cortisol"):
        assert needed in text, f"ect_systemic_effects.csv should list {needed}"
    # The one heart-rate figure is the published 135 +/- 20 bpm (S59).
    assert table["size"].str.contains("135 +/- 20 bpm", regex=False).sum() == 1
    assert "S59" in table.loc[table["size"].str.contains("135"), "source_ids"].iloc[0]


def test_bradford_hill_has_the_nine_viewpoints_in_hills_order(registry):
    table = _read("bradford_hill.csv")
    assert list(table.columns) == ["order", "viewpoint", "question", "assessment", "evidence_source_ids", "support"]
    assert table["viewpoint"].tolist() == [
        "strength", "consistency", "specificity", "temporality", "biological gradient",
        "plausibility", "coherence", "experiment", "analogy",
    ]
    assert table["order"].tolist() == [str(i) for i in range(1, 10)]
    assert table["question"].str.endswith("?").all()
    assert (table["assessment"].str.len() > 40).all()
    assert set(table["support"]) <= {"none", "weak", "some", "strong"}
    assert table["evidence_source_ids"].str.fullmatch(IDS).all()
    assert _all_ids(table["evidence_source_ids"]) <= registry


def test_bradford_hill_experiment_is_none_because_no_controlled_trial_exists():
    table = _read("bradford_hill.csv").set_index("viewpoint")
    assert table.loc["experiment", "support"] == "none"
    assert "S42" in table.loc["experiment", "evidence_source_ids"]


def test_mechanism_checks_schema(registry, claims):
    table = _read("mechanism_checks.csv")
    assert list(table.columns) == ["check_id", "check", "claim_ids", "article_says", "known",
                                   "evidence_source_ids", "fit"]
    assert table["check_id"].is_unique and table["check_id"].str.fullmatch(r"M\d+").all()
    assert table["claim_ids"].str.fullmatch(r"C\d{2}(;C\d{2})*").all()
    assert _all_ids(table["claim_ids"]) <= claims
    assert set(table["fit"]) <= {"consistent", "speculative", "inconsistent", "contradicted",
                                 "alternative explanation"}
    assert table["evidence_source_ids"].str.fullmatch(IDS).all()
    assert _all_ids(table["evidence_source_ids"]) <= registry


def test_every_mechanism_claim_is_checked():
    claims = _read("claims.csv")
    mechanism = set(claims.loc[claims["claim_type"] == "mechanism", "claim_id"])
    assert mechanism <= _all_ids(_read("mechanism_checks.csv")["claim_ids"])
