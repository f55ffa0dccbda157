"""The memory watchdog (coursekit/grading/kernels/watchdog.py): real process trees summed from /proc, PSS against
RSS, membership by PID namespace and by token, and /proc trees that are partly gone, unreadable or missing."""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coursekit.grading.kernels.watchdog import (
    MemoryWatch,
    anchor_pid,
    host_pid,
    kernel_pids,
    pid_namespace,
    proportional_bytes,
)

MB = 1024 * 1024
VARIABLE = "COURSEKIT_WATCHDOG_TEST"
PR_SET_PDEATHSIG = 1

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")

# argv: bytes per block, number of children, who allocates ("children": each child its own block, touched page by
# page; "parent": the parent one block before forking, the children only sleep). Each child prints its pid.
FORK_TREE = r"""
import ctypes, os, signal, sys
size, count, who = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def touched(n):
    block = bytearray(n)
    block[::4096] = b"\x01" * len(range(0, n, 4096))
    return block
held = touched(size) if who == "parent" else None
for _ in range(count):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: end with the parent, even if killed
        mine = touched(size) if who == "children" else None
        os.write(1, b"%d\n" % os.getpid())
        signal.pause()
        os._exit(0)
signal.pause()
"""

# Inside a new PID namespace (run by unshare, which leaves /proc as the host's): pid 1 waits; it forks the "kernel"
# K, which prints its host pid; K forks A, A forks G and exits at once, so G is reparented to pid 1 and is no longer
# a descendant of K. G touches 100 MB and prints its host pid.
ESCAPE_IN_NAMESPACE = r"""
import os, signal, time
def host_pid():
    return os.readlink("/proc/self")
if os.fork() == 0:
    os.write(1, b"K %s\n" % host_pid().encode())
    if os.fork() == 0:
        if os.fork() == 0:
            block = bytearray(100 * 1024 * 1024)
            block[::4096] = b"\x01" * len(range(0, len(block), 4096))
            while os.getppid() != 1:
                time.sleep(0.01)
            os.write(1, b"G %s %d\n" % (host_pid().encode(), os.getpid()))
            signal.pause()
        os._exit(0)
    os.wait()
    signal.pause()
signal.pause()
"""

# In a new PID namespace S (run by unshare, /proc left as the host's), pid 1 makes a namespace K nested in S and
# forks K's first process, as a fork server's keeper does; pid 1 prints its host pid and that child's pid in S, the
# child its host pid.
NESTED_NAMESPACE = r"""
import ctypes, os, signal
if ctypes.CDLL(None).unshare(0x20000000) != 0:  # CLONE_NEWPID: the next child is pid 1 of a new namespace
    raise SystemExit("unshare failed")
child = os.fork()
if child == 0:
    os.write(1, b"init %s\n" % os.readlink("/proc/self").encode())
    signal.pause()
os.write(1, b"outer %s %d\n" % (os.readlink("/proc/self").encode(), child))
signal.pause()
"""

# Unsandboxed: the parent forks a child that starts a new session and forks G, then exits: G left the parent's tree
# and process group but still carries the environment it was started with. G prints its pid.
ESCAPE_BY_SETSID = r"""
import os, signal
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(1, b"%d\n" % os.getpid())
        signal.pause()
    os._exit(0)
os.wait()
signal.pause()
"""


def _start(argv: list[str], env: dict[str, str] | None = None, address_space: int = 0) -> subprocess.Popen[bytes]:
    """A process in a session of its own (so that killing its group ends its children), stdout piped."""

    def prepare() -> None:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # ends with the test run, even if it is killed
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        start_new_session=True,
        preexec_fn=prepare,
    )


