"""appraisal.simulate: regression to the mean, case series, trials, case reports and funnel data."""

import math

import numpy as np
import pytest

from appraisal.simulate import (
    case_report_sensitivity,
    expected_rtm,
    sds_from_correlation,
    simulate_case_report_literature,
    simulate_case_series,
    simulate_meta_studies,
    simulate_population,
    simulate_rtm,
    simulate_trial,
)


def test_expected_rtm_by_hand():
    # mean 0, both SDs 1, cut-off at the mean: z = 0, C(0) = phi(0)/0.5 = 2/sqrt(2 pi), total SD sqrt(2):
    # RTM = (1 / sqrt 2) * 2 / sqrt(2 pi) = 1 / sqrt(pi).
    assert expected_rtm(0, 1, 1, 0) == pytest.approx(1 / math.sqrt(math.pi))
    assert expected_rtm(0, 1, 1, 0, direction="below") == pytest.approx(1 / math.sqrt(math.pi))
    # Two baseline measurements halve the within variance: 0.5 / sqrt(1.5) * 2 / sqrt(2 pi).
    assert expected_rtm(0, 1, 1, 0, m=2) == pytest.approx(0.5 / math.sqrt(1.5) * 2 / math.sqrt(2 * math.pi))
    # No within-person variation, no regression to the mean.
    assert expected_rtm(5, 2, 0, 7) == 0


@pytest.mark.parametrize(("rho", "points"), [(0.2, 21.6), (0.5, 13.5), (0.8, 5.4)])
def test_expected_rtm_reproduces_the_worked_demonstration(rho, points):
    # appraisal-frameworks.md section 11: mean 60, total SD 15, baseline <= 40.
    sd_b, sd_w = sds_from_correlation(15, rho)
    assert round(expected_rtm(60, sd_b, sd_w, 40, direction="below"), 1) == points


@pytest.mark.parametrize(("rho", "points"), [(0.2, 21.6), (0.5, 13.5), (0.8, 5.4)])
def test_simulated_rtm_agrees_with_the_formula_within_sampling_error(rho, points):
    sd_b, sd_w = sds_from_correlation(15, rho)
    simulated = simulate_rtm(400_000, np.random.default_rng(2005), mean=60, sd_between=sd_b, sd_within=sd_w,
                             cutoff=40, direction="below")
    # About 36,000 people are selected; the change has SD below 25 points, so the SE is below 0.14.
    assert simulated == pytest.approx(points, abs=0.6)


def test_sds_from_correlation():
    assert sds_from_correlation(15, 0.5) == pytest.approx((15 / math.sqrt(2), 15 / math.sqrt(2)))
    assert sds_from_correlation(10, 1.0) == (10.0, 0.0)
    with pytest.raises(ValueError, match="rho"):
        sds_from_correlation(15, 1.5)


def test_expected_rtm_validates():
    with pytest.raises(ValueError, match="direction"):
        expected_rtm(0, 1, 1, 0, direction="up")
    with pytest.raises(ValueError, match="sd_within"):
        expected_rtm(0, 1, -1, 0)
    with pytest.raises(ValueError, match="m must be"):
        expected_rtm(0, 1, 1, 0, m=0)
    with pytest.raises(ValueError, match="both be 0"):
        expected_rtm(0, 0, 0, 0)
    with pytest.raises(TypeError, match="cutoff"):
        expected_rtm(0, 1, 1, "7")


def test_population_shape_bounds_and_seed():
    a = simulate_population(500, np.random.default_rng(1), n_visits=3)
    b = simulate_population(500, np.random.default_rng(1), n_visits=3)
    assert list(a.columns) == ["person", "person_mean", "pain_0", "pain_1", "pain_2"]
    assert a.equals(b)
    assert a[["pain_0", "pain_1", "pain_2"]].stack().between(0, 10).all()


def test_population_validates():
    with pytest.raises(TypeError, match="rng"):
        simulate_population(10, 42)
    with pytest.raises(ValueError, match="n must be"):
        simulate_population(0, np.random.default_rng(1))
    with pytest.raises(ValueError, match="sd_between"):
        simulate_population(10, np.random.default_rng(1), sd_between=-1)
    with pytest.raises(ValueError, match="bounds"):
        simulate_population(10, np.random.default_rng(1), bounds=(10, 0))


def test_case_series_without_fluctuation_shows_only_the_effects():
    # With no within-person variation there is nothing to regress: improvement = non-specific + true effect.
    pop = simulate_population(2000, np.random.default_rng(3), sd_within=0, sd_noise=0, bounds=None)
    series = simulate_case_series(pop, 6, nonspecific=1.0, true_effect=0.5, bounds=None)
    assert (series["baseline"] >= 6).all()
    assert series["improvement"].to_numpy() == pytest.approx(np.full(len(series), 1.5))


def test_case_series_improves_with_no_effect_at_all():
    pop = simulate_population(50_000, np.random.default_rng(4), bounds=None)
    series = simulate_case_series(pop, 7, bounds=None)
    expected = expected_rtm(5, 1.5, math.hypot(1.5, 0.5), 7)
    assert series["improvement"].mean() == pytest.approx(expected, abs=0.1)
    assert expected > 1


