"""Module 3's data: ect_systemic_effects.csv, bradford_hill.csv and mechanism_checks.csv."""

import re
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
    assert list(table.columns) == ["order", "viewpoint", "question", "assessment", "evidence_source_ids", "support",
                                   "strongest_for"]
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
                                   "evidence_source_ids", "fit", "strongest_for"]
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


NONE_FOUND = "none found in the kit's sources"


@pytest.mark.parametrize("name", ["bradford_hill.csv", "mechanism_checks.csv"])
def test_every_verdict_shows_the_strongest_evidence_for_the_claim(name, registry):
    # Balance: beside the case against, each row names the strongest evidence for the claim, with its sources in
    # brackets, or says plainly that the kit's sources hold none.
    table = _read(name)
    for row in table.itertuples():
        text = row.strongest_for.strip()
        cited = set(re.findall(r"S\d+", " ".join(re.findall(r"\[([^\]]+)\]", text))))
        assert text.startswith(NONE_FOUND) or cited, f"{name}: {row[1]} strongest_for cites no source: {text!r}"
        assert cited <= registry, f"{name}: {row[1]} strongest_for cites unknown ids {sorted(cited - registry)}"


def test_strength_is_the_size_of_the_association_not_its_bias():
    # Hill's strength asks how large the association is; bias and confounding belong to other viewpoints.
    row = _read("bradford_hill.csv").set_index("viewpoint").loc["strength"]
    assert "59.8%" in row["assessment"] and row["support"] in {"some", "strong"}
    assert "started with more pain" not in row["assessment"]


def test_specificity_shows_what_the_case_matched_study_concluded():
    # Wasan 2004 [S26] was designed to control for depression and concludes ECT's analgesia is independent of it;
    # the kit must not use it for "depression is the simpler path" without saying so.
    hill = _read("bradford_hill.csv").set_index("viewpoint")
    assert "independent of" in hill.loc["specificity", "assessment"]
    assert "S26" in hill.loc["specificity", "strongest_for"]
    assert hill.loc["specificity", "support"] != "none"
    m6 = _read("mechanism_checks.csv").set_index("check_id").loc["M6"]
    assert "S26" in m6["strongest_for"] and "independent of" in m6["strongest_for"]


def test_half_life_is_not_read_as_ruling_lasting_relief_out():
    # A 37-minute half-life of injected plasma beta-endorphin says nothing certain about lasting relief.
    hill = _read("bradford_hill.csv")
    text = " ".join(hill["assessment"]).lower()
    assert "cannot by itself explain" not in text and "cannot carry" not in text
    assert "no evidence links" in hill.set_index("viewpoint").loc["coherence", "assessment"].lower()


def test_acth_is_not_said_to_be_measured_by_alexopoulos():
    x08 = _read("ect_systemic_effects.csv").set_index("effect_id").loc["X08", "effect"]
    assert "in parallel with ACTH" not in x08 and "reported by others" in x08
