"""data/lexicons/hype_markers.csv: the kit's hand-written hype lexicon."""

import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.hype import CATEGORIES

LEXICON = Path(__file__).parents[2] / "data" / "lexicons" / "hype_markers.csv"


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
