"""Hype markers: boosters, hedges, absolutes, vague attributions, emotive words and calls to action.

The markers are counted with the kit's own lexicon (``data/lexicons/hype_markers.csv``: one row per
term, with its category and a one-line rationale) plus one rule: a journal named as the source of a
finding with no author, year, DOI or PMID in the same sentence counts as a vague attribution.

Matching is case-insensitive and whole-word ("may" never matches inside "dismay"). Within a
category the longest term wins and each stretch of text counts once ("studies have shown" is one
marker, not two). No term of one category contains a term of another (a data test checks), so a
phrase never counts in two categories.

:func:`content_farm_signals` lists the red flags of a low-quality, possibly machine-written page.
They are reasons for caution, not proof.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

from appraisal.lexicons import TERM_FILES, load_lexicon

__all__ = [
    "CATEGORIES",
    "JOURNAL_ONLY",
    "LEXICON_FILE",
    "category_patterns",
    "content_farm_signals",
    "hype_features",
    "journal_only_citations",
    "load_lexicons",
    "profile_by_section",
    "profile_text",
]

#: Marker categories, in the order the kit reports them (the categories ``appraisal.lexicons`` allows in the lexicon).
CATEGORIES: tuple[str, ...] = TERM_FILES["hype_markers"]

#: The lexicon file, inside ``data/``.
LEXICON_FILE = ("lexicons", "hype_markers.csv")

_LEXICON_COLUMNS = ("term", "category", "rationale")

# A journal named as a source: "published in the Journal of Clinical Psychiatry", "published in Pain
# Medicine", optionally preceded by "a study", "a systematic review" and the like. The journal name is
# a run of capitalised words (small linking words allowed inside), matched case-sensitively.
_CAP = r"(?-i:[A-Z][\w&'-]*)"
_MONTHS = r"(?-i:January|February|March|April|May|June|July|August|September|October|November|December)\b"
JOURNAL_ONLY = re.compile(
    r"(?<![\w-])(?:(?:an?|one|another)\s+(?:[\w-]+\s+){0,3}?)?published\s+in\s+(?:the\s+)?"
    rf"(?!{_MONTHS})(?P<journal>{_CAP}(?:\s+(?:(?:of|and|for|on|in|the|&)\s+)*{_CAP})*)",
    re.IGNORECASE,
)
# Anything that would let a reader find the study: an author list, a year, a DOI or a PMID.
_REFERENCE = re.compile(r"\bet\s+al\b|\b(?:1[89]|20)\d{2}\b|\bdoi\b|\b10\.\d{4,9}/|\bpmid\b", re.IGNORECASE)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


def load_lexicons() -> pd.DataFrame:
    """The kit's hype lexicon: columns ``term``, ``category``, ``rationale`` (one row per term).

    Read by ``appraisal.lexicons.load_lexicon``, the one loader of every word list in ``data/lexicons/``.
    """
    return _check_lexicons(load_lexicon("hype_markers"), "data/lexicons/hype_markers.csv")


def category_patterns(lexicons: pd.DataFrame | None = None) -> dict[str, re.Pattern[str]]:
    """One compiled, case-insensitive, whole-word regex per category, longest terms first."""
    table = load_lexicons() if lexicons is None else _check_lexicons(lexicons, "lexicons")
    terms = tuple((row.category, row.term) for row in table.itertuples(index=False))
    return dict(_compile(terms))


@lru_cache(maxsize=8)
def _compile(terms: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Compile the patterns (cached: the same lexicon gives the same immutable patterns)."""
    by_category: dict[str, list[str]] = {}
    for category, term in terms:
        by_category.setdefault(category, []).append(term)
    order = [c for c in CATEGORIES if c in by_category]
    compiled = []
    for category in order:
        words = sorted({t.strip().lower() for t in by_category[category]}, key=lambda t: (-len(t), t))
        body = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in words)
        compiled.append((category, re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)))
    return tuple(compiled)


def journal_only_citations(table: pd.DataFrame, text_column: str = "text") -> pd.DataFrame:
    """Sentences that name a journal as a source with no author, year, DOI or PMID in the same sentence.

    Returns one row per such citation: the table's ``sentence_id`` (if it has one), ``journal`` and
    ``phrase`` (the words matched, e.g. "a study published in Pain Medicine").
    """
    text = _text_series(table, text_column, "journal_only_citations").str.translate(_APOSTROPHES)
    hits = _journal_hits(text)
    columns = ["sentence_id", "journal", "phrase"] if "sentence_id" in table.columns else ["journal", "phrase"]
    rows = []
    for index, matches in hits[hits.map(len) > 0].items():
        for match in matches:
            row = {"journal": match.group("journal"), "phrase": match.group(0)}
            if "sentence_id" in table.columns:
                row["sentence_id"] = table.at[index, "sentence_id"]
            rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def _journal_hits(text: pd.Series) -> pd.Series:
    """Journal-only citation matches per sentence (empty lists where the sentence gives a reference)."""
    candidate = text.str.contains(r"published\s+in", case=False, regex=True) & ~text.str.contains(_REFERENCE)
    hits = pd.Series([[] for _ in range(len(text))], index=text.index, dtype=object)
    hits[candidate] = text[candidate].map(lambda s: list(JOURNAL_ONLY.finditer(s)))
    return hits


