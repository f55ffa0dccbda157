"""Shared figure helpers: a colour-blind-safe palette and the kit's plot style."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import matplotlib as mpl
from cycler import cycler

__all__ = ["OKABE_ITO", "KIT_STYLE", "apply_kit_style", "kit_style", "colour"]

#: Okabe & Ito's palette, distinguishable with the common forms of colour blindness.
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}

_CYCLE = ["blue", "orange", "bluish green", "vermillion", "sky blue", "reddish purple", "yellow", "black"]

KIT_STYLE: dict[str, Any] = {
    "axes.prop_cycle": cycler(color=[OKABE_ITO[name] for name in _CYCLE]),
    "image.cmap": "cividis",
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 80,
    "axes.titlesize": "medium",
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "font.size": 10,
}


def colour(name: str) -> str:
    """Hex code of an Okabe-Ito colour by name (e.g. ``"vermillion"``)."""
    try:
        return OKABE_ITO[name]
    except KeyError:
        raise KeyError(f"Unknown colour {name!r}; choose one of: {', '.join(OKABE_ITO)}") from None


def apply_kit_style() -> None:
    """Use the kit's style for every later figure in this session (call once at the top of a notebook)."""
    mpl.rcParams.update(cast(Any, KIT_STYLE))  # matplotlib types the keys as a Literal of every rcParam


@contextmanager
def kit_style() -> Iterator[None]:
    """Use the kit's style inside a ``with`` block only."""
    with mpl.rc_context(cast(Any, KIT_STYLE)):
        yield
