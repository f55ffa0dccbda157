"""Hostile submissions (tests/fixtures/submissions/hostile, made by make_hostile.py) in one batch with honest ones.

With the bubblewrap sandbox and the clean room (the tests run in a checker kernel that never runs student code,
cleanroom.py), no attack reads, writes, plants, connects or outlives its kernel, no score is forged, no test text
leaks, and the honest submissions are graded exactly as in an unprotected run. The same batch graded with
`--sandbox none` and the tests run in the student's kernel (as nbgrader runs them) is the negative control: there,
every attack succeeds, which shows that each test below can fail. The forging and leaking attacks are also graded
with the clean room but without the sandbox (`clean`), so that they are tested where bubblewrap cannot run.
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import signal
import site
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import grade_batch
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.janitor import TEMP_PREFIX
from coursekit.grading.kernels.sandbox import probe
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.options import Options
from coursekit.grading.submissions import find_submissions
from coursekit.notebook_io import notebook_text, read_notebook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE = FIXTURES / "submissions" / "hostile"
PORT = 47613  # as in make_hostile.py
LATE = "coursekit-hostile-late"
PLANTED = "coursekit_hostile_planted.pth"
CONTAINMENT = (
    "read_files", "read_proc", "write_outside", "plant_code", "network", "detached", "deep_tree", "keyring",
    "dev_a", "dev_b", "forks", "flood", "memfd",
)
FORGING = (  # blank answers plus a hook: full or partial marks when the tests run in the student's kernel
    "input_transformer", "ast_transformer", "event_hook", "trace_function", "hidden_errors",
    "iopub_filter", "guard_replaced", "ast_callbacks", "closure_edit", "always_equal",
)
PARTLY = {"patched_builtins": ("2", "0"), "patched_library": ("0", "0")}  # what their honest content earns
REFUSED = {  # what the row and the feedback page must say
    "always_equal": ["total_participants must be a plain int, got a subclass of int"],
    "guard_replaced": ["the answers could not be read"],  # its values come back as "[]"
}
LEAKING = ("leak_in",)
RED_TEAM = ("surrogate_error", "extra_names", "odd_text")  # found with the grader's source in hand
HONEST = ("honest", "peer")
HIDDEN_INPUTS = ("Miracle berry cures cancer", "MIRACLE, miracle!")  # text of the hidden tests only
# Hidden checks written with the libraries a student can patch (the copy of the source gets them; same answers).
HIDDEN_Q1 = (
    "import pandas as pd\n"
    "pd.testing.assert_series_equal(\n"
    "    pd.Series([count_hype_words(\"Miracle berry cures cancer\", {\"miracle\", \"cures\"}),\n"
    "               count_hype_words(\"MIRACLE, miracle!\", {\"miracle\"})]),\n"
    "    pd.Series([2, 2]),\n"
    ")\n"
)
HIDDEN_Q2 = "import colorsys  # imported by no other cell\nimport numpy\nassert numpy.isclose(total_participants, 60)\n"
PROBLEM = probe()
needs_bwrap = pytest.mark.skipif(bool(PROBLEM), reason=f"bubblewrap cannot run here: {PROBLEM}")
pytestmark = pytest.mark.slow


@dataclass
class Scene:
    """One graded batch: where it ran, the secrets planted, what the listener received, the rows."""

    root: Path
    home: Path
    out: Path
    secret: dict[str, str]
    received: list[bytes] = field(default_factory=list)
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    outputs: str = ""
    traces: list[Path] = field(default_factory=list)
    late_pids: list[int] = field(default_factory=list)
    phases: dict[str, int] = field(default_factory=dict)  # the batch's profile: how each kernel was made
    key_mode: int = 0  # the mode of the instructor's key file after the batch (a link to it was left in a tree)
    leftovers: list[Path] = field(default_factory=list)  # temporary folders of the grader left after the batch


def _late_processes() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if LATE.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _ours(folder: Path) -> bool:
    """Whether a temporary folder of the grader belongs to this process (another run may be grading too)."""
    try:
        return (folder / "owner.pid").read_text().strip() == str(os.getpid())
    except OSError:
        return False


def _planted() -> list[Path]:
    folders = {*site.getsitepackages(), site.getusersitepackages()}
    return [Path(f, PLANTED) for f in folders if Path(f, PLANTED).exists()]


def _traces(scene: Scene) -> list[Path]:
    """Files an attack left outside its sandbox."""
    names = ("coursekit-hostile-pwned.txt", f"{LATE}.txt")
    found = [p for name in names for p in [*scene.root.rglob(name), *scene.home.rglob(name), Path("/tmp", name)]]
    found = [p for p in dict.fromkeys(found) if p.exists()]
    found += [p for p in (scene.home / ".ipython").rglob("*coursekit-hostile*")]
    return found + _planted()


def _listen(received: list[bytes], stop: threading.Event) -> threading.Thread | None:
    """A loopback listener on PORT that keeps what it receives, until `stop`; None if the port is busy."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("127.0.0.1", PORT))
    except OSError:
        return None
    server.listen()
    server.settimeout(0.2)

    def serve() -> None:
        with server:
            while not stop.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                with conn:
                    conn.settimeout(2)
                    try:
                        received.append(conn.recv(100))
                    except OSError:
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def _with_library_checks(source: str, gid: str) -> str:
    """A test cell whose hidden part checks the same answers with pandas.testing (q1) or numpy.isclose (q2)."""
    begin, end = "### BEGIN HIDDEN TESTS\n", "### END HIDDEN TESTS"
    head, _, rest = source.partition(begin)
    _, _, tail = rest.partition(end)
    return head + begin + (HIDDEN_Q1 if gid == "q1-tests" else HIDDEN_Q2) + end + tail


