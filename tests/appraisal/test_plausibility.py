"""appraisal.plausibility: PPV, minimum Bayes factors, posteriors and half-lives against published tables."""

import math

import numpy as np
import pytest

from appraisal.plausibility import (
    max_posterior,
    min_bayes_factor,
    odds_to_probability,
    posterior_probability,
    ppv,
    prior_needed,
    probability_to_odds,
    remaining_fraction,
    surge_level,
    two_sided_z,
)

# Ioannidis 2005, Table 4 (alpha = 0.05), as printed in appraisal-frameworks.md §8:
# (power 1 - beta, pre-study odds R, bias u, PPV as printed, decimals printed).
IOANNIDIS_TABLE_4 = [
    (0.80, 1 / 1, 0.10, 0.85, 2),
    (0.95, 2 / 1, 0.30, 0.85, 2),
    (0.80, 1 / 3, 0.40, 0.41, 2),
    (0.20, 1 / 5, 0.20, 0.23, 2),
    (0.20, 1 / 5, 0.80, 0.17, 2),
    (0.80, 1 / 10, 0.30, 0.20, 2),
    (0.20, 1 / 10, 0.30, 0.12, 2),
    (0.20, 1 / 1000, 0.80, 0.0010, 4),
    (0.20, 1 / 1000, 0.20, 0.0015, 4),
]


@pytest.mark.parametrize(("power", "odds", "bias", "printed", "digits"), IOANNIDIS_TABLE_4)
def test_ppv_reproduces_ioannidis_table_4(power, odds, bias, printed, digits):
    assert round(ppv(odds, power, alpha=0.05, bias=bias), digits) == pytest.approx(printed)


def test_ppv_without_bias_matches_the_simple_formula_by_hand():
    # R = 1, power 0.8: 0.8 / (1 - 0.2 + 0.05) = 0.8 / 0.85 = 0.941...
    assert ppv(1, 0.8) == pytest.approx(0.8 / 0.85)
    # The sheet's extra no-bias values: R = 0.1 -> 0.62 (power 0.8), 0.29 (power 0.2); R = 0.01 -> 0.14, 0.04.
    assert round(ppv(0.1, 0.8), 2) == 0.62
    assert round(ppv(0.1, 0.2), 2) == 0.29
    assert round(ppv(0.01, 0.8), 2) == 0.14
    assert round(ppv(0.01, 0.2), 2) == 0.04


def test_ppv_edge_cases():
    assert ppv(0, 0.8) == 0.0  # no true relationships: every finding is false
    assert ppv(1, 0.8, bias=1.0) == pytest.approx(0.5)  # u = 1: everything is "found", PPV = prior probability


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"prior_odds": -0.1, "power": 0.8}, "prior_odds"),
        ({"prior_odds": float("nan"), "power": 0.8}, "prior_odds"),
        ({"prior_odds": 1, "power": 1.2}, "power"),
        ({"prior_odds": 1, "power": -0.1}, "power"),
        ({"prior_odds": 1, "power": float("nan")}, "power"),
        ({"prior_odds": 1, "power": 0.8, "alpha": 0}, "alpha"),
        ({"prior_odds": 1, "power": 0.8, "alpha": 1}, "alpha"),
        ({"prior_odds": 1, "power": 0.8, "bias": 1.5}, "bias"),
        ({"prior_odds": 1, "power": 0.8, "bias": -0.2}, "bias"),
    ],
)
def test_ppv_rejects_out_of_range_input_naming_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        ppv(**kwargs)


def test_ppv_rejects_non_numbers():
    with pytest.raises(TypeError, match="prior_odds"):
        ppv("1:1", 0.8)
    with pytest.raises(TypeError, match="power"):
        ppv(1, True)


# Sellke, Bayarri & Berger bound, the sheet's table (appraisal-frameworks.md §10):
# p, B(p) (H0:H1), max Bayes factor for H1, min P(H0) at 50:50 prior odds.
SELLKE_TABLE = [
    (0.10, 0.626, 1.6, 0.385),
    (0.05, 0.407, 2.46, 0.289),
    (0.01, 0.125, 7.99, 0.111),
    (0.005, 0.072, 13.9, 0.067),
    (0.001, 0.019, 53.3, 0.018),
]


def _round_to_printed(value: float, printed: float) -> float:
    """Round ``value`` to as many decimals as ``printed`` shows."""
    text = repr(printed)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return round(value, decimals)