def hype_features(
    table: pd.DataFrame, text_column: str = "text", lexicons: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Count hype markers in each sentence of a sentence table.

    Returns the table with added columns: ``words``, one count per category (``booster``, ``hedge``,
    ...), ``markers`` (their sum) and ``matched_terms`` (``"term (category); ..."``, in category order).
    A journal named with no author or year counts under ``vague_attribution``.
    """
    text = _text_series(table, text_column, "hype_features").str.translate(_APOSTROPHES)
    patterns = category_patterns(lexicons)
    out = table.copy()
    out["words"] = text.str.count(_WORD.pattern).astype("int64")
    terms = pd.Series("", index=text.index, dtype=object)
    for category, pattern in patterns.items():
        counts = text.str.count(pattern)
        found = text.str.findall(pattern)
        if category == "vague_attribution":
            counts, found = _add_journal_rule(text, counts, found)
        out[category] = counts.astype("int64")
        labelled = found.map(lambda hits, c=category: "; ".join(f"{h.lower()} ({c})" for h in hits))
        terms = terms.str.cat(labelled, sep="; ").str.strip("; ")
    category_columns = list(patterns)
    out["markers"] = out[category_columns].sum(axis=1).astype("int64")
    out["matched_terms"] = terms.astype(str)
    return out


def _add_journal_rule(text: pd.Series, counts: pd.Series, found: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Add journal-only citations (no author/year/DOI in the sentence) to the vague-attribution counts."""
    hits = _journal_hits(text)
    phrases = hits.map(lambda matches: [m.group(0) for m in matches])
    combined = pd.Series([a + b for a, b in zip(found, phrases, strict=True)], index=text.index, dtype=object)
    return counts + hits.map(len), combined


def profile_by_section(features: pd.DataFrame) -> pd.DataFrame:
    """Per section (in reading order): sentences, words, and markers per 100 words for each category."""
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"profile_by_section() expects the DataFrame from hype_features(), not {type(features).__name__}")
    categories = [c for c in CATEGORIES if c in features.columns]
    needed = {"section", "words", "markers", *categories}
    missing = needed - set(features.columns)
    if missing or not categories:
        raise ValueError(
            "profile_by_section() needs the output of hype_features() on a sentence table; missing columns: "
            + ", ".join(sorted(missing or {"(category counts)"}))
        )
    if features.empty:
        raise ValueError("profile_by_section(): features is empty")
    grouped = features.groupby("section", sort=False)
    profile = grouped[["words", *categories, "markers"]].sum()
    profile.insert(0, "sentences", grouped.size())
    per_100 = profile[[*categories, "markers"]].div(profile["words"].where(profile["words"] > 0), axis=0) * 100
    profile[[*categories, "markers"]] = per_100.fillna(0.0).round(2)
    return profile.rename(columns={"markers": "all_markers"})


