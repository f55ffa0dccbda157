"""The fork server (coursekit/grading/kernels/forkserver.py and forkserver_program.py): kernels forked from one process that
imported the assignment's modules once. What one kernel sees alone is checked in test_sandbox.py (both launch
kinds) and test_pool.py (a forked kernel is what a fresh one is); here: two kernels of the same server at once
see nothing of each other, do not share random state, cannot make user namespaces; a set-up that fails says why;
a batch falls back to one sandbox per kernel when the server cannot start, and grades the same."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest

from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import grade_batch
from coursekit.grading.kernels import forkserver, providers, sandbox
from coursekit.grading.kernels.forkserver import ForkServerError, forked_kernel, start_server
from coursekit.grading.kernels.preimport import decode, encode
from coursekit.grading.kernels.sandbox import containment, probe
from coursekit.grading.kernels.spec import TOKEN_VARIABLE, KernelSpec, Limits
from coursekit.grading.kernels.watchdog import MemoryWatch
from coursekit.grading.options import Options
from coursekit.grading.report import Progress
from coursekit.grading.submissions import Submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "assignments"
SOURCE = FIXTURES / "solutions" / "ps1" / "ps1.ipynb"
RELEASE = FIXTURES / "exercises" / "ps1" / "ps1.ipynb"
PROBLEM = probe()
needs_bwrap = pytest.mark.skipif(bool(PROBLEM), reason=f"bubblewrap cannot run here: {PROBLEM}")

MARK = r"""
import os, json
for path in ("mark.txt", os.path.expanduser("~/mark.txt"), "/tmp/mark.txt"):
    open(path, "w").write("NAME")
