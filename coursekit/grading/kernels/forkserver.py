"""Sandboxed kernels forked from one server per batch: each kernel starts with ipykernel and the assignment's modules
already imported, in a fraction of a second instead of the second or two of a fresh Python.

The server (forkserver_program.py, run inside one bubblewrap sandbox like the kernels' but allowed to make
namespaces and mounts) imports ipykernel and the assignment's modules once. For each kernel it forks a process
tree in new mount, PID, network, IPC and UTS namespaces, with a user namespace of its own in which the kernel is
uid 1000 without any capability, may create no user namespace, and sees what a kernel started by `bwrap_argv`
sees: the same read-only system, Python and packages, its own empty size-capped /tmp, HOME and working folder (the
assignment's files copied in), its socket folder, the data read-only, no other kernel's folders or processes, no
network. Killing its keeper (the server's child) ends every process of the kernel.

`ForkServer` runs the server; `ForkedKernel` is a `protocol.Kernel` like process.ProcessKernel. `start_server`
returns None (and providers.py starts each kernel in a sandbox of its own instead) when the server cannot run
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from jupyter_client import AsyncKernelClient

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.kernels.client import bounded_context, close_context, start_bounded
from coursekit.grading.kernels.memory import Watched
from coursekit.grading.kernels.preimport import encode
from coursekit.grading.kernels.process import KERNEL_NAME, STARTUP_TIMEOUT
from coursekit.grading.kernels.sandbox import (
    HOME,
    SANDBOX_UID,
    SHM_SIZE,
    SOCKETS_INSIDE,
    SOCKETS_SIZE,
    BwrapSpec,
    Containment,
    box_spec,
    bwrap_argv,
    sandbox_folder,
)
from coursekit.grading.kernels.spec import Imports, KernelSpec, kernel_flags
from coursekit.grading.kernels.watchdog import MemoryWatch, host_pid

PROGRAM_MODULE = "coursekit.grading.kernels.forkserver_program"
SERVER_CAPS = ("CAP_SYS_ADMIN", "CAP_SETPCAP", "CAP_SETFCAP")  # namespaces, mounts, dropping caps, uid map
MAX_SOCKET_PATH = 108  # bytes: a Unix socket's path, with its terminating NUL (Linux sun_path)
SERVER_TIMEOUT = 180.0  # seconds for the server to import the assignment's modules


class ForkServerError(RuntimeError):
    """The server could not start or stopped answering; the message says what it said."""


def server_argv(spec: BwrapSpec, seed: Path | None, bwrap: str = "bwrap") -> list[str]:
    """The bwrap command line of the server: the kernels' sandbox, but uid 0 of its user namespace with the two
    capabilities it needs, the batch's folder writable (the kernels hide it) and no --disable-userns (each kernel
    gets its own user namespace, in which it cannot make another)."""
    server = replace(spec, uid=0, add_caps=SERVER_CAPS, scratch_bind=True, disable_userns=False)
    command = [sys.executable, "-m", PROGRAM_MODULE, str(seed or "")]  # the imports: on stdin
    return bwrap_argv(server, command, bwrap)


@dataclass
class _Pending:
    """One kernel's news from the server: its set-up done (or failed), and its end."""

    up: asyncio.Future
    exited: asyncio.Event
    keeper: int = 0  # the keeper's pid, as the server's PID namespace numbers it