def _grade(
    tmp: Path, mode: str, clean_room: bool, students: tuple[str, ...] | None = None, memory: int | None = None
) -> Scene:
    root = tmp / "course"
    for folder in ("solutions", "exercises"):
        shutil.copytree(FIXTURES / "assignments" / folder, root / folder)
    secret = {k: f"COURSEKIT-SECRET-{secrets.token_hex(8)}" for k in ("solutions", "peer", "home", "env")}
    source = root / "solutions" / "ps1" / "ps1.ipynb"
    nb = read_notebook(source)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in ("q1-tests", "q2-tests"):
            cell.source = _with_library_checks(cell.source, gid)
        if "### END HIDDEN TESTS" in cell.source:
            marker = "### END HIDDEN TESTS"
            cell.source = cell.source.replace(marker, f"# {secret['solutions']}\n{marker}")
    source.write_text(notebook_text(nb), encoding="utf-8")
    subs = root / "submissions"
    subs.mkdir()
    for path in HOSTILE.glob("*.ipynb"):
        if students is None or path.stem in students:
            shutil.copy(path, subs / path.name)
    peer = read_notebook(HOSTILE / "honest.ipynb")
    peer.cells[0].source += f"\n\n{secret['peer']}"
    (subs / "peer.ipynb").write_text(notebook_text(peer), encoding="utf-8")
    home = tmp / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(secret["home"])
    (home / ".ssh" / "id_rsa").chmod(0o600)
    scene = Scene(root, home, root / "out", secret)
    stop = threading.Event()
    listener = _listen(scene.received, stop)
    if listener is None:
        pytest.skip(f"port {PORT} is busy: the network attack's listener cannot start")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("COURSEKIT_TEST_TOKEN", secret["env"])
        mp.chdir(root)
        assignment = load_assignment(str(source))
        found = find_submissions([subs], "ps1", "ps1")
        limits = Limits(cell_timeout=10, notebook_timeout=60)
        options = Options(
            limits=limits if memory is None else replace(limits, memory=memory),
            jobs=2,
            sandbox=mode,
            clean_room=clean_room,
        )
        try:
            scene.phases = grade_batch(assignment, found, scene.out, options).profile.counts
            time.sleep(4.5)  # the detached process writes after 3 s
        finally:
            stop.set()
            listener.join()
    scene.rows = {r["student"]: r for r in csv.DictReader((scene.out / "grades.csv").open(encoding="utf-8"))}
    scene.outputs = "\n".join(
        p.read_text(encoding="utf-8", errors="ignore") for p in scene.out.rglob("*") if p.is_file()
    )
    scene.late_pids = _late_processes()
    scene.traces = _traces(scene)
    scene.key_mode = (home / ".ssh" / "id_rsa").stat().st_mode & 0o777
    scene.leftovers = [p for p in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*") if _ours(p)]
    return scene


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory) -> Scene:
    if PROBLEM:
        pytest.skip(f"bubblewrap cannot run here: {PROBLEM}")
    return _grade(tmp_path_factory.mktemp("sandboxed"), "bubblewrap", clean_room=True)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Scene:
    """The forging and leaking attacks with the clean room, without the sandbox (they touch nothing outside)."""
    students = (*FORGING, *PARTLY, *LEAKING, *RED_TEAM, "honest")
    return _grade(tmp_path_factory.mktemp("clean"), "none", clean_room=True, students=students)


