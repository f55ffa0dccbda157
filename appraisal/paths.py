"""Where the kit's data lives.

The package sits beside ``data/`` in the kit's folder. Set the environment variable
``HYPE_KIT_DATA`` to point elsewhere (for example when the package is installed
without the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_dir", "data_path", "kit_root"]


def kit_root() -> Path:
    """The kit's top folder (the one holding ``data/``, ``notebooks/`` ...)."""
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The folder of the kit's data files."""
    override = os.environ.get("HYPE_KIT_DATA")
    return Path(override) if override else kit_root() / "data"


def data_path(*parts: str) -> Path:
    """Path of a file inside ``data/``; raises FileNotFoundError naming it if absent."""
    path = data_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"The kit's data file {path} is missing. Is the kit's data/ folder beside the package, "
            "or HYPE_KIT_DATA set to it?"
        )
    return path
