"""One call that runs the kit's text tools on any English health article: :func:`report`.

``report(text_or_path)`` splits the article into sentences (``appraisal.text``), counts hype markers
(``appraisal.hype``), rates how strongly each sentence claims a cause (``appraisal.claims``), lists candidate claims,
vague or unverifiable sources and candidate contradictions (``appraisal.contradictions``), and checks the
content-farm signals. It returns an :class:`ArticleReport`: tables to read, a one-row-per-check ``summary()`` and a
one-figure ``plot()``.

The report points at sentences worth reading; it does not judge them. What the tools cannot judge is listed in
``ArticleReport.cannot_judge``: that part is the student's.

**Candidate claims** are the sentences (footer links left out) that meet at least one of these rules:

- the claim-strength rules rate them above ``none`` (a causal or association claim);
- they hold an absolute, a booster, an emotive word or a vague attribution from the hype lexicon;
- they give a figure (a percentage, "from 6.1 to 3.9", "118 of 310", "a third", "twice");
- they say something about safety or harms ("safe", "side effects", "risks", "interacts");
- they quote someone (quotation marks), since a quoted opinion is a claim by that person.

The last three rules (``CLAIM_CUES``, rows of ``data/lexicons/report_cues.csv``) were written for the capstone after
reading the kit's first four practice articles, so the recall measured on those articles is optimistic. On two
practice articles written afterwards and kept out of the rules' development (``nasal-spray-trial``,
``blood-sugar-supplement``), the report found 16 of the keys' 25 claims (recall 0.64) and every sentence it flagged
held a key claim (precision 1.00), against recall 0.77 and precision 0.71 on the first four articles, where it flags
44% of the sentences: see ``data/report_claim_figures.csv`` and ``appraisal.evaluation.report_recall``.

**Vague or unverifiable sources** are the hype lexicon's vague attributions ("studies show"), journals named with
no author, year, DOI or PMID (``appraisal.hype.journal_only_citations``), and unnamed sources (``UNNAMED_SOURCES``,
also rows of ``data/lexicons/report_cues.csv``: "many doctors", "according to a large study", "presented at a
conference").
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from appraisal.claims import STRENGTH_LEVELS, add_strength, explain_strength
from appraisal.contradictions import find_contradictions
from appraisal.evidence import ocebm_level
from appraisal.hype import (
    CATEGORIES,
    content_farm_signals,
    hype_features,
    journal_only_citations,
    profile_by_section,
)
from appraisal.lexicons import cue_patterns
from appraisal.text import ArticleError, read_text_file, split_text

if TYPE_CHECKING:  # pyplot is imported when a figure is drawn, not with the package (it is slow to import)
    from matplotlib.figure import Figure

__all__ = [
    "CANNOT_JUDGE",
    "CLAIM_CUES",
    "KEY_DESIGNS",
    "MAX_CHARS",
    "SOURCE_FLAWS",
    "UNNAMED_SOURCES",
    "ArticleReport",
    "compare_with_key",
    "evidence_level",
    "report",
]

#: Longer texts are refused with a clear ArticleError (about 300,000 words: several books, not an article).
MAX_CHARS: Final = 2_000_000

#: What the text tools cannot judge: the student's part of the appraisal.
CANNOT_JUDGE: Final = (
    "Whether a cited study exists: the tools see a name or a phrase, not the paper; look it up.",
    "The design and quality of the evidence: only the study itself says whether it was randomised, controlled, "
    "blinded and large enough.",
    "Whether the numbers are right: the tools find figures but cannot check them against the source.",
    "The size of the benefits and harms: a flagged claim can be true but small, and an unflagged one can be false.",
    "What is left out: missing harms, costs, alternatives or conflicts of interest leave no words to count.",
    "Whether a flagged sentence is really a problem: the rules read words, not meaning, so every row is a candidate "
    "to read, not a verdict.",
)

#: Extra candidate-claim rules of the report: (name, regular expression), matched case-insensitively.
#: Read from ``data/lexicons/report_cues.csv`` (kind "candidate claim").
CLAIM_CUES: Final = cue_patterns("report_cues", "candidate claim")

#: Unnamed sources the hype lexicon does not list: (name, regular expression), matched case-insensitively.
#: Read from ``data/lexicons/report_cues.csv`` (kind "unnamed source").
UNNAMED_SOURCES: Final = cue_patterns("report_cues", "unnamed source")

#: The practice keys' ``evidence_design`` words, as designs of ``appraisal.evidence.DESIGNS`` (None: not a study).
#: A customer survey that compares frequent with rare users follows no defined groups forward, the buyers chose their
#: own exposure, only those who answered count and the seller ran it: the kit rates it no better than level 4. A
#: laboratory study in animals can show a possible mechanism, not a benefit in people, so the kit files it with
#: mechanism-based reasoning.
KEY_DESIGNS: Final[dict[str, str | None]] = {
    "randomised trial": "rct",
    "observational cohort": "cohort",
    "customer survey": "self_selected_survey",
    "uncontrolled before/after": "prospective_case_series",
    "animal study": "mechanism_based_reasoning",
    "expert opinion": None,
    "anecdote": None,
    "unnamed studies": None,
    "unlocatable citation": None,
    "none": None,
}

#: Flaw labels of the practice keys that concern a source: found when the sentence is in ``ArticleReport.sources``.
SOURCE_FLAWS: Final = frozenset({"vague_source", "unlocatable_citation"})

_CLAIM_PATTERNS = tuple((name, re.compile(p, re.IGNORECASE)) for name, p in CLAIM_CUES)
_SOURCE_PATTERNS = tuple((name, re.compile(p, re.IGNORECASE)) for name, p in UNNAMED_SOURCES)
# Hype categories that make a sentence a candidate claim (hedges and calls to action alone do not).
_CLAIM_CATEGORIES: Final = ("absolute", "booster", "emotive", "vague_attribution")
# Rows that are not the article's own text: footer link titles, and section headings for claims and sources.
_NOT_TEXT: Final = frozenset({"link"})
_NOT_CLAIMS: Final = frozenset({"link", "heading"})
_TERM = re.compile(r"^(?P<term>.+) \((?P<category>[a-z_]+)\)$")
_MARKER_LINE = re.compile(r"^\[FICTIONAL ARTICLE")

CLAIM_COLUMNS: Final = ("sentence_id", "section", "kind", "text", "strength", "strength_rule", "strength_words",
                        "flags")
SOURCE_COLUMNS: Final = ("sentence_id", "section", "source_kind", "phrase", "text")


@dataclass(frozen=True, eq=False, repr=False)
class ArticleReport:
    """What the kit's text tools find in one article. Every table joins the sentences on ``sentence_id``.

    - ``sentences``: the sentence table (``split_text``).
    - ``markers``: sentences with at least one hype marker: counts per category and the terms matched.
    - ``profile``: the whole text (footer links left out): markers and markers per 100 words per category.
    - ``sections``: markers per 100 words in each section (``profile_by_section``).
    - ``claims``: candidate claims, with their strength, the deciding rule and words, and why they were flagged.
    - ``sources``: vague or unverifiable sources, one row per phrase.
    - ``contradictions``: candidate pairs of sentences that may not both be true, with the cue words.
    - ``signals``: the seven content-farm signals, found or not.
    - ``cannot_judge``: what the tools cannot judge (the student's part).
    """

    source: str
    title: str
    sentences: pd.DataFrame = field(compare=False)
    markers: pd.DataFrame = field(compare=False)
    profile: pd.DataFrame = field(compare=False)
    sections: pd.DataFrame = field(compare=False)
    claims: pd.DataFrame = field(compare=False)
    sources: pd.DataFrame = field(compare=False)
    contradictions: pd.DataFrame = field(compare=False)
    signals: pd.DataFrame = field(compare=False)
    cannot_judge: tuple[str, ...] = CANNOT_JUDGE

    @property
    def words(self) -> int:
        """Words in the article's text (footer links left out)."""
        return int(self.profile["words"].iloc[0])

    def summary(self) -> pd.DataFrame:
        """One row per check: ``check``, ``count`` and what the count means."""
        strength = self.claims["strength"].value_counts()
        rate = self.profile["markers"].sum() / self.words * 100 if self.words else 0.0
        rows = [
            ("sentences", len(self.sentences), "rows of the sentence table (headings, questions and links included)"),
            ("words", self.words, "words in the text, footer links left out"),
            ("hype markers", int(self.profile["markers"].sum()), f"{rate:.1f} per 100 words; see .profile"),
            ("candidate claims", len(self.claims), "sentences to check; see .claims"),
            ("direct causal claims", int(strength.get("direct_causal", 0)), "unhedged causal wording"),
            ("conditional causal claims", int(strength.get("conditional_causal", 0)), "hedged causal wording"),
            ("vague or unverifiable sources", len(self.sources), "phrases naming a source no one can look up"),
            ("candidate contradictions", len(self.contradictions), "pairs of sentences to judge; see .contradictions"),
            ("content-farm signals", int(self.signals["found"].sum()), f"of {len(self.signals)} checked"),
        ]
        return pd.DataFrame(rows, columns=["check", "count", "meaning"])

    def plot(self) -> Figure:
        """One figure with three panels: markers per 100 words by category, claim strength counts, signals found."""
        import matplotlib.pyplot as plt

        from appraisal.plots import OKABE_ITO  # matplotlib is imported only when a figure is drawn

        fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
        rates = self.profile.set_index("category")["per_100_words"].reindex(list(CATEGORIES), fill_value=0.0)
        ax1.barh([c.replace("_", " ") for c in rates.index][::-1], rates.to_numpy()[::-1], color=OKABE_ITO["blue"])
        ax1.set(title="Hype markers", xlabel="Markers per 100 words", ylabel="Marker category")

        counts = self.claims["strength"].value_counts().reindex(list(STRENGTH_LEVELS), fill_value=0)
        colours = [OKABE_ITO[c] for c in ("grey", "sky blue", "orange", "vermillion")]
        ax2.barh([s.replace("_", " ") for s in counts.index][::-1], counts.to_numpy()[::-1], color=colours[::-1])
        ax2.set(title=f"Strength of the {len(self.claims)} candidate claims", xlabel="Candidate claims (count)",
                ylabel="Claim strength (rules)")
        ax2.xaxis.get_major_locator().set_params(integer=True)

        found = self.signals["found"].astype(bool).to_numpy()[::-1]
        names = self.signals["signal"].str.replace(r"\s*\(.*\)$", "", regex=True).to_numpy()[::-1]
        ax3.barh(names, [1] * len(names), color=[OKABE_ITO["vermillion"] if f else OKABE_ITO["bluish green"]
                                                  for f in found])
        for y, f in enumerate(found):
            ax3.text(0.5, y, "found" if f else "not found", ha="center", va="center",
                     color="white" if f else "black")
        ax3.set(title="Content-farm signals", xlabel="Result of the check", ylabel="Signal", xticks=[])
        ax3.set_xlim(0, 1)
        short = self.title if len(self.title) <= 70 else self.title[:67] + "..."
        fig.suptitle(f"What the text tools find in “{short}”")
        return fig

    def __repr__(self) -> str:
        lines = [f"ArticleReport of {self.source}: “{self.title}”"]
        for row in self.summary().itertuples(index=False):
            lines.append(f"  {row.check:<30} {row.count:>6}   {row.meaning}")
        lines.append("Tables: .sentences .markers .profile .sections .claims .sources .contradictions .signals; "
                     ".summary(), .plot(); what the tools cannot judge: .cannot_judge")
        return "\n".join(lines)


def report(text_or_path: str | os.PathLike[str]) -> ArticleReport:
    """Appraise one English health article with the kit's text tools: see :class:`ArticleReport`.

    ``text_or_path`` is the article's text, or the path of a UTF-8 ``.txt`` file: a ``pathlib.Path`` (or other
    path object) is always a path; a ``str`` is a path when it has no line break and names an existing file, and the
    article's text otherwise. Raises TypeError for other types (``None``, bytes, numbers) and
    :class:`appraisal.text.ArticleError` for empty, binary or unreadable input, a missing ``.txt`` file, or a text
    longer than ``MAX_CHARS`` characters.
    """
    text, source = _read(text_or_path)
    sentences = split_text(text, source=source)
    features = hype_features(sentences)
    prose = features[~features["kind"].isin(_NOT_TEXT)]
    if prose.empty:
        prose = features
    rated = add_strength(features)
    claims = _claims(features, rated)
    return ArticleReport(
        source=source,
        title=_title(sentences),
        sentences=sentences,
        markers=_markers(features),
        profile=_profile(prose),
        sections=profile_by_section(features),
        claims=claims,
        sources=_sources(features),
        contradictions=find_contradictions(sentences),
        signals=content_farm_signals(sentences),
    )


def _read(text_or_path: object) -> tuple[str, str]:
    """The text and a name for it (the file name, or "the text")."""
    if text_or_path is None:
        raise TypeError("report() needs an article: its text as a str, or the path of a .txt file; got None.")
    if isinstance(text_or_path, bytes | bytearray):
        raise TypeError("report() got bytes; decode them first (for example data.decode('utf-8')) or pass a path.")
    if isinstance(text_or_path, os.PathLike):
        path = Path(text_or_path)
        _check_size(path)
        return read_text_file(path), path.name
    if not isinstance(text_or_path, str):
        raise TypeError(
            f"report() expects the article's text (str) or a path to a .txt file, not {type(text_or_path).__name__}."
        )
    text = text_or_path
    if "\n" not in text and len(text) < 4096 and text.strip():
        candidate = Path(text.strip())
        try:
            is_file = candidate.is_file()
        except (OSError, ValueError):  # not a possible file name (a NUL byte, too long): it is text
            is_file = False
        if is_file:
            _check_size(candidate)
            return read_text_file(candidate), candidate.name
        if re.fullmatch(r"\S+\.txt", text.strip()):
            raise ArticleError(f"No such file: {text.strip()} (pass the text itself, or the path of a file that exists).")
    if not text.strip():
        raise ArticleError("report(): the text is empty; there is nothing to appraise.")
    if len(text) > MAX_CHARS:
        raise ArticleError(
            f"report(): the text has {len(text):,} characters, more than the {MAX_CHARS:,} one article can have; "
            "appraise one article at a time."
        )
    return text, "the text"


def _check_size(path: Path) -> None:
    """Refuse a file too large to be an article before reading it (a character takes at least one byte)."""
    if path.is_file() and path.stat().st_size > 4 * MAX_CHARS:
        raise ArticleError(f"{path} is {path.stat().st_size:,} bytes, too large to be one article.")
    if path.is_file() and path.stat().st_size > MAX_CHARS:
        text = read_text_file(path)
        if len(text) > MAX_CHARS:
            raise ArticleError(
                f"{path} has {len(text):,} characters, more than the {MAX_CHARS:,} one article can have."
            )


def _title(sentences: pd.DataFrame) -> str:
    """The first title row that is not the kit's fictional-article marker, else the first row."""
    titles = sentences.loc[sentences["kind"] == "title", "text"]
    titles = titles[~titles.str.match(_MARKER_LINE)]
    return str(titles.iloc[0] if not titles.empty else sentences["text"].iloc[0])


def _terms(matched: str, categories: tuple[str, ...]) -> list[str]:
    """The matched terms of the given categories, as 'category: term', from hype_features' ``matched_terms``."""
    out = []
    for item in filter(None, (part.strip() for part in matched.split("; "))):
        m = _TERM.match(item)
        if m and m.group("category") in categories:
            out.append(f"{m.group('category').replace('_', ' ')}: {m.group('term')}")
    return out


def _markers(features: pd.DataFrame) -> pd.DataFrame:
    columns = ["sentence_id", "section", "kind", "words", *CATEGORIES, "markers", "matched_terms", "text"]
    return features.loc[features["markers"] > 0, columns].reset_index(drop=True)


def _profile(prose: pd.DataFrame) -> pd.DataFrame:
    words = int(prose["words"].sum())
    counts = [int(prose[c].sum()) for c in CATEGORIES]
    table = pd.DataFrame({"category": list(CATEGORIES), "markers": pd.array(counts, dtype="int64")})
    table["words"] = words
    table["per_100_words"] = (table["markers"] / words * 100).round(2) if words else 0.0
    return table


def _claims(features: pd.DataFrame, rated: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for feature, strength in zip(features.itertuples(index=False), rated.itertuples(index=False), strict=True):
        if feature.kind in _NOT_CLAIMS or _MARKER_LINE.match(feature.text):
            continue
        flags = []
        words: tuple[str, ...] = ()
        if strength.strength != "none":
            words = explain_strength(feature.text).words
            flags.append(f"{strength.strength}: " + " … ".join(words))
        flags += _terms(feature.matched_terms, _CLAIM_CATEGORIES)
        for name, pattern in _CLAIM_PATTERNS:
            hits = dict.fromkeys(" ".join(m.group(0).split()).lower() for m in pattern.finditer(feature.text))
            if hits:
                flags.append(name if name == "quoted speech" else f"{name}: {', '.join(hits)}")
        if flags:
            rows.append({
                "sentence_id": feature.sentence_id, "section": feature.section, "kind": feature.kind,
                "text": feature.text, "strength": strength.strength, "strength_rule": strength.strength_rule,
                "strength_words": " … ".join(words), "flags": "; ".join(flags),
            })
    table = pd.DataFrame(rows, columns=list(CLAIM_COLUMNS))
    return table.astype({"sentence_id": "int64"})


def _sources(features: pd.DataFrame) -> pd.DataFrame:
    text_rows = features[~features["kind"].isin(_NOT_CLAIMS)]
    rows: list[dict[str, object]] = []
    seen: set[tuple[int, str]] = set()

    def add(row: object, kind: str, phrase: str) -> None:
        key = (int(row.sentence_id), phrase.lower())  # type: ignore[attr-defined]
        if not any(sid == key[0] and key[1] in known for sid, known in seen):  # "experts" inside "experts agree"
            seen.add(key)
            rows.append({"sentence_id": row.sentence_id, "section": row.section,  # type: ignore[attr-defined]
                         "source_kind": kind, "phrase": phrase, "text": row.text})  # type: ignore[attr-defined]

    journals = journal_only_citations(text_rows) if not text_rows.empty else pd.DataFrame()
    journal_by_sentence: dict[int, list[str]] = {}
    for hit in journals.itertuples(index=False):
        journal_by_sentence.setdefault(int(hit.sentence_id), []).append(hit.phrase)
    for row in text_rows.itertuples(index=False):
        for phrase in journal_by_sentence.get(int(row.sentence_id), []):
            add(row, "journal named without authors, year, DOI or PMID", phrase)
        for term in _terms(row.matched_terms, ("vague_attribution",)):
            add(row, "vague attribution", term.split(": ", 1)[1])
        for name, pattern in _SOURCE_PATTERNS:
            for m in pattern.finditer(row.text):
                add(row, name, " ".join(m.group(0).split()))
    table = pd.DataFrame(rows, columns=list(SOURCE_COLUMNS))
    return table.astype({"sentence_id": "int64"}).sort_values("sentence_id", kind="stable").reset_index(drop=True)


def compare_with_key(article: ArticleReport, key: pd.DataFrame) -> pd.DataFrame:
    """Which claims of an answer key the report found: one row per key claim.

    ``key`` needs the columns ``claim_id``, ``quote`` (an exact part of one sentence) and ``flaw`` (as in
    ``data/practice/<article>.key.csv``). A claim is found when its sentence is among the candidate claims, or, for a
    source flaw (``SOURCE_FLAWS``), among the vague or unverifiable sources. Columns: ``claim_id``, ``sentence_id``,
    ``flaw``, ``in_claims``, ``in_sources``, ``found``; the recall is ``found.mean()``.
    """
    if not isinstance(article, ArticleReport):
        raise TypeError(f"compare_with_key() expects an ArticleReport, not {type(article).__name__}.")
    if not isinstance(key, pd.DataFrame):
        raise TypeError(f"compare_with_key() expects the key as a DataFrame, not {type(key).__name__}.")
    missing = {"claim_id", "quote", "flaw"} - set(key.columns)
    if missing:
        raise ValueError(f"compare_with_key(): the key lacks the column(s) {sorted(missing)}.")
    texts = article.sentences["text"]
    rows = []
    for claim in key.itertuples(index=False):
        quote = " ".join(str(claim.quote).split())
        hits = article.sentences.loc[texts.str.contains(quote, regex=False), "sentence_id"]
        if len(hits) != 1:
            raise ValueError(f"compare_with_key(): the quote of {claim.claim_id} is in {len(hits)} sentences, not 1.")
        sid = int(hits.iloc[0])
        in_claims = bool((article.claims["sentence_id"] == sid).any())
        in_sources = bool((article.sources["sentence_id"] == sid).any())
        found = in_claims or (claim.flaw in SOURCE_FLAWS and in_sources)
        rows.append({"claim_id": claim.claim_id, "sentence_id": sid, "flaw": claim.flaw,
                     "in_claims": in_claims, "in_sources": in_sources, "found": found})
    return pd.DataFrame(rows, columns=["claim_id", "sentence_id", "flaw", "in_claims", "in_sources", "found"])


def evidence_level(evidence_design: str) -> int | None:
    """OCEBM 2011 level for treatment benefit of a practice key's ``evidence_design`` (None when it is not a study).

    Uses :data:`KEY_DESIGNS` and :func:`appraisal.evidence.ocebm_level`: ``"randomised trial"`` is 2,
    ``"uncontrolled before/after"`` 4, ``"animal study"`` 5, ``"anecdote"`` None. Raises ValueError for other words.
    """
    if not isinstance(evidence_design, str):
        raise TypeError(f"evidence_level() expects an evidence_design word (str), not {type(evidence_design).__name__}.")
    if evidence_design not in KEY_DESIGNS:
        raise ValueError(f"evidence_level(): unknown evidence_design {evidence_design!r}; known: {sorted(KEY_DESIGNS)}.")
    design = KEY_DESIGNS[evidence_design]
    return None if design is None else ocebm_level(design)
