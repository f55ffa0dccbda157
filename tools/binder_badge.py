"""Put the Binder badge into README.md from the one setting the kit's host fills in: the BINDER_REPO line.

README.md carries a line ``<!-- BINDER_REPO: -->``. Whoever publishes the kit on GitHub writes the repository there
once (``<!-- BINDER_REPO: their-account/hype-to-mechanism -->``) and runs ``make binder-badge``; the paragraph between
the BINDER markers then becomes a working badge. With no repository filled in, the README shows an instruction
instead of a dead link. ``tests/test_readme.py`` checks that the two never disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SETTING = re.compile(r"<!-- BINDER_REPO:\s*(\S*)\s*-->")
BLOCK = re.compile(r"(<!-- BINDER START -->\n)(.*?)(\n<!-- BINDER END -->)", re.S)
REPO = re.compile(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+")
INSTRUCTION = ("**Run it online (Binder):** not set up yet. Whoever hosts the kit on GitHub writes its address in the "
               "`BINDER_REPO` line at the top of this file (for example `your-account/hype-to-mechanism`) and runs "
               "`make binder-badge`, which turns this paragraph into a Binder badge.")


def badge(repo: str) -> str:
    """The Markdown of a Binder badge opening the start notebook of ``repo`` (``account/name``)."""
    return (f"[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/{repo}/HEAD"
            f"?labpath=notebooks%2F00-start-here.ipynb)")


def expected_block(text: str) -> str:
    """What belongs between the BINDER markers, given the BINDER_REPO setting in ``text``."""
    setting = SETTING.search(text)
    if setting is None:
        raise ValueError("README.md has no '<!-- BINDER_REPO: ... -->' line")
    repo = setting.group(1)
    if not repo:
        return INSTRUCTION
    if not REPO.fullmatch(repo) or repo.upper().startswith("OWNER/"):
        raise ValueError(f"BINDER_REPO should be 'account/repository', got {repo!r}")
    return badge(repo)


def update(text: str) -> str:
    """``text`` with the BINDER block rewritten from the setting."""
    if not BLOCK.search(text):
        raise ValueError("README.md has no <!-- BINDER START --> ... <!-- BINDER END --> block")
    return BLOCK.sub(lambda m: m.group(1) + expected_block(text) + m.group(3), text)


if __name__ == "__main__":
    README.write_text(update(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}", file=sys.stderr)
