"""The kit's source registry (``data/sources.csv``) and the ``[S12]`` citations that point to it."""

from __future__ import annotations

import re

import pandas as pd

from appraisal.paths import data_path

__all__ = ["CITATION_PATTERN", "SOURCE_COLUMNS", "cited_ids", "load_sources", "reference_list", "references"]

SOURCE_COLUMNS = [
    "id", "authors", "year", "title", "journal", "doi", "pmid", "url", "supports", "confidence", "authors_conclusion",
]

#: A citation in prose: ``[S12]``, ``[S3, S12]`` or ``[S3; S12]``.
CITATION_PATTERN = re.compile(r"\[(S\d+(?:\s*[,;]\s*S\d+)*)\]")


def load_sources() -> pd.DataFrame:
    """The source registry, one row per source, indexed by id (``S1``, ``S2`` ...)."""
    table = pd.read_csv(data_path("sources.csv"), dtype={"pmid": "string", "doi": "string"})
    return table.set_index("id", drop=False)


def cited_ids(text: str) -> list[str]:
    """Source ids cited in a text, in order of first appearance, without repeats."""
    found: list[str] = []
    for group in CITATION_PATTERN.findall(text):
        for source_id in re.split(r"\s*[,;]\s*", group):
            if source_id not in found:
                found.append(source_id)
    return found


def references(ids: list[str] | str) -> pd.DataFrame:
    """Short reference list (id, citation, link) for the given ids or for every id cited in a text.

    Raises KeyError naming any id that is not in the registry.
    """
    wanted = cited_ids(ids) if isinstance(ids, str) else list(ids)
    registry = load_sources()
    unknown = [i for i in wanted if i not in registry.index]
    if unknown:
        raise KeyError(f"Not in data/sources.csv: {', '.join(unknown)}")
    rows = []
    for source_id in wanted:
        row = registry.loc[source_id]
        rows.append({"id": source_id, "reference": _citation(row), "link": _link(row)})
    return pd.DataFrame(rows, columns=["id", "reference", "link"])


def _text(value: object) -> str:
    """A registry cell as text; empty for a missing value (never 'nan')."""
    return "" if value is None or pd.isna(value) else str(value).strip()


def _citation(row: pd.Series) -> str:
    """'Authors (year). Title. Journal.' with missing parts left out and no doubled full stops."""
    authors = _text(row["authors"]) or "Authors not recorded"
    year = _text(row["year"])
    year = f" ({int(float(year))})" if year else ""
    parts = [f"{authors}{year}"] + [_text(row[c]) for c in ("title", "journal")]
    return " ".join(part if part.endswith((".", "?", "!")) else f"{part}." for part in parts if part)


def _link(row: pd.Series) -> str:
    """The best link: the DOI, else PubMed, else the recorded address; empty when there is none."""
    doi, pmid, url = _text(row["doi"]), _text(row["pmid"]), _text(row["url"])
    if doi:
        return f"https://doi.org/{doi}"
    if pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return url


def reference_list(ids: list[str] | str) -> str:
    """The same references as :func:`references`, as a Markdown list with full citations and links.

    In a notebook: ``Markdown(reference_list([...]))`` shows every citation in full (a DataFrame cuts long text).
    """
    table = references(ids)
    if table.empty:
        return "_No sources are cited here._\n"
    lines = [
        f"- **[{row.id}]** {row.reference} " + (f"<{row.link}>" if row.link else "_(no link: see data/sources.csv)_")
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"
