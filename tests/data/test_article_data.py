"""The case-study article is stored unedited, as saved in the stored copy, with its provenance."""

import hashlib
import json
from pathlib import Path

import pytest

DATA = Path(__file__).parents[2] / "data"
SHARED_COPY = Path(__file__).parents[3] / "shared" / "case-study" / "article.txt"
# SHA-256 of the article as saved in the stored copy (computed once from the shared case-study copy).
PUBLISHED_SHA256 = "c82ec7d2e52403834cb4093741f1aa5e7337dff82e4562a6d6953ef982ed3a3e"


def test_article_checksum():
    assert hashlib.sha256((DATA / "article.txt").read_bytes()).hexdigest() == PUBLISHED_SHA256


@pytest.mark.skipif(not SHARED_COPY.exists(), reason="the shared case-study folder is not beside this checkout")
def test_article_is_byte_identical_to_the_case_study():
    assert (DATA / "article.txt").read_bytes() == SHARED_COPY.read_bytes()


def test_article_provenance_record():
    meta = json.loads((DATA / "article.json").read_text(encoding="utf-8"))
    assert meta["title"] == "Unveiling the Potential of Electroconvulsive Therapy in Managing Chronic Pain"
    assert meta["author"] is None and meta["date_published"] is None
    assert meta["sha256"] == PUBLISHED_SHA256
    assert meta["earliest_possible_date"] == "2023-11-10"
    assert meta["stored_copy_url"].startswith("https://")
    assert meta["source_ids"], "the provenance record should cite the sources behind it"
