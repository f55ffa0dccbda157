"""The README's Binder badge is either a working link built from BINDER_REPO or an instruction, never a dead link."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
_spec = importlib.util.spec_from_file_location("binder_badge", ROOT / "tools" / "binder_badge.py")
binder_badge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(binder_badge)

TEMPLATE = "# Kit\n<!-- BINDER_REPO: {repo} -->\n<!-- BINDER START -->\nold text\n<!-- BINDER END -->\nrest\n"


def test_readme_badge_agrees_with_its_setting():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert binder_badge.update(text) == text, "README's Binder block is stale: run `make binder-badge`"
    assert "OWNER" not in text, "no placeholder account in the README"


def test_empty_setting_gives_an_instruction_not_a_link():
    out = binder_badge.update(TEMPLATE.format(repo=""))
    assert "mybinder.org/v2/gh/" not in out and "BINDER_REPO" in out


def test_filled_setting_gives_a_badge_for_that_repository():
    out = binder_badge.update(TEMPLATE.format(repo="someone/hype-to-mechanism"))
    assert "https://mybinder.org/v2/gh/someone/hype-to-mechanism/HEAD?labpath=notebooks%2F00-start-here.ipynb" in out
    assert out.endswith("rest\n")


@pytest.mark.parametrize("repo", ["OWNER/hype-to-mechanism", "not a repo", "a/b/c"])
def test_placeholder_or_malformed_setting_is_refused(repo):
    with pytest.raises(ValueError, match="BINDER_REPO"):
        binder_badge.update(TEMPLATE.format(repo=repo))
