"""Leak detection: secret source lines (solutions, hidden tests, mark schemes) that show up in a release.

A line counts when it is non-trivial (at least MIN_LEAK_LENGTH characters after stripping, not a
delimiter, not a code comment) and does not also appear in a public part of the source, such as a
prompt or a public test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from nbformat import NotebookNode

from coursekit.cells import cell_label, delimiter, split_secret

MIN_LEAK_LENGTH = 12


@dataclass(frozen=True)
class Leak:
    """A secret `line` of `source_cell` (a `what` region) found in `release_cell`."""

    line: str
    what: str
    source_cell: str
    release_cell: str


def _meaningful(line: str, is_code: bool) -> bool:
    text = line.strip()
    if len(text) < MIN_LEAK_LENGTH or delimiter(text) is not None:
        return False
    return not (is_code and text.startswith("#"))


def secrets(nb: NotebookNode) -> dict[str, tuple[str, str]]:
    """{stripped secret line: (region name, source cell label)} for the non-trivial secret lines of a
    source notebook that appear nowhere in its public text. Raises MarkerError on malformed markers."""
    found: dict[str, tuple[str, str]] = {}
    public: set[str] = set()
    for index, cell in enumerate(nb.cells):
        secret, visible = split_secret(cell)
        public.update(line.strip() for line in visible)
        for marker, line in secret:
            if _meaningful(line, cell.cell_type == "code"):
                found.setdefault(line.strip(), (marker.name, cell_label(cell, index)))
    return {line: where for line, where in found.items() if line not in public}


def _output_text(output: NotebookNode) -> Iterator[str]:
    if isinstance(output.get("text"), str):
        yield output["text"]
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") and isinstance(value, str):
            yield value
    if output.get("output_type") == "error":
        yield from output.get("traceback", [])


def visible_lines(nb: NotebookNode) -> Iterator[tuple[str, str]]:
    """(cell label, stripped line) for every line a student can see: sources and text outputs."""
    for index, cell in enumerate(nb.cells):
        label = cell_label(cell, index)
        texts = [cell.source] + [text for out in cell.get("outputs", []) for text in _output_text(out)]
        for text in texts:
            for line in text.split("\n"):
                yield label, line.strip()


def find_leaks(source: NotebookNode, released: NotebookNode) -> list[Leak]:
    """The secret lines of `source` that appear in `released`, one Leak per (line, release cell)."""
    hidden = secrets(source)
    leaks: list[Leak] = []
    seen: set[tuple[str, str]] = set()
    for label, line in visible_lines(released):
        if line in hidden and (line, label) not in seen:
            seen.add((line, label))
            what, source_cell = hidden[line]
            leaks.append(Leak(line, what, source_cell, label))
    return leaks
