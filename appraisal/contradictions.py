"""Candidate contradictions: pairs of sentences in one text that may not both be true.

The rules are a small table of cue pairs, ``data/contradiction_cues.csv``: each row names a theme (how long an
effect lasts, how fast it works, where it acts, harms, who it is for, cure or continued use), the words of one side
("temporary", "within minutes", "localized", "no side effects", "for everyone", "for good") and the words of the
other side ("sustained", "weeks", "whole body", "side effects", "talk to your doctor", "every day"). A pair of
sentences is a *candidate* when one sentence has side-A words and another has side-B words.

A candidate is a pointer for the student, not a verdict: "side effects are usually temporary" and "sustained
relief" share the cue words of a real contradiction but do not contradict each other. The table shows the cue words
of both sentences so that the student can judge. Side-B words that overlap side-A words of the same cue do not count
("no side effects" contains "side effects"), and a sentence is never paired with itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from appraisal.paths import data_path

__all__ = ["CUE_COLUMNS", "CONTRADICTION_COLUMNS", "MAX_PAIRS_PER_CUE", "find_contradictions", "load_cues"]

#: Columns of ``data/contradiction_cues.csv``.
CUE_COLUMNS = ("cue_id", "theme", "label_a", "pattern_a", "label_b", "pattern_b", "why")

#: Columns of the table :func:`find_contradictions` returns.
CONTRADICTION_COLUMNS = (
    "cue_id", "theme", "sentence_id_a", "words_a", "text_a", "sentence_id_b", "words_b", "text_b", "why",
)

#: At most this many pairs per cue (the first in reading order), so that a long text cannot produce millions.
MAX_PAIRS_PER_CUE = 25

# Rows of these kinds are not part of the article's argument (footer link titles).
_SKIP_KINDS = frozenset({"link"})


def load_cues() -> pd.DataFrame:
    """The cue pairs of ``data/contradiction_cues.csv``, one row per theme, with the patterns checked."""
    table = pd.read_csv(data_path("contradiction_cues.csv"), dtype=str, keep_default_na=False)
    return _check_cues(table, "data/contradiction_cues.csv")


def find_contradictions(
    table: pd.DataFrame, text_column: str = "text", cues: pd.DataFrame | None = None,
    max_pairs_per_cue: int = MAX_PAIRS_PER_CUE,
) -> pd.DataFrame:
    """Pairs of sentences that the cue table flags as possibly contradictory, for the student to judge.

    ``table`` is a sentence table (``load_article()``, ``split_text()``) with ``sentence_id`` and a text column;
    rows of kind ``link`` are skipped when the table has a ``kind`` column. Returns one row per pair (columns
    ``CONTRADICTION_COLUMNS``): the cue, both sentences with the cue words found in each, and why the cue matters.
    Pairs are in cue order, then reading order, at most ``max_pairs_per_cue`` per cue.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"find_contradictions() expects a sentence table (DataFrame), not {type(table).__name__}.")
    missing = {"sentence_id", text_column} - set(table.columns)
    if missing:
        raise ValueError(f"find_contradictions(): the table lacks the column(s) {sorted(missing)}.")
    if not isinstance(max_pairs_per_cue, int) or max_pairs_per_cue < 1:
        raise ValueError(f"find_contradictions(): max_pairs_per_cue must be a positive int, not {max_pairs_per_cue!r}.")
    cue_table = load_cues() if cues is None else _check_cues(cues, "cues")
    rows = table if "kind" not in table.columns else table[~table["kind"].isin(_SKIP_KINDS)]
    texts = rows[text_column]
    bad = texts[~texts.map(lambda v: isinstance(v, str))]
    if not bad.empty:
        raise ValueError(f"find_contradictions(): column {text_column!r} must hold text; row {bad.index[0]!r} does not.")
    ids = rows["sentence_id"].tolist()
    sentences = [t.replace("’", "'") for t in texts.tolist()]
    pairs: list[dict[str, object]] = []
    for cue in cue_table.itertuples(index=False):
        side_a, side_b = _compiled(cue.pattern_a), _compiled(cue.pattern_b)
        words_a = [_words(side_a, s) for s in sentences]
        words_b = [_words(side_b, s, outside=side_a) for s in sentences]
        found = 0
        for i, a in enumerate(words_a):
            if not a:
                continue
            for j, b in enumerate(words_b):
                if not b or i == j:
                    continue
                if found >= max_pairs_per_cue:
                    break
                pairs.append({
                    "cue_id": cue.cue_id, "theme": cue.theme,
                    "sentence_id_a": ids[i], "words_a": a, "text_a": texts.iloc[i],
                    "sentence_id_b": ids[j], "words_b": b, "text_b": texts.iloc[j],
                    "why": cue.why,
                })
                found += 1
    return pd.DataFrame(pairs, columns=list(CONTRADICTION_COLUMNS))


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _words(pattern: re.Pattern[str], sentence: str, outside: re.Pattern[str] | None = None) -> str:
    """The cue words found in a sentence, lower case, joined by '; ' (empty if none).

    With ``outside``, matches that overlap a match of ``outside`` are ignored (the "side effects" inside "no side
    effects" is not a side-B cue).
    """
    blocked = [m.span() for m in outside.finditer(sentence)] if outside is not None else []
    found = dict.fromkeys(
        " ".join(m.group(0).lower().split()) for m in pattern.finditer(sentence)
        if not any(m.start() < end and start < m.end() for start, end in blocked)
    )
    return "; ".join(found)


def _check_cues(table: object, name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"cues must be a DataFrame with columns {', '.join(CUE_COLUMNS)}, not {type(table).__name__}.")
    missing = [c for c in CUE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}.")
    if table.empty:
        raise ValueError(f"{name} has no cue pairs.")
    for row in table.itertuples(index=False):
        for side in ("pattern_a", "pattern_b"):
            pattern = getattr(row, side)
            if not isinstance(pattern, str) or not pattern.strip():
                raise ValueError(f"{name}: cue {row.cue_id} has an empty {side}.")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{name}: cue {row.cue_id}, {side} is not a valid regular expression: {exc}") from None
    return table.reset_index(drop=True)
