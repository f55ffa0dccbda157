"""data/lexicons/: every word list of the kit, read by one loader (appraisal.lexicons.load_lexicon).

The pattern files (claim_strength_cues.csv, report_cues.csv) are checked first, then the hype lexicon.
"""

import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.hype import CATEGORIES
from appraisal.lexicons import CUE_COLUMNS, CUE_FILES, TERM_COLUMNS, load_lexicon

FOLDER = Path(__file__).parents[2] / "data" / "lexicons"
LEXICON = FOLDER / "hype_markers.csv"
README = Path(__file__).parents[2] / "data" / "README.md"


def test_every_file_is_known_to_the_loader_and_documented():
    names = sorted(p.stem for p in FOLDER.glob("*.csv"))
    assert set(CUE_FILES) <= set(names)
    readme = README.read_text(encoding="utf-8")
    for name in names:
        columns = tuple(pd.read_csv(FOLDER / f"{name}.csv", nrows=0).columns)
        assert columns == (CUE_COLUMNS if name in CUE_FILES else TERM_COLUMNS), name
        assert f"lexicons/{name}.csv" in readme, f"data/README.md does not describe lexicons/{name}.csv"


@pytest.mark.parametrize("name", sorted(CUE_FILES))
def test_pattern_files_load_and_every_row_says_why(name):
    table = load_lexicon(name)  # raises on an unknown kind, a missing fragment or a pattern that does not compile
    assert set(table["kind"]) <= set(CUE_FILES[name])
    assert (table["name"].str.strip() != "").all()
    assert table["rationale"].str.endswith(".").all(), table.loc[~table["rationale"].str.endswith("."), "name"].tolist()
    assert not table.duplicated(["kind", "pattern"]).any()
    assert "<<" not in "".join(table["pattern"]), "every fragment reference is filled in"


def test_claim_cue_kinds_are_all_used():
    table = load_lexicon("claim_strength_cues")
    assert set(table["kind"]) == set(CUE_FILES["claim_strength_cues"])


def test_a_bad_row_is_refused_with_its_place(tmp_path, monkeypatch):
    folder = tmp_path / "lexicons"
    folder.mkdir()
    pd.DataFrame({"name": ["figure"], "kind": ["candidate claim"], "pattern": ["(unclosed"],
                  "rationale": ["A figure is a claim someone can check."]}).to_csv(folder / "report_cues.csv", index=False)
    monkeypatch.setenv("HYPE_KIT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="row 2"):
        load_lexicon("report_cues")


def test_an_unknown_category_is_refused_with_the_allowed_ones(tmp_path, monkeypatch):
    folder = tmp_path / "lexicons"
    folder.mkdir()
    pd.DataFrame({"term": ["may", "rapid"], "category": ["hedge", "boosters"],
                  "rationale": ["A hedge.", "Speed."]}).to_csv(folder / "hype_markers.csv", index=False)
    monkeypatch.setenv("HYPE_KIT_DATA", str(tmp_path))
    with pytest.raises(ValueError, match=r"row 3 \('rapid'\): unknown category 'boosters'; the categories are: booster, "):
        load_lexicon("hype_markers")


@pytest.mark.parametrize("modal", ["may", "might", "could", "can", "would", "should"])
def test_one_definition_of_a_modal_hedge(modal, lexicon):
    """A modal is a hedge in the hype lexicon exactly when the claim-strength rules read it as one."""
    hedges = load_lexicon("claim_strength_cues").query("kind == 'hedge before verb'")["pattern"]
    in_rules = any(re.search(p, f"it {modal} help") for p in hedges)
    in_lexicon = modal in set(lexicon.loc[lexicon["category"] == "hedge", "term"])
    assert in_rules == in_lexicon, modal


@pytest.fixture(scope="module")
def lexicon() -> pd.DataFrame:
    return pd.read_csv(LEXICON, dtype=str, keep_default_na=False)


def test_columns(lexicon):
    assert list(lexicon.columns) == ["term", "category", "rationale"]


def test_categories_are_the_kit_categories(lexicon):
    assert set(lexicon["category"]) == set(CATEGORIES)


def test_terms_are_lower_case_trimmed_and_unique(lexicon):
    terms = lexicon["term"]
    assert (terms == terms.str.strip()).all()
    assert (terms == terms.str.lower()).all()
    assert terms.str.len().gt(0).all()
    assert terms.is_unique, terms[terms.duplicated()].tolist()


def test_every_term_has_a_rationale_sentence(lexicon):
    rationale = lexicon["rationale"]
    assert rationale.str.len().ge(10).all(), lexicon.loc[rationale.str.len() < 10, "term"].tolist()
    assert rationale.str.endswith(".").all()


def test_no_term_contains_a_term_of_another_category(lexicon):
    """So that one stretch of text never counts in two categories."""
    clashes = []
    for a in lexicon.itertuples():
        for b in lexicon.itertuples():
            if a.category != b.category and re.search(rf"(?<![\w-]){re.escape(b.term)}(?![\w-])", a.term):
                clashes.append((a.term, a.category, b.term, b.category))
    assert not clashes, clashes


def test_the_brief_examples_are_listed(lexicon):
    wanted = {
        "ensures": "absolute",
        "do not experience any": "absolute",
        "without affecting": "absolute",
        "studies have shown": "vague_attribution",
        "one theory suggests": "vague_attribution",
        "unveiling": "emotive",
        "fascinating": "emotive",
        "untapped": "emotive",
        "debilitating": "emotive",
        "consult with a healthcare provider": "call_to_action",
        "may": "hedge",
    }
    got = lexicon.set_index("term")["category"]
    assert {t: got.get(t) for t in wanted} == wanted
