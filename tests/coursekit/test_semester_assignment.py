"""Issue 12, "every notebook knows its assignment": the release stamp, refusing a release as ASSIGNMENT, telling
another assignment's submission apart (by stamp, and by grade ids for older files), `check` accepting nbgrader's
checksums, options that cannot reuse stale grades, statuses in one enum module, stale temp folders."""

from __future__ import annotations

import copy
import dataclasses
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from coursekit import check, release
from coursekit.errors import UnknownAssignmentError
from coursekit.grading import janitor, prepare
from coursekit.grading.assignment import load_assignment
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.options import Options
from coursekit.grading.prepare import SubmissionProblem, check_assignment, restore
from coursekit.grading.status import QuestionStatus, Status
from coursekit.notebook_io import notebook_text

REPO = Path(__file__).resolve().parents[2]
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "assignments"


def test_release_stamps_assignment_and_version(course):
    release.release(course, ["ps1"])
    nb = nbformat.read(course / "exercises/ps1/ps1.ipynb", 4)
    assert nb.metadata["coursekit"]["assignment"] == "ps1"
    version = nb.metadata["coursekit"]["version"]
    # the version follows what students get: changing a test cell's text changes it, outputs do not
    src = course / "solutions/ps1/ps1.ipynb"
    source = nbformat.read(src, 4)
    test_cell = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test_cell.source += "\nassert True"
    nbformat.write(source, src)
    release.release(course, ["ps1"])
    assert nbformat.read(course / "exercises/ps1/ps1.ipynb", 4).metadata["coursekit"]["version"] != version


def test_a_release_as_assignment_is_refused(course):
    release.release(course, ["ps1"])
    with pytest.raises(UnknownAssignmentError, match="released exercise"):
        load_assignment(str(course / "exercises/ps1/ps1.ipynb"), course)
    # a copy of the release moved elsewhere and stripped of its stamp: no solutions, no hidden tests
    nb = nbformat.read(course / "exercises/ps1/ps1.ipynb", 4)
    del nb.metadata["coursekit"]
    (course / "elsewhere").mkdir()
    nbformat.write(nb, course / "elsewhere/ps1.ipynb")
    with pytest.raises(UnknownAssignmentError, match="looks like a release"):
        load_assignment(str(course / "elsewhere/ps1.ipynb"), course)


def test_a_copy_of_the_source_without_its_hidden_tests_is_refused(course):
    src = nbformat.read(course / "solutions/ps1/ps1.ipynb", 4)
    nb = release.clear_hidden_tests(src)
    assert notebook_text(nb) != notebook_text(src)
    (course / "mine/ps1").mkdir(parents=True)
    nbformat.write(nb, course / "mine/ps1/ps1.ipynb")
    with pytest.raises(UnknownAssignmentError, match="lacks the hidden tests"):
        load_assignment(str(course / "mine/ps1/ps1.ipynb"), course)


def test_the_real_sources_load_and_releases_of_them_do_not():
    assignment = load_assignment("01-hype", REPO)
    assert set(assignment.others) == {"00-inventory-pre", "02-evidence", "03-mechanism", "04-capstone", "05-inventory-post"}
    with pytest.raises(UnknownAssignmentError):
        load_assignment(str(REPO / "exercises/01-hype/hype.ipynb"), REPO)


def _unstamped_release(assignment_id: str) -> nbformat.NotebookNode:
    nb = nbformat.read(REPO / "exercises" / assignment_id / f"{assignment_id.split('-', 1)[1]}.ipynb", 4)
    nb.metadata.pop("coursekit", None)
    return nb


