"""`python -m coursekit`: see coursekit.cli."""

from coursekit.startup import skip_iri_grammar

skip_iri_grammar()  # before nbformat, via coursekit.cli, imports jsonschema (see coursekit/startup.py)

from coursekit.cli import main  # noqa: E402

raise SystemExit(main())