@pytest.fixture(scope="module")
def unprotected(tmp_path_factory) -> Scene:
    """The negative control: no sandbox, tests in the student's kernel. What the attacks leave behind is noted,
    then removed."""
    scene = _grade(tmp_path_factory.mktemp("unprotected"), "none", clean_room=False, memory=0)  # no memory cap
    for pid in scene.late_pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for path in scene.traces:
        path.unlink(missing_ok=True)
    return scene


def _leak(scene: Scene, student: str) -> str:
    long_rows = csv.DictReader((scene.out / "grades-long.csv").open(encoding="utf-8"))
    return next(r["message"] for r in long_rows if r["student"] == student and r["question"] == "q1-tests")


def _score(row: dict[str, str]) -> tuple[str, str, str]:
    return row["q1-tests"], row["q2-tests"], row["status"]


def _feedback(scene: Scene, student: str) -> str:
    return (scene.out / "feedback" / f"{student}.html").read_text(encoding="utf-8")


# --- the negative control: every attack works without protection --------------------------------------------


@pytest.mark.parametrize("scene", ["unprotected", "sandboxed"])
def test_a_deep_read_only_tree_with_links_out_harms_neither_the_batch_nor_later_runs(scene, request):
    if scene == "sandboxed" and PROBLEM:
        pytest.skip(f"bubblewrap cannot run here: {PROBLEM}")
    graded = request.getfixturevalue(scene)
    assert _score(graded.rows["deep_tree"]) == ("2", "1", "graded")
    assert graded.key_mode == 0o600  # the clean-up followed no link
    assert graded.leftovers == []  # the batch's temporary folder is gone, tree and all
    assert (graded.out / "grades.csv").is_file() and len(graded.rows) >= 10


def test_control_unprotected_kernels_read_and_add_keys_in_the_keyring(unprotected):
    assert _answer_errors(unprotected, "keyring") == ["RuntimeError: KEYRING:read,added"]


@needs_bwrap
def test_each_kernel_has_its_own_dev_shm_and_cannot_write_dev(sandboxed):
    for student in ("dev_a", "dev_b"):  # neither finds what the other left, nor writes to /dev itself
        assert _answer_errors(sandboxed, student) == ["RuntimeError: DEV:found=0;wrote=/dev/shm"], student


def test_control_unprotected_kernels_start_any_number_of_processes(unprotected):
    assert _answer_errors(unprotected, "forks") == ["RuntimeError: FORKS:300"]


@needs_bwrap
@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="the grader runs as root: a sandboxed kernel's user is root on the host, which RLIMIT_NPROC never binds "
    "(as a normal user the cap holds: checked by hand with the same bwrap, 48 of 120 forks under a cap of 50)",
)
def test_the_number_of_processes_is_capped_in_the_sandbox(sandboxed):
    (error,) = _answer_errors(sandboxed, "forks")
    assert error.startswith("RuntimeError: FORKS:") and 0 < int(error.split(":")[-1]) < 256, error


@needs_bwrap
def test_a_flood_of_output_is_bounded_and_marked(sandboxed):
    # 3 displays of 40 MB: each is above kernels/client.MAX_MESSAGE, so the grader never holds one; the cell then hears
    # nothing more from its kernel and times out (the row says so)
    row = sandboxed.rows["flood"]
    assert _score(row) == ("2", "1", "graded") and "timed out" in row["message"], row


@needs_bwrap
def test_memory_files_are_refused_in_the_sandbox(sandboxed):
    assert _answer_errors(sandboxed, "memfd") == ["RuntimeError: MEMFD:refused"]


def test_control_unprotected_kernels_make_memory_files(unprotected):
    assert _answer_errors(unprotected, "memfd") == ["RuntimeError: MEMFD:allowed"]


@needs_bwrap
def test_the_keyring_is_refused_in_the_sandbox(sandboxed):
    assert _answer_errors(sandboxed, "keyring") == ["RuntimeError: KEYRING:refused,refused"]


def test_control_unprotected_reads_succeed(unprotected):
    files = _leak(unprotected, "read_files")
    assert unprotected.secret["solutions"] in files, files
    assert unprotected.secret["peer"] in files and unprotected.secret["home"] in files, files
    assert unprotected.secret["env"] in _leak(unprotected, "read_proc")