def profile_text(text: str, lexicons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Whole-text profile: per category, the number of markers and markers per 100 words.

    Fast enough for long texts: the text is cut at sentence ends with one regex (not the full
    sentence reader) and counted with one compiled regex per category.
    """
    if not isinstance(text, str):
        raise TypeError(f"profile_text() expects text as a string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("profile_text(): text is empty")
    pieces = pd.Series(re.split(r"(?<=[.!?])\s+|\n\s*\n", text.translate(_APOSTROPHES)), dtype=object)
    patterns = category_patterns(lexicons)
    words = int(pieces.str.count(_WORD.pattern).sum())
    counts = []
    for category, pattern in patterns.items():
        n = int(pieces.str.count(pattern).sum())
        if category == "vague_attribution":
            n += int(_journal_hits(pieces).map(len).sum())
        counts.append(n)
    profile = pd.DataFrame({"category": list(patterns), "markers": pd.array(counts, dtype="int64")})
    profile["words"] = words
    profile["per_100_words"] = (profile["markers"] / words * 100).round(2) if words else 0.0
    return profile


_STOPWORDS = frozenset(
    """a an the and or but of in on at to for from by with without as is are was were be been being it its
    this that these those their there they them he she his her we our you your i me my not no so than then
    into onto over under about after before during due per via can could may might will would should must
    do does did done has have had how what when where which who why all any each more most other some such
    only own same too very just also new next""".split()
)


def content_farm_signals(table: pd.DataFrame, meta: Mapping[str, object] | None = None) -> pd.DataFrame:
    """Check a sentence table for signals typical of content-farm pages; one row per check.

    Columns: ``signal``, ``found`` (bool), ``evidence`` (sentence ids and text) and ``why_it_matters``.
    ``meta`` may give ``title``, ``author`` and ``date_published`` (as in ``data/article.json``).
    Each signal is a red flag that calls for checking, not proof of how a page was made.
    """
    text = _text_series(table, "text", "content_farm_signals")
    needed = {"sentence_id", "kind", "section"} - set(table.columns)
    if needed:
        raise ValueError(f"content_farm_signals() needs a sentence table; missing columns: {', '.join(sorted(needed))}")
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"content_farm_signals(): meta must be a dict or None, not {type(meta).__name__}")
    meta = meta or {}
    ids = table["sentence_id"]
    kinds = table["kind"]
    rows = [
        _title_repeated(text, ids, meta),
        _no_byline(text, ids, meta),
        _no_date(text, meta),
        _journal_only(table),
        _no_reference_list(table, text),
        _unrelated_links(text, ids, kinds, meta),
        _templated(table, text),
    ]
    return pd.DataFrame(rows, columns=["signal", "found", "evidence", "why_it_matters"])


def _title_repeated(text: pd.Series, ids: pd.Series, meta: Mapping[str, object]) -> tuple[str, bool, str, str]:
    title = str(meta.get("title") or text.iloc[0])
    norm = _normal(title)
    hits = ids[text.map(_normal).str.contains(norm, regex=False)] if norm else ids.iloc[:0]
    found = len(hits) > 1
    evidence = f"the title appears in sentences {_id_list(hits)}" if found else "the title appears once"
    return ("title repeated", found, evidence,
            "Google's search rules count filling a page with repeated keywords as spam [S206]; a title said "
            "again adds words, not information.")


def _no_byline(text: pd.Series, ids: pd.Series, meta: Mapping[str, object]) -> tuple[str, bool, str, str]:
    byline = text.str.contains(r"^\s*(?i:by|written by|author:|reviewed by)\s+[A-Z]", regex=True)
    named = bool(meta.get("author")) or bool(byline.any())
    evidence = (f"byline in sentence {_id_list(ids[byline])}" if byline.any() else
                "author given in the page's metadata" if named else "no 'By ...' line and no author in the metadata")
    return ("no author or byline", not named, evidence,
            "Without a named author no one can be asked about the text, its expertise or its conflicts of interest.")


_DATE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{4}\b|"
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b|"
    r"\b(?:published|updated|posted)\s*(?:on)?:?\s+\d",
    re.IGNORECASE,
)


def _no_date(text: pd.Series, meta: Mapping[str, object]) -> tuple[str, bool, str, str]:
    in_text = text[text.str.contains(_DATE)]
    dated = bool(meta.get("date_published")) or not in_text.empty
    evidence = ("a date appears in the text" if not in_text.empty else
                "date given in the page's metadata" if dated else "no publication date in the text or the metadata")
    return ("no date", not dated, evidence,
            "Without a date a reader cannot tell whether the page reflects current evidence.")


def _journal_only(table: pd.DataFrame) -> tuple[str, bool, str, str]:
    hits = journal_only_citations(table)
    evidence = "; ".join(f"s{r.sentence_id}: {r.journal}" for r in hits.itertuples()) or "none"
    return ("citations by journal name only", not hits.empty, evidence,
            "A journal name without authors, year, DOI or PMID cannot be looked up, so the claim cannot be checked.")


def _no_reference_list(table: pd.DataFrame, text: pd.Series) -> tuple[str, bool, str, str]:
    heading = table["kind"].isin(["heading", "subheading"]) & text.str.contains(
        r"^\s*(?:references|sources|bibliography|further reading)\b", case=False, regex=True)
    locators = text.str.contains(r"https?://|\bdoi\b|\b10\.\d{4,9}/|\bpmid\b", case=False, regex=True)
    has = bool(heading.any() or locators.any())
    evidence = ("reference section or links to sources present" if has else
                "no 'References' section, no DOI, PMID or link anywhere in the text")
    return ("no reference list", not has, evidence,
            "Claims with no list of sources cannot be traced back to the studies behind them.")


def _content_words(s: str) -> set[str]:
    words = {w.lower().replace("’", "'") for w in _WORD.findall(s)}
    stems = {w.removesuffix("'s").rstrip("s") if len(w) > 4 else w for w in words}
    return {w for w in stems if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()}


def _unrelated_links(text: pd.Series, ids: pd.Series, kinds: pd.Series,
                     meta: Mapping[str, object]) -> tuple[str, bool, str, str]:
    """Link titles that share (almost) no content words with the article's title and repeated body words."""
    prose = text[kinds.isin(["sentence", "question", "heading", "subheading"])]
    body_counts = pd.Series([w for s in prose for w in _content_words(s)], dtype=object).value_counts()
    topic = _content_words(str(meta.get("title") or text.iloc[0])) | set(body_counts[body_counts >= 2].index)
    unrelated = []
    for sid, link in zip(ids[kinds == "link"], text[kinds == "link"], strict=True):
        words = _content_words(link)
        if len(words) < 3:  # a label such as "Related Posts" or "Read more", not a link title
            continue
        if len(words & topic) / len(words) < 0.2:
            unrelated.append(f"s{sid}: {link}")
    evidence = "; ".join(unrelated) or "none"
    return ("unrelated footer links", bool(unrelated), evidence,
            "Links on unrelated topics suggest a page assembled for traffic, not written for readers of this topic.")


def _templated(table: pd.DataFrame, text: pd.Series) -> tuple[str, bool, str, str]:
    headings = table["kind"].isin(["heading", "title"])
    benefits = table[headings & text.str.contains(r"\bbenefits?\b|\badvantages?\b", case=False, regex=True)]
    numbered = table[table["kind"] == "subheading"]
    faq = table[headings & text.str.contains(r"\bFAQs?\b|frequently asked", case=False, regex=True)]
    questions = table[table["kind"] == "question"]
    if not faq.empty:  # count only the FAQ's own questions, not a rhetorical question elsewhere
        questions = questions[questions["section"].isin(faq["text"])]
    has_list = not benefits.empty and numbered["section"].isin(benefits["text"]).any()
    has_faq = not faq.empty or len(questions) >= 2
    parts = []
    if has_list:
        parts.append(f"numbered 'benefits' list under s{benefits['sentence_id'].iloc[0]}")
    if has_faq:
        where = faq["sentence_id"].iloc[0] if not faq.empty else questions["sentence_id"].iloc[0]
        parts.append(f"FAQ section at s{where} ({len(questions)} questions)")
    return ("templated structure (benefits list + FAQ)", has_list and has_faq, "; ".join(parts) or "none",
            "A fixed template (intro, benefits list, FAQ, upbeat conclusion) fits any topic, whatever the evidence.")


def _normal(s: str) -> str:
    return " ".join(_WORD.findall(s.lower().replace("’", "'")))


def _id_list(ids: pd.Series) -> str:
    return ", ".join(str(i) for i in ids)


def _text_series(table: object, text_column: str, caller: str) -> pd.Series:
    """Validate a sentence table and return its text column as strings."""
    if table is None:
        raise TypeError(f"{caller}(): table is None; pass a sentence table such as load_article()")
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{caller}(): table must be a pandas DataFrame, not {type(table).__name__}")
    if not isinstance(text_column, str):
        raise TypeError(f"{caller}(): text_column must be a column name (str), not {type(text_column).__name__}")
    if text_column not in table.columns:
        raise ValueError(f"{caller}(): table has no column {text_column!r} (columns: {', '.join(map(str, table.columns))})")
    if table.empty:
        raise ValueError(f"{caller}(): table is empty; there are no sentences to read")
    column = table[text_column]
    bad = column[~column.map(lambda v: isinstance(v, str))]
    if not bad.empty:
        raise ValueError(
            f"{caller}(): column {text_column!r} must hold text; row {bad.index[0]!r} holds {bad.iloc[0]!r}"
        )
    return column.astype(object)


def _check_lexicons(table: object, name: str) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"lexicons must be a DataFrame with columns term, category, rationale, not {type(table).__name__}")
    missing = {"term", "category"} - set(table.columns)
    if missing:
        raise ValueError(f"{name} is missing the column(s): {', '.join(sorted(missing))}")
    if table.empty:
        raise ValueError(f"{name} has no terms")
    terms = table["term"]
    if not terms.map(lambda t: isinstance(t, str) and bool(t.strip())).all():
        raise ValueError(f"{name}: every term must be non-empty text")
    if not table["category"].map(lambda c: isinstance(c, str) and bool(c.strip())).all():
        raise ValueError(f"{name}: every term needs a category")
    unknown = table.loc[~table["category"].isin(CATEGORIES)]
    if not unknown.empty:
        rows = "; ".join(f"term {t!r} has category {c!r}" for t, c in zip(unknown["term"], unknown["category"], strict=True))
        raise ValueError(
            f"{name}: unknown category ({rows}); the categories are {', '.join(CATEGORIES)} (spelled exactly so)"
        )
    return table.reset_index(drop=True)
