"""`python -m coursekit`: see coursekit.cli."""

from coursekit.cli import main

raise SystemExit(main())
