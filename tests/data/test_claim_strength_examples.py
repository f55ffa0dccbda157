"""data/claim_strength_examples.csv: hand-labelled sentences for the claim-strength rules."""

from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).parents[2] / "data" / "claim_strength_examples.csv"
COLUMNS = ["example_id", "sentence", "label", "style", "split", "note"]
LEVELS = {"none", "correlational", "conditional_causal", "direct_causal"}


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    return pd.read_csv(EXAMPLES, dtype=str, keep_default_na=False)


def test_columns(examples):
    assert list(examples.columns) == COLUMNS


def test_ids_are_unique_and_well_formed(examples):
    assert examples["example_id"].is_unique
    assert examples["example_id"].str.fullmatch(r"E\d{3,}").all()


def test_values(examples):
    assert set(examples["label"]) <= LEVELS
    assert set(examples["split"]) <= {"train", "heldout"}
    assert set(examples["style"]) <= {"news", "press_release", "abstract", "web_health"}
    assert (examples["sentence"].str.strip() != "").all()
    assert (examples["sentence"] == examples["sentence"].str.strip()).all()


def test_no_duplicate_sentences(examples):
    folded = examples["sentence"].str.casefold().str.split().str.join(" ")
    assert not folded.duplicated().any(), examples.loc[folded.duplicated(keep=False), "sentence"].tolist()


def test_the_training_split_is_big_enough(examples):
    train = examples[examples["split"] == "train"]
    assert len(train) >= 200
    counts = train["label"].value_counts()
    assert set(counts.index) == LEVELS
    assert (counts >= 30).all(), counts.to_dict()
    assert (train["note"].str.strip() != "").all()  # every training example says what it tests
