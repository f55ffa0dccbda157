"""The kit's source registry (``data/sources.csv``) and the ``[S12]`` citations that point to it."""

from __future__ import annotations

import re

import pandas as pd

from appraisal.paths import data_path

__all__ = [
    "CITATION_PATTERN", "SOURCE_COLUMNS", "UNSTABLE_HOSTS", "cited_ids", "is_complete", "load_sources",
    "missing_parts", "reference_list", "references", "unverified_reason",
]

SOURCE_COLUMNS = [
    "id", "authors", "year", "title", "journal", "doi", "pmid", "url", "supports", "confidence", "authors_conclusion",
]

#: A citation in prose: ``[S12]``, ``[S3, S12]`` or ``[S3; S12]``.
CITATION_PATTERN = re.compile(r"\[(S\d+(?:\s*[,;]\s*S\d+)*)\]")


#: Hosts whose addresses are not a stable link to a publication: document-sharing sites (copies uploaded by
#: anyone), secondary indexers and reposts. A row whose only locator is one of these is not complete.
UNSTABLE_HOSTS = (
    "studylib.net", "scribd.com", "coek.info", "docobook.com", "nomedicalcare.com", "tomesphere.com", "scilit.net",
    "scilit.com", "researcher.life", "ouci.dntb.gov.ua", "pemfprofessionals.com", "wordpress.com", "chiro.org",
    "fermatslibrary.com", "amerikanhastanesi.org", "crossmark.crossref.org",
)

#: Words in a bibliographic cell that say the detail is not known (``journal name not shown``).
_NOT_KNOWN = re.compile(r"not (?:shown|named|recorded|given|known)|unverified", flags=re.IGNORECASE)


def missing_parts(row: pd.Series | dict) -> list[str]:
    """What a registry row lacks to be a complete citation; empty when it is complete.

    The kit's one definition of a complete citation (lesson 00: a journal's name is not a citation). A row is
    complete when it has

    - ``authors`` (people or an organisation),
    - ``year`` (four digits),
    - ``title``: the real title; a ``[descriptive label]`` in square brackets counts only when a DOI or PMID
      pins the publication down,
    - ``venue``: the ``journal`` column (journal, publisher, site or organisation),
    - ``link``: a DOI, a PMID, or an address that is not a document-sharing copy or secondary indexer
      (:data:`UNSTABLE_HOSTS`).

    A bibliographic cell that says the detail is unknown ("authors not shown", "UNVERIFIED") counts as missing.
    Returns the missing parts in that order, named as above.
    """
    def known(column: str) -> str:
        value = _text(row.get(column))
        return "" if _NOT_KNOWN.search(value) else value

    missing = []
    if not known("authors"):
        missing.append("authors")
    if not re.fullmatch(r"\d{4}", known("year").removesuffix(".0")):
        missing.append("year")
    title = known("title")
    identified = bool(known("doi") or known("pmid"))
    if not title or (title.startswith("[") and title.endswith("]") and not identified):
        missing.append("title")
    if not known("journal"):
        missing.append("venue")
    url = _text(row.get("url"))
    stable_url = bool(re.match(r"https?://", url)) and not any(host in url.lower() for host in UNSTABLE_HOSTS)
    if not (identified or stable_url):
        missing.append("link")
    return missing


def is_complete(row: pd.Series | dict) -> bool:
    """True when a registry row has authors, year, title, venue and a DOI, PMID or stable link (:func:`missing_parts`)."""
    return not missing_parts(row)


def unverified_reason(row: pd.Series | dict) -> str:
    """Why a row is shown to students as unverified; empty for a complete row that is not ``low`` confidence.

    A row is unverified when it is incomplete (:func:`missing_parts`) or its ``confidence`` is ``low``.
    """
    names = {"authors": "authors", "year": "year", "title": "real title", "venue": "venue",
             "link": "DOI/PMID/stable link"}
    reasons = []
    if _text(row.get("confidence")) == "low":
        reasons.append("low confidence")
    missing = [names[part] for part in missing_parts(row)]
    if missing:
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " or " + missing[-1]
        reasons.append(f"no {listed} recorded")
    return "; ".join(reasons)


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

    A row that is incomplete or of ``low`` confidence ends its citation with ``(unverified: <reason>)``
    (:func:`unverified_reason`), so students see which sources are not established. Raises KeyError naming any id that is not in the registry.
    """
    wanted = cited_ids(ids) if isinstance(ids, str) else list(ids)
    registry = load_sources()
    unknown = [i for i in wanted if i not in registry.index]
    if unknown:
        raise KeyError(f"Not in data/sources.csv: {', '.join(unknown)}")
    rows = []
    for source_id in wanted:
        row = registry.loc[source_id]
        citation = _citation(row)
        reason = unverified_reason(row)
        if reason:
            citation += f" (unverified: {reason})"
        rows.append({"id": source_id, "reference": citation, "link": _link(row)})
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
        f"- **[{row.id}]** {_mark_unverified(row.reference)} "
        + (f"<{row.link}>" if row.link else "_(no link: see data/sources.csv)_")
        for row in table.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


def _mark_unverified(reference: str) -> str:
    """The reference with its '(unverified: ...)' label in bold, so it stands out in a Markdown list."""
    return re.sub(r" \((unverified: [^()]*)\)$", r" **(\1)**", reference)