def test_case_series_needs_someone_referred():
    pop = simulate_population(100, np.random.default_rng(5))
    with pytest.raises(ValueError, match="threshold"):
        simulate_case_series(pop, 11)
    with pytest.raises(ValueError, match="n_visits"):
        simulate_case_series(pop[["person", "pain_0"]], 5)


def test_trial_arms_differ_by_the_true_effect_only():
    pop = simulate_population(3000, np.random.default_rng(6), sd_within=0, sd_noise=0, bounds=None)
    trial = simulate_trial(pop, 5, np.random.default_rng(7), nonspecific=1.0, true_effect=2.0, bounds=None)
    arms = trial.groupby("arm")["improvement"]
    assert arms.mean()["treatment"] == pytest.approx(3.0) and arms.mean()["control"] == pytest.approx(1.0)
    assert abs(arms.size()["treatment"] - arms.size()["control"]) <= 1
    untreated = simulate_trial(pop, 5, np.random.default_rng(7), nonspecific=1.0, control="none", bounds=None)
    assert untreated.groupby("arm")["improvement"].mean()["control"] == pytest.approx(0.0)


def test_trial_recovers_a_zero_effect_despite_regression_to_the_mean():
    pop = simulate_population(60_000, np.random.default_rng(8), bounds=None)
    trial = simulate_trial(pop, 7, np.random.default_rng(9), nonspecific=1.0, bounds=None)
    means = trial.groupby("arm")["improvement"].mean()
    assert means["control"] > 2  # the control arm "improves" too
    assert means["treatment"] - means["control"] == pytest.approx(0, abs=0.15)


def test_trial_validates_control():
    pop = simulate_population(100, np.random.default_rng(1))
    with pytest.raises(ValueError, match="control"):
        simulate_trial(pop, 5, np.random.default_rng(1), control="placebo pill")


def test_case_report_literature_publication_filter():
    fair = simulate_case_report_literature(20_000, np.random.default_rng(10), p_publish_improved=0.5,
                                           p_publish_not_improved=0.5)
    published = fair[fair["published"]]
    assert published["improved"].mean() == pytest.approx(fair["improved"].mean(), abs=0.03)
    only_good = simulate_case_report_literature(5000, np.random.default_rng(11), p_publish_not_improved=0.0)
    assert only_good.loc[only_good["published"], "improved"].all()
    assert len(fair) == 20_000 and (fair["baseline"] >= 7).all()


def test_case_report_literature_improved_means_a_30_percent_drop():
    lit = simulate_case_report_literature(2000, np.random.default_rng(12))
    by_hand = (lit["baseline"] - lit["follow_up"]) >= 0.3 * lit["baseline"]
    assert (lit["improved"] == by_hand).all()


def test_case_report_literature_validates():
    with pytest.raises(ValueError, match="p_publish_improved"):
        simulate_case_report_literature(10, np.random.default_rng(1), p_publish_improved=1.5)
    with pytest.raises(ValueError, match="threshold"):
        simulate_case_report_literature(10, np.random.default_rng(1), threshold=10.5)


def test_sensitivity_table_changes_one_thing_at_a_time():
    table = case_report_sensitivity({"p_publish_not_improved": [0.1, 0.01]}, seed=1, n_patients=5000)
    assert list(table["parameter"]) == ["p_publish_not_improved"] * 2
    # Publishing failures as often as successes (0.1 = 0.1) removes the filter; rarely, inflates the share.
    fair, filtered = table["share_improved_published"]
    assert fair == pytest.approx(table["share_improved_all"][0], abs=0.03)
    assert filtered > fair + 0.2
    with pytest.raises(ValueError, match="unknown parameter"):
        case_report_sensitivity({"luck": [1]}, seed=1)
    with pytest.raises(TypeError, match="seed"):
        case_report_sensitivity({"threshold": [7]}, seed="1")


def test_meta_studies_standard_error_and_filter():
    studies = simulate_meta_studies(4000, np.random.default_rng(13), n_min=50, n_max=50)
    assert studies["se"].to_numpy() == pytest.approx(np.full(4000, 0.2))  # sqrt(2 / 50)
    assert studies["published"].all()
    # With no true effect, about 2.5% of studies show a significant benefit by chance.
    assert studies["significant_benefit"].mean() == pytest.approx(0.025, abs=0.008)
    biased = simulate_meta_studies(4000, np.random.default_rng(13), p_publish_nonsignificant=0.0)
    assert (biased["published"] == biased["significant_benefit"]).all()


def test_meta_studies_p_value_at_z_1_96():
    studies = simulate_meta_studies(2000, np.random.default_rng(14))
    near = studies[(studies["effect"] / studies["se"]).abs().between(1.955, 1.965)]
    assert len(near) > 0 and near["p_value"].between(0.0495, 0.0506).all()


def test_meta_studies_validates():
    with pytest.raises(ValueError, match="n_min"):
        simulate_meta_studies(10, np.random.default_rng(1), n_min=100, n_max=10)


def test_meta_studies_can_hide_studies_pointing_the_wrong_way():
    studies = simulate_meta_studies(3000, np.random.default_rng(15), p_publish_nonsignificant=1.0,
                                    p_publish_negative=0.0)
    assert (studies["published"] == (studies["effect"] > 0)).all()
    with pytest.raises(ValueError, match="p_publish_negative"):
        simulate_meta_studies(10, np.random.default_rng(1), p_publish_negative=2.0)
