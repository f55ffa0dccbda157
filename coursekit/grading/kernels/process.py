"""A kernel started as a process of its own by jupyter_client, in its own folder, with resource limits, whose
every process is killed at the end.

The kernel runs launch.py (`python -m coursekit.grading.kernels.launch`), which lowers its own limits before
ipykernel loads. jupyter_client starts it in a new session, so `stop` can kill the whole process group; every
process also carries a unique token in its environment, so that children that left the group (`setsid`, double
fork) are found in /proc and killed too. That protects the batch from mistakes. Against hostile code, the kernel
runs inside a bubblewrap sandbox when a `BwrapSpec` is given (sandbox.py): then it talks over Unix sockets in a small
tmpfs of its own (SOCKETS_INSIDE, reached through /proc/<pid>/root), reads its connection file read-only from the
spec's `run` folder, its environment is built from nothing, and killing bwrap ends every process of the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from jupyter_client import AsyncKernelClient, AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec as JupyterKernelSpec
from jupyter_client.kernelspec import KernelSpecManager

from coursekit.execute import kernel_config
from coursekit.grading.kernels.client import bounded_context, close_context, start_bounded
from coursekit.grading.kernels.memory import Watched
from coursekit.grading.kernels.sandbox import SOCKETS_INSIDE, BwrapSpec, bwrap_argv
from coursekit.grading.kernels.spec import TOKEN_VARIABLE, KernelSpec
from coursekit.grading.kernels.watchdog import MemoryWatch, anchor_pid

STARTUP_TIMEOUT = 60.0
KERNEL_NAME = "coursekit-sandbox"  # written into each connection file (janitor.py looks for it)
START_ATTEMPTS = 2


class _SpecManager(KernelSpecManager):
    """Hands out one kernel spec: the argv given (the launcher, inside bwrap or not)."""

    argv: list[str] = []
    interrupt_mode: str = "signal"

    def get_kernel_spec(self, kernel_name: str) -> JupyterKernelSpec:
        return JupyterKernelSpec(
            argv=list(self.argv),
            display_name="Python 3 (coursekit sandbox)",
            language="python",
            interrupt_mode=self.interrupt_mode,
        )


class ProcessKernel:
    """One kernel process tree, started in `folder`; `await start()`, then use `kc`, then `await stop()`.

    With `bwrap`, the kernel runs in that bubblewrap sandbox (`folder` must be `bwrap.work`) and its environment
    is built from nothing; without, it runs as a plain child process with the grader's environment. `data_at`:
    where the kernel finds the data folder.
    """

    def __init__(
        self,
        folder: Path,
        spec: KernelSpec,
        bwrap: BwrapSpec | None = None,
        data_at: Path | None = None,
        watch: MemoryWatch | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.why_ended = ""
        self.watched = Watched(watch, spec.limits.memory, self.kill_now)
        self.spec = spec
        self.limits = spec.limits
        self.bwrap = bwrap
        self.data_at = data_at
        self.token = uuid.uuid4().hex
        self.spec_manager = _SpecManager()
        self.km = AsyncKernelManager(
            kernel_name=KERNEL_NAME, kernel_spec_manager=self.spec_manager, config=kernel_config()
        )
        self.km.shutdown_wait_time = 0.5
        self.kc: Any = None  # an AsyncKernelClient once started
        if bwrap is not None:  # sockets on a tmpfs inside the sandbox (SOCKETS_INSIDE); only the connection file
            self.km.transport = "ipc"  # is on the host (run/), shown read-only
            self.km.ip = f"{SOCKETS_INSIDE}/kernel"
            self.km.connection_file = str(bwrap.run / "kernel.json")
            self.spec_manager.interrupt_mode = "message"  # a signal to bwrap would not reach the kernel
        self._render()

    def _render(self) -> None:
        """The kernel's environment and command line, from the spec and a fresh token."""
        sandboxed = self.bwrap is not None
        self.env = self.spec.environment(self.token, self.data_at, sandboxed)
        argv = self.spec.launch_argv(sandboxed, self.bwrap.inputs if self.bwrap is not None else None)
        if self.bwrap is not None:
            argv = bwrap_argv(replace(self.bwrap, env=self.env, home_seed=self.spec.home_seed, sockets=True), argv)
        self.spec_manager.argv = argv
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
        if self.bwrap is None:
            self.kc = self.km.client(context=bounded_context())
        else:  # the sockets, inside the sandbox, reached through the kernel's own root
            inside = await self._kernel_pid()
            self.kc = AsyncKernelClient(context=bounded_context())
            self.kc.load_connection_info({**self.km.get_connection_info(), "ip": f"/proc/{inside}/root{self.km.ip}"})
        start_bounded(self.kc)
        await self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
        self.kc.allow_stdin = False
        if self.bwrap is not None:  # the kernel in bwrap's PID namespace: every process of the sandbox
            self.watched.enter(anchor_pid(self.token, TOKEN_VARIABLE))
        else:
            self.watched.enter(getattr(self.km.provisioner, "pid", None), self.token)

    async def _kernel_pid(self) -> int:
        """Our pid for the kernel's process inside its sandbox (it carries the token); RuntimeError when the
        sandbox ends, or shows none, before STARTUP_TIMEOUT."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            pid = anchor_pid(self.token, TOKEN_VARIABLE)
            if pid is not None:
                return pid
            if not await self.km.is_alive():
                break
            await asyncio.sleep(0.02)
        raise RuntimeError("the kernel's sandbox ended before the kernel started")

    def kill_now(self, why: str) -> None:
        """Kill the kernel and everything it started at once (from the memory watch), saying `why`."""
        self.why_ended = why
        pid = getattr(self.km.provisioner, "pid", None)
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)  # bwrap's own process: its sandbox dies with it
        kill_tagged(self.token)

    async def is_alive(self) -> bool:
        """True while the kernel process runs."""
        return bool(await self.km.is_alive())

    async def interrupt(self) -> None:
        """Interrupt the running cell (the student's code gets KeyboardInterrupt): SIGINT to the kernel's process
        group, or in a sandbox an interrupt_request on our own control channel (the manager's would not reach)."""
        if self.bwrap is None:
            with contextlib.suppress(Exception):
                await self.km.interrupt_kernel()
        elif self.kc is not None:
            with contextlib.suppress(Exception):
                self.kc.control_channel.send(self.kc.session.msg("interrupt_request", content={}))

    async def restart(self) -> None:
        """Kill the kernel and everything it started, then start a fresh one in the same folder."""
        await self.stop(restart=True)
        self.token = uuid.uuid4().hex
        self._render()
        await self.start()

    async def stop(self, restart: bool = False) -> None:
        """Kill the kernel's process group at once, then any process that still carries our token. With
        `restart`, the manager's ZMQ context is kept for the next start."""
        self.watched.leave()
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


async def started(
    folder: Path,
    spec: KernelSpec,
    bwrap: BwrapSpec | None = None,
    data_at: Path | None = None,
    watch: MemoryWatch | None = None,
) -> ProcessKernel:
    """A started ProcessKernel (stopped again if starting fails). A kernel that dies before it answers is started
    once more: an unsandboxed kernel's TCP ports are picked free, then bound by the kernel a moment later, and on a
    busy machine another process can take one in between (no student code has run yet)."""
    for attempt in range(1, START_ATTEMPTS + 1):
        kernel = ProcessKernel(folder, spec, bwrap, data_at, watch)
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
