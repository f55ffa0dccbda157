"""Read a web article into a table of sentences.

The article is plain text as saved from a web page: headings on lines of their own,
paragraphs separated by blank lines. :func:`split_text` turns any such text into a
DataFrame with one row per sentence (headings, questions and link titles are rows
too, marked by ``kind``); :func:`load_article` does the same for a file, by default
the case-study article in ``data/article.txt``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import pandas as pd

from appraisal.paths import data_path

__all__ = [
    "ArticleError",
    "SENTENCE_COLUMNS",
    "load_article",
    "read_text_file",
    "split_sentences",
    "split_text",
    "to_markdown",
]

SENTENCE_COLUMNS = ["sentence_id", "section", "paragraph", "kind", "text"]

#: Abbreviations after which a full stop does not end a sentence (lower case, without the final dot).
ABBREVIATIONS = frozenset(
    """
    e.g i.e etc vs cf al approx ed eds dept est inc ltd co corp jr sr
    dr mr mrs ms prof st mt ft jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n ph.d m.d b.sc m.sc a.m p.m
    """.split()
)

#: Abbreviations that only count as such before a number ("No. 5", "p. 12", "Fig. 2").
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "p", "pp", "fig", "figs", "vol", "eq"})

# A candidate sentence end: one or more of . ! ? (or an ellipsis), then optional closing quotes or
# brackets, then white space.
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)")
_NUMBERED_ITEM = re.compile(r"^\s*(\d{1,2}|[a-z])[.)]\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_TERMINAL = re.compile(r"[.!?…:;][\"'”’)\]]*$")
_MAX_HEADING_WORDS = 16


class ArticleError(ValueError):
    """The input cannot be read as an article (empty, binary, unreadable)."""


@dataclass(frozen=True)
class _Block:
    """A paragraph-level block of text and the number of blank lines before it."""

    text: str
    gap_before: int


def read_text_file(path: str | PathLike[str]) -> str:
    """Read a UTF-8 text file, with a clear error naming the file when it cannot be read as text."""
    p = Path(path)
    if p.is_dir():
        raise ArticleError(f"{p} is a folder, not a text file.")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"No such file: {p}") from None
    except OSError as exc:
        raise ArticleError(f"Cannot read {p}: {exc.strerror or exc}") from None
    if b"\x00" in raw[:8192]:
        raise ArticleError(f"{p} looks like a binary file, not text (it contains NUL bytes).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{p} is not UTF-8 text (byte {exc.start} cannot be decoded). Save it as UTF-8 and try again."
        ) from None
    if not text.strip():
        raise ArticleError(f"{p} is empty: there is no text to read.")
    return text


def load_article(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Load an article file as a sentence table (default: the case-study article in ``data/``).

    Columns: ``sentence_id`` (1, 2, ... in reading order), ``section`` (the heading the
    sentence falls under), ``paragraph`` (1, 2, ... over the whole text), ``kind``
    (title, heading, subheading, question, sentence, link) and ``text``.
    """
    if path is not None and not isinstance(path, str | PathLike):
        raise TypeError(f"load_article() expects a file path or None, not {type(path).__name__}.")
    file = data_path("article.txt") if path is None else Path(path)
    return split_text(read_text_file(file), source=str(file))


