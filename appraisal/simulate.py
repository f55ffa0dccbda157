"""Simulations of the biases that make uncontrolled before/after reports look positive.

Everything here is **simulated**: it shows a mechanism of bias, never an estimate of any treatment's
effect. The model (assumptions stated once, here):

- Each person has their own long-run mean pain on a 0-10 scale; those means vary between people
  (normal, ``sd_between``).
- Pain at each visit fluctuates around the person's mean (normal, ``sd_within``, independent from visit
  to visit), and each score is measured with extra noise (normal, ``sd_noise``).
- Scores are clipped to the scale's bounds (0 and 10) unless ``bounds=None``.
- People are referred for treatment when a visit's score is at or above ``threshold`` (at their worst).
- A treatment may have a non-specific effect (placebo, attention, the ritual of care) and a true,
  specific effect; both lower the follow-up score by a fixed number of points.

Every function that draws random numbers takes ``rng``, a ``numpy.random.Generator``; nothing uses
global random state. Regression to the mean follows Barnett et al. (2005) [S85].
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from appraisal.checks import check_number, check_rng, check_whole

__all__ = [
    "expected_rtm",
    "sds_from_correlation",
    "simulate_case_report_literature",
    "simulate_case_series",
    "simulate_meta_studies",
    "simulate_population",
    "simulate_rtm",
    "simulate_trial",
    "case_report_sensitivity",
]

Bounds = tuple[float, float] | None










def _clip(values: np.ndarray, bounds: Bounds) -> np.ndarray:
    if bounds is None:
        return values
    low, high = bounds
    if low >= high:
        raise ValueError(f"bounds must be (low, high) with low < high, not {bounds!r}")
    return np.clip(values, low, high)


def _phi(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def sds_from_correlation(total_sd: float, rho: float) -> tuple[float, float]:
    """Between- and within-person SDs that give a total SD and a test-retest correlation ``rho``."""
    total_sd = check_number(total_sd, "total_sd", minimum=0)
    rho = check_number(rho, "rho")
    if not 0 <= rho <= 1:
        raise ValueError(f"rho must be between 0 and 1, not {rho}")
    return total_sd * math.sqrt(rho), total_sd * math.sqrt(1 - rho)


def expected_rtm(
    mean: float, sd_between: float, sd_within: float, cutoff: float, m: int = 1, direction: str = "above"
) -> float:
    """Expected regression to the mean (points) for people selected beyond ``cutoff`` [S85].

    Barnett et al. (2005), equation (1): (sd_within**2 / m) / sqrt(sd_between**2 + sd_within**2 / m) * C(z),
    with z the cut-off's standardised distance from the mean and C(z) = phi(z) / (1 - Phi(z)) for
    selection above the cut-off (phi(z) / Phi(z) below it). ``m`` is the number of baseline measurements
    averaged. The result is the size of the expected move back towards the mean (always >= 0).
    """
    mean = check_number(mean, "mean")
    cutoff = check_number(cutoff, "cutoff")
    var_b = check_number(sd_between, "sd_between", minimum=0) ** 2
    var_w = check_number(sd_within, "sd_within", minimum=0) ** 2 / check_whole(m, "m")
    if direction not in ("above", "below"):
        raise ValueError(f"direction must be 'above' or 'below', not {direction!r}")
    total = math.sqrt(var_b + var_w)
    if total == 0:
        raise ValueError("sd_between and sd_within cannot both be 0")
    z = (cutoff - mean) / total
    tail = 1 - _cdf(z) if direction == "above" else _cdf(z)
    if tail <= 0:
        raise ValueError(f"cutoff {cutoff} is so extreme that nobody would be selected")
    return var_w / total * _phi(z) / tail


def simulate_population(
    n: int,
    rng: np.random.Generator,
    *,
    mean: float = 5.0,
    sd_between: float = 1.5,
    sd_within: float = 1.5,
    sd_noise: float = 0.5,
    n_visits: int = 2,
    bounds: Bounds = (0.0, 10.0),
) -> pd.DataFrame:
    """Untreated pain scores of ``n`` people at ``n_visits`` visits (columns ``pain_0``, ``pain_1`` ...).

    ``person_mean`` is each person's own long-run mean (unobservable in real life).
    """
    n = check_whole(n, "n")
    n_visits = check_whole(n_visits, "n_visits")
    rng = check_rng(rng)
    mean = check_number(mean, "mean")
    sd_between = check_number(sd_between, "sd_between", minimum=0)
    sd_within = check_number(sd_within, "sd_within", minimum=0)
    sd_noise = check_number(sd_noise, "sd_noise", minimum=0)
    person_mean = rng.normal(mean, sd_between, size=n)
    scores = person_mean[:, None] + rng.normal(0, sd_within, (n, n_visits)) + rng.normal(0, sd_noise, (n, n_visits))
    table = pd.DataFrame(_clip(scores, bounds), columns=[f"pain_{k}" for k in range(n_visits)])
    table.insert(0, "person_mean", person_mean)
    table.insert(0, "person", np.arange(n))
    return table


def _referred(population: pd.DataFrame, threshold: float) -> pd.DataFrame:
    if not isinstance(population, pd.DataFrame) or not {"pain_0", "pain_1"} <= set(population.columns):
        raise ValueError("population must be a DataFrame from simulate_population with n_visits >= 2")
    threshold = check_number(threshold, "threshold")
    chosen = population[population["pain_0"] >= threshold]
    if chosen.empty:
        raise ValueError(f"nobody has pain_0 >= threshold {threshold}; lower the threshold")
    return chosen


def simulate_case_series(
    population: pd.DataFrame,
    threshold: float,
    *,
    nonspecific: float = 0.0,
    true_effect: float = 0.0,
    bounds: Bounds = (0.0, 10.0),
) -> pd.DataFrame:
    """An uncontrolled before/after case series: everyone referred at ``pain_0 >= threshold`` is treated.

    Returns one row per patient: ``baseline`` (``pain_0``), ``follow_up`` (``pain_1`` lowered by the
    non-specific and true effects) and ``improvement`` (baseline minus follow-up, points).
    """
    chosen = _referred(population, threshold)
    effect = check_number(nonspecific, "nonspecific") + check_number(true_effect, "true_effect")
    follow_up = _clip(chosen["pain_1"].to_numpy() - effect, bounds)
    return pd.DataFrame({"person": chosen["person"].to_numpy(), "baseline": chosen["pain_0"].to_numpy(),
                         "follow_up": follow_up, "improvement": chosen["pain_0"].to_numpy() - follow_up})


def simulate_trial(
    population: pd.DataFrame,
    threshold: float,
    rng: np.random.Generator,
    *,
    nonspecific: float = 0.0,
    true_effect: float = 0.0,
    control: str = "sham",
    bounds: Bounds = (0.0, 10.0),
) -> pd.DataFrame:
    """A randomised trial in the same referred patients: half get the treatment, half a control.

    The treated arm gets the non-specific and the true effect; a ``"sham"`` control gets the non-specific
    effect only, a ``"none"`` (no treatment) control gets neither. Columns as in
    :func:`simulate_case_series` plus ``arm`` ("treatment" or "control").
    """
    chosen = _referred(population, threshold)
    rng = check_rng(rng)
    if control not in ("sham", "none"):
        raise ValueError(f"control must be 'sham' or 'none', not {control!r}")
    nonspecific = check_number(nonspecific, "nonspecific")
    true_effect = check_number(true_effect, "true_effect")
    n = len(chosen)
    treated = rng.permutation(np.arange(n) < (n + 1) // 2)
    effect = np.where(treated, nonspecific + true_effect, nonspecific if control == "sham" else 0.0)
    baseline = chosen["pain_0"].to_numpy()
    follow_up = _clip(chosen["pain_1"].to_numpy() - effect, bounds)
    return pd.DataFrame({"person": chosen["person"].to_numpy(), "arm": np.where(treated, "treatment", "control"),
                         "baseline": baseline, "follow_up": follow_up, "improvement": baseline - follow_up})


def simulate_rtm(
    n: int,
    rng: np.random.Generator,
    *,
    mean: float,
    sd_between: float,
    sd_within: float,
    cutoff: float,
    direction: str = "above",
) -> float:
    """Mean apparent change (points towards the mean) of people selected beyond ``cutoff``, no treatment.

    Unbounded normal scores, one baseline measurement: the simulation counterpart of :func:`expected_rtm`.
    """
    if direction not in ("above", "below"):
        raise ValueError(f"direction must be 'above' or 'below', not {direction!r}")
    people = simulate_population(n, rng, mean=mean, sd_between=sd_between, sd_within=sd_within,
                                 sd_noise=0.0, n_visits=2, bounds=None)
    picked = people["pain_0"] >= cutoff if direction == "above" else people["pain_0"] <= cutoff
    if not picked.any():
        raise ValueError(f"nobody was selected beyond cutoff {cutoff}; use a larger n or a milder cutoff")
    change = people.loc[picked, "pain_1"] - people.loc[picked, "pain_0"]
    return float(-change.mean() if direction == "above" else change.mean())


def simulate_case_report_literature(
    n_patients: int,
    rng: np.random.Generator,
    *,
    threshold: float = 7.0,
    nonspecific: float = 1.0,
    true_effect: float = 0.0,
    mean: float = 5.0,
    sd_between: float = 1.5,
    sd_within: float = 1.5,
    sd_noise: float = 0.5,
    improved_if: float = 0.3,
    p_publish_improved: float = 0.10,
    p_publish_not_improved: float = 0.03,
) -> pd.DataFrame:
    """Patients treated in clinics, and which of them become published case reports.

    ``n_patients`` people are referred at ``pain >= threshold`` and treated (as in
    :func:`simulate_case_series`). A patient counts as ``improved`` when pain fell by at least the share
    ``improved_if`` of the baseline (0.3 = 30%). An improved patient is written up with probability
    ``p_publish_improved``, a patient who did not improve with ``p_publish_not_improved``.
    """
    n_patients = check_whole(n_patients, "n_patients")
    rng = check_rng(rng)
    for name, p in [("improved_if", improved_if), ("p_publish_improved", p_publish_improved),
                    ("p_publish_not_improved", p_publish_not_improved)]:
        if not 0 <= check_number(p, name) <= 1:
            raise ValueError(f"{name} must be between 0 and 1, not {p}")
    # Draw people until n_patients of them are referred (vectorised, a few batches at most).
    batches, found = [], 0
    for _ in range(20):
        people = simulate_population(4 * n_patients, rng, mean=mean, sd_between=sd_between,
                                     sd_within=sd_within, sd_noise=sd_noise)
        referred = people[people["pain_0"] >= threshold]
        batches.append(referred)
        found += len(referred)
        if found >= n_patients:
            break
    else:
        raise ValueError(f"threshold {threshold} is too high: too few people reach it; lower it")
    population = pd.concat(batches, ignore_index=True).iloc[:n_patients]
    series = simulate_case_series(population, threshold, nonspecific=nonspecific, true_effect=true_effect)
    improved = series["improvement"] >= improved_if * series["baseline"]
    p_publish = np.where(improved, p_publish_improved, p_publish_not_improved)
    series["improved"] = improved.to_numpy()
    series["published"] = rng.random(len(series)) < p_publish
    series["person"] = np.arange(len(series))
    return series


def case_report_sensitivity(
    variations: Mapping[str, Sequence[float]],
    seed: int,
    n_patients: int = 20_000,
    **base: float,
) -> pd.DataFrame:
    """Share improved among all treated and among published cases, changing one assumption at a time.

    ``variations`` maps a parameter of :func:`simulate_case_report_literature` to the values to try;
    the others stay at ``base`` (or the defaults). Each row uses its own generator seeded from ``seed``.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, not {type(seed).__name__}")
    allowed = {"threshold", "nonspecific", "true_effect", "mean", "sd_between", "sd_within", "sd_noise",
               "improved_if", "p_publish_improved", "p_publish_not_improved"}
    unknown = (set(variations) | set(base)) - allowed
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(sorted(unknown))}; choose from {', '.join(sorted(allowed))}")
    rows = []
    seeds = np.random.SeedSequence(seed).spawn(sum(len(v) for v in variations.values()))
    k = 0
    for parameter, values in variations.items():
        for value in values:
            params = {**base, parameter: value}
            lit = simulate_case_report_literature(n_patients, np.random.default_rng(seeds[k]), **params)
            k += 1
            published = lit[lit["published"]]
            rows.append({"parameter": parameter, "value": value,
                         "share_improved_all": float(lit["improved"].mean()),
                         "share_improved_published": float(published["improved"].mean())
                         if len(published) else float("nan"),
                         "n_published": len(published)})
    return pd.DataFrame(rows)


