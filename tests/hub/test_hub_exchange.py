"""Collection with nbgrader's exchange, then `coursekit grade` on the collected folder.

The instructor releases 01-hype to the exchange (`nbgrader release_assignment`), three students fetch it into their
own home folders, work (one hands in the solution, one the release unchanged, one the usual mistakes) and submit,
and the instructor collects (`nbgrader collect`): `coursekit grade` then grades nbgrader's submitted/ folder, and
`nbgrader autograde` gives the same scores.

Run with nbgrader's command line, as a hub user runs it in a terminal (the Assignments tab calls the same code),
with the exchange in a temporary folder. On a real hub each student is a user of their own (Zero to JupyterHub's
containers run as `jovyan` and nbgrader then takes the name from JUPYTERHUB_USER); here all three are this
process's user, so each names themself with `--student`, as on the demo hub of `make hub`.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shared_nbgrader

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "01-hype"
COURSE = "hype"
STUDENTS = {"student1": "solved", "student2": "unchanged", "student3": "mistaken"}

pytestmark = pytest.mark.slow


def _nbgrader(cwd: Path, *args: str, user: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTERHUB_USER": user, "HOME": str(cwd)}
    done = subprocess.run([sys.executable, "-c", shared_nbgrader.NBGRADER, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} as {user}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_release_fetch_submit_collect_then_coursekit_grade(tmp_path, exercise_submissions):
    pytest.importorskip("nbgrader.api")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader's docs set /srv/nbgrader/exchange up
    course = tmp_path / "instructor" / "course"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copytree(ROOT / "exercises" / ASSIGNMENT, course / "exercises" / ASSIGNMENT)
    config = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    config += f'\nc.CourseDirectory.course_id = "{COURSE}"\nc.Exchange.root = "{exchange}"\n'
    (course / "nbgrader_config.py").write_text(config, encoding="utf-8")
    student_config = f'c = get_config()  # noqa: F821\nc.Exchange.root = "{exchange}"\n'

    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", user="instructor")  # = coursekit release
    _nbgrader(course, "release_assignment", ASSIGNMENT, user="instructor")
    assert (exchange / COURSE / "outbound" / ASSIGNMENT).is_dir()

    for student, kind in STUDENTS.items():
        home = tmp_path / "home" / student
        home.mkdir(parents=True)
        (home / "nbgrader_config.py").write_text(student_config, encoding="utf-8")
        _nbgrader(home, "fetch_assignment", ASSIGNMENT, "--course", COURSE, user=student)
        (fetched,) = (home / ASSIGNMENT).glob("*.ipynb")
        shutil.copy(exercise_submissions[ASSIGNMENT][kind], fetched)  # the student's work, saved
        _nbgrader(home, "submit", ASSIGNMENT, "--course", COURSE, f"--student={student}", user=student)

    log = _nbgrader(course, "collect", ASSIGNMENT, user="instructor")
    collected = {p.parts[-3]: p for p in (course / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb")}
    assert set(collected) == set(STUDENTS), log

    out = tmp_path / "grades"
    done = subprocess.run(
        [sys.executable, "-m", "coursekit", "grade", ASSIGNMENT, str(course / "submitted"), "--out", str(out),
         "--root", str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(STUDENTS), rows.keys()
    auto = {student: float(row["autograded"]) for student, row in rows.items()}
    maximum = float(rows["student1"]["autograded_max"])
    assert auto["student1"] == maximum > 0, rows["student1"]
    assert auto["student2"] == 0, rows["student2"]
    assert 0 <= auto["student3"] < maximum, rows["student3"]

    # nbgrader grades the same collected folder and agrees (as tests/coursekit/test_nbgrader_agreement.py shows
    # on the fixture course).
    from nbgrader.api import Gradebook

    _nbgrader(course, "autograde", ASSIGNMENT, "--force", "--ExecutePreprocessor.timeout=120", user="instructor")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        theirs = {s: gradebook.find_submission_notebook("hype", ASSIGNMENT, s).code_score for s in STUDENTS}
    assert theirs == auto, (theirs, auto)