print(json.dumps({"work": os.getcwd()}))
"""

LOOK = r"""
import os, json, subprocess, random
import numpy as np
other_work = OTHER_WORK
other_run = OTHER_RUN
found = []
for path in ("mark.txt", os.path.expanduser("~/mark.txt"), "/tmp/mark.txt", other_work, other_run):
    if os.path.exists(path):
        found.append(path)
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
cmdlines = [open(f"/proc/{p}/cmdline", "rb").read() for p in pids]
userns = subprocess.run(["unshare", "--user", "true"], capture_output=True, text=True)
print(json.dumps({
    "found": found, "pids": pids, "others": sum(b"NAME" in c for c in cmdlines),
    "userns": userns.returncode, "numpy": np.random.random(), "random": random.random(),
}))
"""


async def _output(kernel, code: str) -> dict:
    texts: list[str] = []
    reply = await kernel.kc.execute_interactive(
        code, timeout=60, output_hook=lambda m: texts.append(m["content"].get("text", ""))
    )
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(texts))


@needs_bwrap
def test_two_kernels_of_one_server_see_nothing_of_each_other(tmp_path):
    assignment = load_assignment(str(SOURCE))
    box = containment("bubblewrap", [SOURCE.parent, tmp_path])

    async def go() -> tuple[dict, dict, dict]:
        server, why = await start_server(tmp_path, box, KernelSpec(files=tuple(assignment.files), imports=(("numpy", ()),)))
        assert server is not None, why
        try:
            (_, first), (_, second) = (
                forked_kernel(server, tmp_path, box, KernelSpec()) for _ in range(2)
            )
            await asyncio.gather(first.start(), second.start())
            try:
                await _output(first, MARK.replace("NAME", "first-kernel-mark"))
                look = LOOK.replace("OTHER_WORK", repr(str(first.folder))).replace(
                    "OTHER_RUN", repr(str(first.bwrap.run / "kernel.json"))
                )
                seen_by_second = await _output(second, look)
                seen_by_first = await _output(first, LOOK.replace("OTHER_WORK", "''").replace("OTHER_RUN", "''"))
                return seen_by_first, seen_by_second, {"alive": await first.is_alive()}
            finally:
                await asyncio.gather(first.stop(), second.stop())
        finally:
            await server.close()

    first, second, state = asyncio.run(go())
    assert state["alive"]
    # The first kernel finds its own marks; the second, running at the same time, finds none of them, nor the
    # first's folders, and sees only its own init and itself among the processes.
    assert len(first["found"]) == 3
    assert second["found"] == [] and second["others"] == 0
    assert second["pids"][:2] == [1, 2] and first["pids"][:2] == [1, 2]
    assert second["userns"] != 0 and first["userns"] != 0  # no user namespace can be made inside
    assert first["numpy"] != second["numpy"] and first["random"] != second["random"]  # each seeded afresh


@needs_bwrap
def test_a_set_up_that_fails_says_why_and_the_server_goes_on(tmp_path):
    assignment = load_assignment(str(SOURCE))
    box = containment("bubblewrap", [SOURCE.parent, tmp_path])

    async def go() -> tuple[str, bool]:
        server, why = await start_server(tmp_path, box, KernelSpec(files=tuple(assignment.files)))
        assert server is not None, why
        try:
            root, broken = forked_kernel(server, tmp_path, box, KernelSpec())
            request = {**broken._request(), "inputs": str(root / "gone")}  # a folder that is not there
            with pytest.raises(ForkServerError) as failed:
                await server.spawn(request)
            _, kernel = forked_kernel(server, tmp_path, box, KernelSpec())
            await kernel.start()
            alive = await kernel.is_alive()
            await kernel.stop()
            return str(failed.value).replace(str(root), "<root>"), alive and not await kernel.is_alive()
        finally:
            await server.close()

    message, next_one_ran = asyncio.run(go())
    assert "bind <root>/gone" in message and "No such file" in message, message
    assert next_one_ran


def test_imports_are_passed_to_the_server_in_its_own_format():
    wanted = (("re", ()), ("appraisal.hype", ("hype_features", "HEDGES")))
    assert encode(wanted) == "re:;appraisal.hype:hype_features,HEDGES"
    assert decode(encode(wanted)) == [("re", []), ("appraisal.hype", ["hype_features", "HEDGES"])]


@needs_bwrap
def test_a_batch_falls_back_to_one_sandbox_per_kernel_when_the_server_cannot_start(tmp_path, monkeypatch):
    subs = [Submission(name, path) for name, path in (("solution", SOURCE), ("release", RELEASE))]
    assignment = load_assignment(str(SOURCE))

    def grade(out: str):
        return grade_batch(assignment, subs, tmp_path / out, Options(jobs=1, sandbox="bubblewrap"), progress=Progress(2))

    served = grade("served")
    monkeypatch.setattr(forkserver, "SERVER_CAPS", ("CAP_NO_SUCH_THING",))  # bwrap refuses to start
    fallen_back = grade("fallen-back")
    assert "fork server" in served.profile.counts and "imports" not in served.profile.counts
    assert "imports" in fallen_back.profile.counts  # each kernel started in its own sandbox, then pre-imported
    assert [(r.student, r.status, r.total) for r in served.results] == [
        (r.student, r.status, r.total) for r in fallen_back.results
    ]
    solution = next(r for r in served.results if r.student == "solution")
    release = next(r for r in served.results if r.student == "release")
    autograded = [q for q in solution.questions if not q.manual]
    assert solution.total == sum(q.max_points for q in autograded) > 0 and release.total == 0


@needs_bwrap
def test_a_server_whose_kernels_cannot_be_made_is_refused_at_its_start(tmp_path, monkeypatch):
    assignment = load_assignment(str(SOURCE))
    box = containment("bubblewrap", [SOURCE.parent, tmp_path])
    monkeypatch.setattr(forkserver, "HOME", "/no/such/home")  # a step of every kernel's set-up fails

    async def go():
        return await start_server(tmp_path, box, KernelSpec(files=tuple(assignment.files)))

    server, why = asyncio.run(go())
    assert server is None and "set-up failed" in why and "Read-only file system" in why, why


@needs_bwrap
def test_a_kernel_that_cannot_be_forked_is_started_on_its_own(tmp_path, monkeypatch):
    subs = [Submission("solution", SOURCE), Submission("release", RELEASE)]
    assignment = load_assignment(str(SOURCE))

    async def refuse(self) -> None:
        raise ForkServerError("refused for the test")

    monkeypatch.setattr(forkserver.ForkedKernel, "start", refuse)
    outcome = grade_batch(
        assignment, subs, tmp_path / "out", Options(jobs=1, sandbox="bubblewrap"), progress=Progress(2)
    )
    assert {r.student: r.status for r in outcome.results} == {"release": "unchanged", "solution": "graded"}
    # two submissions, each with its kernel and its checker (cleanroom.py)
    assert outcome.profile.counts["fork failed"] == 4 and outcome.profile.counts["imports"] == 4
    assert next(r for r in outcome.results if r.student == "solution").total > 0


FILL_SOCKET_FOLDER = r"""
import json, os
from ipykernel.kernelapp import IPKernelApp
folder = os.path.dirname(IPKernelApp.instance().ip)  # where its sockets are
written, error = 0, ""
try:
    with open(os.path.join(folder, "filler"), "wb") as f:
        for _ in range(64):
            f.write(b"x" * 2**20)
            f.flush()
            written += 1
