"""show_text_table shows long text in full: wrapped in HTML, uncut in plain text."""

import numpy as np
import pandas as pd
import pytest

from appraisal.display import show_text_table

LONG = ("Electroconvulsive therapy has shown promising results in providing relief for chronic pain sufferers, "
        "and this sentence is far longer than fifty characters.")


def test_plain_text_keeps_every_character_of_a_long_cell():
    df = pd.DataFrame({"id": ["a", "b"], "sentence": [LONG, "short"]})
    text = repr(show_text_table(df))
    assert LONG in text
    assert "..." not in text


def test_html_wraps_long_columns_and_escapes_markup():
    df = pd.DataFrame({"id": ["a"], "sentence": [LONG + " <b>x</b> & y"]})
    page = show_text_table(df)._repr_html_()
    assert "white-space: normal" in page
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in page
    assert "<b>x</b>" not in page


def test_missing_values_show_as_empty_cells_not_nan():
    df = pd.DataFrame({"id": ["a"], "link": [np.nan]})
    page = show_text_table(df)._repr_html_()
    assert "nan" not in page.lower().replace("dataframe", "")


def test_max_rows_says_how_many_are_left_out():
    df = pd.DataFrame({"n": range(5)})
    table = show_text_table(df, max_rows=2)
    assert "3 more rows not shown; 5 in all" in repr(table)
    assert table._repr_html_().count("<tr>") == 3  # header + 2 rows


def test_index_shown_on_request():
    df = pd.DataFrame({"n": [1]}, index=["row label"])
    assert "row label" in show_text_table(df, index=True)._repr_html_()
    assert "row label" not in show_text_table(df)._repr_html_()


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        show_text_table([1, 2])
    with pytest.raises(ValueError, match="max_rows"):
        show_text_table(pd.DataFrame({"n": [1]}), max_rows=0)
