"""The stored self-check files are exactly what the generator computes from the kit's data and functions.

If this fails after a change to data, a lexicon or a function, run ``make selfchecks``, read the diff (did a
right answer move? does each hint still describe its wrong answer?) and commit it.
"""

import json

import pytest

from appraisal.paths import data_dir
from appraisal.selfcheck import SelfCheck
from appraisal.selfcheck_answers import CHECKS, build


@pytest.fixture(scope="module")
def built():
    return build()


def test_stored_selfchecks_match_the_generator(built):
    for notebook, specs in built.items():
        stored = json.loads((data_dir() / "selfchecks" / f"{notebook}.json").read_text(encoding="utf-8"))
        assert stored == specs, f"data/selfchecks/{notebook}.json is stale: run `make selfchecks` and commit"


def test_every_stored_file_comes_from_the_generator(built):
    stored = {path.stem for path in (data_dir() / "selfchecks").glob("*.json")}
    assert stored == set(built)


def test_questions_are_in_order_within_each_notebook():
    for notebook in {c.notebook for c in CHECKS}:
        ids = [c.question for c in CHECKS if c.notebook == notebook]
        assert ids == sorted(ids), f"self-checks of {notebook} out of order: {ids}"
        assert SelfCheck(notebook).questions == ids


def test_known_answers_written_by_hand_are_accepted():
    # Worked out by hand from the article and the tables, not from the generator:
    # 00.a: the Benefits section has prose sentences 27, 28, 30, 31, 33, 34 (six).
    # 03.b: 24 h x 60 min / 37 min = 38.9 half-lives.
    # 04.c: 118/310 - 46/305 = 38.06% - 15.08% = 22.98 percentage points.
    assert SelfCheck("00").verdict("00.a", 6)[0]
    assert SelfCheck("03").verdict("03.b", 38.9)[0]
    assert SelfCheck("04").verdict("04.c", 22.98)[0]


def test_01a_tells_the_verdict_filter_apart():
    # claims.csv has 21 claims: 4 unsupported and 1 contradicted (counted by hand), so 5; leaving out the filter
    # (21) or one of the two verdicts (4 or 1) is wrong, each with a hint that names that mistake.
    check = SelfCheck("01")
    assert check.verdict("01.a", 5)[0]
    for wrong, words in [(21, "every claim"), (4, "only the unsupported"), (1, "only the contradicted")]:
        right, message = check.verdict("01.a", wrong)
        assert not right and words in message, (wrong, message)


def test_the_prose_sentence_hint_fires_only_for_a_student_who_counted_prose_sentences():
    # Introduction and Benefits each have six prose sentences (one fewer than the FAQs' seven): a student who
    # names either did count prose sentences, so the hint must not tell them to.
    check = SelfCheck("00")
    for section in ["Introduction", "Benefits of ECT in Chronic Pain Management"]:
        right, message = check.verdict("00.b", section)
        assert not right and "count only prose" not in message
