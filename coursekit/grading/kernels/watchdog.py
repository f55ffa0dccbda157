"""The memory of a kernel with all its processes, summed from Linux /proc, and a watch that reports a kernel over its
cap. It is the fallback where the grader cannot create a cgroup (cgroup v2 `memory.max`): RLIMIT_AS caps each
process alone, so a kernel that forks can hold several times its limit.

Which processes belong to a kernel (`kernel_pids`): a sandboxed kernel has a PID namespace of its own, so every
process in that namespace, and their descendants; an unsandboxed one is its first process, the processes carrying
its token in their environment, and their descendants. Each process is counted by its proportional set size (PSS):
pages a forked child shares with its parent are divided between them, not counted in each.

Only memory mapped by a process is seen (not files in a tmpfs, nor an unmapped memfd), and what a kernel allocates
between two scans is seen at the next one. Standard library only; where /proc is missing or a file cannot be read,
the answers are empty (None, 0, no pids).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def pid_namespace(pid: int, proc: Path = PROC) -> str | None:
    """The PID namespace of `pid`, as /proc/<pid>/ns/pid names it ('pid:[4026531836]'); None if unreadable."""
    try:
        return os.readlink(proc / str(pid) / "ns" / "pid")
    except OSError:
        return None


def proportional_bytes(pid: int, proc: Path = PROC) -> int:
    """The memory of `pid` in bytes: its Pss from smaps_rollup (shared pages divided among their sharers), else its
    VmRSS from status (readable even for a process that is not dumpable), else 0 (gone or unreadable)."""
    for name, key in (("smaps_rollup", b"Pss:"), ("status", b"VmRSS:")):
        kib = _kib_field(proc / str(pid) / name, key)
        if kib is not None:
            return kib * 1024
    return 0


def anchor_pid(token: str, variable: str, proc: Path = PROC) -> int | None:
    """A process whose environment (as it was at exec, /proc/<pid>/environ) holds `variable=token`, None if none
    does (a kernel forked from a server that sets the token after the fork is not found: see `host_pid`).
    Preferred: one in a PID namespace other than the grader's (a sandboxed kernel), then one whose parent does not
    carry the token (the first process of the kernel)."""
    needle = f"{variable}={token}".encode()
    tagged = [pid for pid in _pids(proc) if needle in _environ(pid, proc)]
    own = pid_namespace(os.getpid(), proc)

    def rank(pid: int) -> tuple[bool, bool, int]:
        return (pid_namespace(pid, proc) in (own, None), _parent(pid, proc) in tagged, pid)

    return min(tagged, key=rank, default=None)


def host_pid(inner_pid: int, seen_from: int, proc: Path = PROC) -> int | None:
    """Our pid for the process that the PID namespace of `seen_from` numbers `inner_pid` (for example a pid that a
    fork server reports from inside its sandbox), None if there is none. The process may be in a namespace nested
    in that one; /proc/<pid>/status lists its pid in each namespace from ours inwards (NSpid)."""
    namespace, depth = pid_namespace(seen_from, proc), len(_nspid(seen_from, proc))
    if namespace is None or depth == 0:
        return None
    for pid in _pids(proc):
        numbers = _nspid(pid, proc)
        if len(numbers) >= depth and numbers[depth - 1] == inner_pid:
            outer: int | None = pid  # climb to the ancestor that lives in a namespace at `depth`
            while outer is not None and len(_nspid(outer, proc)) > depth:
                outer = _parent(outer, proc)
            if outer is not None and pid_namespace(outer, proc) == namespace:
                return pid
    return None


def kernel_pids(anchor: int, token: str | None = None, variable: str | None = None, proc: Path = PROC) -> set[int]:
    """The pids of the kernel that `anchor` belongs to, by the rule in the module's docstring (`token` and
    `variable`: the kernel's tag, used when the kernel shares the grader's PID namespace)."""
    member = _Member.of(anchor, token, variable, proc)
    return _Pass.take(proc, [member.needle]).members(member)


@dataclass(frozen=True)
class _Member:
    """How one kernel's processes are found: by the anchor's PID namespace when it is not the grader's (`namespace`),
    else from the anchor and the processes carrying `needle` (`variable=token`)."""

    anchor: int
    namespace: str | None
    needle: bytes | None

    @classmethod
    def of(cls, anchor: int, token: str | None, variable: str | None, proc: Path) -> _Member:
        if (token is None) != (variable is None):
            raise ValueError("give both the token and its variable name, or neither")
        needle = None if token is None or variable is None else f"{variable}={token}".encode()
        namespace = pid_namespace(anchor, proc)
        if namespace == pid_namespace(os.getpid(), proc):
            namespace = None
        return cls(anchor, namespace, needle)


@dataclass(frozen=True)
class _Pass:
    """One pass over /proc: each process's PID namespace, its children, and which carry the tags asked for."""

    seen: set[int]
    namespaces: dict[str, list[int]]
    children: dict[int, list[int]]
    tagged: dict[bytes, set[int]]

    @classmethod
    def take(cls, proc: Path, needles: Iterable[bytes | None]) -> _Pass:
        wanted = {needle for needle in needles if needle is not None}
        namespaces: dict[str, list[int]] = {}
        children: dict[int, list[int]] = {}
        tagged: dict[bytes, set[int]] = {needle: set() for needle in wanted}
        seen = set(_pids(proc))
        for pid in seen:
            namespace = pid_namespace(pid, proc)
            if namespace is not None:
                namespaces.setdefault(namespace, []).append(pid)
            parent = _parent(pid, proc)
            if parent is not None:
                children.setdefault(parent, []).append(pid)
            if wanted:
                environ = _environ(pid, proc)
                for needle in wanted & environ:
                    tagged[needle].add(pid)
        return cls(seen, namespaces, children, tagged)

    def members(self, member: _Member) -> set[int]:
        """The pids of `member`'s kernel in this pass, descendants included."""
        if member.namespace is not None:
            roots = set(self.namespaces.get(member.namespace, ()))
        else:
            roots = ({member.anchor} & self.seen) | self.tagged.get(member.needle or b"", set())
        found, todo = set(roots), list(roots)
        while todo:
            for child in self.children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found