def test_another_assignments_notebook_is_wrong_assignment_by_stamp_and_by_grade_ids():
    hype = load_assignment("01-hype", REPO)
    mechanism = nbformat.read(REPO / "exercises/03-mechanism/mechanism.ipynb", 4)
    with pytest.raises(SubmissionProblem) as stamped:
        check_assignment(mechanism, hype.source, hype.id, hype.others)
    assert stamped.value.status == Status.WRONG_ASSIGNMENT and "03-mechanism" in stamped.value.message
    # an older, unstamped copy: the grade ids q1-answer... are shared, but q6-buggy, q8-written are 03's own
    with pytest.raises(SubmissionProblem) as by_ids:
        check_assignment(_unstamped_release("03-mechanism"), hype.source, hype.id, hype.others)
    assert by_ids.value.status == "wrong-assignment" and "03-mechanism" in by_ids.value.message
    # the right assignment's own release, stamped or not, passes
    check_assignment(
        nbformat.read(REPO / "exercises/01-hype/hype.ipynb", 4), hype.source, hype.id, hype.others
    )
    check_assignment(_unstamped_release("01-hype"), hype.source, hype.id, hype.others)


def test_changes_of_a_re_release_are_not_blamed_on_the_student():
    ps1 = load_assignment("ps1", FIXTURE_ROOT)
    old = copy.deepcopy(ps1.release)
    test_cell = next(c for c in old.cells if c.metadata.get("nbgrader", {}).get("grade"))
    test_cell.source = "# the first release's version of the public check\n" + test_cell.source
    old = release.stamp(old, "ps1")  # stamped with the old release's version
    prepared = restore(old, ps1.source, ps1.release)
    assert any(n.endswith(prepare.CHANGED_NOTE) for n in prepared.notes)
    prepare.forgive_rerelease(old, ps1.release_version, prepared.notes)
    assert not any(n.endswith(prepare.CHANGED_NOTE) for n in prepared.notes)
    assert any("earlier release" in n for n in prepared.notes)
    # the same edit in a notebook of the current release is the student's, and is reported
    current = release.stamp(copy.deepcopy(old), "ps1")
    current.metadata["coursekit"]["version"] = ps1.release_version
    notes = restore(current, ps1.source, ps1.release).notes
    prepare.forgive_rerelease(current, ps1.release_version, notes)
    assert any(n.endswith(prepare.CHANGED_NOTE) for n in notes)


def test_check_accepts_a_release_with_nbgrader_checksums_but_not_a_changed_one(course):
    release.release(course, ["ps1"])
    target = course / "exercises/ps1/ps1.ipynb"
    nb = nbformat.read(target, 4)
    del nb.metadata["coursekit"]  # nbgrader writes no stamp
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["checksum"] = "0123456789abcdef0123456789abcdef"
    nbformat.write(nb, target)  # nbformat's own formatting, as nbgrader writes
    assert not [p for p in check.check_course(course).errors if "stale" in p.message]
    nb.cells[0].source += " (edited)"
    nbformat.write(nb, target)
    assert [p for p in check.check_course(course).errors if "stale" in p.message]


def test_every_grading_option_is_in_the_fingerprint_and_jobs_is_not():
    ps1 = load_assignment("ps1", FIXTURE_ROOT)
    base = Options()
    assert base.fingerprint(ps1) == Options(jobs=7, regrade=True).fingerprint(ps1)
    assert base.fingerprint(ps1) != Options(stderr_fails=True).fingerprint(ps1)
    # the CLI gives floats, a script may give ints: the same limit is the same fingerprint
    assert Options(limits=Limits(cell_timeout=4)).fingerprint(ps1) == Options(
        limits=Limits(cell_timeout=4.0)
    ).fingerprint(ps1)
    for f in dataclasses.fields(Limits):  # each limit, including ones added later
        changed = dataclasses.replace(Limits(), **{f.name: getattr(Limits(), f.name) + 1})
        assert Options(limits=changed).fingerprint(ps1) != base.fingerprint(ps1), f.name

    @dataclasses.dataclass(frozen=True)
    class MoreOptions(Options):
        new_rule: bool = False

    assert MoreOptions(new_rule=True).fingerprint(ps1) != MoreOptions().fingerprint(ps1)


def test_options_cannot_be_changed_by_the_batch():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Options().jobs = 3  # type: ignore[misc]


