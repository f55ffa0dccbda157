"""Reading and writing notebooks: one-line errors on bad input, deterministic bytes on output."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.validator import ValidationError

from coursekit.errors import NotebookReadError


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= limit else line[: limit - 3] + "..."


def json_problem(exc: json.JSONDecodeError) -> str:
    """A JSON error in plain words: "Unterminated string (line 3, column 5)", never "starting at at line"."""
    what = exc.msg.removesuffix(" at").removesuffix(" starting")
    return f"{what} (line {exc.lineno}, column {exc.colno})"


def parse_notebook(text: str, name: str) -> NotebookNode:
    """Parse notebook JSON text; `name` (usually the path) prefixes any NotebookReadError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookReadError(
            f"{name}: not valid JSON: {json_problem(exc)}"
        ) from None
    if not isinstance(data, dict) or "cells" not in data:
        raise NotebookReadError(f"{name}: not a notebook (no 'cells' in the JSON)")
    if data.get("nbformat") != 4:
        raise NotebookReadError(f"{name}: nbformat {data.get('nbformat')!r} is not supported (need 4)")
    try:
        nbformat.validate(data)
    except ValidationError as exc:
        raise NotebookReadError(f"{name}: invalid notebook: {_first_line(exc.message)}") from None
    return nbformat.reads(text, as_version=4)


def read_notebook(path: Path, name: str | None = None) -> NotebookNode:
    """Read and validate a notebook file; raises NotebookReadError naming the file."""
    label = name or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookReadError(f"{label}: cannot read ({exc.__class__.__name__}: {exc})") from None
    return parse_notebook(text, label)


def notebook_text(nb: NotebookNode) -> str:
    """The notebook as JupyterLab saves it (sorted keys, indent 1), ending with a newline."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def write_if_changed(path: Path, content: bytes) -> bool:
    """Write `content` to `path` (making folders) unless the file already holds it; True if written."""
    path = Path(path)
    if path.is_file() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True