def simulate_meta_studies(
    n_studies: int,
    rng: np.random.Generator,
    *,
    true_effect: float = 0.0,
    sd: float = 1.0,
    n_min: int = 10,
    n_max: int = 200,
    p_publish_nonsignificant: float = 1.0,
    p_publish_negative: float | None = None,
) -> pd.DataFrame:
    """Two-arm studies of one treatment, for a funnel plot; some may stay unpublished.

    Each study has ``n_per_arm`` people per arm (uniform between ``n_min`` and ``n_max``); its estimated
    effect (mean difference, benefit positive) is normal around ``true_effect`` with standard error
    ``sd * sqrt(2 / n_per_arm)``. Studies with a significant benefit (two-sided p < 0.05, estimate > 0)
    are always published; the others with probability ``p_publish_nonsignificant`` (1.0 = no bias), or,
    if given, ``p_publish_negative`` for those whose estimate points to no benefit or harm (<= 0).
    """
    n_studies = check_whole(n_studies, "n_studies")
    rng = check_rng(rng)
    n_min, n_max = check_whole(n_min, "n_min"), check_whole(n_max, "n_max")
    if n_min > n_max:
        raise ValueError(f"n_min ({n_min}) must not exceed n_max ({n_max})")
    if not 0 <= check_number(p_publish_nonsignificant, "p_publish_nonsignificant") <= 1:
        raise ValueError(f"p_publish_nonsignificant must be between 0 and 1, not {p_publish_nonsignificant}")
    if p_publish_negative is None:
        p_publish_negative = p_publish_nonsignificant
    if not 0 <= check_number(p_publish_negative, "p_publish_negative") <= 1:
        raise ValueError(f"p_publish_negative must be between 0 and 1, not {p_publish_negative}")
    n_per_arm = rng.integers(n_min, n_max + 1, size=n_studies)
    se = check_number(sd, "sd", minimum=0) * np.sqrt(2 / n_per_arm)
    effect = rng.normal(check_number(true_effect, "true_effect"), se)
    z = effect / se
    p_value = 1 - np.vectorize(math.erf)(np.abs(z) / math.sqrt(2))
    significant = (p_value < 0.05) & (effect > 0)
    p_publish = np.where(effect > 0, p_publish_nonsignificant, p_publish_negative)
    published = significant | (rng.random(n_studies) < p_publish)
    return pd.DataFrame({"study": np.arange(1, n_studies + 1), "n_per_arm": n_per_arm, "effect": effect,
                         "se": se, "p_value": p_value, "significant_benefit": significant, "published": published})
