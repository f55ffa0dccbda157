"""Whatever the kit's data says the article says must be something the article says, in the sentence named.

Sentence ids come from the package's own splitter (``appraisal.load_article``), so a change to the splitter that
moves a sentence makes these tests fail rather than silently mis-cite.
"""

import re

import pandas as pd
import pytest

from appraisal import load_article
from appraisal.paths import data_path


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2018", "'")).strip().lower()


@pytest.fixture(scope="module")
def sentences() -> dict[int, str]:
    article = load_article()
    return {int(i): _norm(t) for i, t in zip(article["sentence_id"], article["text"], strict=True)}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(data_path(name), dtype=str, keep_default_na=False)


def _quotes_with_ids(text: str) -> list[tuple[str, int]]:
    """Pairs (quoted words, sentence id): each '...' quote belongs to the next '(sN)' after it."""
    pairs, pending = [], []
    for match in re.finditer(r"'([^']+)'|\(s(\d+)\)", text):
        if match.group(1) is not None:
            pending.append(match.group(1))
        else:
            pairs += [(quote, int(match.group(2))) for quote in pending]
            pending = []
    assert not pending, f"quoted words without a sentence id after them: {pending} in {text!r}"
    return pairs


def test_quote_parser_pairs_each_quote_with_the_next_id():
    assert _quotes_with_ids("it 'a' and 'b' (s3), yet 'c' (s9)") == [("a", 3), ("b", 3), ("c", 9)]
    with pytest.raises(AssertionError):
        _quotes_with_ids("a quote 'with no id'")


def test_mechanism_checks_quote_the_article_with_sentence_ids(sentences):
    problems = []
    for row in _read("mechanism_checks.csv").itertuples():
        pairs = _quotes_with_ids(row.article_says)
        if not pairs:
            problems.append(f"{row.check_id}: no quoted words with a sentence id")
        problems += [f"{row.check_id}: {q!r} is not in sentence {sid}" for q, sid in pairs
                     if _norm(q) not in sentences.get(sid, "")]
    assert not problems, problems


def test_contradiction_quotes_occur_in_their_sentences(sentences):
    problems = []
    for row in _read("contradictions.csv").itertuples():
        for sid, quote in ((row.sentence_id_a, row.quote_a), (row.sentence_id_b, row.quote_b)):
            if sid and _norm(quote) not in sentences[int(sid)]:
                problems.append(f"{row.pair_id}: {quote!r} not in sentence {sid}")
            if not sid and not quote.startswith("Evidence:"):
                problems.append(f"{row.pair_id}: a side with no sentence id must be evidence, not the article")
    assert not problems, problems


def test_claims_quote_their_whole_sentence(sentences):
    claims = _read("claims.csv")
    wrong = [c for c, sid, q in zip(claims["claim_id"], claims["sentence_id"], claims["quote"], strict=True)
             if _norm(q) != sentences[int(sid)]]
    assert not wrong, f"claims whose quote is not sentence sentence_id word for word: {wrong}"


def test_scorecard_quotes_occur_in_the_sentences_it_lists(sentences):
    problems = []
    for row in _read("hnr_scorecard.csv").itertuples():
        ids = [int(s) for s in row.sentence_ids.split(";") if s]
        for quote in re.findall(r"'([^']+)'", row.reason):
            if not any(_norm(quote) in sentences[i] for i in ids):
                problems.append(f"{row.criterion_id}: {quote!r} not in sentences {ids}")
    assert not problems, problems


def test_article_says_columns_never_state_relief_the_article_does_not_claim(sentences):
    # The issue that started this test: the kit once said the article ties endorphins to sustained relief.
    m3 = _read("mechanism_checks.csv").set_index("check_id").loc["M3"]
    assert "temporary relief" in m3["article_says"]
    assert "explains relief sustained" not in m3["article_says"]


def test_every_article_says_statement_in_data_carries_a_sentence_id():
    # Any row of a data table whose text says what "the article/page says (claims, calls, states, promises)" must
    # name the sentence: a sentence-id column with a value, or an "(sN)" marker in the same cell.
    from appraisal.paths import data_dir

    says = re.compile(r"\b(article|page)\b (itself )?(says|claims|calls|states|promises)\b", re.I)
    problems = []
    for path in sorted(data_dir().glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        id_columns = [c for c in table.columns if c.startswith("sentence_id")]
        for index, row in table.iterrows():
            for column, value in row.items():
                if says.search(value) and "(s" not in value and not any(row[c] for c in id_columns):
                    problems.append(f"{path.name} row {index} column {column}")
    assert not problems, problems
