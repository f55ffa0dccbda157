"""Start-up shortcuts for the kit's own processes: `python -m coursekit`, the test run, the nbgrader runs of the
tests.

`skip_iri_grammar()`: jsonschema (which nbformat uses to validate notebooks) imports the optional package
`rfc3987_syntax`, when it is installed, only to check the "iri" and "iri-reference" string formats; JupyterLab's
`jupyter_events` has it installed. Importing it builds a Lark grammar: about 1.1 s of CPU per process on the
kit's 2-core machine, more than the rest of nbformat. Notebook schemas use neither format. Marking the module
absent before jsonschema is first imported makes jsonschema leave out those two format checks, exactly as when
the package is not installed; nothing else changes. It is called only where the kit owns the whole process.
"""

from __future__ import annotations

import sys

IRI_GRAMMAR = "rfc3987_syntax"


def skip_iri_grammar() -> bool:
    """Mark `rfc3987_syntax` absent unless something already imported it; True if it is now marked absent."""
    if IRI_GRAMMAR in sys.modules and sys.modules[IRI_GRAMMAR] is not None:
        return False
    sys.modules[IRI_GRAMMAR] = None  # type: ignore[assignment]  # `import` now raises ImportError, as when absent
    return True
