"""data/glossary.csv and notebooks/glossary.ipynb: one row per term, each defined where its row says.

Other developers append rows to the glossary, so the glossary notebook must be executed again after every change
(`make notebooks`); the last test says so when it is stale.

data/technical_terms.csv is a reviewed list of the kit's technical words (one row per term, a regular expression for
its variants, the lessons that used it when reviewed): every listed term a lesson uses, in its text or in a table or
printout it shows, is either bolded (defined) at or before its first use in that lesson or has a glossary row.
"""

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
GLOSSARY = pd.read_csv(ROOT / "data" / "glossary.csv", dtype=str, keep_default_na=False)
LESSONS = {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))}
# Rows whose term does not yet appear in the lesson they name, reported to the lead (the lesson or the row needs a
# fix by its author). Remove an entry once it is fixed: the test fails while a listed row is fine, to keep this short.
KNOWN_MISSING: set[tuple[str, str]] = set()


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("–", "-").replace("‑", "-"))


def _normal(text: str) -> str:
    return _plain(text).lower()


def _lesson_text(path: Path) -> str:
    """A lesson's cell sources and what its cells show (tables, printouts), spacing and dashes normalised."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = " ".join("".join(c["source"]) for c in cells)
    return _plain(sources + " " + " ".join(text for _, _, text in _visible_parts(cells)))


TERMS = pd.read_csv(ROOT / "data" / "technical_terms.csv", dtype=str, keep_default_na=False)
BOLD = re.compile(r"\*\*([^*\n]+?)\*\*")


def _term_regex(pattern: str) -> re.Pattern:
    """A term's variants as whole words, case-insensitive (a pattern may scope ``(?-i:...)`` for acronyms).

    Not inside a longer word, nor after a hyphen ("non-specific" is not "specific"; "placebo-controlled" does use
    "placebo"); an underscore counts as a break, as in the design code "retrospective_chart_review" a table shows.
    """
    return re.compile(rf"(?<![^\W_])(?<!-)(?:{pattern})(?![^\W_])", flags=re.I)


def _output_text(output: dict) -> str:
    if "text" in output:
        return "".join(output["text"])
    data = output.get("data", {})
    if "text/html" in data:  # the table a student sees; its text/plain twin says the same
        return html.unescape(re.sub(r"<[^>]+>", " ", "".join(data["text/html"])))
    for kind in ("text/markdown", "text/plain"):
        if kind in data:
            return "".join(data[kind])
    return ""


def _visible_parts(cells: list[dict]) -> list[tuple[int, str, str]]:
    """What a student reads, in order: (cell index, "markdown" or "output", text with spacing and dashes normalised).

    Code is left out (names such as `ppv` are not prose), and so is the reference list of the "Sources cited" cell
    (paper titles are not the lesson's own words).
    """
    parts = []
    for index, cell in enumerate(cells):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append((index, "markdown", _plain(source)))
        elif cell["cell_type"] == "code" and "reference_list(" not in source:
            parts.extend((index, "output", _plain(_output_text(out))) for out in cell.get("outputs", []))
    return parts


def undefined_terms(parts: list[tuple[int, str, str]], terms: dict[str, str],
                    glossary_forms: set[str]) -> list[tuple[str, int, str]]:
    """The listed terms a lesson uses without a glossary row and without bolding them at or before the first use.

    ``terms`` maps each term to its pattern; returns (term, cell of first use, the words around it).
    """
    found = []
    for term, pattern in terms.items():
        regex = _term_regex(pattern)
        first = next(((index, text, match) for index, _, text in parts
                      for match in [regex.search(text)] if match), None)
        if first is None:
            continue
        if _normal(term) in glossary_forms or _normal(re.sub(r"\s*\([^)]*\)$", "", term)) in glossary_forms:
            continue
        bolded = [index for index, kind, text in parts if kind == "markdown"
                  and any(regex.search(phrase) for phrase in BOLD.findall(text))]
        if bolded and min(bolded) <= first[0]:
            continue
        index, text, match = first
        found.append((term, index, " ".join(text[max(0, match.start() - 40):match.end() + 20].split())))
    return found


def _term_pattern(term: str) -> re.Pattern:
    """How to find a glossary term in a lesson: its reviewed variants if listed, else its words as written."""
    listed = TERMS.loc[TERMS["term"] == term, "pattern"]
    if len(listed):
        return _term_regex(listed.iloc[0])
    bare = _normal(re.sub(r"\s*\([^)]*\)$", "", term))  # "positive predictive value (PPV)" -> without "(PPV)"
    return re.compile(re.escape(bare), flags=re.I)


def test_columns():
    assert list(GLOSSARY.columns) == ["term", "definition", "notebook", "source_ids"]


def test_no_duplicate_terms():
    lowered = GLOSSARY["term"].str.strip().str.lower()
    duplicates = sorted(GLOSSARY.loc[lowered.duplicated(keep=False), "term"])
    assert not duplicates, f"terms defined twice (case-insensitive): {duplicates}"


def test_every_row_has_a_term_a_definition_and_a_known_notebook():
    assert (GLOSSARY["term"].str.strip() != "").all()
    empty = GLOSSARY.loc[GLOSSARY["definition"].str.strip() == "", "term"].tolist()
    assert not empty, f"terms without a definition: {empty}"
    unknown = sorted(set(GLOSSARY["notebook"]) - set(LESSONS))
    assert not unknown, f"notebook values with no notebooks/NN-*.ipynb: {unknown}"


def test_source_ids_exist():
    from appraisal.sources import load_sources

    known = set(load_sources().index)
    cited = {i.strip() for ids in GLOSSARY["source_ids"] for i in ids.split(";") if i.strip()}
    assert cited <= known, f"unknown source ids: {sorted(cited - known)}"


@pytest.mark.parametrize("notebook", sorted(set(GLOSSARY["notebook"]) & set(LESSONS)))
def test_every_term_appears_in_its_notebook(notebook):
    text = _lesson_text(LESSONS[notebook])
    rows = GLOSSARY[GLOSSARY["notebook"] == notebook]
    missing = set()
    for term in rows["term"]:
        if not _term_pattern(term).search(text):
            missing.add((notebook, term))
    assert missing == {k for k in KNOWN_MISSING if k[0] == notebook}, (
        f"terms of notebook {notebook} that its lesson never uses: {sorted(t for _, t in missing)}"
    )


def test_glossary_notebook_is_up_to_date():
    cells = json.loads((ROOT / "notebooks" / "glossary.ipynb").read_text(encoding="utf-8"))["cells"]
    shown = "".join(
        "".join(output.get("data", {}).get("text/markdown", ""))
        for cell in cells if cell["cell_type"] == "code" for output in cell.get("outputs", [])
    )
    stale = [t for t in GLOSSARY["term"] if f"**{t}**" not in shown]
    assert not stale, f"notebooks/glossary.ipynb is stale (run `make notebooks`); it lacks: {stale[:5]}"


# Bold used for something other than a term: the bullet labels of "How the kit works" in lesson 00, the word "bold"
# itself, claim-type names, and marker words highlighted inside a quotation in lesson 01.
NOT_TERMS = {"lessons", "self-checks", "graded exercises", "terms", "bold", "efficacy", "source",
             "may", "considerable promise", "burden"}


def _bold_terms(path: Path) -> set[str]:
    """Bolded phrases in a lesson's markdown that read as terms, not labels (ids, 'Try it', 'Time:', sentences)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = set()
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for phrase in re.findall(r"\*\*([^*\n]+?)\*\*", "".join(cell["source"])):
            phrase = phrase.strip()
            if (re.fullmatch(r"\d\d\.\w+|\[S\d+\]", phrase) or phrase[-1] in ".:?!" or phrase[0] in "\"'“‘"
                    or re.match(r"(Self-check|Try it|Misconception|Next|Time|You need)\b", phrase)):
                continue
            found.add(phrase)
    return found


def _glossary_forms() -> set[str]:
    forms = set()
    for term in GLOSSARY["term"]:
        forms.add(_normal(term))
        forms.add(_normal(re.sub(r"\s*\([^)]*\)$", "", term)))
    return forms


def test_bold_phrase_parser_skips_labels():
    assert re.fullmatch(r"\d\d\.\w+", "03.a")
    text = "**03.1** x **Try it.** y **You need:** z **odds** w"
    phrases = [p for p in re.findall(r"\*\*([^*\n]+?)\*\*", text)]
    assert phrases == ["03.1", "Try it.", "You need:", "odds"]


@pytest.mark.parametrize("path", list(LESSONS.values()), ids=lambda p: p.name)
def test_every_bolded_term_in_a_lesson_is_in_the_glossary(path):
    forms = _glossary_forms()
    # a listed variant of a glossary term counts as that term ("case-control studies" for "case-control study")
    variants = [re.compile(rf"(?:{pattern})", flags=re.I) for term, pattern in zip(TERMS["term"], TERMS["pattern"],
                                                                                 strict=True)
                if _normal(term) in forms or _normal(re.sub(r"\s*\([^)]*\)$", "", term)) in forms]
    missing = sorted(t for t in _bold_terms(path)
                     if _normal(t) not in forms and _normal(re.sub(r"\s*\([^)]*\)$", "", t)) not in forms
                     and _normal(t) not in NOT_TERMS and not any(v.fullmatch(_plain(t)) for v in variants))
    assert not missing, f"bolded in {path.name} but not in data/glossary.csv: {missing}"


# ---------------------------------------------------------------- the reviewed list of technical terms

def test_technical_terms_file_is_well_formed():
    assert list(TERMS.columns) == ["term", "pattern", "notebooks"]
    assert not TERMS["term"].duplicated().any(), f"listed twice: {TERMS.loc[TERMS['term'].duplicated(), 'term']}"
    for term, pattern, notebooks in TERMS.itertuples(index=False):
        regex = _term_regex(pattern)  # raises if the pattern is not a valid regular expression
        headword = re.sub(r"\s*\([^)]*\)$", "", term)
        assert regex.search(headword), f"{term}: its pattern {pattern!r} does not match the term itself"
        listed = [n for n in notebooks.split(";") if n]
        assert set(listed) <= set(LESSONS), f"{term}: unknown notebooks {notebooks!r}"


def test_every_listed_term_is_still_used_in_a_lesson():
    parts = {nb: _visible_parts(json.loads(path.read_text(encoding="utf-8"))["cells"])
             for nb, path in LESSONS.items()}
    unused = [term for term, pattern in zip(TERMS["term"], TERMS["pattern"], strict=True)
              if not any(_term_regex(pattern).search(text) for p in parts.values() for _, _, text in p)]
    assert not unused, f"listed in data/technical_terms.csv but used in no lesson (drop the row?): {unused}"


@pytest.mark.parametrize("path", list(LESSONS.values()), ids=lambda p: p.name)
def test_technical_terms_are_defined_before_use_or_in_the_glossary(path):
    parts = _visible_parts(json.loads(path.read_text(encoding="utf-8"))["cells"])
    missing = undefined_terms(parts, dict(zip(TERMS["term"], TERMS["pattern"], strict=True)), _glossary_forms())
    assert not missing, (
        f"{path.name} uses technical terms it does not define (bold, one plain sentence) before their first use "
        f"and that have no row in data/glossary.csv: "
        + "; ".join(f"{term!r} in cell {index}: '...{words}...'" for term, index, words in missing)
    )


def test_the_term_check_catches_a_term_used_before_its_definition():
    terms = {"risk ratio": r"risk ratios?", "z score": r"z[- ]scores?"}
    parts = [(0, "markdown", "Some words first."),
             (1, "output", "A large effect: risk ratio above 2."),
             (2, "markdown", "A **risk ratio** is one risk divided by another.")]
    assert [t for t, _, _ in undefined_terms(parts, terms, set())] == ["risk ratio"]  # bolded only after use
    assert undefined_terms(parts[:1] + parts[2:], terms, set()) == []  # bolded at first use: defined
    assert undefined_terms(parts, terms, {"risk ratio"}) == []  # in the glossary
    assert undefined_terms([(0, "markdown", "Risk ratios compare risks.")], terms, set())[0][:2] == ("risk ratio", 0)
    assert undefined_terms([(0, "markdown", "a z-scores-like word: riskratio")], {"z": r"z-score"}, set()) == []
    assert undefined_terms([(0, "output", "retrospective_chart_review")], {"r": "retrospective"}, set())