@pytest.mark.parametrize(("p", "bound", "max_for_h1", "min_p_h0"), SELLKE_TABLE)
def test_sellke_table(p, bound, max_for_h1, min_p_h0):
    b = min_bayes_factor(p, "sellke")
    assert _round_to_printed(b, bound) == pytest.approx(bound)
    assert _round_to_printed(1 / b, max_for_h1) == pytest.approx(max_for_h1)
    # min P(H0) at 50:50 = 1 - max P(H1)
    assert _round_to_printed(1 - posterior_probability(0.5, b), min_p_h0) == pytest.approx(min_p_h0)


def test_sellke_is_the_default_method():
    assert min_bayes_factor(0.05) == min_bayes_factor(0.05, method="sellke")


def test_sellke_bound_needs_p_below_one_over_e():
    assert min_bayes_factor(0.36, "sellke") < 1
    with pytest.raises(ValueError, match="1/e"):
        min_bayes_factor(0.4, "sellke")
    with pytest.raises(ValueError, match="1/e"):
        min_bayes_factor(1 / math.e, "sellke")


def test_two_sided_z_matches_normal_tables():
    # Standard normal table values: 1.959964 (p = 0.05), 2.575829 (p = 0.01), 3.290527 (p = 0.001), 0.6744898 (p = 0.5).
    assert two_sided_z(0.05) == pytest.approx(1.959964, abs=1e-6)
    assert two_sided_z(0.01) == pytest.approx(2.575829, abs=1e-6)
    assert two_sided_z(0.001) == pytest.approx(3.290527, abs=1e-6)
    assert two_sided_z(0.5) == pytest.approx(0.6744898, abs=1e-6)


def test_goodman_values_from_the_sheet():
    # exp(-z^2/2): p = 0.05 -> 0.147 (about 1/6.8); p = 0.01 -> 0.036 (about 1/28); p = 0.001 -> 0.0045.
    assert round(min_bayes_factor(0.05, "goodman"), 3) == 0.147
    assert round(1 / min_bayes_factor(0.05, "goodman"), 1) == 6.8
    assert round(min_bayes_factor(0.01, "goodman"), 3) == 0.036
    assert round(1 / min_bayes_factor(0.01, "goodman")) == 28
    assert round(min_bayes_factor(0.001, "goodman"), 4) == 0.0045


def test_goodman_bound_is_less_conservative_than_sellke():
    for p in (0.1, 0.05, 0.01, 0.001):
        assert min_bayes_factor(p, "goodman") < min_bayes_factor(p, "sellke")


def test_min_bayes_factor_rejects_bad_input():
    for bad in (0, 1, -0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="p"):
            min_bayes_factor(bad, "goodman")
    with pytest.raises(ValueError, match="method"):
        min_bayes_factor(0.05, "fisher")
    with pytest.raises(TypeError, match="p"):
        min_bayes_factor("0.05")


# The sheet's "plausibility exercise": max posterior P(H1) after a significant study (§10).
PLAUSIBILITY_TABLE = [
    (0.5, 0.05, 0.71, 0.87),
    (0.1, 0.05, 0.21, 0.43),
    (0.01, 0.05, 0.024, 0.065),
    (0.01, 0.01, 0.075, 0.22),
]


@pytest.mark.parametrize(("prior", "p", "sellke", "goodman"), PLAUSIBILITY_TABLE)
def test_plausibility_exercise_table(prior, p, sellke, goodman):
    assert _round_to_printed(max_posterior(prior, p, "sellke"), sellke) == pytest.approx(sellke)
    assert _round_to_printed(max_posterior(prior, p, "goodman"), goodman) == pytest.approx(goodman)


def test_posterior_direction_bayes_factor_is_h0_against_h1():
    # By hand: prior 0.2 is odds 1:4; a Bayes factor for H0 of 1/4 quadruples the odds for H1 to 1:1.
    assert posterior_probability(0.2, 0.25) == pytest.approx(0.5)
    # A Bayes factor above 1 favours H0 and lowers P(H1): odds 1:1 / 3 = 1:3, probability 0.25.
    assert posterior_probability(0.5, 3.0) == pytest.approx(0.25)
    assert posterior_probability(0.3, 1.0) == pytest.approx(0.3)
    assert posterior_probability(0.0, 0.01) == 0.0
    assert posterior_probability(1.0, 100.0) == 1.0


