"""Evidence hierarchies: OCEBM 2011 levels, GRADE certainty, and whether a claim's strength fits its evidence.

The tables behind these functions are in ``data/``: ``evidence_levels.csv`` (OCEBM levels and the GRADE
certainty levels), ``grade_factors.csv`` (the reasons to rate down or up) and ``ect_pain_studies.csv``
(the real studies of ECT and pain). Sources: OCEBM [S95], GRADE [S99, S101, S102, S103].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from appraisal.paths import data_path

__all__ = [
    "DESIGNS",
    "DOWN_FACTORS",
    "GRADE_LEVELS",
    "REQUIRED_LEVEL",
    "UP_FACTORS",
    "GradeResult",
    "grade_certainty",
    "grade_start",
    "load_claims",
    "load_evidence_levels",
    "load_grade_factors",
    "load_studies",
    "ocebm_level",
    "strength_evidence_match",
]

#: The kit's study-design vocabulary: design -> (OCEBM level for treatment benefit, for treatment harm,
#: GRADE starting level). ``None`` means the design is not evidence of that kind (see ``_NO_LEVEL``).
#: A case report is treated as a case series of one; a systematic review of case reports stays at the
#: level of what it pools; for the question "does ECT help?", a trial that randomised an add-on drug and
#: gave everyone ECT is an uncontrolled before/after comparison of ECT. A survey in which people chose their own
#: exposure and only those who answered are counted follows no defined groups forward, so the kit rates it no
#: better than the level-4 comparisons (its reading: OCEBM does not list surveys).
DESIGNS: dict[str, tuple[int, int, str]] = {
    "systematic_review_of_rcts": (1, 1, "high"),
    "systematic_review_of_n_of_1_trials": (1, 1, "high"),
    "rct": (2, 2, "high"),
    "observational_dramatic_effect": (2, 1, "low"),
    "cohort": (3, 3, "low"),
    "case_matched_cohort": (3, 3, "low"),
    "case_control": (4, 4, "low"),
    "historically_controlled": (4, 4, "low"),
    "case_series": (4, 4, "low"),
    "prospective_case_series": (4, 4, "low"),
    "retrospective_chart_review": (4, 4, "low"),
    "self_selected_survey": (4, 4, "low"),
    "case_report": (4, 4, "low"),
    "systematic_review_of_case_reports": (4, 4, "low"),
    "rct_of_add_on_drug": (4, 4, "low"),
    "mechanism_based_reasoning": (5, 5, "none"),
}

#: Designs in the studies table that have no OCEBM level, and why.
_NO_LEVEL: dict[str, str] = {
    "narrative_review": "a narrative review is expert opinion about other studies, not a study",
    "not_read": "the study was seen only as a title in a reference list, so its design is unknown",
}

#: GRADE certainty levels from lowest to highest [S101].
GRADE_LEVELS: tuple[str, ...] = ("very low", "low", "moderate", "high")

#: Reasons to rate down, each 0, 1 or 2 steps [S102].
DOWN_FACTORS: dict[str, int] = {
    "risk_of_bias": 2,
    "inconsistency": 2,
    "indirectness": 2,
    "imprecision": 2,
    "publication_bias": 2,
}

#: Reasons to rate up and the most steps each allows [S102, S103].
UP_FACTORS: dict[str, int] = {"large_effect": 2, "dose_response": 1, "plausible_confounding": 1}

#: The kit's rule of thumb, as levels: the weakest OCEBM level that can back a claim of each strength about a
#: treatment's benefit. A direct causal claim needs level 2 or better: a randomised comparison, or the exception,
#: an observational study with a dramatic effect, which OCEBM can place at level 2 (and GRADE can rate up);
#: a conditional causal one ("may", "has shown promise") needs at least a controlled comparison (level 3).
REQUIRED_LEVEL: dict[str, int | None] = {
    "direct_causal": 2,
    "conditional_causal": 3,
    "correlational": 4,
    "none": None,
}

#: Claim types that are claims about the treatment's benefit (the ones the studies table can back).
_BENEFIT_CLAIM_TYPES = ("efficacy", "source")

_QUESTIONS = ("benefit", "harm")


def _check_design(design: object) -> str:
    if not isinstance(design, str):
        raise TypeError(f"design must be a string such as 'case_report', not {type(design).__name__}")
    key = design.strip().lower()
    if key in _NO_LEVEL:
        raise ValueError(f"design {design!r} has no OCEBM level: {_NO_LEVEL[key]}")
    if key not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; the known designs are: {', '.join(DESIGNS)}")
    return key


def ocebm_level(design: str, question: str = "benefit") -> int:
    """OCEBM 2011 level (1 best ... 5) of a study design for treatment benefit or harm [S95].

    Raises ValueError for an unknown design (listing the known ones) or a design with no level.
    """
    if question not in _QUESTIONS:
        raise ValueError(f"question must be one of {', '.join(_QUESTIONS)}, not {question!r}")
    benefit, harm, _ = DESIGNS[_check_design(design)]
    return benefit if question == "benefit" else harm


def grade_start(start: str) -> str:
    """The GRADE starting level for a certainty level or a study design (randomised: high; else low)."""
    if not isinstance(start, str):
        raise TypeError(f"start must be a certainty level or a design (a string), not {type(start).__name__}")
    key = start.strip().lower()
    if key in GRADE_LEVELS:
        return key
    level = DESIGNS[_check_design(key)][2]
    if level == "none":
        raise ValueError(f"start {start!r}: GRADE rates bodies of studies, not mechanism-based reasoning")
    return level


def _check_steps(steps: Mapping[str, int] | None, allowed: Mapping[str, int], name: str) -> dict[str, int]:
    if steps is None:
        return {}
    if not isinstance(steps, Mapping):
        raise TypeError(f"{name} must be a mapping such as {{'risk_of_bias': 1}}, not {type(steps).__name__}")
    checked: dict[str, int] = {}
    for factor, value in steps.items():
        if factor not in allowed:
            raise ValueError(f"{name}: unknown factor {factor!r}; the factors are: {', '.join(allowed)}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name}[{factor!r}] must be a whole number of steps, not {value!r}")
        if not 0 <= value <= allowed[factor]:
            raise ValueError(f"{name}[{factor!r}] must be between 0 and {allowed[factor]} steps, not {value}")
        checked[factor] = value
    return checked


@dataclass(frozen=True)
class GradeResult:
    """A GRADE rating: where it started, where it ended, and the ladder of steps in between."""

    start: str
    final: str
    ladder: pd.DataFrame

    def __str__(self) -> str:
        return f"GRADE certainty: {self.final} (started at {self.start})"


def grade_certainty(
    start: str,
    down: Mapping[str, int] | None = None,
    up: Mapping[str, int] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> GradeResult:
    """Rate the certainty of a body of evidence with GRADE [S102].

    ``start`` is a certainty level ("high", "low" ...) or a design ("rct" starts high, others low).
    ``down`` maps reasons to rate down (risk_of_bias, inconsistency, indirectness, imprecision,
    publication_bias) to 0, 1 or 2 steps; ``up`` maps large_effect (0-2), dose_response (0-1) and
    plausible_confounding (0-1). ``reasons`` gives the justification shown on each factor's row.
    The steps are added up and the result is kept between very low and high. The ladder has one row for
    the start and one per factor (0 steps means "not serious").
    """
    first = grade_start(start)
    down_steps = _check_steps(down, DOWN_FACTORS, "down")
    up_steps = _check_steps(up, UP_FACTORS, "up")
    notes = dict(reasons or {})
    unknown = set(notes) - set(DOWN_FACTORS) - set(UP_FACTORS) - {"start"}
    if unknown:
        raise ValueError(f"reasons: unknown factor(s) {', '.join(sorted(unknown))}")
    score = GRADE_LEVELS.index(first)
    rows = [{"step": 0, "factor": "start", "change": 0, "score": score, "level": first,
             "reason": notes.get("start", f"starting level for {start!r}")}]
    factors = [(f, -down_steps.get(f, 0)) for f in DOWN_FACTORS] + [(f, up_steps.get(f, 0)) for f in UP_FACTORS]
    for step, (factor, change) in enumerate(factors, start=1):
        score += change
        level = GRADE_LEVELS[min(max(score, 0), len(GRADE_LEVELS) - 1)]
        default = "not serious" if factor in DOWN_FACTORS else "no reason to rate up"
        rows.append({"step": step, "factor": factor, "change": change, "score": score, "level": level,
                     "reason": notes.get(factor, default if change == 0 else "")})
    ladder = pd.DataFrame(rows, columns=["step", "factor", "change", "score", "level", "reason"])
    return GradeResult(start=first, final=str(ladder["level"].iloc[-1]), ladder=ladder)


def load_studies() -> pd.DataFrame:
    """The real studies of ECT and pain (``data/ect_pain_studies.csv``), one row each."""
    return pd.read_csv(
        data_path("ect_pain_studies.csv"),
        dtype={"study_id": "string", "source_id": "string", "doi": "string", "pmid": "string"},
    ).astype({"year": "Int64", "n": "Int64", "ocebm_level": "Int64"})


def load_evidence_levels() -> pd.DataFrame:
    """OCEBM 2011 levels (benefit, harm) and GRADE certainty levels (``data/evidence_levels.csv``)."""
    return pd.read_csv(data_path("evidence_levels.csv"))


def load_grade_factors() -> pd.DataFrame:
    """GRADE's reasons to rate down and up, with the most steps each allows (``data/grade_factors.csv``)."""
    return pd.read_csv(data_path("grade_factors.csv"))


