"""Errors that the command line reports as one line, without a traceback."""

from __future__ import annotations


class CoursekitError(Exception):
    """A problem with the user's input, reported as one line; `exit_code` is what the CLI returns."""

    exit_code: int = 2


class NotebookReadError(CoursekitError):
    """A notebook file is missing, unreadable, not JSON or not a valid nbformat 4 notebook."""


class UnknownAssignmentError(CoursekitError):
    """An assignment named on the command line has no folder under `solutions/`."""


class MarkerError(CoursekitError):
    """Unbalanced or nested markers, or markers in a cell kind that may not hold them."""


class NotebookExecutionError(CoursekitError):
    """A cell raised an error or timed out while a notebook was executed."""

    exit_code = 1
