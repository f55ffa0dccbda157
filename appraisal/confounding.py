"""The depression path: a simulation of how treating depression alone can look like pain relief.

Everything here is **simulated**. The model is deliberately simple and its assumptions are arguments you
can change:

* Patients are randomised to ECT or to sham ECT (anaesthesia without a seizure). Both arms get the same
  non-specific improvement in mood and pain (attention, expectation, natural course, regression to the mean).
* In depressed patients, ECT improves mood by a further ``mood_effect`` points. Patients without depression
  have no depression to treat, so ECT adds nothing to their mood.
* Every point of mood improvement brings ``pain_per_mood`` points of pain improvement, in both arms.
* ECT's own effect on pain, not through mood, is ``direct_effect`` (0 by default: no direct effect at all).
* Person-to-person variation is normal with standard deviations ``mood_sd`` and ``pain_sd``.

Scores are points on 0-10 scales; improvements are positive.

In this model mood is a *mediator* (ECT lifts mood, better mood eases pain). In observational studies depression is
also a possible *confounder* (it decides who is given ECT and moves with pain on its own); notebook 03, section 4,
uses both framings. The model shows what each design would report *if* the depression path were the whole story; it
is not evidence that it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from appraisal.checks import check_number, check_whole

__all__ = ["ASSUMPTIONS", "TRIAL_COLUMNS", "compare_designs", "mood_pain_correlation", "simulate_sham_trial"]

#: Columns of a simulated trial: one row per patient.
TRIAL_COLUMNS = ["patient", "arm", "depressed", "mood_improvement", "pain_improvement"]

#: The simulation's assumptions that compare_designs passes on to simulate_sham_trial, with their defaults there.
ASSUMPTIONS = ["mood_effect", "pain_per_mood", "direct_effect", "nonspecific_mood", "nonspecific_pain", "mood_sd",
               "pain_sd"]






def simulate_sham_trial(
    n_per_arm: int,
    seed: int,
    *,
    depressed: bool = True,
    mood_effect: float = 4.0,
    pain_per_mood: float = 0.5,
    direct_effect: float = 0.0,
    nonspecific_mood: float = 1.0,
    nonspecific_pain: float = 0.5,
    mood_sd: float = 2.0,
    pain_sd: float = 1.5,
) -> pd.DataFrame:
    """A simulated randomised trial of ECT against sham ECT, one row per patient (see the module docstring).

    Returns a DataFrame with :data:`TRIAL_COLUMNS`; ``arm`` is ``"ECT"`` or ``"sham"``. The same ``seed``
    gives the same patients.
    """
    n = check_whole(n_per_arm, "n_per_arm", minimum=2)
    seed_ = check_whole(seed, "seed", minimum=0)
    if not isinstance(depressed, bool):
        raise TypeError(f"depressed must be True or False, not {type(depressed).__name__}")
    mood_effect_ = check_number(mood_effect, "mood_effect")
    per_mood = check_number(pain_per_mood, "pain_per_mood")
    direct = check_number(direct_effect, "direct_effect")
    ns_mood = check_number(nonspecific_mood, "nonspecific_mood")
    ns_pain = check_number(nonspecific_pain, "nonspecific_pain")
    sd_mood = check_number(mood_sd, "mood_sd", minimum=0)
    sd_pain = check_number(pain_sd, "pain_sd", minimum=0)

    rng = np.random.default_rng(seed_)
    is_ect = np.repeat([True, False], n)
    mood = ns_mood + (mood_effect_ if depressed else 0.0) * is_ect + rng.normal(0.0, sd_mood, 2 * n)
    pain = ns_pain + per_mood * mood + direct * is_ect + rng.normal(0.0, sd_pain, 2 * n)
    return pd.DataFrame(
        {
            "patient": np.arange(1, 2 * n + 1),
            "arm": np.where(is_ect, "ECT", "sham"),
            "depressed": depressed,
            "mood_improvement": mood,
            "pain_improvement": pain,
        },
        columns=TRIAL_COLUMNS,
    )


def _check_trial(trial: object) -> pd.DataFrame:
    if not isinstance(trial, pd.DataFrame):
        raise TypeError(f"trial must be a DataFrame, not {type(trial).__name__}")
    missing = [c for c in TRIAL_COLUMNS if c not in trial.columns]
    if missing:
        raise ValueError(f"trial is missing the columns {', '.join(missing)}")
    return trial


def mood_pain_correlation(trial: pd.DataFrame, arm: str = "ECT") -> float:
    """Pearson correlation between mood and pain improvement among the patients of one ``arm``."""
    table = _check_trial(trial)
    if arm not in ("ECT", "sham"):
        raise ValueError(f"arm must be 'ECT' or 'sham', got {arm!r}")
    rows = table[table["arm"] == arm]
    if len(rows) < 2:
        raise ValueError(f"trial has fewer than 2 patients in arm {arm!r}")
    return float(np.corrcoef(rows["mood_improvement"], rows["pain_improvement"])[0, 1])


def compare_designs(n_per_arm: int, seed: int, **assumptions: float) -> pd.DataFrame:
    """What three study designs would report about ECT and pain under the same simulated truth.

    Simulates one trial in depressed patients (seed ``seed``) and one in patients without depression
    (seed ``seed + 1``) with the same ``assumptions`` (keyword arguments of :func:`simulate_sham_trial`), then
    reports, in pain points on a 0-10 scale:

    * ``before/after, ECT only``: mean pain improvement of depressed patients given ECT (a case series);
    * ``ECT vs sham, depressed patients``: difference in mean pain improvement, ECT minus sham;
    * ``ECT vs sham, no depression``: the same difference in patients without depression.
    """
    if "depressed" in assumptions:
        raise ValueError("assumptions must not set depressed: compare_designs simulates both groups")
    unknown = sorted(set(assumptions) - set(ASSUMPTIONS))
    if unknown:
        raise TypeError(f"compare_designs got an unknown assumption {unknown[0]!r}; the assumptions are: "
                        f"{', '.join(ASSUMPTIONS)}")
    seed_ = check_whole(seed, "seed", minimum=0)
    with_depression = simulate_sham_trial(n_per_arm, seed_, depressed=True, **assumptions)
    without = simulate_sham_trial(n_per_arm, seed_ + 1, depressed=False, **assumptions)

    def arm_mean(trial: pd.DataFrame, arm: str) -> float:
        return float(trial.loc[trial["arm"] == arm, "pain_improvement"].mean())

    rows = [
        ("before/after, ECT only", arm_mean(with_depression, "ECT"),
         "direct effect + mood path + non-specific improvement"),
        ("ECT vs sham, depressed patients", arm_mean(with_depression, "ECT") - arm_mean(with_depression, "sham"),
         "direct effect + mood path"),
        ("ECT vs sham, no depression", arm_mean(without, "ECT") - arm_mean(without, "sham"),
         "direct effect only"),
    ]
    return pd.DataFrame(rows, columns=["design", "pain_points", "what_it_measures"])
