"""A sandboxed kernel: a fresh python3 kernel in its own folder, with resource limits, whose every process is
killed at the end.

The kernel is started by a tiny launcher (`LAUNCHER`) that lowers its own limits before ipykernel loads: address
space (`RLIMIT_AS`, the memory cap), size of any file it writes (`RLIMIT_FSIZE`) and core dumps. jupyter_client
starts it in a new session, so `shutdown` can kill the whole process group; every process also carries a unique
token in its environment, so that children that left the group (`setsid`, double fork) are found in /proc and
killed too. That protects the batch from mistakes. Against hostile code, the kernel runs inside a bubblewrap
sandbox when a `BwrapSpec` is given (see sandbox.py): then it talks over Unix sockets in the spec's `run` folder,
its environment is built from nothing, and killing bwrap ends every process of the sandbox.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

from coursekit.execute import KERNEL_ENV, kernel_config, kernel_env
from coursekit.grading.sandbox import BwrapSpec, bwrap_argv, sandbox_env

TOKEN_VARIABLE = "COURSEKIT_SANDBOX"
STARTUP_TIMEOUT = 60.0
MAX_MESSAGE = 32 * 2**20  # bytes: a larger message from a kernel drops its connection (then it reconnects)


def bounded_context() -> zmq.asyncio.Context:
    """A ZMQ context of its own for one kernel client, whose sockets refuse any message above MAX_MESSAGE: a kernel
    cannot make the grader hold one huge output (the clean room's values are smaller, cleanroom.LIMITS)."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    return context


def close_context(kc) -> None:
    """Stop a client's channels and close its own context."""
    with contextlib.suppress(Exception):
        kc.stop_channels()
    with contextlib.suppress(Exception):
        kc.context.destroy(linger=0)

LAUNCHER = """\
import resource, sys
def _cap(limit, value):
    if value > 0:
        soft, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value if hard == resource.RLIM_INFINITY else hard))
_cap(resource.RLIMIT_AS, int(sys.argv.pop(1)))
_cap(resource.RLIMIT_FSIZE, int(sys.argv.pop(1)))
_cap(resource.RLIMIT_NPROC, int(sys.argv.pop(1)))  # 0 (unsandboxed): the grader's own user would be counted
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
_inputs = sys.argv.pop(1)
_seed = sys.argv.pop(1)
if _inputs or _seed:
    import os, shutil
if _inputs:
    shutil.copytree(_inputs, ".", dirs_exist_ok=True)
if _seed:
    for _name in os.listdir(_seed):
        shutil.copytree(os.path.join(_seed, _name), os.path.join(os.path.expanduser("~"), _name), dirs_exist_ok=True)
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission. Sizes in bytes, times in seconds (0 means no limit)."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory: int = 2048 * 2**20
    file_size: int = 256 * 2**20
    output_bytes: int = 100_000
    processes: int = 256  # sandboxed: processes of the kernel's user, counted in its own user namespace


# ipykernel's arguments for every grading kernel, started (kernel_argv) or forked (forkserver.py).
KERNEL_FLAGS = (
    "-f",
    "{connection_file}",
    "--HistoryManager.enabled=False",
    # Plain tracebacks: scores and feedback use only an error's name and message, and IPython's default
    # (Context) formatting costs about 7 ms more per failing cell, canaries included (make bench).
    "--InteractiveShell.xmode=Plain",
)


def kernel_argv(
    limits: Limits, inputs: Path | None = None, home_seed: Path | None = None, sandboxed: bool = False
) -> list[str]:
    """python3 through the resource-limiting launcher; `inputs`: a folder copied into the working folder first;
    `home_seed`: a folder whose entries are copied into HOME first (a prebuilt font cache, pool.py); `sandboxed`:
    the process cap applies (in a sandbox the kernel's user is counted in its own user namespace)."""
    return [
        sys.executable,
        "-c",
        LAUNCHER,
        str(limits.memory),
        str(limits.file_size),
        str(limits.processes if sandboxed else 0),
        str(inputs or ""),
        str(home_seed or ""),
        *KERNEL_FLAGS,
    ]


class _SpecManager(KernelSpecManager):
    """Hands out one kernel spec: the argv given (the launcher, inside bwrap or not)."""

    argv: list[str] = []
    interrupt_mode: str = "signal"

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=list(self.argv),
            display_name="Python 3 (coursekit sandbox)",
            language="python",
            interrupt_mode=self.interrupt_mode,
        )


class Kernel(Protocol):
    """What the grader needs of a running kernel, however it was started (`SandboxKernel`: its own process,
    sandboxed or not; `forkserver.ForkedKernel`: forked by the batch's fork server)."""

    folder: Path
    limits: Limits
    kc: Any  # the started kernel's AsyncKernelClient

    async def is_alive(self) -> bool: ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> None: ...

    async def stop(self) -> None: ...


class SandboxKernel:
    """One kernel process tree, started in `folder`; `await start()`, then use `km`/`kc`, then `await stop()`.

    With `bwrap`, the kernel runs in that bubblewrap sandbox (`folder` must be `bwrap.work`) and its environment
    is `sandbox_env` of `extra_env`; without, it runs as a plain child process with the grader's environment.
    """

    def __init__(
        self,
        folder: Path,
        limits: Limits,
        extra_env: dict[str, str] | None = None,
        bwrap: BwrapSpec | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.limits = limits
        self.bwrap = bwrap
        self.token = uuid.uuid4().hex
        self.spec_manager = _SpecManager()
        self.km = AsyncKernelManager(
            kernel_name="coursekit-sandbox", kernel_spec_manager=self.spec_manager, config=kernel_config()
        )
        self.km.shutdown_wait_time = 0.5
        self.kc: Any = None  # an AsyncKernelClient once started
        self.extra_env = dict(extra_env or {})
        if bwrap is not None:
            self.km.transport = "ipc"
            self.km.ip = str(bwrap.run / "kernel")
            self.km.connection_file = str(bwrap.run / "kernel.json")
            self.spec_manager.interrupt_mode = "message"  # a signal to bwrap would not reach the kernel
        self._set_env()

    def _set_env(self) -> None:
        if self.bwrap is None:
            self.env = {**kernel_env(), **self.extra_env, TOKEN_VARIABLE: self.token}
            self.spec_manager.argv = kernel_argv(self.limits)
        else:
            self.env = sandbox_env({**KERNEL_ENV, **self.extra_env, TOKEN_VARIABLE: self.token})
            spec = replace(self.bwrap, env=self.env)
            argv = kernel_argv(self.limits, self.bwrap.inputs, self.bwrap.home_seed, sandboxed=True)
            self.spec_manager.argv = bwrap_argv(spec, argv)
        self.km._kernel_spec = None  # built again from the new argv at the next start

    async def start(self) -> None:
        """Start the kernel and wait until it answers."""
        env = self.env if self.bwrap is None else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        await self.km.start_kernel(
            cwd=str(self.folder if self.bwrap is None else self.bwrap.run),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.kc = self.km.client(context=bounded_context())
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        self.kc.allow_stdin = False

    async def is_alive(self) -> bool:
        """True while the kernel process runs."""
        return bool(await self.km.is_alive())

    async def interrupt(self) -> None:
        """Send SIGINT to the kernel's process group (the student's code gets KeyboardInterrupt)."""
        with contextlib.suppress(Exception):
            await self.km.interrupt_kernel()

    async def restart(self) -> None:
        """Kill the kernel and everything it started, then start a fresh one in the same folder."""
        await self.stop(restart=True)
        self.token = uuid.uuid4().hex
        self._set_env()
        await self.start()

    async def stop(self, restart: bool = False) -> None:
        """Kill the kernel's process group at once, then any process that still carries our token. With
        `restart`, the manager's ZMQ context is kept for the next start."""
        if self.kc is not None:
            close_context(self.kc)
            self.kc = None
        with contextlib.suppress(Exception):
            if self.km.has_kernel:
                await self.km.shutdown_kernel(now=True, restart=restart)
        with contextlib.suppress(Exception):
            await self.km.cleanup_resources(restart=restart)
        kill_tagged(self.token)


def tagged_processes(token: str) -> list[int]:
    """Pids of the processes whose environment holds our token (Linux /proc; elsewhere an empty list)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    needle = f"{TOKEN_VARIABLE}={token}".encode() + b"\0"
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ + b"\0":
            found.append(int(entry.name))
    return found


def kill_tagged(token: str) -> int:
    """SIGKILL every process carrying `token` (children that escaped the process group); how many."""
    killed = 0
    for pid in tagged_processes(token):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


START_ATTEMPTS = 2


async def started(
    folder: Path, limits: Limits, extra_env: dict[str, str] | None = None, bwrap: BwrapSpec | None = None
) -> SandboxKernel:
    """A started SandboxKernel (stopped again if starting fails). A kernel that dies before it answers is started
    once more: an unsandboxed kernel's TCP ports are picked free, then bound by the kernel a moment later, and on a
    busy machine another process can take one in between (no student code has run yet)."""
    for attempt in range(1, START_ATTEMPTS + 1):
        kernel = SandboxKernel(folder, limits, extra_env, bwrap)
        try:
            await kernel.start()
        except RuntimeError:
            await kernel.stop()
            if attempt == START_ATTEMPTS:
                raise
        except BaseException:
            await kernel.stop()
            raise
        else:
            return kernel
    raise AssertionError("unreachable")
