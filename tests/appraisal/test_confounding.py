"""appraisal.confounding: the simulated depression path, checked against values worked out by hand."""

import numpy as np
import pandas as pd
import pytest

from appraisal.confounding import TRIAL_COLUMNS, compare_designs, mood_pain_correlation, simulate_sham_trial

NO_NOISE = {"mood_sd": 0.0, "pain_sd": 0.0}


def test_shape_and_columns():
    trial = simulate_sham_trial(5, seed=1)
    assert list(trial.columns) == TRIAL_COLUMNS
    assert len(trial) == 10
    assert trial["arm"].value_counts().to_dict() == {"ECT": 5, "sham": 5}
    assert trial["patient"].tolist() == list(range(1, 11))


def test_without_noise_the_means_are_the_model_by_hand():
    # Depressed, ECT: mood 1 + 4 = 5, pain 0.5 + 0.5 * 5 = 3.0. Sham: mood 1, pain 0.5 + 0.5 = 1.0.
    trial = simulate_sham_trial(3, seed=0, **NO_NOISE)
    ect = trial[trial["arm"] == "ECT"]
    sham = trial[trial["arm"] == "sham"]
    np.testing.assert_allclose(ect["mood_improvement"], 5.0)
    np.testing.assert_allclose(ect["pain_improvement"], 3.0)
    np.testing.assert_allclose(sham["pain_improvement"], 1.0)
    # Without depression ECT adds nothing to mood: both arms 1.0 pain; a direct effect of 0.7 shows only in ECT.
    trial = simulate_sham_trial(3, seed=0, depressed=False, direct_effect=0.7, **NO_NOISE)
    np.testing.assert_allclose(trial.loc[trial["arm"] == "ECT", "pain_improvement"], 1.7)
    np.testing.assert_allclose(trial.loc[trial["arm"] == "sham", "pain_improvement"], 1.0)


def test_compare_designs_without_noise():
    table = compare_designs(4, seed=3, **NO_NOISE)
    assert list(table.columns) == ["design", "pain_points", "what_it_measures"]
    # Before/after 3.0 (all of it from mood and non-specific change); ECT vs sham 2.0 = 0.5 * 4; no depression 0.
    np.testing.assert_allclose(table["pain_points"], [3.0, 2.0, 0.0], atol=1e-12)


def test_compare_designs_separates_a_direct_effect():
    table = compare_designs(4, seed=3, direct_effect=1.0, **NO_NOISE)
    np.testing.assert_allclose(table["pain_points"], [4.0, 3.0, 1.0], atol=1e-12)


def test_large_sample_means_are_close_to_the_model():
    # With noise, 20,000 per arm: standard error of a difference about 2 * 1.8 / sqrt(20000) ~ 0.025.
    table = compare_designs(20_000, seed=11)
    assert table["pain_points"].tolist() == pytest.approx([3.0, 2.0, 0.0], abs=0.1)


def test_correlation_matches_the_model():
    # ECT arm: pain = 0.5 * mood + noise; var(0.5 * mood) = 0.25 * 4 = 1, noise var 2.25: r = 1 / sqrt(3.25) = 0.555.
    trial = simulate_sham_trial(20_000, seed=5)
    assert mood_pain_correlation(trial) == pytest.approx(1 / np.sqrt(3.25), abs=0.02)
    # No mood path: no correlation.
    trial = simulate_sham_trial(20_000, seed=5, pain_per_mood=0.0)
    assert abs(mood_pain_correlation(trial)) < 0.03


def test_same_seed_same_patients_and_different_seed_different():
    a = simulate_sham_trial(10, seed=42)
    pd.testing.assert_frame_equal(a, simulate_sham_trial(10, seed=42))
    assert not a.equals(simulate_sham_trial(10, seed=43))


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_per_arm": 1, "seed": 0}, ValueError, "n_per_arm"),
        ({"n_per_arm": 2.5, "seed": 0}, TypeError, "n_per_arm"),
        ({"n_per_arm": 5, "seed": -1}, ValueError, "seed"),
        ({"n_per_arm": 5, "seed": 0, "mood_sd": -1.0}, ValueError, "mood_sd"),
        ({"n_per_arm": 5, "seed": 0, "pain_per_mood": float("nan")}, ValueError, "pain_per_mood"),
        ({"n_per_arm": 5, "seed": 0, "depressed": "yes"}, TypeError, "depressed"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        simulate_sham_trial(**kwargs)


def test_correlation_bad_input():
    with pytest.raises(TypeError, match="trial"):
        mood_pain_correlation([1, 2, 3])
    with pytest.raises(ValueError, match="arm"):
        mood_pain_correlation(simulate_sham_trial(3, seed=0), arm="placebo")
    with pytest.raises(ValueError, match="depressed"):
        compare_designs(3, seed=0, depressed=False)


def test_compare_designs_names_an_unknown_assumption_and_lists_the_real_ones():
    # A student who writes direct=0.5 for direct_effect=0.5 should read about compare_designs, not an inner function.
    with pytest.raises(TypeError, match=r"compare_designs got an unknown assumption 'direct'.*direct_effect"):
        compare_designs(200, seed=7, direct=0.5)


def test_the_listed_assumptions_are_the_simulations_keyword_arguments():
    import inspect

    from appraisal.confounding import ASSUMPTIONS

    params = inspect.signature(simulate_sham_trial).parameters
    assert ASSUMPTIONS == [p for p, v in params.items() if v.kind is v.KEYWORD_ONLY and p != "depressed"]