def test_statuses_are_one_enum_each_and_read_as_their_text():
    assert Status.GRADED == "graded" and QuestionStatus.MARKED == "graded by hand"
    assert Status.GRADED.value != QuestionStatus.MARKED.value  # 'graded' no longer means two things
    from coursekit.grading import run

    assert run.TIMEOUT == "timeout" and run.DIED == "kernel died"


def test_stale_temp_folders_of_dead_runs_are_removed(tmp_path):
    dead = tmp_path / f"{janitor.TEMP_PREFIX}dead"
    alive = tmp_path / f"{janitor.TEMP_PREFIX}alive"
    old_unowned = tmp_path / f"{janitor.TEMP_PREFIX}old"
    new_unowned = tmp_path / f"{janitor.TEMP_PREFIX}new"
    other = tmp_path / "something-else"
    for folder in (dead, alive, old_unowned, new_unowned, other):
        (folder / "sub-x" / "work").mkdir(parents=True)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # a pid that is certainly gone
    (dead / janitor.OWNER_FILE).write_text(str(pid))
    (alive / janitor.OWNER_FILE).write_text(str(os.getpid()))
    day_ago = time.time() - 24 * 3600
    os.utime(old_unowned, (day_ago, day_ago))
    removed = janitor.remove_stale_temp(tmp_path)
    assert sorted(removed) == sorted([dead, old_unowned])
    assert alive.is_dir() and new_unowned.is_dir() and other.is_dir() and not dead.exists()
    shutil.rmtree(alive)


def test_stale_kernel_connection_files_of_the_sandbox_are_removed_and_no_others(tmp_path):
    old = time.time() - 3600
    ours = tmp_path / "tmpabc123.json"
    ours.write_text('{"shell_port": 1, "kernel_name": "coursekit-sandbox"}')
    fresh = tmp_path / "tmpnew.json"
    fresh.write_text('{"shell_port": 1, "kernel_name": "coursekit-sandbox"}')
    someone_elses = tmp_path / "tmpother.json"
    someone_elses.write_text('{"shell_port": 1, "kernel_name": "python3"}')
    for path in (ours, someone_elses):
        os.utime(path, (old, old))
    assert janitor.remove_stale_temp(tmp_path) == [ours]
    assert fresh.is_file() and someone_elses.is_file()
    # a connection file as the grader's kernel manager writes it is one the janitor recognises
    from coursekit.grading.kernels.process import ProcessKernel
    from coursekit.grading.kernels.spec import KernelSpec

    written = ProcessKernel(tmp_path, KernelSpec()).km
    written.connection_file = str(tmp_path / "tmpwritten.json")
    written.write_connection_file()
    os.utime(written.connection_file, (old, old))
    assert janitor.remove_stale_temp(tmp_path) == [Path(written.connection_file)]


@pytest.mark.kernel
def test_ctrl_c_stops_cleanly_saves_what_was_graded_and_resumes(tmp_path):
    import signal
    import subprocess
    import sys

    submissions = REPO / "tests" / "fixtures" / "submissions" / "ps1"
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "coursekit", "grade", "ps1", str(submissions), "--root", str(FIXTURE_ROOT)]
    argv += ["--out", str(out), "--jobs", "2", "--cell-timeout", "4", "--timeout", "9"]
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(
            signal.SIGINT, signal.SIG_DFL
        ),  # a shell's background job ignores it
    )
    first = proc.stderr.readline()
    assert first.startswith("[1/")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1].startswith("coursekit grade: interrupted; ")
    assert "run the same command to resume" in err and "Traceback" not in err
    saved = int(err.split("interrupted; ")[1].split()[0])
    assert saved >= 1
    leftover = [
        p
        for p in Path(tempfile.gettempdir()).glob(f"{janitor.TEMP_PREFIX}*")
        if (p / janitor.OWNER_FILE).is_file() and (p / janitor.OWNER_FILE).read_text().strip() == str(proc.pid)
    ]
    assert leftover == []
    from coursekit.grading.gradebook import Gradebook

    book = Gradebook(out)
    try:
        assert len(book.students("ps1")) == saved
    finally:
        book.close()
