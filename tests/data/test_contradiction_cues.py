"""data/contradiction_cues.csv: the cue pairs of appraisal.contradictions (schema and patterns)."""

import re

import pandas as pd

from appraisal.contradictions import CUE_COLUMNS
from appraisal.paths import data_path


def test_cue_table_schema():
    cues = pd.read_csv(data_path("contradiction_cues.csv"), dtype=str, keep_default_na=False)
    assert tuple(cues.columns) == CUE_COLUMNS
    assert cues["cue_id"].is_unique
    assert cues["cue_id"].str.fullmatch(r"K\d+").all()
    assert (cues.drop(columns="cue_id") != "").all().all(), "every field is filled"
    for row in cues.itertuples(index=False):
        for pattern in (row.pattern_a, row.pattern_b):
            re.compile(pattern)
            assert not re.search(pattern, "", re.IGNORECASE), f"{row.cue_id}: a pattern must not match empty text"
        assert row.why.endswith("."), f"{row.cue_id}: 'why' is a sentence"