class ForkServer:
    """One server process for a batch: `await start()`, `await spawn(request)` per kernel, `kill(id)`, `close()`."""

    def __init__(self, argv: list[str], cwd: Path, imports: Imports = ()) -> None:
        self.argv = argv
        self.cwd = cwd
        self.imports = imports  # sent as the first line on stdin, never on the command line
        self.process: asyncio.subprocess.Process | None = None
        self.kernels: dict[str, _Pending] = {}
        self.failed_imports: list[str] = []
        self._ready: asyncio.Future | None = None
        self._reader: asyncio.Task | None = None

    async def start(self, timeout: float = SERVER_TIMEOUT) -> None:
        """Start the server and wait until it has imported what the kernels pre-import."""
        self._ready = asyncio.get_running_loop().create_future()
        self.process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(self.cwd),
            limit=2**20,
        )
        self._reader = asyncio.ensure_future(self._read())
        assert self.process.stdin is not None
        self.process.stdin.write((encode(self.imports) + "\n").encode())
        try:
            self.failed_imports = await asyncio.wait_for(asyncio.shield(self._ready), timeout)
        except (TimeoutError, ForkServerError) as exc:
            stderr = await self._stderr()
            await self.close()
            raise ForkServerError(f"the fork server did not start: {exc or 'no answer'} {stderr}".strip()) from None

    async def _stderr(self) -> str:
        if self.process is None or self.process.stderr is None or self.process.returncode is None:
            return ""
        with contextlib.suppress(Exception):
            text = (await asyncio.wait_for(self.process.stderr.read(4000), 1.0)).decode(errors="replace")
            return " ".join(text.split())[-300:]
        return ""

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "ready" in message:
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(list(message["ready"]))
                continue
            pending = self.kernels.get(message.get("id", ""))
            if pending is None:
                continue
            if "started" in message:
                pending.keeper = int(message["started"])
            elif "up" in message and not pending.up.done():
                pending.up.set_result(True)
            elif "error" in message and not pending.up.done():
                pending.up.set_exception(ForkServerError(message["error"]))
            elif "exited" in message:
                pending.exited.set()
                if not pending.up.done():
                    pending.up.set_exception(ForkServerError(f"the kernel's set-up ended ({message['exited']})"))
                self.kernels.pop(message["id"], None)
        # the server ended: every kernel of it has ended too
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(ForkServerError("the fork server ended"))
        for pending in self.kernels.values():
            pending.exited.set()
            if not pending.up.done():
                pending.up.set_exception(ForkServerError("the fork server ended"))
        self.kernels.clear()

    def _send(self, message: dict) -> None:
        if self.process is None or self.process.stdin is None or self.process.returncode is not None:
            raise ForkServerError("the fork server is not running")
        self.process.stdin.write((json.dumps(message) + "\n").encode())

    async def spawn(self, request: dict, timeout: float = STARTUP_TIMEOUT) -> _Pending:
        """Fork a kernel for `request` (see forkserver_program.py) and wait until its set-up is done."""
        loop = asyncio.get_running_loop()
        pending = _Pending(loop.create_future(), asyncio.Event())
        self.kernels[request["id"]] = pending
        self._send(request)
        try:
            await asyncio.wait_for(asyncio.shield(pending.up), timeout)
        except BaseException:
            self.kill(request["id"])
            raise
        return pending

    def keeper_pid(self, ident: str) -> int | None:
        """Our pid for kernel `ident`'s keeper (in the kernel's mount namespace; init, its one child, is the
        kernel's PID 1), or None when it cannot be found."""
        pending = self.kernels.get(ident)
        if pending is None or not pending.keeper or self.process is None:
            return None
        inside = _children(self.process.pid)  # bwrap's own first process, in the server's PID namespace
        return host_pid(pending.keeper, inside[0]) if inside else None

    def alive(self, ident: str) -> bool:
        return ident in self.kernels and not self.kernels[ident].exited.is_set()

    def kill(self, ident: str) -> None:
        """End kernel `ident` and every process it started."""
        with contextlib.suppress(ForkServerError, ConnectionError, RuntimeError):
            self._send({"kill": ident})

    async def wait_exited(self, ident: str, timeout: float = 5.0) -> None:
        pending = self.kernels.get(ident)
        if pending is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(pending.exited.wait(), timeout)

    async def close(self) -> None:
        """Stop the server (its kernels end with it)."""
        if self.process is None:
            return
        if self.process.stdin is not None:
            with contextlib.suppress(Exception):
                self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), 5.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, 2.0)


