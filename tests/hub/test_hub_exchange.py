"""Collection with nbgrader's exchange, then `coursekit grade` on the collected folder.

The instructor releases 01-hype to the exchange (`nbgrader release_assignment`), three students fetch it into their
own home folders, work (one hands in the solution, one the release unchanged, one the usual mistakes) and submit,
and the instructor collects (`nbgrader collect`): `coursekit grade` then grades nbgrader's submitted/ folder, and
`nbgrader autograde` gives the same scores.

Run with nbgrader's command line, as a hub user runs it in a terminal (the Assignments tab calls the same code),
with the nbgrader configuration the demo hub of `make hub` gives each user's server (hub/jupyterhub_config.py,
run here with a temporary state folder): its exchange, its course id, and each student named by their hub login
(JUPYTERHUB_USER), since all servers of the demo hub run as one Unix user. On a real hub each student is a user
of their own (Zero to JupyterHub's containers run as `jovyan`, and nbgrader then takes the name from
JUPYTERHUB_USER).
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


def _hub_nbgrader_config(state: Path) -> Path:
    """Run the demo hub's configuration file as JupyterHub would, with `state` as its state folder; return the
    folder of the nbgrader configuration it writes for the users' servers (their JUPYTER_CONFIG_PATH)."""
    from traitlets.config import Config

    path = ROOT / "hub" / "jupyterhub_config.py"
    previous = os.environ.get("H2M_HUB_STATE")
    os.environ["H2M_HUB_STATE"] = str(state)
    try:
        config = Config()
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {"get_config": lambda: config,
                                                                           "__file__": str(path)})
    finally:
        if previous is None:
            del os.environ["H2M_HUB_STATE"]
        else:
            os.environ["H2M_HUB_STATE"] = previous
    return Path(config.Spawner.environment["JUPYTER_CONFIG_PATH"])


def _nbgrader(cwd: Path, *args: str, user: str, config_path: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "JUPYTERHUB_USER": user, "HOME": str(cwd), "JUPYTER_CONFIG_PATH": str(config_path)}
    done = subprocess.run([sys.executable, "-c", shared_nbgrader.NBGRADER, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} as {user}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def test_release_fetch_submit_collect_then_coursekit_grade(tmp_path, exercise_submissions):
    pytest.importorskip("nbgrader.api")
    state = tmp_path / "hub-state"
    hub_config = _hub_nbgrader_config(state)
    exchange = state / "exchange"
    assert exchange.is_dir() and (hub_config / "nbgrader_config.py").is_file()
    course = tmp_path / "instructor" / "course"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copytree(ROOT / "exercises" / ASSIGNMENT, course / "exercises" / ASSIGNMENT)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")  # the kit's; the hub's adds the rest

    # generate_assignment writes the same release as `coursekit release` and registers its notebooks
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", user="instructor", config_path=hub_config)
    _nbgrader(course, "release_assignment", ASSIGNMENT, user="instructor", config_path=hub_config)
    assert (exchange / COURSE / "outbound" / ASSIGNMENT).is_dir()

    for student, kind in STUDENTS.items():
        home = tmp_path / "home" / student
        home.mkdir(parents=True)
        _nbgrader(home, "fetch_assignment", ASSIGNMENT, user=student, config_path=hub_config)
        (fetched,) = (home / ASSIGNMENT).glob("*.ipynb")
        shutil.copy(exercise_submissions[ASSIGNMENT][kind], fetched)  # the student's work, saved
        _nbgrader(home, "submit", ASSIGNMENT, user=student, config_path=hub_config)

    log = _nbgrader(course, "collect", ASSIGNMENT, user="instructor", config_path=hub_config)
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

    _nbgrader(course, "autograde", ASSIGNMENT, "--force", "--ExecutePreprocessor.timeout=120", user="instructor",
              config_path=hub_config)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        theirs = {s: gradebook.find_submission_notebook("hype", ASSIGNMENT, s).code_score for s in STUDENTS}
    assert theirs == auto, (theirs, auto)
