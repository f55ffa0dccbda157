"""nbgrader configuration for courses that run nbgrader on this kit (JupyterHub or locally).

The kit's graded notebooks use nbgrader's cell format with `solutions/` as the source folder and
`exercises/` as the release folder, so `nbgrader generate_assignment 01-hype` writes the same release as
`python -m coursekit release 01-hype`.
"""

c = get_config()  # noqa: F821  (injected by nbgrader)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The kit keeps each written question's rubric in its answer cell (a mark-scheme region), so nbgrader must not
# insist that mark schemes sit only in cells flagged as tasks.
c.ClearMarkScheme.enforce_metadata = False