@dataclass(frozen=True)
class _Watched:
    member: _Member
    limit: int
    on_exceed: Callable[[str, int], None]


class MemoryWatch:
    """The kernels of one batch, each with a cap on its total memory: `scan` sums each kernel's processes and reports
    a kernel over its cap once, through its `on_exceed` (which should kill it)."""

    def __init__(self, variable: str | None = None, proc: Path = PROC) -> None:
        """`variable`: the environment variable that holds a kernel's token (needed to watch by token)."""
        self.variable = variable
        self.proc = proc
        self._watched: dict[str, _Watched] = {}

    def watch(
        self, key: str, anchor: int, limit: int, on_exceed: Callable[[str, int], None], token: str | None = None
    ) -> None:
        """Watch the kernel of process `anchor` under `key`: `on_exceed(key, total)` once when its total memory in
        bytes passes `limit`. `token`: the kernel's tag, which finds processes that left an unsandboxed kernel's
        tree."""
        if limit <= 0:
            raise ValueError(f"limit must be a positive number of bytes, got {limit}")
        if token is not None and self.variable is None:
            raise ValueError("watching by token needs the token's variable: MemoryWatch(variable=...)")
        variable = None if token is None else self.variable
        self._watched[key] = _Watched(_Member.of(anchor, token, variable, self.proc), limit, on_exceed)

    def unwatch(self, key: str) -> None:
        """Stop watching `key` (nothing happens if it is not watched)."""
        self._watched.pop(key, None)

    def scan(self) -> dict[str, int]:
        """One pass over /proc: each watched kernel's total bytes. A kernel over its limit is no longer watched and
        its `on_exceed` is called."""
        totals = self._measure(list(self._watched.items()))
        self._report(totals)
        return totals

    def _measure(self, watched: list[tuple[str, _Watched]]) -> dict[str, int]:
        """The total bytes of each of `watched` (a snapshot: safe to run in another thread)."""
        if not watched:
            return {}
        current = _Pass.take(self.proc, [w.member.needle for _key, w in watched])
        return {key: sum(proportional_bytes(pid, self.proc) for pid in current.members(w.member)) for key, w in watched}

    def _report(self, totals: dict[str, int]) -> None:
        """Call `on_exceed` once for each kernel still watched whose total passed its limit, and stop watching it."""
        for key, total in totals.items():
            watched = self._watched.get(key)
            if watched is not None and total > watched.limit:
                del self._watched[key]
                watched.on_exceed(key, total)

    async def run(self, interval: float = 0.25) -> None:
        """Scan every `interval` seconds until cancelled; the reading of /proc runs in a thread, so that the event
        loop goes on serving the kernels meanwhile, and `on_exceed` is called in the loop."""
        while True:
            totals = await asyncio.to_thread(self._measure, list(self._watched.items()))
            self._report(totals)
            await asyncio.sleep(interval)


def _pids(proc: Path) -> list[int]:
    try:
        return [int(name) for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _environ(pid: int, proc: Path) -> set[bytes]:
    return set(_read(proc / str(pid) / "environ").split(b"\0"))


def _parent(pid: int, proc: Path) -> int | None:
    """The parent pid from /proc/<pid>/stat ("pid (comm) state ppid ..."; comm may hold spaces and parentheses)."""
    fields = _read(proc / str(pid) / "stat").rpartition(b")")[2].split()
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def _nspid(pid: int, proc: Path) -> list[int]:
    """The pid of `pid` in each PID namespace from the one of `proc` inwards (empty if unknown)."""
    for line in _read(proc / str(pid) / "status").splitlines():
        if line.startswith(b"NSpid:"):
            return [int(number) for number in line.split()[1:] if number.isdigit()]
    return []


def _kib_field(path: Path, key: bytes) -> int | None:
    for line in _read(path).splitlines():
        if line.startswith(key):
            value = line[len(key) :].split()
            return int(value[0]) if value and value[0].isdigit() else None
    return None
