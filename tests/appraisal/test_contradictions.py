"""appraisal.contradictions: candidate contradictions from the cue table.

Expected pairs are read by hand off sentences written here, off data/contradictions.csv (the kit's hand-made list of
the case study's contradictions) and off the practice articles.
"""

import pandas as pd
import pytest

from appraisal.contradictions import CONTRADICTION_COLUMNS, find_contradictions, load_cues
from appraisal.paths import data_path
from appraisal.text import load_article, split_text


def table(*sentences: str) -> pd.DataFrame:
    return pd.DataFrame({"sentence_id": range(1, len(sentences) + 1), "text": list(sentences)})


def pairs(found: pd.DataFrame) -> set[tuple[str, int, int]]:
    return set(zip(found["cue_id"], found["sentence_id_a"], found["sentence_id_b"], strict=True))


def test_cue_table_loads_with_valid_patterns():
    cues = load_cues()
    assert list(cues["cue_id"]) == ["K1", "K2", "K3", "K4", "K5", "K6"]
    assert cues["why"].str.len().gt(20).all()


def test_temporary_against_sustained():
    found = find_contradictions(table("It gives temporary relief.", "It offers sustained relief.", "It is cheap."))
    assert pairs(found) == {("K1", 1, 2)}
    assert found.loc[0, "words_a"] == "temporary" and found.loc[0, "words_b"] == "sustained"
    assert list(found.columns) == list(CONTRADICTION_COLUMNS)


def test_no_side_effects_is_not_its_own_opposite():
    # "no side effects" holds "side effects": only a sentence that names harms on its own is side B.
    found = find_contradictions(table("It has no side effects.", "Side effects include nausea.", "It is green."))
    assert pairs(found) == {("K4", 1, 2)}
    alone = find_contradictions(table("It has no side effects.", "It is green."))
    assert alone.empty


def test_a_sentence_is_never_paired_with_itself():
    found = find_contradictions(table("It works within minutes, though the full effect takes weeks."))
    assert found.empty


def test_every_theme_fires_on_a_hand_written_pair():
    sentences = table(
        "Relief is temporary.", "Relief is long-lasting.",                      # K1
        "It works instantly.", "It builds up over three months.",               # K2
        "The treatment is localized to the knee.", "It acts on the brain.",     # K3
        "It is completely safe.", "Risks include bleeding.",                    # K4
        "It is suitable for everyone.", "Pregnant women should not use it.",    # K5
        "It cures arthritis.", "Take it every day.",                             # K6
    )
    found = find_contradictions(sentences)
    assert {("K1", 1, 2), ("K2", 3, 4), ("K3", 5, 6), ("K4", 7, 8), ("K5", 9, 10), ("K6", 11, 12)} <= pairs(found)


def test_case_study_within_text_contradictions_are_found():
    # data/contradictions.csv lists six within-text pairs (P01-P06), written by hand for module 1.
    hand = pd.read_csv(data_path("contradictions.csv"), dtype={"sentence_id_b": "Int64"})
    hand = hand[hand["kind"] == "within_text"]
    found = find_contradictions(load_article())
    found_pairs = {frozenset(p) for p in zip(found["sentence_id_a"], found["sentence_id_b"], strict=True)}
    wanted = {frozenset((int(a), int(b))) for a, b in zip(hand["sentence_id_a"], hand["sentence_id_b"], strict=True)}
    assert len(wanted) == 6
    assert wanted <= found_pairs


def test_practice_articles():
    migraine = find_contradictions(load_article(data_path("practice", "migraine-supplement.txt")))
    # "starts working within minutes" (s10) against "build up in your body over three months" (s11): key claim P5.
    assert ("K2", 10, 11) in pairs(migraine)
    knee = find_contradictions(load_article(data_path("practice", "knee-device.txt")))
    assert ("K5", 27, 30) in pairs(knee)  # "suitable for anyone" against "talk to your doctor"
    assert find_contradictions(load_article(data_path("practice", "insomnia-app.txt"))).empty


def test_footer_links_are_skipped():
    sentences = split_text("Title here\n\nRelief is temporary.\n\nWhy relief is sustained\n\nRelated Posts\n")
    assert sentences["kind"].tolist()[-2:] == ["link", "link"]
    assert find_contradictions(sentences).empty


def test_pairs_are_capped_per_cue():
    many = table(*(["It works within minutes."] * 10 + ["It takes weeks."] * 10))
    assert len(find_contradictions(many, max_pairs_per_cue=7)) == 7
    assert len(find_contradictions(many)) == 25


@pytest.mark.parametrize("bad, error", [
    (None, TypeError), ("text", TypeError), (pd.DataFrame({"text": ["a"]}), ValueError),
    (pd.DataFrame({"sentence_id": [1], "text": [3.0]}), ValueError),
])
def test_bad_tables(bad, error):
    with pytest.raises(error):
        find_contradictions(bad)


def test_bad_cues():
    cues = load_cues()
    with pytest.raises(ValueError, match="regular expression"):
        find_contradictions(table("x"), cues=cues.assign(pattern_a="(unclosed"))
    with pytest.raises(ValueError, match="lacks"):
        find_contradictions(table("x"), cues=cues.drop(columns="why"))
    with pytest.raises(ValueError, match="positive"):
        find_contradictions(table("x"), max_pairs_per_cue=0)
