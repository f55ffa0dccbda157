"""The batch grader (`python -m coursekit grade`), one small step per module, in the order they run:

`assignment` (the source, its release and files), `submissions` (finding files, naming students), `prepare`
(read a submission, restore the instructor's cells), `kernel` (a sandboxed kernel), `run` (execute with time and
output limits), `score` (nbgrader's rules), `manual` (graders' points for written answers), `gradebook` (SQLite),
`feedback` (HTML per student), `report` (CSVs, progress, summary), `batch` (all of it, in parallel).
"""
