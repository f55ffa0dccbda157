"""Claim strength: rules on hand-written sentences, explanations, tables, metrics and bad input.

The sentences here are written for these tests and are not in data/claim_strength_examples.csv.
"""

import pandas as pd
import pytest

from appraisal.claims import (
    MAX_SENTENCE_CHARS,
    STRENGTH_LEVELS,
    StrengthExplanation,
    add_strength,
    claim_strength,
    explain_strength,
)


def test_levels_are_ordered_weakest_to_strongest():
    assert STRENGTH_LEVELS == ("none", "correlational", "conditional_causal", "direct_causal")


@pytest.mark.parametrize(
    "sentence",
    [
        "Sleep and mood: a reader's guide",  # title
        "Does walking help arthritis?",  # question
        "Patients were interviewed by telephone every two weeks.",  # method
        "We asked whether the spray reduces nosebleeds.",  # whether
        "Larger trials are needed to show whether the gel relieves pain.",  # call for research
        "The cream did not reduce itching in the trial.",  # negation
        "The painkiller failed to improve sleep.",  # failed to
        "There is no evidence that copper bracelets relieve arthritis.",  # no evidence that
        "Salt intake was not associated with stroke in this cohort.",  # negated association
        "Back pain affects about 600 million people.",  # prevalence, not an effect
        "The drug is used to treat high blood pressure.",  # use, not a result
    ],
)
def test_none(sentence):
    assert claim_strength(sentence) == "none", explain_strength(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Tea drinking is associated with fewer strokes.",
        "Night work was linked to weight gain in nurses.",
        "Walkers were less likely to be admitted to hospital.",
        "Low income is tied to poorer dental health.",
        "Obesity may be linked to some cancers.",  # a hedged association stays correlational
        "Screen time was associated with a 10% reduction in sleep.",  # the association governs "reduction in"
    ],
)
def test_correlational(sentence):
    assert claim_strength(sentence) == "correlational", explain_strength(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ginger may reduce nausea.",
        "The patch could help smokers quit.",
        "Yoga appears to improve balance in older adults.",
        "The results suggest that daily stretching prevents injuries.",  # hedge far from the verb
        "The vaccine, in people over 80 who live in care homes, might protect against shingles.",  # far again
        "Green tea has the potential to lower cholesterol.",
        "The gel shows promise for treating cold sores.",
    ],
)
def test_conditional_causal(sentence):
    assert claim_strength(sentence) == "conditional_causal", explain_strength(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Aspirin reduces the risk of a second heart attack.",
        "The new inhaler improved lung function.",
        "Smoking causes lung cancer.",
        "Poor sleep leads to weight gain.",
        "Helmets protect against head injury.",
        "The ointment relieves the pain associated with shingles.",  # association inside a causal claim
        "The trial showed that the drug was successful in relieving migraines.",
        "Statins lower cholesterol",  # headline without a full stop
        "The statin did not cut strokes, but it reduced heart attacks.",  # the strongest claim counts
    ],
)
def test_direct_causal(sentence):
    assert claim_strength(sentence) == "direct_causal", explain_strength(sentence)


def test_explanation_names_the_deciding_words():
    hedged = explain_strength("Fish oil may reduce joint pain.")
    assert hedged == StrengthExplanation("conditional_causal", "hedged causal verb", ("may", "reduce"))
    assert str(hedged) == "conditional_causal — hedged causal verb: 'may' … 'reduce'"

    direct = explain_strength("Fish oil reduces joint pain.")
    assert (direct.label, direct.rule, direct.words) == ("direct_causal", "causal verb", ("reduces",))

    negated = explain_strength("Fish oil did not reduce joint pain.")
    assert negated.label == "none" and negated.rule == "negated finding"
    assert negated.words == ("not", "reduce")

    association = explain_strength("Fish oil is linked to less joint pain.")
    assert association.label == "correlational" and "linked to" in association.words

    topic = explain_strength("Fish oil and joint pain")
    assert str(topic) == "none — no causal or association words"


def test_explanation_is_frozen():
    result = explain_strength("Fish oil reduces joint pain.")
    with pytest.raises(AttributeError):
        result.label = "none"  # type: ignore[misc]


