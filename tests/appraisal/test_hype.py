"""appraisal.hype: lexicon markers, section profiles, whole-text profiles and content-farm signals.

Expected values are counted by hand from the sentences written here or read off data/article.txt.
"""

import pandas as pd
import pytest

from appraisal import load_article, split_text
from appraisal.hype import (
    CATEGORIES,
    category_patterns,
    content_farm_signals,
    hype_features,
    journal_only_citations,
    load_lexicons,
    profile_by_section,
    profile_text,
)

SMALL = pd.DataFrame(
    {
        "term": ["may", "studies have shown", "have shown", "clearly", "always"],
        "category": ["hedge", "vague_attribution", "vague_attribution", "booster", "absolute"],
        "rationale": ["r"] * 5,
    }
)


def table(*sentences: str, sections: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sentence_id": range(1, len(sentences) + 1),
            "section": sections or ["A"] * len(sentences),
            "text": list(sentences),
        }
    )


@pytest.fixture(scope="module")
def article() -> pd.DataFrame:
    return load_article()


@pytest.fixture(scope="module")
def features(article) -> pd.DataFrame:
    return hype_features(article)


# --- matching -------------------------------------------------------------------------------------------


def test_whole_words_only_and_case_insensitive():
    f = hype_features(table("To my dismay, it MAY work.", "Mayonnaise may help; May is a month."), lexicons=SMALL)
    # "dismay" and "Mayonnaise" are not "may"; "MAY", "may" and the month "May" are (a known limit).
    assert f["hedge"].tolist() == [1, 2]


def test_longest_phrase_counts_once_within_a_category():
    f = hype_features(table("Studies have shown that trials have shown it."), lexicons=SMALL)
    assert f.loc[0, "vague_attribution"] == 2  # "studies have shown" once, then "have shown" once
    assert f.loc[0, "matched_terms"] == "studies have shown (vague_attribution); have shown (vague_attribution)"


def test_phrase_spans_line_breaks_and_extra_spaces():
    f = hype_features(table("Studies   have\nshown it."), lexicons=SMALL)
    assert f.loc[0, "vague_attribution"] == 1


def test_counts_words_markers_and_keeps_input_columns():
    f = hype_features(table("It clearly always may work."), lexicons=SMALL)
    row = f.iloc[0]
    assert (row["words"], row["booster"], row["absolute"], row["hedge"], row["markers"]) == (5, 1, 1, 1, 3)
    assert {"sentence_id", "section", "text"} <= set(f.columns)
    assert list(f.index) == [0]


def test_no_markers_gives_zero_and_empty_terms():
    f = hype_features(table("The cat sat on the mat."), lexicons=SMALL)
    assert f.loc[0, "markers"] == 0
    assert f.loc[0, "matched_terms"] == ""


def test_curly_apostrophes_match_straight_ones():
    lex = pd.DataFrame({"term": ["don't know"], "category": ["hedge"], "rationale": ["r"]})
    assert hype_features(table("We don’t know."), lexicons=lex).loc[0, "hedge"] == 1


def test_other_text_column():
    t = pd.DataFrame({"sentence_id": [1], "body": ["It may."]})
    assert hype_features(t, text_column="body", lexicons=SMALL).loc[0, "hedge"] == 1


# --- the journal-only rule ----------------------------------------------------------------------------------


def test_journal_named_without_author_or_year_is_a_vague_attribution():
    t = table(
        "A study published in Pain Medicine showed relief.",
        "Wasan et al. (2004), published in Pain Medicine, compared matched patients.",
        "A review published in the Journal of Clinical Psychiatry found benefit.",
        "The results were published in March and in a blog.",
    )
    f = hype_features(t, lexicons=SMALL)
    assert f["vague_attribution"].tolist() == [1, 0, 1, 0]
    hits = journal_only_citations(t)
    assert hits["sentence_id"].tolist() == [1, 3]
    assert hits["journal"].tolist() == ["Pain Medicine", "Journal of Clinical Psychiatry"]
    assert hits.loc[0, "phrase"] == "A study published in Pain Medicine"


def test_doi_or_pmid_counts_as_a_reference():
    t = table("A trial published in The Lancet (doi 10.1000/xyz) found it.", "Published in BMJ, PMID 123.")
    assert journal_only_citations(t).empty


