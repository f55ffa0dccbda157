"""The source registry is well formed, and every source id the kit cites exists in it."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from appraisal.sources import (
    SOURCE_COLUMNS,
    cited_ids,
    load_sources,
    missing_parts,
    reference_list,
    references,
)

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "sources.csv", dtype=str, keep_default_na=False)


def test_columns(registry):
    assert list(registry.columns) == SOURCE_COLUMNS


def test_ids_are_unique_and_well_formed(registry):
    assert registry["id"].is_unique
    assert registry["id"].str.fullmatch(r"S[1-9]\d*").all(), registry.loc[~registry["id"].str.fullmatch(r"S[1-9]\d*"), "id"]


def test_required_fields_present(registry):
    for column in ["title", "supports", "confidence"]:
        empty = registry.loc[registry[column].str.strip() == "", "id"].tolist()
        assert not empty, f"{column} is empty for {empty}"


def test_every_source_can_be_found(registry):
    """A DOI, a PMID, an address, or at least a bibliographic citation (where it appeared, and when)."""
    no_locator = (registry["doi"] == "") & (registry["pmid"] == "") & (registry["url"] == "")
    no_citation = (registry["journal"] == "") | (registry["year"] == "")
    lost = registry.loc[no_locator & no_citation, "id"]
    assert lost.empty, f"no DOI, PMID, URL or journal and year for {lost.tolist()}"


def test_doi_format(registry):
    dois = registry.loc[registry["doi"] != "", ["id", "doi"]]
    bad = dois.loc[~dois["doi"].str.fullmatch(r"10\.\d{4,9}/\S+")]
    assert bad.empty, bad.to_string()


def test_pmid_format(registry):
    pmids = registry.loc[registry["pmid"] != "", ["id", "pmid"]]
    bad = pmids.loc[~pmids["pmid"].str.fullmatch(r"\d{1,9}")]
    assert bad.empty, bad.to_string()


def test_year_is_a_plausible_integer(registry):
    years = registry.loc[registry["year"] != "", "year"]
    assert years.str.fullmatch(r"\d{4}").all()
    assert years.astype(int).between(1800, 2026).all()


def test_confidence_values(registry):
    assert set(registry["confidence"]) <= {"high", "medium", "low"}


def test_urls_are_web_addresses(registry):
    urls = registry.loc[registry["url"] != "", "url"]
    assert urls.str.match(r"https?://\S+$").all()


def test_no_duplicate_dois(registry):
    dois = registry.loc[registry["doi"] != "", "doi"].str.lower()
    assert dois.is_unique, dois[dois.duplicated()].tolist()


def _texts_that_cite() -> dict[str, str]:
    """Every place in the kit that may cite sources, as {name: text}."""
    texts: dict[str, str] = {}
    for folder in ["notebooks", "solutions", "exercises"]:
        for path in sorted((ROOT / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            texts[str(path.relative_to(ROOT))] = "\n".join("".join(cell["source"]) for cell in cells)
    for path in sorted(ROOT.glob("*.md")) + sorted((ROOT / "data").rglob("*.md")):
        texts[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "data").rglob("*.csv")):
        if path.name == "sources.csv":
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in [c for c in table.columns if "source_id" in c]:
            ids = table[column].str.findall(r"S\d+").explode().dropna()
            texts[f"{path.relative_to(ROOT)}:{column}"] = " ".join(f"[{i}]" for i in ids)
    for path in sorted((ROOT / "data").rglob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(meta, dict) and "source_ids" in meta:
            texts[str(path.relative_to(ROOT))] = " ".join(f"[{i}]" for i in meta["source_ids"])
    return texts


def test_every_cited_id_exists(registry):
    known = set(registry["id"])
    problems = {name: sorted(set(cited_ids(text)) - known) for name, text in _texts_that_cite().items()}
    problems = {name: ids for name, ids in problems.items() if ids}
    assert not problems, f"cited but not in data/sources.csv: {problems}"


def test_the_kit_cites_sources():
    cited = set().union(*(cited_ids(text) for text in _texts_that_cite().values()))
    assert len(cited) >= 5


def test_cited_ids_parses_groups():
    text = "Relief [S3]. Harms [S12, S4; S3]. Not a citation: [S] or S9 or [see S2]."
    assert cited_ids(text) == ["S3", "S12", "S4"]


def test_references_rejects_unknown_ids():
    with pytest.raises(KeyError, match="S99999"):
        references(["S99999"])


def test_references_lists_each_id_once():
    registry = load_sources()
    first_two = registry.index[:2].tolist()
    table = references(f"[{first_two[0]}] and again [{first_two[0]}, {first_two[1]}]")
    assert table["id"].tolist() == first_two
    assert table["link"].str.startswith("http").all()


def test_citation_pattern_is_the_documented_one():
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert re.search(r"\[S12\]", readme), "data/README.md should document the citation form [S12]"


def test_reference_list_gives_full_citations_as_markdown():
    from appraisal.sources import reference_list

    text = reference_list(["S23", "S26"])
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("- **[S23]** Yoon IA; Galarneau D (2023).")
    assert "<https://doi.org/10.1111/papr.13268>" in lines[0]
    assert reference_list([]) == "_No sources are cited here._\n"


def test_no_reference_shows_nan_none_or_a_doubled_full_stop():
    registry = load_sources()
    table = references(list(registry.index))
    bad = table[table["reference"].str.contains(r"\bnan\b|\bNaN\b|\bNone\b|\.\.", regex=True)
                | table["link"].str.contains(r"\bnan\b|\bNone\b", regex=True)]
    assert bad.empty, f"references with nan/None/'..': {bad['id'].tolist()}"


def test_a_missing_link_is_said_in_words_not_printed_as_nan():
    from appraisal.sources import reference_list

    # S38 has no DOI, PMID or address in the registry (a title seen only in a reference list).
    line = reference_list(["S38"])
    assert "<nan>" not in line and "<>" not in line
    assert "no link" in line


def test_link_prefers_doi_then_pubmed_then_address():
    # S23 has a DOI (10.1111/papr.13268) and a PMID; S90 has only a PMID (30596410); S114 only an address.
    table = references(["S23", "S90", "S114"]).set_index("id")
    assert table.loc["S23", "link"] == "https://doi.org/10.1111/papr.13268"
    assert table.loc["S90", "link"] == "https://pubmed.ncbi.nlm.nih.gov/30596410/"
    assert table.loc["S114", "link"] == "https://www.healthnewsreview.org/about-us/review-criteria/"


def test_document_sharing_mirrors_are_declared_in_the_row():
    registry = load_sources()
    mirrors = registry[registry["url"].fillna("").str.contains("studylib|scribd|coek.info|docobook|nomedicalcare",
                                                               regex=True)]
    undeclared = [i for i, text in mirrors["supports"].items()
                  if not re.search(r"cop(y|ies)|mirror", text)]
    assert not undeclared, f"rows linking to a document-sharing copy without saying so: {undeclared}"


def _cited_anywhere() -> set[str]:
    return set().union(*(cited_ids(text) for text in _texts_that_cite().values()))


def _unmarked_incomplete_rows(table: pd.DataFrame, lines: dict[str, str]) -> dict[str, list[str]]:
    """Rows whose citation is incomplete but whose reference line does not say so, with what they lack.

    A line says so when it carries the '(unverified: ...)' mark and names every missing part.
    """
    names = {"authors": "authors", "year": "year", "title": "real title", "venue": "venue",
             "link": "DOI/PMID/stable link"}
    rows = table.set_index("id")
    unmarked = {}
    for source_id, line in lines.items():
        missing = missing_parts(rows.loc[source_id])
        mark = re.search(r"\(unverified: ([^()]*)\)", line)
        if missing and not (mark and all(names[part] in mark.group(1) for part in missing)):
            unmarked[source_id] = missing
    return unmarked


def _reference_lines(ids: list[str]) -> dict[str, str]:
    return dict(zip(ids, reference_list(ids).strip().splitlines(), strict=True))


def test_every_cited_source_is_a_complete_citation_or_shown_unverified(registry):
    """Lesson 00: a journal's name is not a citation. A row the kit cites has authors, year, title, venue and a DOI,
    PMID or stable link (appraisal.sources.missing_parts), or its reference says '(unverified: ...)' and what is
    missing."""
    cited = sorted(_cited_anywhere(), key=lambda i: int(i[1:]))
    unmarked = _unmarked_incomplete_rows(registry, _reference_lines(cited))
    assert not unmarked, f"cited rows that are incomplete citations but not shown as unverified: {unmarked}"


def test_the_completeness_check_catches_a_broken_row(registry, monkeypatch):
    from appraisal import sources

    broken = registry.copy()
    row = broken.index[broken["id"] == "S23"][0]
    broken.loc[row, ["authors", "journal"]] = ["", "(journal name not shown)"]
    # A reference list that forgot the mark fails the check ...
    plain = {"S23": "- **[S23]** (2023). Chronic pain outcomes. <https://doi.org/10.1111/papr.13268>"}
    assert _unmarked_incomplete_rows(broken, plain) == {"S23": ["authors", "venue"]}
    # ... and the kit's own reference list marks the broken row, so it passes.
    monkeypatch.setattr(sources, "load_sources", lambda: broken.set_index("id", drop=False))
    lines = {"S23": sources.reference_list(["S23"]).strip()}
    assert "**(unverified: no authors or venue recorded)**" in lines["S23"]
    assert _unmarked_incomplete_rows(broken, lines) == {}


def test_the_reference_list_marks_exactly_the_unverified_rows(registry):
    cited = sorted(_cited_anywhere(), key=lambda i: int(i[1:]))
    lines = _reference_lines(cited)
    rows = registry.set_index("id")
    for source_id, line in lines.items():
        row = rows.loc[source_id]
        unverified = row["confidence"] == "low" or bool(missing_parts(row))
        assert ("**(unverified: " in line) == unverified, line


def test_reference_list_shows_the_unverified_mark_and_why(monkeypatch):
    from appraisal import sources

    table = load_sources()
    table.loc["S23", ["authors", "doi", "pmid", "url"]] = ["", pd.NA, pd.NA, ""]
    monkeypatch.setattr(sources, "load_sources", lambda: table)
    line = sources.reference_list(["S23"])
    assert "**(unverified: no authors or DOI/PMID/stable link recorded)**" in line
    assert "(unverified: no authors or DOI/PMID/stable link recorded)" in sources.references(["S23"]).loc[0, "reference"]
