"""appraisal.evaluation: metrics, the bootstrap interval, the external slice and the stored figures.

The sentences here are written for these tests and are not in data/claim_strength_examples.csv.
"""

import math

import pandas as pd
import pytest

from appraisal.claims import STRENGTH_LEVELS
from appraisal.evaluation import (
    VALIDATION_COLUMNS,
    StrengthReport,
    bootstrap_macro_f1,
    evaluate_strength,
    load_external_slice,
    load_strength_examples,
    load_validation,
    strength_metrics,
)


def test_metrics_on_a_hand_computed_example():
    truth = pd.Series(["none", "none", "correlational", "conditional_causal", "direct_causal", "direct_causal"])
    predicted = pd.Series(["none", "correlational", "correlational", "direct_causal", "direct_causal", "none"])
    accuracy, macro_f1, per_class, confusion = strength_metrics(truth, predicted)
    # Rows are the true labels, columns the predictions, counted by hand from the two lists above.
    expected = pd.DataFrame(
        [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 1]],
        index=pd.Index(STRENGTH_LEVELS, name="true"), columns=pd.Index(STRENGTH_LEVELS, name="predicted"),
    )
    pd.testing.assert_frame_equal(confusion, expected, check_dtype=False)
    assert accuracy == pytest.approx(3 / 6)
    # none: P = 1/2, R = 1/2; correlational: P = 1/2, R = 1; conditional: 0 and 0; direct: P = 1/2, R = 1/2.
    assert per_class["precision"].tolist() == pytest.approx([0.5, 0.5, 0.0, 0.5])
    assert per_class["recall"].tolist() == pytest.approx([0.5, 1.0, 0.0, 0.5])
    assert per_class["f1"].tolist() == pytest.approx([0.5, 2 / 3, 0.0, 0.5])
    assert per_class["support"].tolist() == [2, 1, 1, 2]
    assert macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.0 + 0.5) / 4)


def test_macro_f1_skips_levels_never_seen_nor_predicted():
    accuracy, macro_f1, per_class, _ = strength_metrics(pd.Series(["none", "direct_causal"]),
                                                         pd.Series(["none", "direct_causal"]))
    assert accuracy == 1.0 and macro_f1 == 1.0
    assert per_class.loc["correlational", "support"] == 0


def test_evaluate_strength_on_a_small_table():
    examples = pd.DataFrame({
        "example_id": ["T1", "T2", "T3", "T4"],
        "sentence": ["Zinc shortens colds.", "Zinc may shorten colds.", "Zinc is linked to shorter colds.",
                     "Zinc lozenges: a buyer's guide"],
        "label": ["direct_causal", "direct_causal", "correlational", "none"],
        "split": ["heldout", "heldout", "heldout", "train"],
    })
    report = evaluate_strength(examples)  # held-out by default
    assert isinstance(report, StrengthReport)
    assert report.n == 3 and report.accuracy == pytest.approx(2 / 3)
    assert list(report.confusion.index) == list(STRENGTH_LEVELS) == list(report.confusion.columns)
    assert report.confusion.loc["direct_causal", "conditional_causal"] == 1
    assert report.errors[["example_id", "predicted", "rule"]].values.tolist() == [
        ["T2", "conditional_causal", "hedged causal verb"]]
    assert "3 sentences" in str(report)
    assert evaluate_strength(examples, split="all").n == 4


def test_evaluate_strength_says_when_a_split_is_missing():
    examples = pd.DataFrame({"sentence": ["Zinc shortens colds."], "label": ["direct_causal"], "split": ["train"]})
    with pytest.raises(ValueError, match="heldout"):
        evaluate_strength(examples, split="heldout")
    with pytest.raises(ValueError, match="not among"):
        evaluate_strength(examples.assign(label="strong"), split="train")


def test_the_rules_do_well_on_the_training_examples():
    examples = load_strength_examples()
    report = evaluate_strength(examples, split="train")
    assert report.accuracy >= 0.9 and report.macro_f1 >= 0.9
    assert not math.isnan(report.macro_f1)


def test_the_old_names_still_work_from_appraisal_claims():
    from appraisal.claims import evaluate_strength as old_evaluate
    from appraisal.claims import load_strength_examples as old_load

    assert old_evaluate is evaluate_strength and old_load is load_strength_examples


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    truth = pd.Series(["none", "correlational", "conditional_causal", "direct_causal"] * 25)
    predicted = truth.copy()
    predicted[::5] = "none"  # every fifth sentence wrong
    _, macro_f1, _, _ = strength_metrics(truth, predicted)
    low, high = bootstrap_macro_f1(truth, predicted, n_boot=300, seed=3)
    assert (low, high) == bootstrap_macro_f1(truth, predicted, n_boot=300, seed=3)
    assert low < macro_f1 < high and 0 < low and high <= 1
    assert bootstrap_macro_f1(truth, truth, n_boot=200) == (1.0, 1.0)


def test_bootstrap_refuses_bad_input():
    with pytest.raises(ValueError):
        bootstrap_macro_f1(pd.Series([], dtype=str), pd.Series([], dtype=str))
    with pytest.raises(ValueError):
        bootstrap_macro_f1(pd.Series(["none"]), pd.Series(["none"]), n_boot=10)


def test_external_slice_absent_gives_none(tmp_path):
    assert load_external_slice(tmp_path / "yu2019-dev.csv") is None


def test_external_slice_is_read_with_its_labels(tmp_path):
    path = tmp_path / "slice.csv"
    pd.DataFrame({"row": [1, 2], "sentence": ["Tea is linked to calm.", "A survey of tea."],
                  "label": ["correlational", "none"]}).to_csv(path, index=False)
    table = load_external_slice(path)
    assert table["split"].tolist() == ["external", "external"]
    assert evaluate_strength(table, "all").accuracy == 1.0


def test_stored_validation_figures_meet_the_goals():
    """The figures the bench stored: kit held-out and, when it was measured, the external slice."""
    table = load_validation()
    assert list(table.columns) == list(VALIDATION_COLUMNS)
    overall = table[table["level"] == "all"].set_index("dataset")
    assert overall.loc["kit held-out", "macro_f1"] >= 0.85
    assert (overall["ci_low"] <= overall["macro_f1"]).all() and (overall["macro_f1"] <= overall["ci_high"]).all()
    assert table["measured"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_stored_internal_figure_is_what_the_rules_give_now():
    """If the rules change, re-run bench/claim_strength_validation.py --store."""
    stored = load_validation().set_index(["dataset", "level"])
    now = evaluate_strength(load_strength_examples(), "heldout")
    assert stored.loc[("kit held-out", "all"), "macro_f1"] == pytest.approx(now.macro_f1, abs=5e-4)
