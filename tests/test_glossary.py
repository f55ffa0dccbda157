"""data/glossary.csv and notebooks/glossary.ipynb: one row per term, each defined where its row says.

Other developers append rows to the glossary, so the glossary notebook must be executed again after every change
(`make notebooks`); the last test says so when it is stale.
"""

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


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("–", "-").replace("‑", "-")).lower()


def _lesson_text(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return _normal(" ".join("".join(c["source"]) for c in cells))


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
        bare = _normal(re.sub(r"\s*\([^)]*\)$", "", term))  # "positive predictive value (PPV)" -> without "(PPV)"
        if bare not in text:
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
    missing = sorted(t for t in _bold_terms(path)
                     if _normal(t) not in forms and _normal(re.sub(r"\s*\([^)]*\)$", "", t)) not in forms
                     and _normal(t) not in NOT_TERMS)
    assert not missing, f"bolded in {path.name} but not in data/glossary.csv: {missing}"