def _stop(process: subprocess.Popen[bytes], *others: int) -> None:
    for pid in others:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def _lines(process: subprocess.Popen[bytes], count: int, timeout: float = 10) -> list[str]:
    """The first `count` lines the process prints, failing after `timeout` seconds."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer, deadline = b"", time.monotonic() + timeout
    while buffer.count(b"\n") < count:
        left = deadline - time.monotonic()
        assert left > 0 and selector.select(left), f"only {buffer!r} after {timeout} s"
        chunk = os.read(process.stdout.fileno(), 4096)
        assert chunk, f"the process closed its output after {buffer!r}"
        buffer += chunk
    selector.close()
    return buffer.decode().splitlines()[:count]


def _status_bytes(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status, in bytes (read here, independently of the module)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _recorder() -> tuple[list[tuple[str, int]], Callable[[str, int], None]]:
    calls: list[tuple[str, int]] = []
    return calls, lambda key, total: calls.append((key, total))


def test_a_forked_tree_is_summed_and_reported_once_where_a_per_process_cap_lets_it_through() -> None:
    limit = 300 * MB
    token = uuid.uuid4().hex
    # Negative control: every process of the tree is capped at `limit` of address space (as RLIMIT_AS does for a
    # kernel today), and each child still holds its 150 MB.
    tree = _start(
        [sys.executable, "-c", FORK_TREE, str(150 * MB), "3", "children"], {VARIABLE: token}, address_space=limit
    )
    try:
        children = [int(line) for line in _lines(tree, 3)]
        assert anchor_pid(token, VARIABLE) == tree.pid  # the children carry the token too; the first process wins
        for child in children:
            assert 150 * MB <= proportional_bytes(child) < limit

        calls, record = _recorder()
        watch = MemoryWatch()
        watch.watch("over", tree.pid, limit, record)
        watch.watch("under", tree.pid, 2000 * MB, record)
        totals = watch.scan()
        assert totals["over"] >= 3 * 150 * MB
        assert abs(totals["under"] - totals["over"]) < 5 * MB  # the same processes, read twice
        assert calls == [("over", totals["over"])]
        assert set(watch.scan()) == {"under"}  # "over" is no longer watched
        assert calls == [("over", totals["over"])]
        assert kernel_pids(tree.pid) == {tree.pid, *children}
    finally:
        _stop(tree)


def test_pages_shared_after_a_fork_are_counted_once() -> None:
    tree = _start([sys.executable, "-c", FORK_TREE, str(200 * MB), "2", "parent"])
    try:
        children = [int(line) for line in _lines(tree, 2)]
        parent_rss = _status_bytes(tree.pid, "VmRSS")
        assert parent_rss >= 200 * MB
        # Negative control: by RSS, each sleeping child holds the parent's 200 MB again.
        assert sum(_status_bytes(pid, "VmRSS") for pid in (tree.pid, *children)) >= 3 * 200 * MB
        total = _total(tree.pid)
        assert 200 * MB <= total < 1.5 * parent_rss
    finally:
        _stop(tree)


def _total(anchor: int) -> int:
    watch = MemoryWatch()
    watch.watch("k", anchor, 1 << 50, lambda key, total: None)
    return watch.scan()["k"]


def test_an_unsandboxed_process_that_left_the_tree_is_found_by_its_token() -> None:
    token = uuid.uuid4().hex
    tree = _start([sys.executable, "-c", ESCAPE_BY_SETSID], {VARIABLE: token})
    escaped = 0
    try:
        escaped = int(_lines(tree, 1)[0])
        for _ in range(200):  # the middle process exits right after the fork
            if not any(_ppid(pid) == tree.pid for pid in _all_pids()):
                break
            time.sleep(0.01)
        # Negative control: the escaped process is not a descendant of the anchor any more.
        assert _ppid(escaped) != tree.pid
        assert kernel_pids(tree.pid) == {tree.pid}
        assert kernel_pids(tree.pid, token, VARIABLE) == {tree.pid, escaped}
    finally:
        _stop(tree, escaped)


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _ppid(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return -1
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith("PPid:")))


def _unshare_argv() -> list[str] | None:
    """unshare in a new user and PID namespace, if that works here without privileges beyond ours."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    argv = [unshare, "--user", "--map-root-user", "--pid", "--fork", "--kill-child"]
    try:
        done = subprocess.run([*argv, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return argv if done.returncode == 0 else None


def test_a_sandboxed_kernel_is_its_pid_namespace_even_after_a_double_fork() -> None:
    argv = _unshare_argv()
    if argv is None:
        pytest.skip("unshare cannot make a user and PID namespace here, so no sandboxed process tree to watch")
    token = uuid.uuid4().hex
    tree = _start([*argv, sys.executable, "-c", ESCAPE_IN_NAMESPACE], {VARIABLE: token})
    try:
        found = {line.split()[0]: line.split()[1:] for line in _lines(tree, 2)}
        kernel, grandchild, grandchild_inside = int(found["K"][0]), int(found["G"][0]), int(found["G"][1])
        assert pid_namespace(kernel) is not None
        assert pid_namespace(kernel) != pid_namespace(os.getpid())
        assert pid_namespace(grandchild) == pid_namespace(kernel)
        # Negative control: the grandchild was reparented, so a rule by descendants of the kernel would lose it.
        assert _ppid(grandchild) not in (kernel, -1)
        assert not any(_ppid(pid) == kernel for pid in _all_pids())
        # unshare itself carries the token too, but it is in our namespace: the sandboxed process is preferred.
        assert pid_namespace(anchor_pid(token, VARIABLE) or 0) == pid_namespace(kernel)
        assert grandchild in kernel_pids(kernel)
        assert host_pid(grandchild_inside, seen_from=kernel) == grandchild
        assert tree.pid not in kernel_pids(kernel)

        calls, record = _recorder()
        watch = MemoryWatch()
        watch.watch("k", kernel, 60 * MB, record)
        totals = watch.scan()
        assert totals["k"] >= 100 * MB
        assert calls == [("k", totals["k"])]
    finally:
        _stop(tree)


def test_a_pid_reported_from_inside_a_namespace_is_translated_to_ours() -> None:
    argv = _unshare_argv()
    if argv is None:
        pytest.skip("unshare cannot make a user and PID namespace here, so no pid from inside one to translate")
    trees = [_start([*argv, sys.executable, "-c", NESTED_NAMESPACE]) for _ in range(2)]
    try:
        seen = []
        for tree in trees:
            found = {line.split()[0]: line.split()[1:] for line in _lines(tree, 2)}
            seen.append((int(found["outer"][0]), int(found["outer"][1]), int(found["init"][0])))
        for outer, inside, init in seen:
            assert pid_namespace(init) not in (None, pid_namespace(outer), pid_namespace(os.getpid()))
            assert host_pid(inside, seen_from=outer) == init
            # Negative controls: the number from inside is not ours for the same process, and it is the same
            # number in both sandboxes (each counts from 1), so the namespace it comes from must be checked.
            assert inside != init
            assert host_pid(inside, seen_from=os.getpid()) != init
            assert host_pid(inside, seen_from=init) is None  # init's own namespace numbers it 1
        assert seen[0][1] == seen[1][1]
    finally:
        for tree in trees:
            _stop(tree)


def test_a_process_already_gone_counts_nothing() -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    gone = int(done.stdout)
    calls, record = _recorder()
    watch = MemoryWatch()
    watch.watch("k", gone, 1, record)
    assert watch.scan() == {"k": 0}
    assert calls == []
    assert proportional_bytes(gone) == 0
    assert pid_namespace(gone) is None
    assert kernel_pids(gone) == set()
    assert host_pid(1, seen_from=gone) is None
    assert anchor_pid(uuid.uuid4().hex, VARIABLE) is None


OWN_NAMESPACE = "pid:[4026531836]"


def _fake_process(
    proc: Path, pid: int, namespace: str, ppid: int, pss_kib: int | None, rss_kib: int | None, environ: bytes = b"A=1"
) -> None:
    """One process of a made-up /proc (a `comm` with a space and a parenthesis, as a student may name one)."""
    folder = proc / str(pid)
    (folder / "ns").mkdir(parents=True)
    (folder / "ns" / "pid").symlink_to(namespace)
    (folder / "stat").write_text(f"{pid} (py thon) S) S {ppid} {pid} {pid} 0\n")
    (folder / "environ").write_bytes(environ + b"\0")
    if pss_kib is not None:
        (folder / "smaps_rollup").write_text(f"Rss: {pss_kib * 3} kB\nPss: {pss_kib} kB\nPss_Anon: 1 kB\n")
    if rss_kib is not None:
        (folder / "status").write_text(f"Name: python\nPPid: {ppid}\nVmRSS: {rss_kib} kB\n")


@pytest.fixture
def fake_proc(tmp_path: Path) -> Iterator[Path]:
    """A made-up /proc: our own pid in the host namespace; a kernel namespace with pids 10 (the anchor) and 11
    (reparented to 1); pid 12 outside, with the host namespace, child of 10; pid 13 a dangling link (it vanished
    after the listing); pid 14 with folders where files belong; pid 15 with garbage in its files."""
    proc = tmp_path / "proc"
    _fake_process(proc, os.getpid(), OWN_NAMESPACE, 1, 100, 100)
    _fake_process(proc, 10, "pid:[7]", os.getpid(), 1000, 3000)
    _fake_process(proc, 11, "pid:[7]", 1, None, 2000)  # smaps_rollup unreadable: VmRSS counts
    _fake_process(proc, 12, OWN_NAMESPACE, 10, 500, 500)
    (proc / "13").symlink_to(tmp_path / "vanished")
    for name in ("ns/pid", "stat", "environ", "smaps_rollup", "status"):
        (proc / "14" / name).mkdir(parents=True)
    (proc / "15").mkdir()
    (proc / "15" / "stat").write_text("15 (x")
    (proc / "15" / "smaps_rollup").write_text("Pss: lots kB\n")
    (proc / "15" / "status").write_text("VmRSS:\n")
    (proc / "self").mkdir()
    yield proc


def test_the_anchor_is_the_first_tagged_process_preferably_in_a_sandbox(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    _fake_process(proc, os.getpid(), OWN_NAMESPACE, 1, 100, 100)
    # Token t: pid 20 is a child of 30 and both carry it; 30 was started first (its pid is larger after a wrap).
    _fake_process(proc, 20, OWN_NAMESPACE, 30, 10, 10, b"A=1\0V=t")
    _fake_process(proc, 30, OWN_NAMESPACE, os.getpid(), 10, 10, b"V=t\0B=2")
    # Token u: pid 50 (our namespace, a launcher) and its child 60 in a sandbox's namespace; "XV=u" is another
    # variable.
    _fake_process(proc, 50, OWN_NAMESPACE, os.getpid(), 10, 10, b"V=u")
    _fake_process(proc, 60, "pid:[9]", 50, 10, 10, b"V=u")
    _fake_process(proc, 40, OWN_NAMESPACE, os.getpid(), 10, 10, b"XV=u")
    assert anchor_pid("t", "V", proc) == 30
    assert anchor_pid("u", "V", proc) == 60
    assert anchor_pid("v", "V", proc) is None
    assert anchor_pid("u", "XV", proc) == 40


def test_a_made_up_proc_with_vanished_and_unreadable_entries(fake_proc: Path) -> None:
    assert pid_namespace(10, fake_proc) == "pid:[7]"
    assert [pid_namespace(pid, fake_proc) for pid in (13, 14, 15)] == [None, None, None]
    assert proportional_bytes(10, fake_proc) == 1000 * 1024
    assert proportional_bytes(11, fake_proc) == 2000 * 1024
    assert [proportional_bytes(pid, fake_proc) for pid in (13, 14, 15, 99)] == [0, 0, 0, 0]
    # The anchor's namespace is not ours: the namespace's pids, and 12, a child of 10 outside it.
    assert kernel_pids(10, proc=fake_proc) == {10, 11, 12}
    calls, record = _recorder()
    watch = MemoryWatch(proc=fake_proc)
    watch.watch("k", 10, 3000 * 1024, record)
    assert watch.scan() == {"k": (1000 + 2000 + 500) * 1024}
    assert calls == [("k", 3500 * 1024)]


def test_run_reports_and_stops_watching(fake_proc: Path) -> None:
    calls, record = _recorder()
    watch = MemoryWatch(proc=fake_proc)
    watch.watch("k", 10, 1024, record)

    async def briefly() -> None:
        task = asyncio.create_task(watch.run(interval=0.01))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(briefly())
    assert calls == [("k", 3500 * 1024)]
    assert watch.scan() == {}


def test_without_proc_everything_is_unknown(tmp_path: Path) -> None:
    missing = tmp_path / "no-proc"
    assert pid_namespace(os.getpid(), missing) is None
    assert proportional_bytes(os.getpid(), missing) == 0
    assert anchor_pid("t", VARIABLE, missing) is None
    assert host_pid(1, os.getpid(), missing) is None
    assert kernel_pids(os.getpid(), "t", VARIABLE, missing) == set()
    watch = MemoryWatch(VARIABLE, missing)
    watch.watch("k", os.getpid(), 1, lambda key, total: None, token="t")
    assert watch.scan() == {"k": 0}


def test_bad_arguments_are_refused_with_a_message() -> None:
    watch = MemoryWatch()
    with pytest.raises(ValueError, match="limit must be a positive number of bytes"):
        watch.watch("k", os.getpid(), 0, lambda key, total: None)
    with pytest.raises(ValueError, match="needs the token's variable"):
        watch.watch("k", os.getpid(), 1, lambda key, total: None, token="t")
    with pytest.raises(ValueError, match="both the token and its variable"):
        kernel_pids(os.getpid(), token="t")