def test_article_journal_only_citations(article):
    hits = journal_only_citations(article)
    assert hits["sentence_id"].tolist() == [22, 23]
    assert hits["journal"].tolist() == ["Journal of Clinical Psychiatry", "Pain Medicine"]


# --- the article, counted by hand -------------------------------------------------------------------------


def test_article_absolutes(features):
    by_id = features.set_index("sentence_id")
    # s31 "This ensures ... without affecting the rest of the body"; s44 "do not experience any pain".
    assert by_id.loc[31, "absolute"] == 2
    assert by_id.loc[44, "absolute"] == 1
    assert features["absolute"].sum() == 3


def test_article_vague_attributions(features):
    ids = features.loc[features["vague_attribution"] > 0, "sentence_id"].tolist()
    assert ids == [17, 18, 19, 21, 22, 23]


def test_article_call_to_action_in_faq(features):
    ids = features.loc[features["call_to_action"] > 0, "sentence_id"].tolist()
    assert ids == [50, 52]


def test_article_hedge_and_promise_sit_together(features):
    # s41: "ECT may hold considerable promise in alleviating the burden of chronic pain."
    row = features.set_index("sentence_id").loc[41]
    assert (row["hedge"], row["booster"], row["emotive"]) == (1, 1, 2)


# --- profiles -----------------------------------------------------------------------------------------------


def test_profile_by_section_rates_per_100_words():
    t = table("It may work.", "It clearly may work now.", "Nothing here at all.", sections=["A", "A", "B"])
    p = profile_by_section(hype_features(t, lexicons=SMALL))
    assert list(p.index) == ["A", "B"]
    assert p.loc["A", "sentences"] == 2 and p.loc["A", "words"] == 8
    assert p.loc["A", "hedge"] == pytest.approx(25.0)  # 2 hedges in 8 words
    assert p.loc["A", "booster"] == pytest.approx(12.5)
    assert p.loc["A", "all_markers"] == pytest.approx(37.5)
    assert p.loc["B", "all_markers"] == 0


def test_profile_keeps_reading_order_not_alphabetical():
    t = table("It may.", "It may.", sections=["Zeta", "Alpha"])
    assert list(profile_by_section(hype_features(t, lexicons=SMALL)).index) == ["Zeta", "Alpha"]


def test_profile_text_counts_per_category():
    p = profile_text("It may work. Studies have shown it clearly.\n\nIt always may.", lexicons=SMALL)
    got = p.set_index("category")
    assert got.loc["hedge", "markers"] == 2
    assert got.loc["vague_attribution", "markers"] == 1
    assert list(got.index) == ["booster", "hedge", "absolute", "vague_attribution"]  # the lexicon's categories
    assert (got["words"] == 11).all()
    assert got.loc["hedge", "per_100_words"] == pytest.approx(18.18)  # 2 / 11 words, 2 decimals


def test_profile_text_agrees_with_sentence_features(article):
    text = "\n\n".join(article["text"])
    whole = profile_text(text).set_index("category")["markers"]
    by_sentence = hype_features(article)[list(CATEGORIES)].sum()
    assert whole.to_dict() == by_sentence.to_dict()


