"""Shared argument checks: the clean value back, or an error that names the argument."""

import math

import numpy as np
import pytest

from appraisal.checks import check_fraction, check_number, check_rng, check_whole


def test_check_number():
    assert check_number(3, "x") == 3.0 and isinstance(check_number(np.float32(0.5), "x"), float)
    assert check_number(math.inf, "x", allow_infinite=True) == math.inf
    for bad, error in [("3", TypeError), (None, TypeError), (True, TypeError), (math.nan, ValueError),
                       (math.inf, ValueError)]:
        with pytest.raises(error, match="^x must be"):
            check_number(bad, "x")
    with pytest.raises(ValueError, match="sd must be a number >= 0, got -1"):
        check_number(-1, "sd", minimum=0)


def test_check_whole():
    assert check_whole(np.int64(4), "n") == 4 and check_whole(4.0, "n") == 4
    assert check_whole(0, "seed", minimum=0) == 0
    with pytest.raises(TypeError, match="n must be a whole number, got 2.5"):
        check_whole(2.5, "n")
    with pytest.raises(ValueError, match="n must be a whole number >= 1, got 0"):
        check_whole(0, "n")
    with pytest.raises(TypeError, match="n must be a whole number, not str"):
        check_whole("3", "n")
    with pytest.raises(TypeError, match="n must be a whole number, not bool"):
        check_whole(True, "n")


def test_check_fraction():
    assert check_fraction(0, "p") == 0 and check_fraction(1, "p") == 1
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\), got 1"):
        check_fraction(1, "p", open_left=True, open_right=True)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        check_fraction(1.5, "p")


def test_check_rng():
    rng = np.random.default_rng(1)
    assert check_rng(rng) is rng
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        check_rng(42)