def test_posterior_rejects_bad_input():
    with pytest.raises(ValueError, match="prior"):
        posterior_probability(1.2, 0.5)
    with pytest.raises(ValueError, match="prior"):
        posterior_probability(float("nan"), 0.5)
    with pytest.raises(ValueError, match="bayes_factor"):
        posterior_probability(0.5, 0)
    with pytest.raises(ValueError, match="bayes_factor"):
        posterior_probability(0.5, -2)


def test_prior_needed_for_more_likely_than_not():
    # Sellke, p = 0.01: B = 0.1252, so prior odds must reach 0.1252, a prior of 0.1252 / 1.1252 = 0.111.
    assert round(prior_needed(0.01, "sellke"), 3) == 0.111
    # Goodman, p = 0.01: B = 0.0362, prior 0.0362 / 1.0362 = 0.035.
    assert round(prior_needed(0.01, "goodman"), 3) == 0.035
    # At exactly that prior, the best case gives 50%.
    assert max_posterior(prior_needed(0.05), 0.05) == pytest.approx(0.5)
    # A higher target needs a higher prior.
    assert prior_needed(0.05, target=0.95) > prior_needed(0.05)
    with pytest.raises(ValueError, match="target"):
        prior_needed(0.05, target=1.0)


def test_odds_and_probability_round_trip():
    assert probability_to_odds(0.2) == pytest.approx(0.25)
    assert odds_to_probability(0.25) == pytest.approx(0.2)
    assert odds_to_probability(1 / 1000) == pytest.approx(1 / 1001)
    with pytest.raises(ValueError, match="odds"):
        odds_to_probability(-1)
    with pytest.raises(ValueError, match="probability"):
        probability_to_odds(1.0)


def test_remaining_fraction_by_hand():
    assert remaining_fraction(0, 37) == 1.0
    assert remaining_fraction(37, 37) == pytest.approx(0.5)
    assert remaining_fraction(74, 37) == pytest.approx(0.25)
    # One day after a surge with a 37-minute half-life: 0.5 ** (1440 / 37), about 2e-12.
    assert remaining_fraction(24 * 60, 37) == pytest.approx(2.0 ** (-1440 / 37))
    assert remaining_fraction(24 * 60, 37) < 1e-11


@pytest.mark.parametrize(("t", "half_life", "name"), [(1, 0, "half_life"), (1, -5, "half_life"),
                                                       (1, float("nan"), "half_life"), (float("nan"), 37, "t"),
                                                       (-1, 37, "t")])
def test_remaining_fraction_rejects_bad_input(t, half_life, name):
    with pytest.raises(ValueError, match=name):
        remaining_fraction(t, half_life)


def test_surge_level_adds_decaying_surges():
    # Sessions at 0 and 2 h, half-life 1 h. At t = 2: 0.25 + 1 = 1.25; at t = 3: 0.125 + 0.5; before 0: 0.
    level = surge_level([-1, 0, 2, 3], [0, 2], half_life=1)
    np.testing.assert_allclose(level, [0.0, 1.0, 1.25, 0.625])
    with pytest.raises(ValueError, match="half_life"):
        surge_level([0], [0], half_life=0)
    with pytest.raises(ValueError, match="session_times"):
        surge_level([0], [float("nan")], half_life=1)


def test_goodman_bound_is_the_unrestricted_one_and_sellke_holds_under_its_assumptions():
    # Goodman's exp(-z^2/2) is the likelihood ratio at the best-fitting alternative, so no Bayes factor can be
    # smaller; Sellke's -e p ln p is the minimum over a restricted class, so it is larger. By hand, p = 0.05:
    # z = 1.959964, exp(-1.959964**2 / 2) = 0.1465 (6.83 to 1; a 50% prior at most 6.83 / 7.83 = 0.872);
    # -e * 0.05 * ln 0.05 = 0.4072 (2.46 to 1; at most 2.456 / 3.456 = 0.711).
    assert min_bayes_factor(0.05, method="goodman") == pytest.approx(0.1465, abs=5e-5)
    assert 1 / min_bayes_factor(0.05, method="goodman") == pytest.approx(6.83, abs=5e-3)
    assert max_posterior(0.5, 0.05, method="goodman") == pytest.approx(0.872, abs=5e-4)
    assert max_posterior(0.5, 0.05, method="sellke") == pytest.approx(0.711, abs=5e-4)
    for p in (0.001, 0.01, 0.05, 0.1, 0.3):
        assert min_bayes_factor(p, method="goodman") < min_bayes_factor(p, method="sellke")