def load_claims() -> pd.DataFrame:
    """The article's claims table (``data/claims.csv``)."""
    return pd.read_csv(data_path("claims.csv"), keep_default_na=False)


def strength_evidence_match(claims: pd.DataFrame | None = None, studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """For each claim, the best OCEBM level among the studies behind it and whether that level meets the kit's rule.

    A claim's studies are the rows of ``studies`` whose ``source_id`` is in the claim's
    ``evidence_source_ids``. Only benefit claims (types efficacy and source) are judged, with the kit's
    rule :data:`REQUIRED_LEVEL`; for the others ``meets_level_rule`` is missing (<NA>). The rule looks at design
    only, so it is a necessary check, not a verdict: ``verdict`` (copied from the claims table when it has one)
    also weighs the wording and the quality of the evidence, and can be "unsupported" for a claim that meets the
    rule. ``justified`` is the same as ``meets_level_rule``, kept under its old name for existing notebooks.
    """
    claims = load_claims() if claims is None else claims
    studies = load_studies() if studies is None else studies
    for name, table, needed in [("claims", claims, {"claim_id", "claim_type", "claim_strength",
                                                    "evidence_source_ids"}),
                                ("studies", studies, {"study_id", "source_id", "design", "ocebm_level"})]:
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame, not {type(table).__name__}")
        missing = needed - set(table.columns)
        if missing:
            raise ValueError(f"{name} lacks the column(s) {', '.join(sorted(missing))}")
    levels = pd.to_numeric(studies["ocebm_level"], errors="coerce")
    rows = []
    for claim in claims.itertuples(index=False):
        if claim.claim_strength not in REQUIRED_LEVEL:
            raise ValueError(f"claims: {claim.claim_id} has unknown claim_strength {claim.claim_strength!r}")
        ids = [s.strip() for s in str(claim.evidence_source_ids).split(";") if s.strip()]
        mine = studies["source_id"].isin(ids) & levels.notna()
        best = int(levels[mine].min()) if mine.any() else None
        best_studies = ";".join(studies.loc[mine & (levels == best), "study_id"]) if best else ""
        required = REQUIRED_LEVEL[claim.claim_strength]
        if claim.claim_type not in _BENEFIT_CLAIM_TYPES:
            justified, reason = pd.NA, "not a claim about benefit"
        elif required is None:
            justified, reason = True, "makes no causal claim"
        elif best is None:
            justified, reason = False, f"needs level {required} or better; no study behind it"
        else:
            justified = best <= required
            reason = f"needs level {required} or better; best is level {best}"
        rows.append({"claim_id": claim.claim_id, "claim_type": claim.claim_type,
                     "claim_strength": claim.claim_strength, "best_level": best,
                     "evidence": f"level {best}" if best else "none", "best_studies": best_studies,
                     "required_level": required, "justified": justified, "reason": reason,
                     "meets_level_rule": justified, "verdict": getattr(claim, "verdict", pd.NA)})
    table = pd.DataFrame(rows)
    return table.astype({"best_level": "Int64", "required_level": "Int64", "justified": "boolean",
                         "meets_level_rule": "boolean", "verdict": "string"})
