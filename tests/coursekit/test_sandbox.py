"""The bubblewrap sandbox (coursekit/grading/kernels/sandbox.py): what `--sandbox` chooses and says, and what a kernel
inside can see and do, asked from inside the kernel itself."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from coursekit.cli import main
from coursekit.grading.assignment import load_assignment
from coursekit.grading.kernels import sandbox
from coursekit.grading.kernels.forkserver import forked_kernel, start_server
from coursekit.grading.kernels.process import started
from coursekit.grading.kernels.sandbox import BwrapSpec, bwrap_argv, containment, diagnose, sandbox_folder
from coursekit.grading.kernels.spec import KernelSpec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SOURCE = FIXTURES / "assignments" / "solutions" / "ps1" / "ps1.ipynb"
RELEASE = FIXTURES / "assignments" / "exercises" / "ps1" / "ps1.ipynb"
REPO = Path(__file__).resolve().parents[2]
PROBLEM = sandbox.probe()
needs_bwrap = pytest.mark.skipif(bool(PROBLEM), reason=f"bubblewrap cannot run here: {PROBLEM}")


# --- choosing --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stderr",
    [
        "bwrap: setting up uid map: Permission denied",
        "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted",
    ],
)
def test_user_namespace_failures_are_recognised_with_both_fixes(stderr):
    reason = diagnose(stderr)
    assert "bwrap-userns-restrict" in reason and "kernel.apparmor_restrict_unprivileged_userns=0" in reason
    assert "\n" not in reason


def test_missing_bwrap_is_reported_with_the_install_command(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    reason = sandbox.probe()
    assert "not installed" in reason and "apt-get install bubblewrap" in reason


def test_sandbox_bubblewrap_fails_at_once_with_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    code = main(
        ["grade", str(SOURCE), str(RELEASE), "--out", str(tmp_path / "out"), "--sandbox", "bubblewrap"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and "apt-get install bubblewrap" in err, err
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_auto_without_bubblewrap_grades_unsandboxed_with_a_loud_warning(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sandbox, "probe", lambda bwrap=None: "bubblewrap (bwrap) is not installed: install it")
    code = main(["grade", str(SOURCE), str(RELEASE), "--out", str(tmp_path / "out"), "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "WARNING: graded WITHOUT a sandbox (bubblewrap (bwrap) is not installed" in out
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8")))
    assert [r["sandbox"] for r in rows] == ["none"]


def test_sandbox_none_does_not_probe(monkeypatch):
    def fail(bwrap=None):
        raise AssertionError("probed")

    monkeypatch.setattr(sandbox, "probe", fail)
    assert containment("none", []).choice.mode == "none"


def test_readonly_paths_never_show_a_protected_folder():
    protected = [REPO / "tests", REPO / "solutions"]
    shown = sandbox.readonly_paths(protected)
    assert shown, "the Python installation must be shown"
    for path in shown:
        for folder in protected:
            assert not (folder == path or path in folder.parents or folder in path.parents), (path, folder)


def test_argv_isolates_and_drops_privileges():
    spec = BwrapSpec(Path("/s"), Path("/s/r/work"), Path("/s/r/inputs"), Path("/s/r/run"), (Path("/py"),))
    argv = bwrap_argv(spec, ["python"])
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net"):
        assert flag in argv
    assert ["--cap-drop", "ALL"] == argv[argv.index("--cap-drop") : argv.index("--cap-drop") + 2]
    assert "--die-with-parent" in argv and "--new-session" in argv and "--clearenv" in argv
    assert ["--ro-bind", "/py", "/py"] == argv[argv.index("/py") - 1 : argv.index("/py") + 2]
    assert ["--bind", "/s/r/run", "/s/r/run"] == argv[argv.index("--bind") : argv.index("--bind") + 3]
    assert argv[-2:] == ["--", "python"]


# --- inside the sandbox ----------------------------------------------------------------------------------------

PROBE_CODE = r"""
import json, os, pathlib, socket, sys
facts = {}
facts["uid"] = os.getuid()
facts["caps"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapBnd"))]
facts["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
facts["env"] = sorted(os.environ)
facts["home"] = os.listdir(os.path.expanduser("~"))
facts["tmp"] = os.listdir("/tmp")
facts["cwd"] = sorted(os.listdir("."))
facts["interfaces"] = sorted(name for _, name in socket.if_nameindex())
facts["repo"] = sorted(os.listdir(REPO)) if os.path.isdir(REPO) else []
facts["shadow"] = os.path.exists("/etc/shadow")
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    facts["connect"] = "connected"
except OSError as exc:
    facts["connect"] = type(exc).__name__
try:
    open(os.path.join(sys.prefix, "planted.txt"), "w").close()
    facts["write_prefix"] = "written"
except OSError as exc:
    facts["write_prefix"] = type(exc).__name__
open("answer.txt", "w").write("fine")
facts["write_cwd"] = open("answer.txt").read()
import appraisal
facts["appraisal"] = bool(appraisal.__file__)
print(json.dumps(facts))
"""


@needs_bwrap
@pytest.mark.parametrize("launch", ["bwrap", "forked"])
def test_what_a_sandboxed_kernel_sees(tmp_path, monkeypatch, launch):
    """The same facts for a kernel started by bwrap_argv and for one forked by the batch's fork server."""
    monkeypatch.setenv("COURSEKIT_TEST_TOKEN", "instructor-secret")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    assignment = load_assignment(str(SOURCE))
    # The kit's data/ is shown read-only, as when grading the kit's own assignments: importing appraisal reads it.
    box = containment("bubblewrap", [SOURCE.parent, tmp_path], REPO / "data")
    assert box.sandboxed

    async def ask() -> dict:
        spec = KernelSpec(files=tuple(assignment.files), data_dir=box.data_dir, env={"NBGRADER_EXECUTION": "autograde"})
        server = None
        if launch == "forked":
            server, why = await start_server(tmp_path, box, replace(spec, imports=(("appraisal", ()),)))
            assert server is not None, why
            _root, kernel = forked_kernel(server, tmp_path, box, spec)
            await kernel.start()
        else:
            root, bwrap, data_at = sandbox_folder(tmp_path, assignment.files, box)
            kernel = await started(bwrap.work, spec, bwrap, data_at)
        try:
            code = PROBE_CODE.replace("REPO", repr(str(REPO))).replace("PORT", str(port))
            msg_id = kernel.kc.execute(code)
            while True:
                msg = await kernel.kc.get_iopub_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    return json.loads(msg["content"]["text"])
                if msg["msg_type"] == "error":
                    raise AssertionError(msg["content"]["evalue"])
        finally:
            await kernel.stop()
            if server is not None:
                await server.close()

    try:
        facts = asyncio.run(ask())
    finally:
        listener.close()
    assert facts["uid"] != 0 and set(facts["caps"]) == {"0000000000000000"}
    assert len(facts["pids"]) <= 3, facts["pids"]  # bwrap's init and the kernel: no process of the host
    assert "COURSEKIT_TEST_TOKEN" not in facts["env"] and "VIRTUAL_ENV" not in facts["env"]
    assert set(facts["home"]) <= {".ipython"}  # only what IPython made at start
    # An empty /tmp, but for the way to the folders bound into the sandbox that live under /tmp: the kernel's own
    # scratch folder, and the Python installation and the kit when the checkout itself is under /tmp.
    bound = [tmp_path.resolve(), REPO, Path(sys.prefix).resolve()]
    ways = {p.relative_to("/tmp").parts[0] for p in bound if p.is_relative_to("/tmp") and p != Path("/tmp")}
    assert set(facts["tmp"]) <= ways, facts["tmp"]
    assert facts["cwd"] == ["headlines.csv"]
    assert facts["interfaces"] == ["lo"] and facts["connect"] != "connected"
    assert "solutions" not in facts["repo"] and "tests" not in facts["repo"]
    assert facts["shadow"] is False
    assert facts["write_prefix"] != "written" and facts["write_cwd"] == "fine"
    assert facts["appraisal"] is True
    assert not (Path(sys.prefix) / "planted.txt").exists()
    assert all(not (p / "work").exists() for p in tmp_path.iterdir())  # the working folder was never the host's


@needs_bwrap
@pytest.mark.slow
def test_a_kernel_that_ignores_interrupts_is_restarted_inside_the_sandbox(tmp_path):
    nb = nbformat.read(RELEASE, as_version=4)
    answers = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")]
    nb.cells[answers[0]].source = (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    )
    nb.cells[answers[1]].source = 'total_participants = sum(int(row["participants"]) for row in headlines)'
    nb.cells.insert(answers[1], new_code_cell(nb.cells[1].source))  # the setup cell again: headlines
    path = tmp_path / "stubborn.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out"
    code = main(["grade", str(SOURCE), str(path), "--out", str(out), "--cell-timeout", "3", "--jobs", "1"])
    assert code == 0
    row = next(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert (row["q1-tests"], row["q2-tests"], row["status"], row["sandbox"]) == ("0", "1", "graded", "bubblewrap")
    assert "the kernel was restarted" in row["message"]
    assert os.listdir(out / "feedback") == ["stubborn.html"]


def test_a_python_inside_a_protected_folder_is_refused_with_one_line(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda bwrap=None: "")
    with pytest.raises(sandbox.SandboxUnavailable, match="inside a folder the sandbox must hide"):
        containment("auto", [Path(sys.prefix)])


def test_an_unknown_mode_is_an_input_error():
    with pytest.raises(sandbox.CoursekitError, match="unknown sandbox mode 'docker'"):
        sandbox.choose("docker")