def test_control_unprotected_writes_plants_network_and_orphans_succeed(unprotected):
    traces = set(unprotected.traces)
    assert unprotected.root / "coursekit-hostile-pwned.txt" in traces
    assert unprotected.home / "coursekit-hostile-pwned.txt" in traces
    assert any(p.name == PLANTED for p in traces), "the .pth file was not planted in the virtual environment"
    assert any(p.name == "00-coursekit-hostile.py" for p in traces), "no IPython startup file was planted"
    assert b"COURSEKIT-NETWORK-LEAK" in unprotected.received
    assert unprotected.late_pids, "the detached process did not survive the batch"
    assert unprotected.root / f"{LATE}.txt" in traces, "the detached process wrote nothing after the batch"


@pytest.mark.parametrize("student", FORGING)
def test_control_in_kernel_hooks_forge_scores(unprotected, student):
    row = unprotected.rows[student]
    assert float(row["autograded"]) > 0, row  # blank answers, yet points
    assert row["status"] in ("graded", "unchanged")  # not flagged


def test_control_in_kernel_patched_builtin_and_libraries_forge_points(unprotected):
    assert _score(unprotected.rows["patched_builtins"]) == ("2", "1", "graded")
    assert _score(unprotected.rows["patched_library"]) == ("2", "1", "graded")  # both answers are wrong


def test_control_in_kernel_hidden_tests_leak_through_in(unprotected):
    leaked = unprotected.rows["leak_in"]["message"] + _feedback(unprotected, "leak_in")
    assert all(text in leaked for text in HIDDEN_INPUTS), leaked[:500]
    assert unprotected.secret["solutions"] in unprotected.outputs


# --- with the sandbox and the guard ---------------------------------------------------------------------------


@needs_bwrap
def test_the_sandboxed_batch_forked_its_kernels(sandboxed):
    # Every containment test below is about kernels forked by the batch's fork server (forkserver.py), the
    # default; test_sandbox.py checks what a kernel started by bwrap alone sees.
    assert sandboxed.phases.get("fork server") == 1 and "imports" not in sandboxed.phases


@needs_bwrap
def test_nothing_of_the_solution_is_visible_in_a_kernel(sandboxed):
    # a module only the hidden tests import: not on PID 1's command line (the fork server's), not in its
    # environment, not in sys.modules (kernels pre-import the release's imports), not in __main__
    assert sandboxed.rows["solution_imports"]["q1-tests"] == "2"
    errors = _answer_errors(sandboxed, "solution_imports")
    assert errors == ["RuntimeError: SEEN"], errors  # "SEEN:" and the places it was seen, none


def _answer_errors(scene: Scene, student: str) -> list[str]:
    """The errors of the student's own cells, as stored (without the cell's label)."""
    book = Gradebook(scene.out)
    try:
        result = next(r for r in book.results("ps1") if r.student == student)
    finally:
        book.close()
    return [e.split(": ", 1)[1] for e in result.answer_errors]


@needs_bwrap
def test_nothing_is_read_outside_the_sandbox(sandboxed):
    for student in ("read_files", "read_proc"):
        assert _leak(sandboxed, student) == "a public check failed: RuntimeError: LEAK[]"
    assert "COURSEKIT-SECRET" not in sandboxed.outputs


@needs_bwrap
def test_nothing_is_written_planted_or_left_behind(sandboxed):
    assert sandboxed.traces == []
    assert not (sandboxed.home / ".ipython").exists()
    assert sandboxed.late_pids == [] and _late_processes() == []


@needs_bwrap
def test_no_network_even_on_loopback(sandboxed):
    assert sandboxed.received == []


@needs_bwrap
@pytest.mark.parametrize("student", CONTAINMENT)
def test_containment_attacks_keep_their_honest_marks(sandboxed, student):
    q1 = "0" if student.startswith("read") else "2"  # the read attacks give up q1 to report what they found
    assert _score(sandboxed.rows[student]) == (q1, "1", "graded")
    assert sandboxed.rows[student]["sandbox"] == "bubblewrap"