def test_add_strength_adds_two_columns_to_a_copy():
    table = pd.DataFrame({"id": [1, 2, 3], "text": ["Coffee causes jitters.", "Coffee may cause jitters.",
                                                   "Coffee causes jitters."]})
    rated = add_strength(table)
    assert list(rated.columns) == ["id", "text", "strength", "strength_rule"]
    assert rated["strength"].tolist() == ["direct_causal", "conditional_causal", "direct_causal"]
    assert rated["strength_rule"].tolist() == ["causal verb", "hedged causal verb", "causal verb"]
    assert list(table.columns) == ["id", "text"]  # the input is left alone


def test_add_strength_other_column_and_bad_tables():
    rated = add_strength(pd.DataFrame({"quote": ["Salt raises blood pressure."]}), text_column="quote")
    assert rated.loc[0, "strength"] == "direct_causal"
    with pytest.raises(KeyError, match="text"):
        add_strength(pd.DataFrame({"quote": ["x"]}))
    with pytest.raises(TypeError, match="row 1"):
        add_strength(pd.DataFrame({"text": ["Salt raises blood pressure.", None]}))
    with pytest.raises(TypeError, match="DataFrame"):
        add_strength(["Salt raises blood pressure."])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [None, 42, b"Salt raises blood pressure.", ["a", "list"]])
def test_non_strings_are_refused(bad):
    with pytest.raises(TypeError, match="string"):
        claim_strength(bad)


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_empty_sentences_are_refused(blank):
    with pytest.raises(ValueError, match="empty"):
        claim_strength(blank)


def test_a_whole_document_is_refused_at_once():
    with pytest.raises(ValueError, match="split it into sentences"):
        claim_strength("Coffee may reduce pain. " * 250_000)  # about 6 MB
    assert claim_strength("Coffee reduces pain" + "." * (MAX_SENTENCE_CHARS - 20)) == "direct_causal"


@pytest.mark.parametrize(
    "sentence",
    ["El café reduce el riesgo de cáncer.", "Kaffee senkt das Risiko für Diabetes.", "咖啡可以降低癌症风险。", "12345"],
)
def test_text_that_is_not_english_is_none(sentence):
    assert claim_strength(sentence) == "none"


# Causes of error found on text written by others (see bench/claim_strength_validation.py); sentences written here.
@pytest.mark.parametrize(
    ("sentence", "level"),
    [
        ("Cholesterol was higher in farmers than in office workers.", "correlational"),
        ("Recovery times differed between the two hospitals.", "correlational"),
        ("Admissions rose sharply during the flu season.", "correlational"),
        ("The relationship between noise and blood pressure was weak.", "correlational"),
        ("Low hand-grip strength is a risk factor for disability.", "correlational"),
        ("Doctors should offer the test to all smokers.", "none"),
        ("Efforts to improve diet in schools are badly needed.", "none"),
        ("A blood test may help doctors identify early kidney damage.", "none"),
        ("The outbreak was driven by contaminated water.", "direct_causal"),
        ("The fall in deaths was caused by the new vaccine.", "direct_causal"),
        ("Recovery was quicker with the splint compared with a plaster cast.", "correlational"),
        ("Compared with a plaster cast, the splint did not speed up recovery.", "none"),
        ("Vitamin B12 levels were lower among strict vegans.", "correlational"),
        ("The doctors listed the common causes in children.", "none"),
        ("The transplant was successful in most recipients.", "none"),
        ("Hearing loss may be an early and neglected marker of dementia.", "correlational"),
    ],
)
def test_rules_found_on_external_text(sentence, level):
    assert claim_strength(sentence) == level, explain_strength(sentence)


def test_the_two_conventions_differ_only_on_denials_and_can():
    assert claim_strength("The pill did not improve sleep.") == "none"
    assert claim_strength("The pill did not improve sleep.", convention="yu2019") == "direct_causal"
    assert claim_strength("Exercise can reduce back pain.") == "conditional_causal"
    assert claim_strength("Exercise can reduce back pain.", convention="yu2019") == "direct_causal"
    assert claim_strength("Exercise may reduce back pain.", convention="yu2019") == "conditional_causal"
    with pytest.raises(ValueError, match="convention"):
        claim_strength("Exercise may reduce back pain.", convention="strict")
