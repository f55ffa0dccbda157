"""appraisal.appraise.report: the one-call report, checked against the practice articles' answer keys.

Recall (the share of a key's claims whose sentence the report flags) was measured when the report was written:
knee-device 11/12, migraine-supplement 11/12, insomnia-app 7/12 (2/2 of its flawed claims), walking-group 7/11 (5/5
of its flawed claims). The floors below leave room for small changes to the claim-strength rules. Some claim rules
were written after reading these articles, so the figures are optimistic (see the module's docstring).

The articles of ``HELD_OUT_ARTICLES`` were written after the rules and are not held to a floor: a floor would invite
fitting the rules to them. Their figures are measured by ``bench/claim_strength_validation.py`` and stored in
``data/report_claim_figures.csv`` (checked below against the report as it is now).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from appraisal.appraise import (  # noqa: E402
    CANNOT_JUDGE,
    KEY_DESIGNS,
    MAX_CHARS,
    ArticleReport,
    compare_with_key,
    evidence_level,
    report,
)
from appraisal.claims import STRENGTH_LEVELS  # noqa: E402
from appraisal.evaluation import HELD_OUT_ARTICLES, load_report_figures, report_recall  # noqa: E402
from appraisal.paths import data_path  # noqa: E402
from appraisal.text import ArticleError  # noqa: E402

PRACTICE = data_path("practice")
INDEX = pd.read_csv(PRACTICE / "index.csv")
HYPED = list(INDEX.loc[INDEX["calibration"] == "hyped", "article_id"])
CALIBRATED = list(INDEX.loc[INDEX["calibration"] == "well calibrated", "article_id"])
DEVELOPMENT = INDEX[~INDEX["article_id"].isin(HELD_OUT_ARTICLES)]
RECALL_FLOOR = {"hyped": 0.8, "mixed": 0.5, "well calibrated": 0.5}


@pytest.fixture(scope="module")
def reports() -> dict[str, ArticleReport]:
    return {a: report(PRACTICE / f"{a}.txt") for a in INDEX["article_id"]}


def key(article_id: str) -> pd.DataFrame:
    return pd.read_csv(PRACTICE / f"{article_id}.key.csv", keep_default_na=False)


def rate(r: ArticleReport) -> float:
    return r.profile["markers"].sum() / r.words * 100


@pytest.mark.parametrize("row", list(DEVELOPMENT.itertuples(index=False)), ids=list(DEVELOPMENT["article_id"]))
def test_recall_of_planted_claims(reports, row):
    found = compare_with_key(reports[row.article_id], key(row.article_id))
    assert found["found"].mean() >= RECALL_FLOOR[row.calibration], found[~found["found"]]
    flawed = found[found["flaw"] != "none"]
    assert flawed["found"].mean() >= 0.8, flawed[~flawed["found"]]


def test_hyped_articles_have_more_markers_than_the_calibrated_one(reports):
    assert HYPED and CALIBRATED
    for good in CALIBRATED:
        for hyped in HYPED:
            assert rate(reports[good]) < rate(reports[hyped]), (good, hyped)


def test_case_study_claims_are_mostly_candidates():
    # data/claims.csv: the 21 claims the kit's authors found in the case study by hand.
    claims = pd.read_csv(data_path("claims.csv"))
    r = report(data_path("article.txt"))
    assert claims["sentence_id"].isin(r.claims["sentence_id"]).mean() >= 0.75


def test_knee_device_report_by_hand(reports):
    r = reports["knee-device"]
    assert r.title == "New Wearable Band Offers Hope for Millions Living with Knee Arthritis"
    assert r.source == "knee-device.txt"
    claims = r.claims.set_index("sentence_id")
    # s13 "These results show that the band relieves arthritis pain in just two months."
    assert claims.loc[13, "strength"] == "direct_causal" and "relieves" in claims.loc[13, "flags"]
    # s14 "No one in the pilot study reported side effects, so the band is safe to wear every day."
    assert "safety" in claims.loc[14, "flags"]
    assert 1 not in claims.index  # the fictional-article marker line is not a claim
    assert r.sources["phrase"].tolist() == ["Many doctors"]
    assert set(r.contradictions["sentence_id_a"]) == {27}
    signals = r.signals.set_index("signal")["found"]
    assert signals["no author or byline"] and not signals["citations by journal name only"]


def test_migraine_sources_by_hand(reports):
    sources = reports["migraine-supplement"].sources
    assert set(sources["sentence_id"]) == {9, 13, 14}  # studies show; a journal with no reference; experts agree
    journal = sources[sources["source_kind"].str.startswith("journal")]
    assert journal["phrase"].str.contains("Northfield Bulletin of Herbal Neurology").all()


def test_tables_and_summary(reports):
    r = reports["insomnia-app"]
    assert set(r.claims["strength"]) <= set(STRENGTH_LEVELS)
    assert (r.claims["flags"] != "").all()
    assert r.sentences["sentence_id"].is_unique
    assert set(r.claims["sentence_id"]) <= set(r.sentences["sentence_id"])
    assert set(r.markers["sentence_id"]) <= set(r.sentences["sentence_id"])
    summary = r.summary()
    assert list(summary.columns) == ["check", "count", "meaning"]
    counts = summary.set_index("check")["count"]
    assert counts["candidate claims"] == len(r.claims)
    assert counts["candidate contradictions"] == 0
    assert counts["content-farm signals"] == r.signals["found"].sum()
    assert r.cannot_judge == CANNOT_JUDGE and len(r.cannot_judge) >= 5
    text = repr(r)
    assert "Sleep App Based on Talking Therapy" in text and "candidate claims" in text and "0x" not in text


def test_plot_is_one_titled_figure(reports):
    fig = reports["migraine-supplement"].plot()
    try:
        assert fig._suptitle is not None and "MoonrootMax" in fig._suptitle.get_text()
        assert len(fig.axes) == 3
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    finally:
        plt.close(fig)


def test_text_path_and_str_path_agree(tmp_path):
    text = (PRACTICE / "walking-group.txt").read_text(encoding="utf-8")
    from_text = report(text)
    from_str = report(str(PRACTICE / "walking-group.txt"))
    assert from_text.source == "the text" and from_str.source == "walking-group.txt"
    pd.testing.assert_frame_equal(from_text.claims, from_str.claims)


def test_one_line_text_is_text_not_a_path():
    r = report("Studies show that this tea cures colds within minutes.")
    assert len(r.sentences) == 1
    assert r.claims["strength"].tolist() == ["direct_causal"]
    assert r.sources["phrase"].tolist() == ["studies show"]


@pytest.mark.parametrize("bad", [None, b"bytes", 42, ["a list"]])
def test_wrong_types(bad):
    with pytest.raises(TypeError, match="report"):
        report(bad)


@pytest.mark.parametrize("bad", ["", "   \n\t  "])
def test_empty_text(bad):
    with pytest.raises(ArticleError, match="empty"):
        report(bad)


def test_bad_files(tmp_path):
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ArticleError, match="binary"):
        report(binary)
    with pytest.raises(ArticleError, match="No such file"):
        report(tmp_path / "missing.txt")
    with pytest.raises(ArticleError, match="No such file"):
        report("missing-article.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ArticleError, match="empty"):
        report(empty)
    with pytest.raises(ArticleError, match="folder"):
        report(Path(tmp_path))


def test_five_megabyte_text_is_refused_quickly(tmp_path):
    big = "Studies show it works. " * (5_000_000 // 23 + 1)
    assert len(big) > MAX_CHARS
    with pytest.raises(ArticleError, match="one article"):
        report(big)
    path = tmp_path / "big.txt"
    path.write_text(big, encoding="utf-8")
    with pytest.raises(ArticleError, match="one article"):
        report(path)


def test_long_text_under_the_limit_works():
    paragraph = (PRACTICE / "migraine-supplement.txt").read_text(encoding="utf-8")
    r = report("\n\n".join([paragraph] * 20))  # about 60,000 characters
    assert len(r.sentences) == 20 * 40
    assert r.summary()["count"].gt(0).sum() >= 5


def test_compare_with_key_checks_its_input(reports):
    with pytest.raises(TypeError):
        compare_with_key("report", key("knee-device"))
    with pytest.raises(ValueError, match="lacks"):
        compare_with_key(reports["knee-device"], key("knee-device").drop(columns="flaw"))
    with pytest.raises(ValueError, match="sentences"):
        compare_with_key(reports["knee-device"], pd.DataFrame({"claim_id": ["X"], "quote": ["zzz"], "flaw": ["none"]}))


def test_evidence_level_of_key_designs():
    # OCEBM 2011 for treatment benefit [S95]: randomised trial 2, cohort 3, case series 4, mechanism-based reasoning 5.
    assert evidence_level("randomised trial") == 2
    assert evidence_level("observational cohort") == 3
    assert evidence_level("uncontrolled before/after") == 4
    # Self-selected, answered afterwards, run by the seller: not a cohort (level 3) but level 4 at best.
    assert evidence_level("customer survey") == 4
    assert evidence_level("animal study") == 5
    assert evidence_level("anecdote") is None and evidence_level("none") is None
    used = {d for a in INDEX["article_id"] for d in key(a)["evidence_design"]}
    assert used <= set(KEY_DESIGNS)
    with pytest.raises(ValueError, match="unknown"):
        evidence_level("horoscope")
    with pytest.raises(TypeError):
        evidence_level(None)


def test_held_out_articles_are_in_the_index():
    assert set(HELD_OUT_ARTICLES) <= set(INDEX["article_id"])


def test_stored_report_figures_are_what_report_gives_now():
    """If report() or the claim rules change, re-run bench/claim_strength_validation.py --store."""
    stored = load_report_figures()
    stored = stored[stored["stage"] == "current"].set_index("article_id")
    assert set(stored.index) == set(INDEX["article_id"])
    assert stored.loc[list(HELD_OUT_ARTICLES), "held_out"].all()
    for article in INDEX.itertuples(index=False):
        now = report_recall(PRACTICE / article.file, key(article.article_id))
        assert stored.loc[article.article_id, "flagged"] == now["flagged"], article.article_id
        assert stored.loc[article.article_id, "key_found"] == now["key_found"], article.article_id


def test_report_recall_counts_by_hand():
    """A three-sentence article and a two-claim key, counted by hand."""
    text = "Tea Talk\n\nGreen tea cures colds. The shop opens at nine. Experts say tea is linked to calm.\n"
    small_key = pd.DataFrame({"claim_id": ["P1", "P2"], "quote": ["Green tea cures colds", "The shop opens at nine"],
                              "flaw": ["overstated_strength", "none"]})
    figures = report_recall(text, small_key)
    # Flagged: the cure claim and the linked-to sentence; the opening hour is not a claim.
    assert figures["key_claims"] == 2 and figures["key_found"] == 1
    assert figures["flagged_in_key"] == 1 and figures["precision"] == pytest.approx(1 / figures["flagged"])
    assert figures["recall"] == pytest.approx(0.5)


def test_figures_measured_before_the_rules_changed_are_kept():
    """The held-out figure of lesson 04: measured before any rule changed, so the new articles could not shape them."""
    before = load_report_figures()
    before = before[before["stage"] == "before rule changes"].set_index("article_id")
    assert set(before.index) == set(INDEX["article_id"])
    assert (before["recall"] <= 1).all() and (before["precision"] <= 1).all()