def split_text(text: str, source: str = "the text") -> pd.DataFrame:
    """Split article text into a sentence table (see :func:`load_article` for the columns)."""
    if not isinstance(text, str):
        raise TypeError(f"split_text() expects a string, not {type(text).__name__}.")
    if not text.strip():
        raise ArticleError(f"{source} is empty: there is no text to read.")
    blocks = _blocks(text)
    rows: list[dict[str, object]] = []
    section = "Title"
    seen_prose = False
    seen_heading = False
    untitled = 0
    for paragraph, (block, is_prose_after) in enumerate(_with_lookahead(blocks), start=1):
        if _is_heading_like(block.text):
            if not seen_prose and not seen_heading and block.gap_before < 3 or paragraph == 1:
                kind = "title"
                section = "Title"
            elif not is_prose_after:
                kind = "link"
                if section != "Footer links":
                    section = "Footer links"
            elif _NUMBERED_ITEM.match(block.text):
                kind = "question" if block.text.rstrip().endswith("?") else "subheading"
            else:
                kind = "heading"
                section = block.text.strip()
                seen_heading = True
            rows.append({"section": section, "paragraph": paragraph, "kind": kind, "text": block.text})
            continue
        if block.gap_before >= 3 or not seen_prose and section == "Title":
            if not seen_heading:
                section = "Introduction"
            elif block.gap_before >= 3:
                untitled += 1
                section = "Untitled section" if untitled == 1 else f"Untitled section {untitled}"
        seen_prose = True
        for sentence in split_sentences(block.text):
            kind = "question" if sentence.endswith("?") else "sentence"
            rows.append({"section": section, "paragraph": paragraph, "kind": kind, "text": sentence})
    table = pd.DataFrame(rows, columns=["section", "paragraph", "kind", "text"])
    table.insert(0, "sentence_id", range(1, len(table) + 1))
    return table.astype({"sentence_id": "int64", "paragraph": "int64"})


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph into sentences.

    Full stops after abbreviations (``e.g.``, ``Dr.``, ``et al.``), single initials, inside
    numbers (``3.5``) and after a leading list number (``1. Rapid relief``) do not end a
    sentence; ``?`` and ``!`` do. White space inside a sentence is folded to single spaces.
    """
    if not isinstance(paragraph, str):
        raise TypeError(f"split_sentences() expects a string, not {type(paragraph).__name__}.")
    text = " ".join(paragraph.split())
    if not text:
        return []
    item = _NUMBERED_ITEM.match(text)
    start_search = item.end() if item else 0
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text, start_search):
        end = match.end(2)
        after = text[match.end() :]
        if not after:
            break
        if not _starts_sentence(after):
            continue
        if match.group(1) == "." and _is_abbreviation(text[start : match.start(1)], after):
            continue
        sentences.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def to_markdown(table: pd.DataFrame, show_ids: bool = True) -> str:
    """Render a sentence table back as Markdown: sections as headings, each sentence tagged with its id.

    Useful for reading an article with the ids that other tables (claims, hype markers) refer to.
    """
    missing = {"sentence_id", "section", "paragraph", "kind", "text"} - set(table.columns)
    if missing:
        raise ValueError(f"to_markdown() needs a sentence table; missing columns: {', '.join(sorted(missing))}")
    lines: list[str] = []
    section = None
    paragraph = None
    for row in table.itertuples(index=False):
        tag = f" <sup>{row.sentence_id}</sup>" if show_ids else ""
        if row.section != section:
            section = row.section
            if row.kind != "heading":
                lines.append(f"\n\n#### _{section}_ (no heading on the page)\n")
        if row.kind == "heading":
            lines.append(f"\n\n#### {row.text}{tag}\n")
        elif row.kind in {"title", "subheading", "link"} or (row.kind == "question" and row.paragraph != paragraph):
            lines.append(f"\n\n**{row.text}**{tag}\n\n")  # a blank line on each side: its own paragraph
        else:
            if row.paragraph != paragraph:
                lines.append("\n\n")
            lines.append(f"{row.text}{tag} ")
        paragraph = row.paragraph
    return re.sub(r"\n{3,}", "\n\n", "".join(lines)).strip() + "\n"


def _starts_sentence(after: str) -> bool:
    """True when the text after a candidate boundary can begin a new sentence."""
    first = after[0]
    return first.isupper() or first.isdigit() or first in "\"'“‘([" or not first.isalpha()


def _is_abbreviation(before: str, after: str) -> bool:
    """True when the word ending at a full stop is an abbreviation or an initial."""
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().strip(".")
    if word in ABBREVIATIONS:
        return True
    if word in NUMBER_ABBREVIATIONS and after[:1].isdigit():
        return True
    if len(word) == 1 and word.isalpha():  # an initial such as "J." or the "p." of a page
        return True
    return bool(re.fullmatch(r"(?:[a-z]\.)+[a-z]", word))  # dotted acronyms: u.s, e.g


def _blocks(text: str) -> list[_Block]:
    """Split text into blocks separated by blank lines, remembering the size of each gap."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    blocks: list[_Block] = []
    current: list[str] = []
    gap = 0
    pending_gap = 0
    for line in lines:
        if line.strip():
            if current and gap:
                blocks.append(_Block(" ".join(current), pending_gap))
                current = []
            if not current:
                pending_gap = gap if blocks else 0
            current.append(line.strip())
            gap = 0
        else:
            gap += 1
    if current:
        blocks.append(_Block(" ".join(current), pending_gap))
    return blocks


def _with_lookahead(blocks: list[_Block]) -> list[tuple[_Block, bool]]:
    """Pair each block with whether any prose block follows it."""
    result: list[tuple[_Block, bool]] = []
    prose_after = False
    for block in reversed(blocks):
        result.append((block, prose_after))
        if not _is_heading_like(block.text):
            prose_after = True
    return list(reversed(result))


def _is_heading_like(text: str) -> bool:
    """A short block with no closing punctuation (or a numbered question) reads as a heading."""
    words = text.split()
    if len(words) > _MAX_HEADING_WORDS * 2:
        return False
    if _NUMBERED_ITEM.match(text) and text.rstrip().endswith("?") and len(words) <= _MAX_HEADING_WORDS:
        return True
    return not _TERMINAL.search(text.rstrip()) and len(words) <= _MAX_HEADING_WORDS * 2
