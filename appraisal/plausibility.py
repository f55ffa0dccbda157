"""How far a study result can move belief in a claim, and how long a drug-like surge lasts.

Three ideas used in module 3:

* Ioannidis's positive predictive value (PPV) of a "significant" finding, from the pre-study odds,
  the power, the significance level and bias [S135].
* Minimum Bayes factors: the most a p-value can count against the null hypothesis under stated assumptions:
  the bound of Sellke, Bayarri and Berger (``-e p ln p``) [S143], which holds over a restricted class of
  alternatives, or Goodman's ``exp(-z**2 / 2)`` [S260], which holds over every alternative (so it is smaller).
* Exponential decay: the fraction of a substance left after a time, given its half-life.

Direction of Bayes factors: every Bayes factor here is for **H0 against H1** (the sheet's B(p)). A value
below 1 favours H1, the claim; ``1 / bayes_factor`` is the evidence *for* the claim.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from appraisal.checks import check_fraction, check_number

__all__ = [
    "min_bayes_factor",
    "max_posterior",
    "odds_to_probability",
    "posterior_probability",
    "ppv",
    "prior_needed",
    "probability_to_odds",
    "remaining_fraction",
    "surge_level",
    "two_sided_z",
]

_METHODS = ("sellke", "goodman")






def probability_to_odds(probability: float) -> float:
    """Odds ``p / (1 - p)`` of a probability in [0, 1) (a probability of 0.2 is odds of 0.25, i.e. 1:4)."""
    p = check_fraction(probability, "probability", open_right=True)
    return p / (1 - p)


def odds_to_probability(odds: float) -> float:
    """Probability ``odds / (1 + odds)`` of non-negative odds (odds of 1:4 = 0.25 is a probability of 0.2)."""
    o = check_number(odds, "odds", allow_infinite=True)
    if o < 0:
        raise ValueError(f"odds must be 0 or more, got {o}")
    if math.isinf(o):
        return 1.0
    return o / (1 + o)


def ppv(prior_odds: float, power: float, alpha: float = 0.05, bias: float = 0.0) -> float:
    """Ioannidis's positive predictive value: the chance that a claimed ("significant") finding is true.

    ``prior_odds`` is R, the pre-study odds that the relationship is true; ``power`` is 1 - beta;
    ``alpha`` the significance level; ``bias`` is u, the share of analyses that would not have been
    findings but are reported as findings because of bias. Formula of Ioannidis (2005) [S135]:
    ``((1-b)R + u b R) / (R + a - b R + u - u a + u b R)``, which is ``(1-b)R / (R - b R + a)`` at u = 0.
    """
    r = check_number(prior_odds, "prior_odds", allow_infinite=True)
    if r < 0 or math.isinf(r):
        raise ValueError(f"prior_odds must be a finite number of 0 or more, got {r}")
    power_ = check_fraction(power, "power")
    a = check_fraction(alpha, "alpha", open_left=True, open_right=True)
    u = check_fraction(bias, "bias")
    b = 1 - power_
    numerator = power_ * r + u * b * r
    denominator = r + a - b * r + u - u * a + u * b * r
    return numerator / denominator


def two_sided_z(p: float) -> float:
    """The z at which a two-sided test of a normal statistic gives p-value ``p`` (1.96 for p = 0.05).

    Solves ``erfc(z / sqrt(2)) = p`` by bisection on ``math.erfc`` (no scipy): the two-sided p-value
    falls steadily as z grows, so halving the bracket [0, 40] a hundred times pins z down to machine
    precision.
    """
    p_ = check_fraction(p, "p", open_left=True, open_right=True)
    low, high = 0.0, 40.0
    for _ in range(200):
        mid = (low + high) / 2
        if math.erfc(mid / math.sqrt(2)) > p_:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return (low + high) / 2


def min_bayes_factor(p: float, method: str = "sellke") -> float:
    """The smallest Bayes factor for H0 against H1 that a two-sided p-value ``p`` allows.

    ``method="sellke"``: ``-e p ln p`` (Sellke, Bayarri & Berger 2001 [S143]), valid only for p < 1/e; the
    smallest Bayes factor over a restricted class of alternatives, so it holds under Sellke's assumptions.
    ``method="goodman"``: ``exp(-z**2 / 2)`` with z the two-sided normal quantile of p: the likelihood
    ratio of "no effect" against "the effect is exactly what was observed" for a normal statistic [S260],
    the smallest over every alternative.
    The smaller the value, the more the result can count against H0; ``1 / value`` is the most it can
    count for H1.
    """
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, not {type(method).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be 'sellke' or 'goodman', got {method!r}")
    p_ = check_fraction(p, "p", open_left=True, open_right=True)
    if method == "sellke":
        if p_ >= 1 / math.e:
            raise ValueError(f"p must be below 1/e (about 0.368) for the Sellke bound, got {p_}")
        return -math.e * p_ * math.log(p_)
    z = two_sided_z(p_)
    return math.exp(-z * z / 2)


def posterior_probability(prior: float, bayes_factor: float) -> float:
    """Probability that H1 (the claim) is true after the data, from its prior probability.

    ``prior`` is P(H1) before the data, in [0, 1]. ``bayes_factor`` is the Bayes factor for **H0 against
    H1** (as returned by :func:`min_bayes_factor`): posterior odds for H1 = prior odds for H1 / bayes_factor.
    A Bayes factor of 1 leaves the prior unchanged; below 1 raises it; above 1 lowers it.
    """
    p1 = check_fraction(prior, "prior")
    bf = check_number(bayes_factor, "bayes_factor", allow_infinite=True)
    if bf <= 0 or math.isinf(bf):
        raise ValueError(f"bayes_factor must be a finite number above 0, got {bf}")
    if p1 in (0.0, 1.0):
        return p1
    posterior_odds = (p1 / (1 - p1)) / bf
    return posterior_odds / (1 + posterior_odds)


def max_posterior(prior: float, p: float, method: str = "sellke") -> float:
    """The highest probability that H1 is true after a result with two-sided p-value ``p``."""
    return posterior_probability(prior, min_bayes_factor(p, method))


def prior_needed(p: float, method: str = "sellke", target: float = 0.5) -> float:
    """The lowest prior P(H1) for which a result with p-value ``p`` can lift P(H1) to ``target``.

    With the default ``target=0.5`` this is the prior at which the result can make the claim more likely
    than not: any lower prior leaves the claim less likely than not, even on the bound's best case.
    """
    t = check_fraction(target, "target", open_left=True, open_right=True)
    needed_odds = (t / (1 - t)) * min_bayes_factor(p, method)
    return needed_odds / (1 + needed_odds)


def remaining_fraction(t: float, half_life: float) -> float:
    """Fraction of a substance left after time ``t``, given its ``half_life`` (same units): 0.5 ** (t / half_life)."""
    t_ = check_number(t, "t", allow_infinite=True)
    h = check_number(half_life, "half_life", allow_infinite=True)
    if h <= 0 or math.isinf(h):
        raise ValueError(f"half_life must be a finite number above 0, got {h}")
    if t_ < 0:
        raise ValueError(f"t must be 0 or more (time since the surge), got {t_}")
    return 0.5 ** (t_ / h)


def surge_level(times: Iterable[float], session_times: Iterable[float], half_life: float) -> np.ndarray:
    """Level above baseline at each of ``times`` when each session adds a surge of height 1 that decays.

    Each session at time s contributes ``0.5 ** ((t - s) / half_life)`` for t >= s and nothing before it.
    All times and the half-life are in the same unit (e.g. hours). A simplified model: it assumes every
    surge has the same height and decays at one exponential rate.
    """
    h = check_number(half_life, "half_life", allow_infinite=True)
    if h <= 0 or math.isinf(h):
        raise ValueError(f"half_life must be a finite number above 0, got {h}")
    t = np.asarray(list(times), dtype=float)
    sessions = np.asarray(list(session_times), dtype=float)
    if np.isnan(t).any():
        raise ValueError("times must not contain NaN")
    if np.isnan(sessions).any():
        raise ValueError("session_times must not contain NaN")
    elapsed = t[:, None] - sessions[None, :]
    contribution = np.where(elapsed >= 0, 0.5 ** (np.clip(elapsed, 0, None) / h), 0.0)
    return contribution.sum(axis=1)
