# ruff: noqa: UP031  (percent formatting on purpose: this file must run on any old Python and say why not)
"""Refuse, in plain words, a Python the kit does not support (run by `make` before it sets anything up).

Written for any Python, 2.7 included (percent formatting, nothing imported from the kit), so that an old interpreter
gets this message instead of a syntax error.
"""

import sys

SUPPORTED = ((3, 10), (3, 13))  # the oldest and the newest minor version the lock resolves for

version = sys.version_info[:2]
if not SUPPORTED[0] <= version <= SUPPORTED[1]:
    low, high = ("%d.%d" % v for v in SUPPORTED)
    sys.exit(
        "Python %d.%d is not supported (found at %s). The kit needs Python %s to %s.\n"
        "Install one of those (python.org, pyenv, or your system's packages, e.g. python3.12), then run make again;\n"
        "make takes the newest one on the PATH, or name it: make lab PYTHON=/path/to/python3.12"
        % (version[0], version[1], sys.executable, low, high)
    )