def _forge_nothing(scene: Scene) -> None:
    lms = {r["student"]: r["total"] for r in csv.DictReader((scene.out / "grades-lms.csv").open(encoding="utf-8"))}
    for student in FORGING:
        row = scene.rows[student]
        assert (row["q1-tests"], row["q2-tests"]) == ("0", "0"), (student, row)
        # the hooks come with the release's blank answers: such a row is `unchanged` (its 0 exported)
        assert row["status"] == ("refused" if student in REFUSED else "unchanged"), (student, row)
        for what in REFUSED.get(student, []):
            assert what in row["message"] and what in _feedback(scene, student), (student, row["message"])
        if student in REFUSED:  # no score for the LMS: the instructor decides, with the reason in grades.csv
            assert lms[student] == "" and row["message"].startswith("REFUSED"), (student, lms[student])
    for student, marks in PARTLY.items():
        assert _score(scene.rows[student]) == (*marks, "graded"), (student, scene.rows[student])


def _leak_nothing(scene: Scene) -> None:
    row = scene.rows["leak_in"]
    assert _score(row) == ("2", "1", "graded"), row  # its honest answers
    assert "IN[" in row["message"] + _feedback(scene, "leak_in")  # its cells ran and raised what In held
    for text in (*HIDDEN_INPUTS, scene.secret["solutions"], "### BEGIN HIDDEN TESTS", "pd.testing"):
        assert text not in scene.outputs, text


def test_with_the_clean_room_hooks_and_patches_forge_nothing(clean):
    _forge_nothing(clean)


def test_with_the_clean_room_no_test_text_leaks(clean):
    _leak_nothing(clean)


def test_with_the_clean_room_honest_work_is_graded_as_without_it(clean, unprotected):
    got, control = clean.rows["honest"], unprotected.rows["honest"]
    for column in ("q1-tests", "q2-tests", "q3-written", "autograded", "total", "status", "message"):
        assert got[column] == control[column], column


@needs_bwrap
def test_sandboxed_hooks_and_patches_forge_nothing(sandboxed):
    _forge_nothing(sandboxed)


@needs_bwrap
def test_sandboxed_no_test_text_leaks(sandboxed):
    _leak_nothing(sandboxed)


@needs_bwrap
def test_honest_submissions_are_graded_exactly_as_without_protection(sandboxed, unprotected):
    for student in HONEST:
        got, control = sandboxed.rows[student], unprotected.rows[student]
        assert _score(got) == ("2", "1", "graded")
        for column in ("q1-tests", "q2-tests", "q3-written", "autograded", "total", "status", "message"):
            assert got[column] == control[column], (student, column)
    assert unprotected.rows["honest"]["sandbox"] == "none"


# --- found by a red team with the grader's source in hand ------------------------------------------------------


def test_with_the_clean_room_an_error_that_cannot_be_sent_still_fails_its_test(clean):
    # the checker's reply, not the absence of an error message, says a test passed; the message is made sendable
    row = clean.rows["surrogate_error"]
    assert _score(row) == ("0", "1", "graded"), row
    assert "\\ud800" in _feedback(clean, "surrogate_error")


def test_control_in_kernel_an_error_that_cannot_be_sent_passes_its_test(unprotected):
    assert _score(unprotected.rows["surrogate_error"]) == ("2", "1", "graded")


def test_with_the_clean_room_names_the_tests_did_not_ask_for_are_not_bound(clean):
    row = clean.rows["extra_names"]
    assert (row["q1-tests"], row["status"]) == ("0", "refused"), row  # its function returns floats
    assert "did not ask for (isinstance)" in row["message"], row["message"]


def test_control_in_kernel_the_students_isinstance_passes_the_check(unprotected):
    assert _score(unprotected.rows["extra_names"])[0] == "2"


def test_text_a_kernel_cannot_encode_is_written_escaped_and_the_batch_goes_on(clean):
    row = clean.rows["odd_text"]
    assert row["status"] == "refused" and "odd \\ud800 text" in row["message"], row
    assert "odd \\ud800 text" in _feedback(clean, "odd_text")
    with pytest.raises(UnicodeEncodeError):  # control: the text as the kernel sent it cannot be written as UTF-8
        (clean.root / "control.txt").write_text("odd \ud800 text", encoding="utf-8")


@needs_bwrap
def test_a_kernel_whose_children_pass_its_memory_cap_is_stopped_and_keeps_its_marks(sandboxed):
    row = sandboxed.rows["memory_children"]
    assert (row["q1-tests"], row["q2-tests"], row["status"]) == ("2", "1", "error"), row
    assert "above the 2048 MB limit, and the grader stopped it" in row["message"], row["message"]


def test_control_unprotected_children_hold_more_than_the_cap(unprotected):
    assert _answer_errors(unprotected, "memory_children") == ["RuntimeError: MEMORY:held=3,alive=3"]