except OSError as exc:
    error = exc.strerror
print(json.dumps({"folder": folder, "written": written, "error": error}))
"""


def _fill_socket_folder(tmp_path: Path, forked: bool) -> tuple[dict, list[str]]:
    """A kernel writes 64 MB into its socket folder; (what it saw, what its host socket folder holds after)."""
    assignment = load_assignment(str(SOURCE))
    box = containment("bubblewrap", [SOURCE.parent, tmp_path])
    spec = KernelSpec(files=tuple(assignment.files))

    async def go() -> tuple[dict, list[str]]:
        if forked:
            server, why = await start_server(tmp_path, box, spec)
            assert server is not None, why
            provider = providers.ForkServerProvider(server, spec, tmp_path, box, providers.BubblewrapProvider(spec, tmp_path, box))
        else:
            provider = providers.BubblewrapProvider(spec, tmp_path, box)
        made = await provider.start()
        try:
            seen = await _output(made.kernel, FILL_SOCKET_FOLDER)
            return seen, sorted(p.name for p in (made.root / "run").iterdir())
        finally:
            await made.discard()
            await provider.close()

    return asyncio.run(go())


@needs_bwrap
@pytest.mark.parametrize("forked", [True, False], ids=["forked", "own-bwrap"])
def test_a_kernels_socket_folder_is_a_small_tmpfs_of_its_own(tmp_path, forked):
    seen, on_host = _fill_socket_folder(tmp_path, forked)
    assert seen["error"] == "No space left on device" and seen["written"] <= 1, seen
    # nothing of it on the host's disk; a kernel in its own bwrap reads its connection file from there, read-only
    assert on_host == ([] if forked else ["kernel.json"]), on_host


@needs_bwrap
def test_control_without_the_size_cap_a_kernels_socket_folder_takes_what_it_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "SOCKETS_SIZE", 2**30)  # bwrap_argv reads it for a kernel's own sandbox
    seen, _on_host = _fill_socket_folder(tmp_path, forked=False)
    assert seen["written"] == 64 and seen["error"] == "", seen


def _hostile(name: str) -> str:
    """A cell of the hostile fixtures (tests/fixtures/submissions/make_hostile.py), read as text, not imported."""
    tree = ast.parse((FIXTURES.parent / "submissions" / "make_hostile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(n, "id", "") for n in node.targets] == [name]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} in make_hostile.py")


CHILDREN_HOLD_MEMORY = _hostile("MEMORY_CHILDREN")  # three children of 800 MB; raises "MEMORY:held=..,alive=.."


async def _hold_memory(tmp_path: Path, watched: bool) -> tuple[str, bool, str]:
    """A forked kernel whose three children hold 2400 MB (the kernel's cap: 2048 MB); (the cell's output or error,
    whether the kernel is alive after, why it ended)."""
    assignment = load_assignment(str(SOURCE))
    box = containment("bubblewrap", [SOURCE.parent, tmp_path])
    spec = KernelSpec(files=tuple(assignment.files), limits=Limits(memory=2048 * 2**20))
    watch = MemoryWatch(TOKEN_VARIABLE) if watched else None
    server, why = await start_server(tmp_path, box, spec)
    assert server is not None, why
    watching = asyncio.ensure_future(watch.run(0.25)) if watch is not None else None
    try:
        _root, kernel = forked_kernel(server, tmp_path, box, spec, watch)
        await kernel.start()
        texts: list[str] = []
        try:
            await kernel.kc.execute_interactive(
                CHILDREN_HOLD_MEMORY,
                timeout=20,
                output_hook=lambda m: texts.append(m["content"].get("text", "") + m["content"].get("evalue", "")),
            )
        except TimeoutError:
            texts.append("no reply")
        await asyncio.sleep(0.5)
        alive = await kernel.is_alive()
        await kernel.stop()
        return "".join(texts), alive, kernel.why_ended
    finally:
        if watching is not None:
            watching.cancel()
        await server.close()


@needs_bwrap
def test_a_kernel_whose_children_together_pass_its_memory_cap_is_stopped(tmp_path):
    output, alive, why = asyncio.run(_hold_memory(tmp_path, watched=True))
    assert not alive and "above the 2048 MB limit" in why, (output, alive, why)


@needs_bwrap
def test_control_without_the_watch_the_children_hold_more_than_the_cap(tmp_path):
    output, alive, why = asyncio.run(_hold_memory(tmp_path, watched=False))
    assert alive and 'MEMORY:held=3,alive=3' in output and why == "", (output, alive, why)
