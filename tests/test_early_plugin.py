"""tests/early_plugin.py: nbval's kernel start is tried once more after a death at start-up, with a warning that
keeps the dead kernel's last line; a second death fails as before; a healthy start is not repeated."""

from __future__ import annotations

import subprocess
import sys

import early_plugin  # tests/ is on sys.path (pytest's rootdir insertion), also without `python -m`
import pytest


def _starter(deaths: int):
    calls = []

    def start(timeout, name, **kwargs):
        calls.append(kwargs)
        if len(calls) <= deaths:
            if kwargs.get("stderr") is not None:
                kwargs["stderr"].write(b"Traceback ...\nzmq.error.ZMQError: Address already in use\n")
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "km", "kc"

    return start, calls


def test_a_kernel_that_dies_at_start_up_is_started_once_more_with_a_warning():
    start, calls = _starter(deaths=1)
    with pytest.warns(UserWarning, match="last line: zmq.error.ZMQError: Address already in use"):
        assert early_plugin._start_with_one_retry(start)(60, "python") == ("km", "kc")
    assert len(calls) == 2


def test_a_second_death_fails_as_before():
    start, calls = _starter(deaths=2)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Kernel died"):
        early_plugin._start_with_one_retry(start)(60, "python")
    assert len(calls) == 2


def test_nbvals_kernel_start_is_wrapped_once():
    import nbval.kernel

    wrapped = nbval.kernel.start_new_kernel
    assert wrapped.retries_once
    assert not getattr(wrapped.__closure__[0].cell_contents, "retries_once", False)  # not a wrapper of a wrapper


def test_a_healthy_start_is_not_repeated():
    start, calls = _starter(deaths=0)
    assert early_plugin._start_with_one_retry(start)(60, "python") == ("km", "kc")
    assert len(calls) == 1


SKIPPED = """
import sys
from coursekit.startup import skip_iri_grammar
assert skip_iri_grammar()
import nbformat
from nbformat.v4 import new_notebook
nbformat.validate(new_notebook())  # notebooks still validate
bad = new_notebook(); bad.metadata = 3
try:
    nbformat.validate(bad)
except nbformat.ValidationError:
    print("invalid caught", sys.modules["rfc3987_syntax"] is None, "jsonschema" in sys.modules)
"""


def test_the_iri_grammar_is_left_out_and_notebooks_still_validate():
    done = subprocess.run([sys.executable, "-c", SKIPPED], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "invalid caught True True", done.stderr[-2000:]
