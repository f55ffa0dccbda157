"""Which separator a platform's CSV uses: a comma, or a semicolon (Canvas and Moodle write semicolons under some
language settings). The rule is Canvas's importer's (gradebook_importer.rb, identify_delimiter): over the first
three lines, a separator counts when it splits every line into the same number of fields; the semicolon wins when
it gives more fields than the comma."""

from __future__ import annotations

import csv

__all__ = ["sniff_dialect"]


class _Semicolon(csv.excel):
    delimiter = ";"


def _steady_fields(lines: list[str], separator: str) -> int:
    try:
        counts = {len(row) for row in csv.reader(lines, delimiter=separator)}
    except csv.Error:
        return 0
    return counts.pop() if len(counts) == 1 else 0


def sniff_dialect(lines: list[str]) -> type[csv.Dialect]:
    """`csv.excel` (commas) or a semicolon dialect, from the first three lines of the file."""
    first = [line for line in lines[:3] if line.strip()]
    return _Semicolon if _steady_fields(first, ";") > _steady_fields(first, ",") else csv.excel
