"""The batch grader (`python -m coursekit grade`), one small step per module, in the order they run:

`assignment` (the source, its release and files), `submissions` (finding files, naming students), `roster` and
`deadlines` (who is in the class, and when each was due), `options` (how to grade, and its fingerprint),
`janitor` (the run's temporary folders), `pool` (imports, font cache, slots started ahead of need), `kernels/`
(how a kernel is described, started, contained and stopped: see its `__init__`), `slot` (a student kernel and its
clean-room checker), `steps` (grading one submission: `GRADE_STEPS`), `prepare` (read a submission, restore the
instructor's cells), `run` (execute with time and output limits), `cleanroom` (tests run in a checker that never
runs student code), `score` (nbgrader's rules), `manual` (graders' points for written answers), `gradebook`
(SQLite), `feedback` (HTML per student), `report` (CSVs, progress, summary), `batch` (all of it, in parallel).
"""
