"""Show tables whose cells hold sentences, quotes or reasons, wrapped rather than cut.

Pandas shortens every cell to ``display.max_colwidth`` characters (50 by default) and ends it with "...". That hides
the very words a lesson asks students to read. ``show_text_table(df)`` shows the whole table instead: in JupyterLab
as an HTML table whose long cells wrap onto several lines, and as plain text (what ``print`` and stored outputs show)
with no cell cut.

Use it as the last line of a cell::

    from appraisal.display import show_text_table
    show_text_table(claims[["claim_id", "quote", "verdict"]])
"""

from __future__ import annotations

import html

import pandas as pd

__all__ = ["TextTable", "show_text_table"]

# Cells longer than this many characters are given a reading width and left alignment, so they wrap.
_LONG = 40


class TextTable:
    """A table shown in full: wrapped HTML in Jupyter, uncut text elsewhere."""

    def __init__(self, df: pd.DataFrame, index: bool = False, max_rows: int | None = None) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"show_text_table(df): df must be a pandas DataFrame, not {type(df).__name__}")
        if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
            raise ValueError(f"show_text_table(max_rows=...): expected a positive int or None, got {max_rows!r}")
        self.df = df
        self.index = index
        self.max_rows = max_rows

    def _shown(self) -> pd.DataFrame:
        return self.df if self.max_rows is None else self.df.head(self.max_rows)

    def _footer(self) -> str:
        hidden = len(self.df) - len(self._shown())
        return f"({hidden} more rows not shown; {len(self.df)} in all)" if hidden > 0 else ""

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", 10_000,
                               "display.max_columns", None, "display.max_rows", None):
            text = self._shown().to_string(index=self.index)
        footer = self._footer()
        return text + ("\n" + footer if footer else "")

    def _repr_html_(self) -> str:
        shown = self._shown()
        long_cols = {
            col for col in shown.columns
            if max((len(str(v)) for v in shown[col]), default=0) > _LONG
        }
        head_cells = ([""] if self.index else []) + [str(c) for c in shown.columns]
        head = "".join(f'<th style="text-align: left;">{html.escape(c)}</th>' for c in head_cells)
        rows = []
        for idx, row in shown.iterrows():
            cells = [f'<th style="text-align: left;">{html.escape(str(idx))}</th>'] if self.index else []
            for col in shown.columns:
                value = row[col]
                text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
                style = ("text-align: left; white-space: normal; min-width: 16em; max-width: 40em;"
                         if col in long_cols else "text-align: left; white-space: nowrap;")
                cells.append(f'<td style="{style}">{html.escape(text)}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        footer = self._footer()
        caption = f"<p>{html.escape(footer)}</p>" if footer else ""
        return (f'<table class="dataframe kit-text-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>{caption}")


def show_text_table(df: pd.DataFrame, index: bool = False, max_rows: int | None = None) -> TextTable:
    """Return ``df`` as a table shown in full: long text wraps in JupyterLab and is never cut with "...".

    ``index=True`` shows the row labels too (useful for crosstabs); ``max_rows`` shows only the first rows and says
    how many were left out.
    """
    return TextTable(df, index=index, max_rows=max_rows)
