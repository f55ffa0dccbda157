"""The kit's one definition of a complete citation, and the 'unverified' mark it puts on the others."""

import pytest

from appraisal.sources import is_complete, missing_parts, unverified_reason

COMPLETE = {
    "id": "S1", "authors": "Yoon IA; Galarneau D", "year": "2023",
    "title": "Chronic pain outcomes of patients receiving electroconvulsive therapy", "journal": "Pain Practice",
    "doi": "10.1111/papr.13268", "pmid": "", "url": "", "confidence": "high",
}


def _row(**changes):
    return {**COMPLETE, **changes}


def test_a_full_citation_is_complete():
    assert is_complete(COMPLETE)
    assert missing_parts(COMPLETE) == []
    assert unverified_reason(COMPLETE) == ""


@pytest.mark.parametrize("locator", [{"pmid": "30596410"}, {"url": "https://www.nice.org.uk/guidance/ta59"}])
def test_a_pmid_or_a_publisher_address_is_a_link(locator):
    assert is_complete(_row(doi="", **locator))


@pytest.mark.parametrize(("changes", "missing"), [
    ({"authors": ""}, ["authors"]),
    ({"authors": "(authors not shown)"}, ["authors"]),
    ({"year": ""}, ["year"]),
    ({"year": "c. 2016"}, ["year"]),
    ({"title": "[Systematic review of chronic pain prevalence]", "doi": "", "url": "https://example.org/a"},
     ["title"]),
    ({"journal": ""}, ["venue"]),
    ({"journal": "LWW journal (journal name not shown)"}, ["venue"]),
    ({"doi": ""}, ["link"]),
    ({"doi": "", "url": "https://de.scribd.com/document/328938260/x"}, ["link"]),
    ({"doi": "", "url": "https://studylib.net/doc/7378846/wpa-position-statement-on-ect"}, ["link"]),
    ({"authors": "", "year": "", "doi": ""}, ["authors", "year", "link"]),
])
def test_each_missing_part_is_named(changes, missing):
    row = _row(**changes)
    assert missing_parts(row) == missing
    assert not is_complete(row)


def test_a_year_read_as_a_float_still_counts():
    assert is_complete(_row(year=2023.0))


def test_missing_values_from_pandas_count_as_missing():
    assert missing_parts(_row(authors=float("nan"), doi=None)) == ["authors", "link"]


def test_the_reason_names_what_is_missing_in_words():
    assert unverified_reason(_row(authors="", year="")) == "no authors or year recorded"
    assert unverified_reason(_row(authors="", journal="", doi="")) == (
        "no authors, venue or DOI/PMID/stable link recorded")


def test_a_low_confidence_row_is_unverified_even_when_complete():
    assert unverified_reason(_row(confidence="low")) == "low confidence"
    assert unverified_reason(_row(confidence="low", doi="")) == "low confidence; no DOI/PMID/stable link recorded"


def test_a_descriptive_label_counts_as_a_title_only_beside_a_doi_or_pmid():
    label = "[Systematic review of chronic pain prevalence]"
    assert is_complete(_row(title=label))
    assert is_complete(_row(title=label, doi="", pmid="8121702"))
    assert missing_parts(_row(title=label, doi="", url="https://www.nice.org.uk/guidance/ta59")) == ["title"]
