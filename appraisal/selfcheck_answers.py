"""The generator of the lessons' self-checks: every answer is computed here, with the lesson's own steps.

``data/selfchecks/<notebook>.json`` stores each answer only as a hash, so a change to a data table, a lexicon or a
function could silently make a stored answer wrong. This module recomputes every answer (and every "usual wrong
answer" that gets its own hint) from the kit's data and functions, the same pandas steps the lesson shows, and
writes the files again::

    python -m appraisal.selfcheck_answers          # or: make selfchecks

A test (``tests/appraisal/test_selfcheck_answers.py``) fails when the stored files differ from what this writes, so
after changing data or code, run ``make selfchecks``, read the diff and commit it.

Nothing here is imported by the lessons: students never see the answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from appraisal.paths import data_dir, data_path
from appraisal.selfcheck import _digest, normalise

__all__ = ["CHECKS", "Check", "build", "write"]


@dataclass(frozen=True)
class Check:
    """One self-check: how to compute its answer, and the usual wrong answers with a hint for each."""

    notebook: str
    question: str
    kind: str
    hint: str
    answer: Callable[[], object]
    wrong: Callable[[], dict[object, str]] = field(default=lambda: {})
    digits: int = 0


# ---------------------------------------------------------------- shared steps (as the lessons do them)

def _article() -> pd.DataFrame:
    from appraisal import load_article

    return load_article()


def _prose_per_section() -> pd.Series:
    article = _article()
    return article.loc[article["kind"] == "sentence", "section"].value_counts()


BENEFITS = "Benefits of ECT in Chronic Pain Management"


def _claims() -> pd.DataFrame:
    return pd.read_csv(data_path("claims.csv"), keep_default_na=False)


def _weak_claims_by_type() -> pd.Series:
    claims = _claims()
    return claims.loc[claims["verdict"].isin(["unsupported", "contradicted"]), "claim_type"].value_counts()


def _n_weak_claims() -> int:
    claims = _claims()
    return int(claims["verdict"].isin(["unsupported", "contradicted"]).sum())


def _by_section() -> pd.DataFrame:
    from appraisal.hype import hype_features, profile_by_section

    return profile_by_section(hype_features(_article()))


def _rewrite_signals() -> pd.DataFrame:
    from appraisal import split_text
    from appraisal.hype import content_farm_signals

    calibrated = data_path("article_calibrated.txt").read_text(encoding="utf-8")
    return content_farm_signals(split_text(calibrated))


def _known_studies() -> pd.DataFrame:
    from appraisal.evidence import load_studies

    studies = load_studies()
    return studies[studies["confidence"] != "low"]


def _benefit_claims() -> pd.DataFrame:
    from appraisal.evidence import strength_evidence_match

    match = strength_evidence_match()
    return match[match["meets_level_rule"].notna()]


def _within() -> float:
    return float(np.hypot(1.5, 0.5))


def _rtm(cutoff: float, sd_within: float) -> float:
    from appraisal.simulate import expected_rtm

    return expected_rtm(mean=5.0, sd_between=1.5, sd_within=sd_within, cutoff=cutoff)


def _spread() -> pd.DataFrame:
    from appraisal.simulate import case_report_sensitivity

    sensitivity = case_report_sensitivity(
        {"threshold": [6, 7, 8], "nonspecific": [0.0, 1.0, 2.0], "sd_within": [0.5, 1.5, 2.5],
         "p_publish_not_improved": [0.01, 0.03, 0.10], "improved_if": [0.3, 0.5]},
        seed=78)
    spread = sensitivity.groupby("parameter")["share_improved_published"].agg(["min", "max"])
    spread["range"] = spread["max"] - spread["min"]
    return spread.sort_values("range", ascending=False)


def _sustained() -> set[str]:
    claims = _claims()
    return set(claims.loc[claims["quote"].str.contains("sustained"), "claim_id"])


def _designs() -> pd.DataFrame:
    from appraisal.confounding import compare_designs

    return compare_designs(40, seed=2023)


def _hill_none() -> set[str]:
    hill = pd.read_csv(data_path("bradford_hill.csv"))
    return set(hill.loc[hill["support"] == "none", "viewpoint"])


def _knee_causal() -> pd.DataFrame:
    from appraisal.appraise import evidence_level
    from appraisal.evidence import REQUIRED_LEVEL

    key = pd.read_csv(data_path("practice", "knee-device.key.csv"), keep_default_na=False)
    causal = key[key["claim_type"].isin(["efficacy", "mechanism"])
                 & key["claim_strength"].isin(["conditional_causal", "direct_causal"])].copy()
    causal["level_needed"] = causal["claim_strength"].map(REQUIRED_LEVEL)
    causal["level_offered"] = causal["evidence_design"].map(evidence_level)
    causal["enough"] = causal["level_offered"] <= causal["level_needed"]
    return causal


def _knee_survey_cause() -> int:
    from appraisal.appraise import report

    knee = report(data_path("practice", "knee-device.txt"))
    claims = knee.claims
    hit = claims[claims["text"].str.contains("therefore") & claims["text"].str.contains("surgery")]
    return int(hit["sentence_id"].iloc[0])


# ---------------------------------------------------------------- wrong answers that get their own hint

def _w_00b() -> dict[object, str]:
    counts = _prose_per_section()
    best = counts.max()
    near = counts[(counts == best - 1)].index
    return {name: "Close: that section has one prose sentence fewer than the busiest one. Count every section's "
                  "rows with kind == 'sentence' and compare them all." for name in near}


def _w_01a() -> dict[object, str]:
    claims = _claims()
    verdict = claims["verdict"]
    wrong: dict[object, str] = {
        len(claims): "That counts every claim, whatever its verdict: keep only the two verdicts the question names.",
        int((verdict == "unsupported").sum()): "That counts only the unsupported claims; the contradicted ones "
                                               "count too (isin takes a list of verdicts).",
        int((verdict == "contradicted").sum()): "That counts only the contradicted claims; the unsupported ones "
                                                "count too (isin takes a list of verdicts).",
    }
    for kind, n in _weak_claims_by_type().items():
        wrong.setdefault(int(n), f"That counts the {kind} claims only; count the claims of every type.")
    wrong.setdefault(int((verdict == "cannot locate source").sum()),
                     "The source claims have the verdict 'cannot locate source', a different verdict.")
    return wrong


def _w_01b() -> dict[object, str]:
    by_section = _by_section()
    no_title = by_section.drop(index="Title", errors="ignore")
    wrong: dict[object, str] = {"Title": "Leave out the Title rows, as the question says."}
    if "Conclusion" not in no_title.index:  # the lesson calls it the unheaded conclusion; the table does not
        for name in ("Conclusion", "the conclusion", "unheaded conclusion", "the unheaded conclusion"):
            wrong[name] = ("The article gives its conclusion no heading, so the section column does not call it "
                           "'Conclusion': copy the name from the index of by_section.")
    raw_counts = (no_title["all_markers"] * no_title["words"] / 100).round()
    raw_top = raw_counts.idxmax()
    if raw_top != no_title["all_markers"].idxmax():
        wrong[raw_top] = "That section has the most markers in total; compare the rate per 100 words (all_markers)."
    for runner_up in no_title["all_markers"].sort_values(ascending=False).index[1:3]:
        wrong.setdefault(runner_up, "That section's rate is high, but another section's is higher: sort by "
                                    "all_markers, largest first.")
    return wrong


CHECKS: list[Check] = [
    # ------------------------------------------------------------ 00
    Check("00", "00.a", "number",
          "Filter kind == 'sentence' and section == the Benefits heading, then count the rows: .sum() of the "
          "True/False Series, or len() of the filtered table.",
          answer=lambda: int(((_article()["kind"] == "sentence") & (_article()["section"] == BENEFITS)).sum()),
          wrong=lambda: {
              int((_article()["section"] == BENEFITS).sum()):
                  "That counts the headings and sub-headings too: keep only kind == 'sentence'.",
              int((_article()["kind"].isin(["sentence", "subheading"]) & (_article()["section"] == BENEFITS)).sum()):
                  "That counts the numbered sub-headings too: keep only kind == 'sentence'.",
              int(((_article()["kind"] == "subheading") & (_article()["section"] == BENEFITS)).sum()):
                  "That is the number of numbered sub-headings; count the prose sentences under them.",
          }),
    Check("00", "00.b", "text",
          "Give the section's name as a string. value_counts() returns a Series of counts, one per section; "
          "its .idxmax() (or .index[0]) is the name at the top. Count only the rows with kind == 'sentence'.",
          answer=lambda: _prose_per_section().idxmax(), wrong=_w_00b),
    # ------------------------------------------------------------ 01
    Check("01", "01.a", "number",
          "Not that count: a claim counts when its verdict is either of the two the question names, whatever its "
          "claim type; a filter that keeps other verdicts, or drops one of the two, gives another number.",
          answer=_n_weak_claims, wrong=_w_01a),
    Check("01", "01.b", "text",
          "Drop the 'Title' row of by_section, then sort by all_markers (or use idxmax()).",
          answer=lambda: _by_section().drop(index="Title", errors="ignore")["all_markers"].idxmax(),
          wrong=_w_01b),
    Check("01", "01.c", "number",
          "Not that count: look only at the rewrite's table (rewrite_signals, not the case study's signals) and "
          "count the signals it marks as found, not every signal checked.",
          answer=lambda: int(_rewrite_signals()["found"].sum()),
          wrong=lambda: {len(_rewrite_signals()): "That is the number of signals checked; count the rewrite's "
                                                  "found flags.",
                         0: "Look again: an honest text can still show some of the things the checks look for."}),
    # ------------------------------------------------------------ 02
    Check("02", "02.a", "number",
          "Not that level: Wasan's groups were matched, not randomised; find the OCEBM row that describes that "
          "kind of comparison (or look its design up with ocebm_level).",
          answer=lambda: __import__("appraisal.evidence", fromlist=["ocebm_level"]).ocebm_level("case_matched_cohort"),
          wrong=lambda: {2: "Level 2 needs randomisation (or a dramatic effect); these groups were matched, not "
                            "randomised.",
                         4: "Level 4 is for studies without a comparable control group; Wasan had matched "
                            "controls."}),
    Check("02", "02.b", "number",
          "Filter known on ocebm_level == 4 and count the rows (len or .sum() of a boolean).",
          answer=lambda: int((_known_studies()["ocebm_level"] == 4).sum()),
          wrong=lambda: {int((__import__("appraisal.evidence", fromlist=["load_studies"]).load_studies()
                              ["ocebm_level"] == 4).sum()):
                         "That includes the low-confidence row: use `known`, not `studies`."}),
    Check("02", "02.c", "text",
          "Not that claim: compare the best_level column of benefit_claims over the rows whose claim_strength "
          "is direct_causal (a lower level number is stronger evidence).",
          answer=lambda: _benefit_claims().query("claim_strength == 'direct_causal'")
          .sort_values("best_level")["claim_id"].iloc[0],
          wrong=lambda: {row.claim_id: f"{row.claim_id}'s best study is at level {int(row.best_level)}; look for a "
                                       "lower number."
                         for row in _benefit_claims().query("claim_strength == 'direct_causal'")
                         .sort_values("best_level").iloc[1:].itertuples() if pd.notna(row.best_level)}),
    Check("02", "02.d", "number",
          "That is not the formula's value for this population: check each argument of expected_rtm against the "
          "question (mean, both SDs, the new cut-off) and round the result to 2 decimals.",
          answer=lambda: _rtm(8, _within()), digits=2,
          wrong=lambda: {round(_rtm(7, _within()), 2): "That is the cut-off of 7; use 8.",
                         round(_rtm(8, 1.5), 2): "Use sd_within=within (fluctuation and noise together), not 1.5."}),
    Check("02", "02.e", "text",
          "Use the spread table: the parameter with the largest range comes first after sorting.",
          answer=lambda: _spread().index[0],
          wrong=lambda: {_spread().index[1]: "Close, but another parameter has an even larger range.",
                         _spread().index[-1]: "That parameter moves the share least of all; sort by range, "
                                              "largest first."}),
    Check("02", "02.f", "choice",
          "Not that level: reread the first paragraph of section 8, which gives one starting level for randomised "
          "trials and another for observational studies.",
          answer=lambda: __import__("appraisal.evidence", fromlist=["grade_start"]).grade_start("rct"),
          wrong=lambda: {"low": "Low is where observational studies start.",
                         "moderate": "Moderate is where randomised trials end after one step down, not where "
                                     "they start."}),
    # ------------------------------------------------------------ 03
    Check("03", "03.a", "set",
          "Not that set: search every quote for the word the article uses for lasting relief (str.contains) and "
          "collect all the matching claim_id values, not only some of them.",
          answer=_sustained,
          wrong=lambda: {
              **{tuple(sorted(_sustained() - {c})): "Close: one more claim repeats the promise of sustained relief."
                 for c in sorted(_sustained())},
              tuple(sorted(_sustained() | {"C10"})): "C10 is the 'temporary relief' claim itself; which claims "
                                                     "are in tension with it?",
              ("C10",): "C10 is the 'temporary relief' claim itself; which claims are in tension with it?",
          }),
    Check("03", "03.b", "number",
          "Not the number of half-lives in a day: put the day and the half-life in the same unit before dividing, "
          "and give one decimal.",
          answer=lambda: 24 * 60 / 37, digits=1,
          wrong=lambda: {round(24 / 37, 1): "You divided hours by minutes: convert 24 hours to minutes first."}),
    Check("03", "03.c", "choice",
          "Which row of the design table has no mood path left in it?",
          answer=lambda: _designs().loc[_designs()["what_it_measures"] == "direct effect only", "design"].item(),
          wrong=lambda: {d: "That design still carries another path (mood or non-specific improvement) besides "
                            "ECT's direct effect."
                         for d in _designs().loc[_designs()["what_it_measures"] != "direct effect only", "design"]}),
    Check("03", "03.d", "set",
          "Not that set: keep only the rows whose support is exactly 'none' (not 'weak') and collect their "
          "viewpoint names.",
          answer=_hill_none,
          wrong=lambda: {("experiment",): "Experiment is one of them, but not the only one.",
                         **{tuple(sorted(_hill_none() - {v})): "Close: one more viewpoint has no supporting evidence."
                            for v in sorted(_hill_none() - {"experiment"})},
                         **{tuple(sorted(_hill_none() | {v})): f"The table rates {v} 'weak', not 'none'."
                            for v in sorted(set(pd.read_csv(data_path("bradford_hill.csv"))
                                                .query("support == 'weak'")["viewpoint"]))}}),
    Check("03", "03.e", "number",
          "Not the PPV for these inputs: check each argument of your ppv call against the question (odds as one "
          "number, power 0.8, the default alpha, no bias) and round to two decimals.",
          answer=lambda: __import__("appraisal.plausibility", fromlist=["ppv"]).ppv(1 / 10, power=0.8), digits=2,
          wrong=lambda: {
              round(__import__("appraisal.plausibility", fromlist=["ppv"]).ppv(10.0, power=0.8), 2):
                  "That is for odds of 10:1; odds of 1:10 are 1 / 10.",
              round(__import__("appraisal.plausibility", fromlist=["ppv"]).ppv(1 / 11, power=0.8), 2):
                  "That passes 1 / 11, the probability that goes with odds of 1:10; ppv wants the odds, 1 / 10.",
              round(__import__("appraisal.plausibility", fromlist=["ppv"]).ppv(1 / 10, power=0.8, bias=0.3), 2):
                  "That includes a bias u = 0.3; here there is no bias.",
              round(__import__("appraisal.plausibility", fromlist=["ppv"]).ppv(1.0, power=0.8), 2):
                  "That is for odds of 1:1; odds of 1:10 are 0.1.",
          }),
    Check("03", "03.f", "number",
          "Not the lowest prior for this question: check that prior_needed got the p-value in the question and the "
          "method it names (see its explanation above), and round to two decimals.",
          answer=lambda: __import__("appraisal.plausibility", fromlist=["prior_needed"]).prior_needed(
              0.05, method="sellke"), digits=2,
          wrong=lambda: {
              round(__import__("appraisal.plausibility", fromlist=["prior_needed"]).prior_needed(
                  0.05, method="goodman"), 2):
                  "That is Goodman's less conservative bound; this question asks for Sellke's.",
              0.05: "The p-value is not the prior: a prior is what you believe before the study.",
          }),
    # ------------------------------------------------------------ 04
    Check("04", "04.a", "number",
          "Look in knee.claims for a direct causal sentence in the 'What the Evidence Shows' section that talks about "
          "surgery; its word 'therefore' draws a conclusion from the survey.",
          answer=_knee_survey_cause,
          wrong=lambda: {_knee_survey_cause() - 1: "That sentence reports the association itself ('less likely'); "
                                                   "which sentence draws a cause from it?",
                         _knee_survey_cause() - 2: "That sentence only says that the company ran a survey."}),
    Check("04", "04.b", "number",
          "Not that count: a claim has enough evidence when the level it is offered is at most the level it needs "
          "(a lower level number is stronger evidence); compare level_offered with level_needed in each row.",
          answer=lambda: int(_knee_causal()["enough"].sum()),
          wrong=lambda: {len(_knee_causal()): "That counts every causal claim (or compares the levels the wrong way "
                                              "round): a lower level number is stronger evidence, so count only the "
                                              "rows whose level_offered is at most their level_needed.",
                         int((_knee_causal()["level_offered"] <= 4).sum()):
                             "Check the levels again: a lower number is stronger evidence, and the survey's level 4 "
                             "is not enough for a direct causal claim, which needs level 2."}),
    Check("04", "04.c", "number",
          "Not that difference: work out each group's percentage from its own counts (count / group size * 100), "
          "then subtract the waiting list's from the app group's; keep two decimals.",
          answer=lambda: 118 / 310 * 100 - 46 / 305 * 100, digits=2,
          wrong=lambda: {round(118 / 310 - 46 / 305, 2): "That is a difference of proportions (shares between 0 and "
                                                         "1); the question asks for percentage points, so multiply "
                                                         "each share by 100 before subtracting.",
                         round(46 / 305 * 100 - 118 / 310 * 100, 2): "That is the waiting list minus the app group; "
                                                                     "subtract the other way round.",
                         round(38 - 15, 2): "Compute from the counts (118 / 310 and 46 / 305), not from the rounded "
                                            "percentages, and keep two decimals.",
                         round((118 / 310) / (46 / 305), 2): "That is a ratio (a relative difference); the question "
                                                             "asks for the absolute difference.",
                         118 - 46: "Subtract the shares of each group, not the raw counts."}),
]


def build() -> dict[str, dict[str, dict]]:
    """Every notebook's self-checks as stored in ``data/selfchecks/<notebook>.json`` (answers hashed)."""
    out: dict[str, dict[str, dict]] = {}
    for check in CHECKS:
        right = _digest(check.question, normalise(check.answer(), check.kind, check.digits))
        wrong: dict[str, str] = {}
        for value, message in check.wrong().items():
            digest = _digest(check.question, normalise(value, check.kind, check.digits))
            if digest != right:  # a "usual wrong answer" that happens to be right is dropped, never stored as wrong
                wrong[digest] = message
        out.setdefault(check.notebook, {})[check.question] = {
            "kind": check.kind, "digits": check.digits, "answer": right, "hint": check.hint, "wrong": wrong}
    return out


def write(folder: Path | None = None) -> list[Path]:
    """Write every notebook's self-check file; returns the paths written."""
    folder = folder or data_dir() / "selfchecks"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for notebook, specs in build().items():
        path = folder / f"{notebook}.json"
        path.write_text(json.dumps(specs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write():
        print(f"wrote {written}")