@pytest.mark.slow
def test_profile_text_handles_a_5_mb_text():
    sentence = "Studies have shown it may clearly help. "
    text = sentence * (5_000_000 // len(sentence))
    p = profile_text(text, lexicons=SMALL).set_index("category")
    n = 5_000_000 // len(sentence)
    assert p.loc["vague_attribution", "markers"] == n
    assert p.loc["hedge", "per_100_words"] == pytest.approx(100 / 7, abs=0.01)


# --- lexicon ------------------------------------------------------------------------------------------------


def test_load_lexicons_has_all_categories():
    lex = load_lexicons()
    assert list(lex.columns[:3]) == ["term", "category", "rationale"]
    assert set(lex["category"]) == set(CATEGORIES)


def test_category_patterns_one_per_category_in_kit_order():
    assert tuple(category_patterns()) == CATEGORIES


# --- content-farm signals -----------------------------------------------------------------------------------


def test_article_content_farm_signals(article):
    s = content_farm_signals(article).set_index("signal")
    assert s["found"].all()
    assert "1, 2, 3" in s.loc["title repeated", "evidence"]
    assert "s53" in s.loc["unrelated footer links", "evidence"]
    assert "s54" in s.loc["unrelated footer links", "evidence"]
    assert "Related Posts" not in s.loc["unrelated footer links", "evidence"]
    assert "s22" in s.loc["citations by journal name only", "evidence"]


def test_faq_counts_only_its_own_questions():
    # Three FAQ questions (s8, s10, s12) and one rhetorical question before the FAQ heading (s5).
    text = (
        "Tea for headaches\n\nBenefits of Tea\n\n1. Calm\n\nTea calms you.\n\n"
        "Why take pills when tea works?\n\nFAQs (Frequently Asked Questions)\n\n"
        "1. Is tea safe?\n\nYes.\n\n2. How much tea?\n\nTwo cups.\n\n3. Where to buy?\n\nAny shop.\n\n"
    )
    table = split_text(text)
    assert (table["kind"] == "question").sum() == 4, "the fixture should hold four questions in all"
    evidence = content_farm_signals(table).set_index("signal").loc["templated structure (benefits list + FAQ)",
                                                                     "evidence"]
    assert "(3 questions)" in evidence, evidence


def test_a_well_behaved_page_raises_no_flags():
    text = (
        "Exercise for back pain\n\nBy Jane Doe, 3 March 2024\n\n"
        "A randomised trial by Smith et al. (2020), published in Pain Medicine, compared exercise with advice. "
        "Pain fell a little more with exercise.\n\n"
        "References\n\nSmith J et al. 2020. doi 10.1000/abc.\n\n"
        "Exercise and back pain: a guide to trials\n\n"
    )
    s = content_farm_signals(split_text(text)).set_index("signal")["found"]
    assert not s.any(), s[s].index.tolist()


def test_metadata_author_and_date_are_used(article):
    s = content_farm_signals(article, meta={"author": "A. Writer", "date_published": "2023-11-20"})
    found = s.set_index("signal")["found"]
    assert not found["no author or byline"]
    assert not found["no date"]


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [hype_features, content_farm_signals, journal_only_citations])
def test_bad_tables_raise_clear_errors(func):
    with pytest.raises(TypeError, match="None"):
        func(None)
    with pytest.raises(TypeError, match="DataFrame"):
        func(["a sentence"])
    with pytest.raises(ValueError, match="empty"):
        func(pd.DataFrame({"sentence_id": [], "section": [], "kind": [], "text": []}))
    with pytest.raises(ValueError, match="'text'"):
        func(pd.DataFrame({"sentence": ["It may."]}))


def test_non_text_values_are_named():
    with pytest.raises(ValueError, match="must hold text"):
        hype_features(pd.DataFrame({"text": ["It may.", None]}))


def test_bad_lexicon_is_named():
    with pytest.raises(ValueError, match="category"):
        hype_features(table("It may."), lexicons=pd.DataFrame({"term": ["may"]}))
    with pytest.raises(TypeError, match="lexicons"):
        hype_features(table("It may."), lexicons=["may"])


def test_unknown_category_is_refused_with_the_allowed_ones():
    typo = pd.DataFrame({"term": ["may", "rapid"], "category": ["hedge", "boosters"], "rationale": ["r", "r"]})
    for call in (lambda: hype_features(table("It may be rapid."), lexicons=typo),
                 lambda: category_patterns(typo),
                 lambda: profile_text("It may be rapid.", lexicons=typo)):
        with pytest.raises(ValueError, match=r"'rapid' has category 'boosters'.*booster, hedge, absolute, "
                                             r"vague_attribution, emotive, call_to_action"):
            call()
    upper = pd.DataFrame({"term": ["may"], "category": ["Hedge"], "rationale": ["r"]})
    with pytest.raises(ValueError, match="unknown category"):
        hype_features(table("It may."), lexicons=upper)


def test_profile_text_rejects_non_text():
    with pytest.raises(TypeError, match="string"):
        profile_text(None)
    with pytest.raises(ValueError, match="empty"):
        profile_text("   ")


def test_profile_by_section_needs_features():
    with pytest.raises(ValueError, match="hype_features"):
        profile_by_section(pd.DataFrame({"section": ["A"], "text": ["x"]}))
    with pytest.raises(TypeError):
        profile_by_section("features")


def test_content_farm_signals_needs_sentence_table_columns():
    with pytest.raises(ValueError, match="kind"):
        content_farm_signals(pd.DataFrame({"sentence_id": [1], "section": ["A"], "text": ["x"]}))
    with pytest.raises(TypeError, match="meta"):
        content_farm_signals(load_article(), meta="author")
