"""Reading articles into sentence tables."""

from pathlib import Path

import pandas as pd
import pytest

from appraisal.text import ArticleError, load_article, split_sentences, split_text


@pytest.fixture(scope="module")
def article() -> pd.DataFrame:
    return load_article()


def test_columns_and_ids(article):
    assert list(article.columns) == ["sentence_id", "section", "paragraph", "kind", "text"]
    assert article["sentence_id"].tolist() == list(range(1, len(article) + 1))
    assert article["paragraph"].is_monotonic_increasing


def test_sections_follow_the_headings(article):
    sections = article["section"].drop_duplicates().tolist()
    assert sections == [
        "Title",
        "Introduction",
        "Understanding Electroconvulsive Therapy",
        "The Mechanism of Action",
        "The Effectiveness of ECT in Managing Chronic Pain",
        "Benefits of ECT in Chronic Pain Management",
        "Future Implications and Research Opportunities",
        "Untitled section",
        "FAQs (Frequently Asked Questions)",
        "Footer links",
    ]


def test_title_appears_three_times(article):
    titles = article.loc[article["kind"] == "title", "text"]
    assert len(titles) == 3
    assert (titles.str.contains("Unveiling the Potential of Electroconvulsive Therapy")).all()


def test_known_sentences(article):
    text = article.set_index("text")
    mech = "However, several theories have been proposed to explain its analgesic effects."
    assert text.loc[mech, "section"] == "The Mechanism of Action"
    seizure = ("Then, an electrical current is applied to their scalp, resulting in a brief seizure "
               "that lasts for about 30 seconds.")
    assert seizure in text.index
    # The numbered benefit headings are sub-headings, the FAQ's numbered lines are questions.
    assert text.loc["2. Non-Systemic Approach", "kind"] == "subheading"
    assert text.loc["1. Is electroconvulsive therapy painful?", "kind"] == "question"
    assert text.loc["Related Posts", "section"] == "Footer links"


def test_counts_by_kind(article):
    # Counted by hand from data/article.txt.
    counts = article["kind"].value_counts()
    assert counts["title"] == 3
    assert counts["heading"] == 6
    assert counts["subheading"] == 3
    assert counts["question"] == 3
    assert counts["link"] == 3
    assert counts["sentence"] == 37


def test_every_character_of_prose_is_kept(article):
    raw = Path(__file__).parents[2].joinpath("data", "article.txt").read_text(encoding="utf-8")
    folded = " ".join(raw.split())
    for sentence in article["text"]:
        assert sentence in folded


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Pain fell by 3.5 points. It was 2.1 per 100,000.", ["Pain fell by 3.5 points.", "It was 2.1 per 100,000."]),
        ("See e.g. the review by Smith et al. in 2020. Then stop.",
         ["See e.g. the review by Smith et al. in 2020.", "Then stop."]),
        ("Dr. Jones agreed. Prof. Lee did not.", ["Dr. Jones agreed.", "Prof. Lee did not."]),
        ("Does it hurt? No. It is done under anaesthesia!", ["Does it hurt?", "No.", "It is done under anaesthesia!"]),
        ("1. Rapid relief for all. Honest.", ["1. Rapid relief for all.", "Honest."]),
        ("The U.S. Food and Drug Administration cleared it.", ["The U.S. Food and Drug Administration cleared it."]),
        ('He said "it works." Then he left.', ['He said "it works."', "Then he left."]),
        ("J. R. Smith wrote it. Fine.", ["J. R. Smith wrote it.", "Fine."]),
        ("A heading without a full stop", ["A heading without a full stop"]),
        ("  spaced   out\ntext.  ", ["spaced out text."]),
    ],
)
def test_split_sentences(paragraph, expected):
    assert split_sentences(paragraph) == expected


def test_split_text_any_article():
    text = "A New Pill\n\nIt cures everything. Experts agree?\n\nSide Effects\n\nNone at all.\n"
    table = split_text(text)
    assert table["text"].tolist() == ["A New Pill", "It cures everything.", "Experts agree?", "Side Effects",
                                      "None at all."]
    assert table["kind"].tolist() == ["title", "sentence", "question", "heading", "sentence"]
    assert table["section"].tolist()[-1] == "Side Effects"


@pytest.mark.parametrize("bad", ["", "   \n\n  "])
def test_empty_text_is_a_clear_error(bad):
    with pytest.raises(ArticleError, match="empty"):
        split_text(bad)


@pytest.mark.parametrize("bad", [None, 42, b"bytes"])
def test_non_text_is_a_type_error(bad):
    with pytest.raises(TypeError, match="expects a string"):
        split_text(bad)


def test_empty_file_names_the_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("\n\n")
    with pytest.raises(ArticleError, match="blank.txt"):
        load_article(path)


def test_binary_file_names_the_file(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ArticleError, match="picture.png.*binary"):
        load_article(path)


def test_non_utf8_file_names_the_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 au lait. Tr\xe8s bien.".encode("latin-1"))
    with pytest.raises(ArticleError, match="latin1.txt.*not UTF-8"):
        load_article(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ArticleError, match="No such file"):
        load_article(tmp_path / "nope.txt")
    with pytest.raises(ArticleError, match="folder"):
        load_article(tmp_path)


def test_wrong_argument_type():
    with pytest.raises(TypeError, match="file path"):
        load_article(123)


def test_windows_line_endings_and_bom(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes("\ufeffTitle\r\n\r\nOne sentence. Two sentences.\r\n".encode())
    table = load_article(path)
    assert table["text"].tolist() == ["Title", "One sentence.", "Two sentences."]


@pytest.mark.slow
def test_large_text_is_split_correctly():
    paragraph = "Pain fell by 3.5 points in the study. Experts agreed? " * 40
    text = ("Heading\n\n" + paragraph + "\n\n") * 1200  # about 5 MB
    table = split_text(text)
    assert len(table) == 1200 * (1 + 80)
    assert (table["kind"] == "heading").sum() == 1199


def test_to_markdown_keeps_every_sentence_with_its_id(article):
    from appraisal.text import to_markdown

    markdown = to_markdown(article)
    for row in article.itertuples():
        assert f"{row.text}" in markdown
        assert f"<sup>{row.sentence_id}</sup>" in markdown
    assert "#### The Mechanism of Action <sup>15</sup>" in markdown
    assert "#### _Untitled section_ (no heading on the page)" in markdown


def test_to_markdown_rejects_other_tables():
    from appraisal.text import to_markdown

    with pytest.raises(ValueError, match="missing columns"):
        to_markdown(pd.DataFrame({"text": ["a"]}))


def test_to_markdown_puts_subheadings_and_questions_in_their_own_paragraphs():
    # In Markdown a single newline does not end a paragraph: a bold sub-heading or FAQ question that follows a
    # sentence with only one newline is glued onto that sentence's paragraph.
    from appraisal import load_article
    from appraisal.text import to_markdown

    text = to_markdown(load_article())
    for bold in ["**1. Rapid and Sustained Relief**", "**2. Non-Systemic Approach**",
                 "**2. Are there any side effects of electroconvulsive therapy?**"]:
        at = text.index(bold)
        assert text[at - 2:at] == "\n\n", f"{bold} is not preceded by a blank line"
    assert "\n\n\n" not in text
