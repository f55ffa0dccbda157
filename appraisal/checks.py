"""Argument checks shared by the kit's modules: each returns the clean value or raises an error naming the argument.

Wrong kinds of value (a string, ``None``, ``True``, ``2.5`` where a count is needed) raise TypeError; values of the right kind outside the allowed
range raise ValueError. The message always starts with the argument's name.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["check_fraction", "check_number", "check_rng", "check_whole"]


def check_number(
    value: object, name: str, *, minimum: float | None = None, allow_infinite: bool = False
) -> float:
    """``value`` as a float: a real number (not a bool), not NaN, finite unless allowed, and >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Real | np.number):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if math.isnan(number) or (math.isinf(number) and not allow_infinite):
        raise ValueError(f"{name} must be a finite number, got {number}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g}, got {number:g}")
    return number


def check_whole(value: object, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int: a whole number (``3`` or ``3.0``, not ``True``) that is >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Real | np.number):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if not isinstance(value, Integral | np.integer) and not float(value).is_integer():
        raise TypeError(f"{name} must be a whole number, got {value!r}")  # as range(2.5) does
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)  # type: ignore[arg-type]  # a Real or numpy number, checked above


def check_fraction(value: object, name: str, *, open_left: bool = False, open_right: bool = False) -> float:
    """``value`` as a float in [0, 1]; ``open_left``/``open_right`` exclude 0 or 1."""
    number = check_number(value, name)
    too_low = number <= 0 if open_left else number < 0
    too_high = number >= 1 if open_right else number > 1
    if too_low or too_high:
        left, right = ("(" if open_left else "["), (")" if open_right else "]")
        raise ValueError(f"{name} must be in {left}0, 1{right}, got {number:g}")
    return number


def check_rng(rng: object) -> np.random.Generator:
    """A numpy random Generator, passed explicitly so that results are reproducible."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, e.g. np.random.default_rng(42), not {type(rng).__name__}")
    return rng