def _hidden_by_fresh_mounts(path: Path) -> bool:
    """Whether a host path shown read-only lives under /tmp or HOME, which each kernel mounts afresh."""
    return any(path == Path(top) or Path(top) in path.parents for top in ("/tmp", HOME))


class ForkedKernel:
    """A kernel forked by a ForkServer (a `protocol.Kernel`). `bwrap` says its folders (`work`, `run`, `scratch`,
    `inputs`), `spec` the rest; `data`: (the data folder shown to the server, where this kernel sees it)."""

    def __init__(
        self,
        server: ForkServer,
        bwrap: BwrapSpec,
        spec: KernelSpec,
        data: tuple[Path, Path] | None = None,
        watch: MemoryWatch | None = None,
    ) -> None:
        self.server = server
        self.bwrap = bwrap
        self.spec = spec
        self.folder = bwrap.work
        self.limits = spec.limits
        self.data = data
        self.kc: AsyncKernelClient | None = None
        self.ident = ""
        self.anchor: int | None = None  # our pid for the kernel's init (memory watch: its PID namespace)
        self.why_ended = ""
        self.watched = Watched(watch, spec.limits.memory, self.kill_now)

    def _request(self) -> dict:
        self.ident = secrets.token_hex(8)
        env = self.spec.environment(secrets.token_hex(16), self.data[1] if self.data else None, sandboxed=True)
        env["PWD"] = str(self.bwrap.work)  # as bwrap's --chdir sets it
        memory, file_size, processes = self.spec.rlimits(sandboxed=True)
        return {
            "id": self.ident,
            "work": str(self.bwrap.work),
            "scratch": str(self.bwrap.scratch),
            "inputs": str(self.bwrap.inputs),
            "seed": str(self.spec.home_seed) if self.spec.home_seed else "",
            "data": str(self.data[0]) if self.data else "",
            "data_at": str(self.data[1]) if self.data else "",
            "keep": [str(p) for p in self.bwrap.readonly if _hidden_by_fresh_mounts(p)],
            "home": HOME,
            "tmp_size": self.bwrap.tmp_size,
            "scratch_size": self.bwrap.scratch_size,
            "uid": SANDBOX_UID,
            "no_userns": self.bwrap.disable_userns,
            "memory": memory,
            "file_size": file_size,
            "processes": processes,
            "shm_size": SHM_SIZE,
            "env": env,
            "sockets": SOCKETS_INSIDE,
            "sockets_size": SOCKETS_SIZE,
            "argv": kernel_flags(f"{SOCKETS_INSIDE}/kernel.json"),
        }

    def _connection(self) -> dict:
        """The kernel's connection settings: Unix sockets in its socket folder, a fresh key."""
        names = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        ports = dict(zip(names, range(1, 6), strict=True))
        return {
            **ports,
            "ip": f"{SOCKETS_INSIDE}/kernel",
            "key": secrets.token_hex(32),
            "transport": "ipc",
            "signature_scheme": "hmac-sha256",
            "kernel_name": KERNEL_NAME,
        }

    async def start(self) -> None:
        """Fork the kernel and wait until it answers. Its socket folder is a small tmpfs of its own, made by its
        init (the connection file is written there); the grader reaches the sockets through the keeper's root
        (/proc/<keeper>/root), so nothing of the kernel's is written to the host's disk."""
        connection = self._connection()
        request = {**self._request(), "connection": json.dumps(connection)}
        await self.server.spawn(request)
        keeper = self.server.keeper_pid(self.ident)
        inits = _children(keeper) if keeper else []
        through = f"/proc/{keeper}/root{connection['ip']}"
        if not inits or len(through) + len("-5") >= MAX_SOCKET_PATH:
            self.server.kill(self.ident)
            raise ForkServerError(f"the kernel's sockets cannot be reached ({through})")
        self.anchor = inits[0]
        self.kc = AsyncKernelClient(context=bounded_context())
        self.kc.load_connection_info({**connection, "ip": through})
        start_bounded(self.kc)
        try:
            await self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        except BaseException:
            await self.stop()
            raise
        self.kc.allow_stdin = False
        self.watched.enter(self.anchor)

    def kill_now(self, why: str) -> None:
        """Kill the kernel and everything it started at once (from the memory watch), saying `why`."""
        self.why_ended = why
        if self.ident:
            self.server.kill(self.ident)

    async def is_alive(self) -> bool:
        return self.server.alive(self.ident)

    async def interrupt(self) -> None:
        """Ask the kernel to interrupt the running cell (an interrupt_request on its control channel)."""
        if self.kc is None:
            return
        with contextlib.suppress(Exception):
            self.kc.control_channel.send(self.kc.session.msg("interrupt_request", content={}))

    async def restart(self) -> None:
        """Kill the kernel and everything it started, then fork a fresh one (a fresh working folder too)."""
        await self.stop()
        await self.start()

    async def stop(self, restart: bool = False) -> None:
        """Kill the kernel's process tree and wait (briefly) until it has ended."""
        self.watched.leave()
        if self.kc is not None:
            close_context(self.kc)
            self.kc = None
        if self.ident:
            self.server.kill(self.ident)
            await self.server.wait_exited(self.ident)


