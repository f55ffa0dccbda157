"""The kit's own prose through the kit's own checks: sentences that `appraisal.report()` rates as absolute or
direct causal claims, in the lessons' markdown and in the solutions' prompts and model answers.

A flagged sentence passes when it cites a source the registry does not mark low-confidence ([S12]), or when
`data/prose_allowlist.csv` lists it with a reviewed reason (a definition, a quote of the article, a claim a
student is asked to judge, a rule of a method, a statement about the kit's own simulation, or a misreading by the
kit's rules). Everything else is to be reworded: the kit must pass the appraisal it teaches.

    python tools/prose_check.py                      # every lesson and solution notebook
    python tools/prose_check.py notebooks/03-*.ipynb # some notebooks

Exit status 1 when any sentence is left to fix. Used by `tests/test_kit_prose.py`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
ALLOWLIST = ROOT / "data" / "prose_allowlist.csv"
ALLOW_KINDS = ("definition", "article quote", "claim to judge", "method rule", "simulation", "misread")

# What is not the kit's own prose: the article quoted ('…', “…”, "…"), code, formulas, links' targets, the
# mark scheme (instructor-only rubric text), and HTML tags.
_MARK_SCHEME = re.compile(r"=== BEGIN MARK SCHEME ===.*?=== END MARK SCHEME ===", re.S)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_LINK = re.compile(r"\]\([^)]*\)")
_TAG = re.compile(r"<[^>\n]+>")
_SOLUTION_LINE = re.compile(r"^.*(?:BEGIN|END) SOLUTION.*$", re.M)
_QUOTE = re.compile(r"“[^”\n]*”|\"[^\"\n]*\"|(?<![A-Za-z0-9])'[^'\n]+?'(?![A-Za-z0-9])")
_CITATION = re.compile(r"\[(S\d+(?:\s*[,;]\s*S\d+)*)\]")


@dataclass(frozen=True)
class Flag:
    """One sentence of the kit's prose that the kit's checks rate absolute or direct causal."""

    file: str
    cell: int
    sentence: str
    why: str


def prose_cells(path: Path) -> list[tuple[int, str]]:
    """(cell index, text) of each markdown cell, mark schemes left out."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    out = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"])
        out.append((index, _MARK_SCHEME.sub(" ", text)))
    return out


def plain(markdown: str) -> str:
    """Markdown as plain sentences: code, formulas, quotes, link targets and tags replaced, markup dropped."""
    text = _SOLUTION_LINE.sub("", _MARK_SCHEME.sub(" ", markdown))
    text = _CODE.sub(" CODE ", text)
    text = _MATH.sub(" FORMULA ", text)
    text = _LINK.sub("]", text)
    text = _TAG.sub(" ", text)
    text = _QUOTE.sub(" QUOTE ", text)
    # a blank line, a list item, a table row or a heading starts a new unit; other line breaks run on
    units: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            units.append("")
        elif re.match(r"^(?:[-+]\s|\d+\.\s)", stripped) or line.lstrip().startswith(("|", "#")) or not units:
            units.append(stripped.lstrip("-+ "))
        else:
            units[-1] = f"{units[-1]} {stripped}".strip()
    units = [" ".join(re.sub(r"[*_>|#]+", " ", u).split()) for u in units]
    units = [u for u in units if re.search(r"[A-Za-z]", u)]
    return "\n\n".join(u if u.endswith((".", "?", "!", ":")) else u + "." for u in units)


def _low_confidence() -> set[str]:
    table = pd.read_csv(ROOT / "data" / "sources.csv", dtype=str, keep_default_na=False)
    return set(table.loc[table["confidence"] == "low", "id"])


def _cites_a_source(sentence: str, low: set[str]) -> bool:
    ids = [i for group in _CITATION.findall(sentence) for i in re.split(r"\s*[,;]\s*", group)]
    return any(i not in low for i in ids)


def flags_in(path: Path, low: set[str] | None = None) -> list[Flag]:
    """The uncited absolute or direct causal sentences of one notebook's prose."""
    from appraisal import report
    from appraisal.text import ArticleError

    low = _low_confidence() if low is None else low
    found: list[Flag] = []
    name = str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
    for index, markdown in prose_cells(path):
        text = plain(markdown)
        if not re.search(r"[A-Za-z]{3}", text):
            continue
        try:
            result = report(text)
        except ArticleError:
            continue
        claims = result.claims.set_index("sentence_id")
        markers = result.markers.set_index("sentence_id")
        for sentence_id, sentence in result.sentences.set_index("sentence_id")["text"].items():
            why = []
            if sentence_id in claims.index and claims.at[sentence_id, "strength"] == "direct_causal":
                why.append(f"direct causal ({claims.at[sentence_id, 'strength_words']})")
            if sentence_id in markers.index and markers.at[sentence_id, "absolute"] > 0:
                terms = [t for t in str(markers.at[sentence_id, "matched_terms"]).split(", ") if "(absolute)" in t]
                why.append("absolute (" + ", ".join(t.replace(" (absolute)", "") for t in terms) + ")")
            if why and not _cites_a_source(sentence, low):
                found.append(Flag(name, index, " ".join(sentence.split()), "; ".join(why)))
    return found


def load_allowlist() -> pd.DataFrame:
    """The reviewed exceptions: file, fragment (words of the sentence), kind, reason."""
    table = pd.read_csv(ALLOWLIST, dtype=str, keep_default_na=False)
    expected = ["file", "fragment", "kind", "reason"]
    if list(table.columns) != expected:
        raise ValueError(f"{ALLOWLIST.name} must have the columns {expected}, not {list(table.columns)}")
    return table


def allowed(flag: Flag, allowlist: pd.DataFrame) -> bool:
    """Whether a reviewed exception covers this sentence (its fragment occurs in it, in the same file)."""
    rows = allowlist[allowlist["file"] == flag.file]
    return any(" ".join(fragment.split()) in flag.sentence for fragment in rows["fragment"])


def default_paths() -> list[Path]:
    """Every lesson notebook and every solution notebook."""
    return sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*/*.ipynb"))


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or default_paths()
    allowlist = load_allowlist()
    low = _low_confidence()
    left = 0
    for path in paths:
        for flag in flags_in(path, low):
            if allowed(flag, allowlist):
                continue
            left += 1
            print(f"{flag.file} cell {flag.cell}: {flag.why}\n    {flag.sentence}")
    print(f"{left} sentence(s) to cite, reword or allow-list (data/prose_allowlist.csv)")
    return 1 if left else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
