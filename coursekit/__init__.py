"""coursekit: instructor tooling for the kit's nbgrader-format exercises.

Modules, one idea each: `cells` (cell kinds, markers, regions: the exercise format), `notebook_io`
(read, validate, write deterministically), `course` (the solutions/ and exercises/ layout), `release`
(the release steps), `leaks` (secret lines found in a release), `check` (validation), `execute`
(running notebooks in a kernel), `cli` (the `python -m coursekit` commands).
"""