def _children(pid: int) -> list[int]:
    """The children of `pid` (Linux /proc), [] when it is gone."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def shared_inputs(base: Path, files: Iterable[tuple[Path, str]]) -> Path:
    """One read-only copy of the assignment's files for every forked kernel (each copies it into its folder)."""
    inputs = base / "inputs"
    inputs.mkdir(exist_ok=True)
    for path, name in files:
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_bytes(Path(path).read_bytes())
    return inputs


async def start_server(base: Path, box: Containment, spec: KernelSpec) -> tuple[ForkServer | None, str]:
    """A started fork server for a batch graded in bubblewrap sandboxes (`box`) under `base`, whose kernels start
    as `spec` says; (None, why) when it cannot run here."""
    server_folder = base / "server"  # the spec's writable `run` folder (the server writes nothing there)
    server_folder.mkdir(exist_ok=True)
    bwrap, data_at = box_spec(box, base, base, shared_inputs(base, spec.files), server_folder, base)
    bwrap = replace(bwrap, env=spec.environment("", data_at, sandboxed=True), home_seed=spec.home_seed)
    server = ForkServer(server_argv(bwrap, spec.home_seed, shutil.which("bwrap") or "bwrap"), base, spec.imports)
    try:
        await server.start()
        await probe_kernel(server, base, box, spec)
    except (ForkServerError, OSError) as exc:
        await server.close()
        return None, str(exc)
    return server, ""


async def probe_kernel(server: ForkServer, base: Path, box: Containment, spec: KernelSpec) -> None:
    """Make one kernel's namespaces, folders, user and limits, without starting ipykernel: raises ForkServerError
    saying which step failed, so that a machine where a step cannot work falls back before any submission."""
    root, kernel = forked_kernel(server, base, box, spec)
    request = {**kernel._request(), "probe": True}
    try:
        pending = await server.spawn(request)
        await asyncio.wait_for(pending.exited.wait(), STARTUP_TIMEOUT)
    except ForkServerError as exc:
        raise ForkServerError(f"a trial kernel's set-up failed: {exc}") from None
    finally:
        remove_tree(root)


def forked_kernel(
    server: ForkServer, base: Path, box: Containment, spec: KernelSpec, watch: MemoryWatch | None = None
) -> tuple[Path, ForkedKernel]:
    """A (not yet started) kernel of `server` in a fresh folder under `base`, watched by `watch` once started: (its
    folder, the kernel)."""
    root, bwrap, data_at = sandbox_folder(base, (), box)
    bwrap = replace(bwrap, inputs=base / "inputs")
    data = (base / "data", data_at) if data_at is not None else None
    return root, ForkedKernel(server, bwrap, spec, data, watch)
