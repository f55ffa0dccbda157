"""One usual wrong answer per graded question of the four assignments, and the hint it must get.

Each entry: the grade id of the answer cell, the whole source a student with that mistake would write, and for
each test cell that must then lose points, a fragment its message must contain. Used by
`tests/test_exercise_feedback.py` (in-process and through the grader). The wrong answers are chosen so that each
one leaves the other questions' answers untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    answer: str  # grade id of the answer cell
    source: str  # what the student wrote instead of the solution
    hints: dict[str, str] = field(default_factory=dict)  # test cell grade id -> fragment of its message


MISTAKES: dict[str, list[Mistake]] = {
    "01-hype": [
        Mistake(
            "q1-answer",
            'placed = claims.merge(article[["sentence_id", "section"]], on="sentence_id", how="left")\n'
            'faq_claims = placed[placed["section"] == "FAQs (Frequently Asked Questions)"]\n'
            'n_faq_safety = int((claims["claim_type"] == "safety").sum())  # counted over all claims\n',
            {"q1-tests-b": "whole article"},
        ),
        Mistake(
            "q2-answer",
            'share_direct_efficacy = round(float((claims["claim_strength"] == "direct_causal").mean() * 100), 1)\n',
            {"q2-tests": "share of all claims"},
        ),
        Mistake(
            "q3-answer",
            "def top_per_word(table, column):\n"
            '    prose = table[table["kind"] == "sentence"]\n'
            '    return int(prose.loc[prose[column].idxmax(), "sentence_id"])  # raw count\n\n\n'
            'top_booster_sentence = top_per_word(features, "booster")\n',
            {"q3-tests": "rank by the rate, not the count"},
        ),
        Mistake(
            "q4-answer",
            'HEDGE_WORDS = ["may", "might", "could"]\n\n\n'
            "def count_hedges(texts):\n"
            '    return texts.str.count("|".join(HEDGE_WORDS), flags=re.IGNORECASE)  # no word boundaries\n',
            {"q4-tests": "whole words"},
        ),
        Mistake(
            "q5-answer",
            'new_row = pd.DataFrame({"term": ["rapid"], "category": ["booster"], "rationale": ["speed"]})\n'
            "lexicon_plus = pd.concat([lexicon, new_row], ignore_index=True)\n"
            "_new = hype_features(article, lexicons=lexicon_plus)\n"
            'booster_change = int(_new.loc[_new["kind"] == "sentence", "booster"].sum()\n'
            '                     - features.loc[features["kind"] == "sentence", "booster"].sum())\n',
            {"q5-tests-b": "counts only the prose sentences"},
        ),
        Mistake(
            "q6-answer",
            'TEMPORARY = ["temporary", "temporarily", "short-lived", "brief", "transient"]\n'
            'LASTING = ["sustained", "lasting", "long-lasting", "long-term", "permanent", "durable"]\n\n\n'
            "def relief_duration(sentence):\n"
            "    temporary = any(w in sentence for w in TEMPORARY)  # substrings, case-sensitive\n"
            "    lasting = any(w in sentence for w in LASTING)\n"
            '    return "both" if temporary and lasting else "temporary" if temporary else "lasting" if lasting '
            'else "neither"\n\n\n'
            "def in_tension(a, b):\n"
            '    return {relief_duration(a), relief_duration(b)} == {"temporary", "lasting"}\n',
            {"q6-tests-b": "ignore case"},
        ),
        Mistake(
            "q7-answer",
            "def journal_only(sentence):\n"
            '    names_journal = re.search(r"published in [A-Z]", sentence) is not None  # the literal reading\n'
            '    reference = re.search(r"\\bet al\\b|\\b(?:19|20)\\d{2}\\b|\\bdoi\\b", sentence, flags=re.I) is not None\n'
            "    return names_journal and not reference\n\n\n"
            'journal_only_claims = sorted(claims.loc[claims["quote"].map(journal_only), "claim_id"])\n',
            {"q7-tests": "allow 'the'"},
        ),
        Mistake(
            "q8-answer",
            'hnr_share_satisfactory = round(float((scorecard["rating"] == "satisfactory").mean()), 3)\n',
            {"q8-tests": "not applicable"},
        ),
    ],
    "02-evidence": [
        Mistake(
            "q1-answer",
            'rated = unlevelled[~unlevelled["design"].isin(["narrative_review", "not_read"])]\n'
            'levels_by_study = pd.Series([ocebm_level(d) for d in rated["design"]], dtype=int)  # no study_id index\n',
            {"q1-tests": "study_id"},
        ),
        Mistake(
            "q2-answer",
            'direct = claims[claims["claim_type"].isin(["efficacy", "source"]) '
            '& (claims["claim_strength"] == "direct_causal")]\n'
            'links = direct.assign(source_id=direct["evidence_source_ids"].str.split(";")).explode("source_id")\n'
            'joined = links.merge(studies[["source_id", "ocebm_level"]], on="source_id").dropna(subset=["ocebm_level"])\n'
            'best_levels = {c: int(v) for c, v in joined.groupby("claim_id")["ocebm_level"].min().items()}\n',
            {"q2-tests": "conditional causal"},
        ),
        Mistake(
            "q3-answer",
            "population = simulate_population(4000, np.random.default_rng(7))\n"
            "series = simulate_case_series(population, threshold=7, nonspecific=1.0, true_effect=0.5)\n"
            'apparent_improvement = round(float(series["improvement"].mean()), 2)\n'
            "trial = simulate_trial(population, threshold=7, rng=np.random.default_rng(11), nonspecific=1.0, "
            "true_effect=0.5)\n"
            'means = trial.groupby("arm")["improvement"].mean()\n'
            'trial_effect = round(float(means["control"] - means["treatment"]), 2)  # reversed\n',
            {"q3-tests-b": "wrong sign"},
        ),
        Mistake(
            "q4-answer",
            "rtm_points = round(expected_rtm(mean=5, sd_between=1.6, sd_within=1.2, cutoff=8), 2)\n"
            "rtm_points_m3 = round(expected_rtm(mean=5, sd_between=1.6, sd_within=1.2, cutoff=8, m=3), 2)\n",
            {"q4-tests": "swaps the two standard deviations"},
        ),
        Mistake(
            "q5-answer",
            "sensitivity = case_report_sensitivity(\n"
            '    {"nonspecific": [0.5, 1.5], "p_publish_not_improved": [0.02, 0.06], "threshold": [6.5, 8.0],\n'
            '     "sd_noise": [0.25, 1.0]},\n'
            "    seed=2)\n"
            'ranges = sensitivity.groupby("parameter")["share_improved_published"].agg(lambda s: s.max() - s.min())\n'
            "most_influential = str(ranges.idxmax())\n"
            "spread = float(ranges.max())  # not rounded\n",
            {"q5-tests-b": "rounded to 2 decimals"},
        ),
        Mistake(
            "q6-answer",
            "def estimate_effect(trial):\n"
            '    treated = trial[trial["arm"] == "treatment"]\n'
            '    return float(treated["baseline"].mean() - treated["follow_up"].mean())\n',
            {"q6-tests": "both arms improve equally"},
        ),
        Mistake(
            "q7-answer",
            'grade_a = grade_certainty("rct", down={"risk_of_bias": 1, "imprecision": 1}).final\n'
            'grade_b = grade_certainty("cohort").final  # forgot to rate up\n',
            {"q7-tests-b": "not rated up"},
        ),
    ],
    "03-mechanism": [
        Mistake(
            "q1-answer",
            "ppv_small_trial = ppv(prior_odds=1 / 20, power=0.3, alpha=0.05, bias=0)\n",
            {"q1-tests": "leaves out the bias"},
        ),
        Mistake(
            "q2-answer",
            "fraction_after_day = remaining_fraction(24 * 60, half_life=37)\n"
            "hours_to_one_percent = 37 * math.log2(100)  # minutes, not hours\n",
            {"q2-tests-b": "divide by 60"},
        ),
        Mistake(
            "q3-answer",
            'def prior_for_posterior(p, target, method="sellke"):\n'
            "    prior_odds = target * min_bayes_factor(p, method)  # target used as odds\n"
            "    return float(prior_odds / (1 + prior_odds))\n",
            {"q3-tests": "turn it into odds"},
        ),
        Mistake(
            "q4-answer",
            "session_hours = np.array([7 * week + day for week in range(6) for day in (0, 3)]) * 24 + 9\n"
            "times = np.arange(session_hours[-1], session_hours[-1] + 24 * 14, 1 / 12)\n"
            "level = surge_level(times, session_hours[-1:], half_life=24)  # the last session only\n"
            "hours_above_after_course = round(float((times[level > 0.1] - session_hours[-1]).max()), 1)\n",
            {"q4-tests": "all 12 sessions"},
        ),
        Mistake(
            "q5-answer",
            "designs = compare_designs(200, seed=7, direct_effect=0.5)\n"
            'direct_estimate = float(designs.loc[designs["design"] == "ECT vs sham, no depression", '
            '"pain_points"].item())\n'
            "mood_path_share = 0.5 / (4 * 0.5 + 0.5)  # the direct share\n",
            {"q5-tests-b": "direct effect's share"},
        ),
        Mistake(
            "q6-answer",
            'def posterior_after_fixed(prior, p, method="sellke"):\n'
            "    posterior_odds = prior / min_bayes_factor(p, method)  # prior used as odds\n"
            "    return float(posterior_odds / (1 + posterior_odds))\n",
            {"q6-tests-b": "one of the two bugs"},
        ),
        Mistake(
            "q7-answer",
            'contradicted_claims = set(checks.loc[checks["fit"] == "contradicted", "claim_ids"])  # not split\n',
            {"q7-tests": "split claim_ids"},
        ),
    ],
    "04-capstone": [
        Mistake(
            "q1-answer",
            "claim_ids = {2, 3, 6, 9, 10, 13, 14, 18}  # efficacy and sources only\n",
            {"q1-tests-b": "fewer than 9", "q1-tests-c": "absolute safety claim"},
        ),
        Mistake(
            "q2-answer",
            'strengths = {2: "direct_causal", 3: "none", 10: "conditional_causal", 14: "correlational", '
            '21: "direct_causal", 34: "direct_causal"}\n',
            {"q2-tests-b": "10, 14"},
        ),
        Mistake(
            "q3-answer",
            "unverifiable = {9, 13, 14, 15, 24}  # customer reports included\n",
            {"q3-tests": "15, 24"},
        ),
        Mistake(
            "q4-answer",
            'cited_designs = {9: "unnamed studies", 13: "randomised trial", 14: "expert opinion", 28: "anecdote"}\n'
            "known = [lv for lv in map(evidence_level, cited_designs.values()) if lv is not None]\n"
            "best_level = min(known) if known else None\n"
            "needed_level = int(REQUIRED_LEVEL[strengths[2]])\n",
            {"q4-tests-c": "sentence 13"},
        ),
        Mistake(
            "q5-answer",
            "speed_pair = (11, 10)\n",
            {"q5-tests": "reversed"},
        ),
    ],
}


def _inventory_mistakes() -> dict[str, list[Mistake]]:
    """The concept inventory (issue 21): for each item, the first distractor, whose hint names the letter chosen
    and the misconception behind it (data/inventory_items.csv; tools/make_inventory.py writes the notebooks)."""
    import csv
    from pathlib import Path

    forms = {"A": "00-inventory-pre", "B": "05-inventory-post"}
    found: dict[str, list[Mistake]] = {name: [] for name in forms.values()}
    with open(Path(__file__).resolve().parents[1] / "data" / "inventory_items.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            wrong = next(x for x in "ABCD" if x != row["key"])
            n = row["item"]
            found[forms[row["form"]]].append(
                Mistake(f"q{n}-answer", f"answer_q{n} = {wrong!r}\n", {f"q{n}-tests": f"You chose {wrong}"})
            )
    return found


MISTAKES.update(_inventory_mistakes())
