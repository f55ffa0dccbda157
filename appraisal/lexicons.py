"""One home for every word list: the CSV files of ``data/lexicons/``, read by one loader.

Where do I add a cue? In a row of one of these files; the rules read them when the kit is imported.

- ``claim_strength_cues.csv``: the claim-strength rules (``appraisal.claims``), columns ``name``, ``kind``,
  ``pattern`` (a regular expression over the lower-cased sentence) and ``rationale``. Earlier rows of a kind win
  when two matches overlap. ``<<NAME>>`` in a pattern stands for the ``fragment`` row called NAME.
- ``report_cues.csv``: ``report()``'s extra candidate-claim rules and unnamed sources (``appraisal.appraise``),
  same columns, matched case-insensitively.
- ``hype_markers.csv``: the hype lexicon (``appraisal.hype``), columns ``term`` (a literal word or phrase),
  ``category`` and ``rationale``.

The contradiction cues (``data/contradiction_cues.csv``) still live beside the contradiction tables they serve.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final

import pandas as pd

from appraisal.paths import data_path

__all__ = ["CUE_COLUMNS", "CUE_FILES", "TERM_COLUMNS", "TERM_FILES", "cue_patterns", "load_lexicon"]

#: Columns of the pattern files.
CUE_COLUMNS: Final = ("name", "kind", "pattern", "rationale")
#: Columns of the term files (literal words and phrases).
TERM_COLUMNS: Final = ("term", "category", "rationale")
#: The pattern files and the kinds each may hold.
CUE_FILES: Final[dict[str, tuple[str, ...]]] = {
    "claim_strength_cues": (
        "fragment", "not_cue", "frame: negation", "frame: negation (whole clause)", "frame: open question",
        "frame: aim or method", "frame: call for research", "frame: recommendation",
        "frame: recommendation (whole clause)", "causal", "association", "difference", "weak association",
        "hedge before verb", "hedge anywhere", "negation", "negation gap", "any before", "clause break", "finding verb",
        "english words", "foreign words",
    ),
    "report_cues": ("candidate claim", "unnamed source"),
}
#: The term files and the categories each may hold (the hype lexicon's are the kit's marker categories, in the
#: order the kit reports them).
TERM_FILES: Final[dict[str, tuple[str, ...]]] = {
    "hype_markers": ("booster", "hedge", "absolute", "vague_attribution", "emotive", "call_to_action"),
}
_FRAGMENT = re.compile(r"<<([A-Z_]+)>>")


def load_lexicon(name: str) -> pd.DataFrame:
    """One file of ``data/lexicons/`` (``name`` without ``.csv``), checked: the columns, the kinds, the patterns.

    Pattern files come back with their ``<<FRAGMENT>>`` references filled in. Raises ValueError naming the row
    for a missing column, an unknown kind, an empty rationale, a pattern that does not compile, or (in a term file)
    an unknown category.
    """
    path = data_path("lexicons", f"{name}.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if name not in CUE_FILES:
        if tuple(table.columns) != TERM_COLUMNS:
            raise ValueError(f"{path}: the columns must be {TERM_COLUMNS}, not {tuple(table.columns)}.")
        allowed = TERM_FILES.get(name)
        if allowed is not None:
            for row in table.itertuples():
                if row.category not in allowed:
                    raise ValueError(f"{path.name}, row {row.Index + 2} ({row.term!r}): unknown category "
                                     f"{row.category!r}; the categories are: {', '.join(allowed)}.")
        return table
    if tuple(table.columns) != CUE_COLUMNS:
        raise ValueError(f"{path}: the columns must be {CUE_COLUMNS}, not {tuple(table.columns)}.")
    fragments = dict(zip(table.loc[table["kind"] == "fragment", "name"],
                         table.loc[table["kind"] == "fragment", "pattern"], strict=True))
    patterns = []
    for row in table.itertuples():
        where = f"{path.name}, row {row.Index + 2} ({row.name!r})"
        if row.kind not in CUE_FILES[name]:
            raise ValueError(f"{where}: unknown kind {row.kind!r}; known: {CUE_FILES[name]}.")
        if len(row.rationale.strip()) < 10:
            raise ValueError(f"{where}: say in the rationale why the pattern is a cue.")
        try:
            pattern = _FRAGMENT.sub(lambda m: fragments[m.group(1)], row.pattern)
        except KeyError as exc:
            raise ValueError(f"{where}: no fragment row called {exc.args[0]!r}.") from None
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: the pattern does not compile ({exc}).") from None
        patterns.append(pattern)
    return table.assign(pattern=patterns)


@cache
def cue_patterns(name: str, kind: str) -> tuple[tuple[str, str], ...]:
    """``(name, pattern)`` of every row of one kind in a pattern file, in file order (read once per session)."""
    if kind not in CUE_FILES.get(name, ()):
        raise ValueError(f"cue_patterns(): {name!r} has no kind {kind!r}.")
    table = load_lexicon(name)
    rows = table[table["kind"] == kind]
    return tuple(zip(rows["name"], rows["pattern"], strict=True))
