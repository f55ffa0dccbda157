"""A pytest plugin loaded before every other (`-p tests.early_plugin` in the Makefile; xdist's workers load it too).

1. Before nbval imports nbformat: leave out the IRI grammar that no notebook check uses (coursekit/startup.py).
2. nbval starts a notebook's kernel once and, if that kernel dies before it answers, fails every cell of the
   notebook. A kernel can die at start-up for a reason outside the notebook: its TCP ports are picked free by
   jupyter_client, then bound by the kernel a second later, and another process of a busy parallel run can take
   one in between. Such a kernel is started once more, with a warning that keeps the first kernel's last error
   line, so that a cause inside the notebook would still fail, and a repeat of this one is visible.
"""

from __future__ import annotations

import tempfile
import warnings

from coursekit.startup import skip_iri_grammar

skip_iri_grammar()

try:
    import nbval.kernel as nbval_kernel
except ImportError:  # nbval not installed: nothing to wrap
    nbval_kernel = None


def _start_with_one_retry(start):
    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
        if "stderr" in kwargs:
            return start(startup_timeout, kernel_name, **kwargs)
        with tempfile.TemporaryFile() as first_stderr:
            try:
                return start(startup_timeout, kernel_name, stderr=first_stderr, **kwargs)
            except RuntimeError as exc:
                first_stderr.seek(0)
                lines = first_stderr.read().decode(errors="replace").strip().splitlines()
                warnings.warn(
                    f"a notebook kernel died at start-up ({exc}; its last line: {lines[-1] if lines else 'none'}); "
                    "it was started once more",
                    stacklevel=2,
                )
        return start(startup_timeout, kernel_name, **kwargs)

    start_new_kernel.retries_once = True
    return start_new_kernel


# Once, even if this module is also imported under another name (tests/test_early_plugin.py imports it).
if nbval_kernel is not None and not getattr(nbval_kernel.start_new_kernel, "retries_once", False):
    nbval_kernel.start_new_kernel = _start_with_one_retry(nbval_kernel.start_new_kernel)
