"""The kit passes its own appraisal: no lesson or solution sentence that the kit's checks rate absolute or direct
causal goes uncited, unless `data/prose_allowlist.csv` gives a reviewed reason (tools/prose_check.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("prose_check", ROOT / "tools" / "prose_check.py")
assert _spec and _spec.loader
prose_check = importlib.util.module_from_spec(_spec)
sys.modules["prose_check"] = prose_check  # dataclasses look their module up there
_spec.loader.exec_module(prose_check)

PATHS = prose_check.default_paths()


@pytest.fixture(scope="module")
def allowlist():
    return prose_check.load_allowlist()


@pytest.fixture(scope="module")
def flags():
    return {path: prose_check.flags_in(path) for path in PATHS}


def _notebook(tmp_path: Path, *markdown: str) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": text} for text in markdown]
    path = tmp_path / "probe.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_there_are_notebooks_to_check():
    names = {p.name for p in PATHS}
    assert "03-mechanism-plausibility.ipynb" in names and "mechanism.ipynb" in names


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_the_kits_prose_passes_its_own_check(path, flags, allowlist):
    left = [f for f in flags[path] if not prose_check.allowed(f, allowlist)]
    listed = "\n".join(f"cell {f.cell}: {f.why}: {f.sentence}" for f in left)
    assert not left, f"cite a source, reword, or allow-list with a reason (data/prose_allowlist.csv):\n{listed}"


def test_allowlist_is_reviewed(allowlist):
    assert set(allowlist["kind"]) <= set(prose_check.ALLOW_KINDS), set(allowlist["kind"]) - set(prose_check.ALLOW_KINDS)
    assert (allowlist["reason"].str.strip().str.len() >= 10).all(), "every exception says why, in a few words"
    for file in set(allowlist["file"]):
        assert (ROOT / file).exists(), f"allow-list names a file that does not exist: {file}"


@pytest.mark.slow
def test_no_stale_allowlist_entries(allowlist, flags):
    """An exception that covers no flagged sentence any more is removed, so the list stays reviewed."""
    all_flags = [f for found in flags.values() for f in found]
    stale = [row.fragment for row in allowlist.itertuples()
             if not any(prose_check.allowed(f, allowlist[allowlist["fragment"] == row.fragment]) for f in all_flags)]
    assert not stale, f"remove these allow-list rows, they match nothing flagged: {stale}"


def test_the_check_catches_an_uncited_direct_causal_sentence(tmp_path):
    path = _notebook(tmp_path, "Electroconvulsive therapy cures chronic pain.\n\nIt may help some people.")
    found = prose_check.flags_in(path)
    assert [f.sentence for f in found] == ["Electroconvulsive therapy cures chronic pain."]
    assert "direct causal" in found[0].why


def test_the_check_catches_an_absolute_word(tmp_path):
    found = prose_check.flags_in(_notebook(tmp_path, "The treatment is always safe for everyone."))
    assert found and "absolute" in found[0].why


def test_a_citation_of_a_registry_source_passes_but_a_low_confidence_one_does_not(tmp_path):
    cited = prose_check.flags_in(_notebook(tmp_path, "Aspirin reduces the risk of a second heart attack [S26]."),
                                 low=set())
    assert cited == []
    weak = prose_check.flags_in(_notebook(tmp_path, "Aspirin reduces the risk of a second heart attack [S26]."),
                                low={"S26"})
    assert len(weak) == 1


def test_quotes_code_and_mark_schemes_are_not_the_kits_prose(tmp_path):
    path = _notebook(
        tmp_path,
        "The article says 'ECT cures pain' (s3) and \u201cit always works\u201d (s4).",
        "Run `cures(pain)` to see.",
        "A model answer.\n=== BEGIN MARK SCHEME ===\nECT cures pain.\n=== END MARK SCHEME ===",
    )
    assert prose_check.flags_in(path) == []


def test_a_sentence_wrapped_over_lines_is_one_sentence(tmp_path):
    found = prose_check.flags_in(_notebook(tmp_path, "The device\nreduces pain in\nall patients."))
    assert len(found) == 1 and found[0].sentence == "The device reduces pain in all patients."
