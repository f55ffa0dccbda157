"""What a grading kernel starts with, written once for every way of starting one: its resource limits (`Limits`)
and the rest of its description (`KernelSpec`: environment, files, data folder, imports, font cache), rendered by
`KernelSpec.environment`, `rlimits` and `launch_argv` for the providers (providers.py)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.execute import KERNEL_ENV, kernel_env
from coursekit.grading.kernels.sandbox import sandbox_env

TOKEN_VARIABLE = "COURSEKIT_SANDBOX"  # each kernel's own token, in the environment of its every process
DATA_VARIABLE = "HYPE_KIT_DATA"  # where the kernel finds the kit's data folder
GRADING_ENV = {"NBGRADER_EXECUTION": "autograde", "PYTHONDONTWRITEBYTECODE": "1"}
LAUNCHER_MODULE = "coursekit.grading.kernels.launch"

Imports = tuple[tuple[str, tuple[str, ...]], ...]  # (module, names taken from it by `from module import ...`)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission. Sizes in bytes, times in seconds (0 means no limit)."""

    cell_timeout: float = 30.0
    notebook_timeout: float = 300.0
    memory: int = 2048 * 2**20  # each process's address space, and the kernel's processes together (watchdog.py)
    file_size: int = 256 * 2**20
    output_bytes: int = 100_000
    processes: int = 256  # sandboxed: processes of the kernel's user, counted in its own user namespace


# ipykernel's arguments for every grading kernel, started (launch.py) or forked (forkserver_program.py).
KERNEL_FLAGS = (
    "-f",
    "{connection_file}",
    "--HistoryManager.enabled=False",
    # Plain tracebacks: scores and feedback use only an error's name and message, and IPython's default
    # (Context) formatting costs about 7 ms more per failing cell, canaries included (make bench).
    "--InteractiveShell.xmode=Plain",
)


def kernel_flags(connection_file: str = "{connection_file}") -> list[str]:
    """ipykernel's arguments, with the connection file's path filled in (jupyter_client fills the placeholder)."""
    return [flag.replace("{connection_file}", connection_file) for flag in KERNEL_FLAGS]


@dataclass(frozen=True)
class KernelSpec:
    """Everything a batch's kernels start with, whichever provider starts them: `limits`; `files` (the
    assignment's files, (host path, name in the working folder)); `data_dir` (the kit's data, shown read-only);
    `env` (what the grader adds to a fresh kernel's environment); `imports` (done before the first cell, when
    warm); `home_seed` (a folder copied into HOME first: the font cache, pool.py)."""

    limits: Limits = field(default_factory=Limits)
    files: tuple[tuple[Path, str], ...] = ()
    data_dir: Path | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(GRADING_ENV))
    imports: Imports = ()
    home_seed: Path | None = None

    def environment(self, token: str, data_at: Path | None, sandboxed: bool) -> dict[str, str]:
        """The kernel's environment: built from nothing in a sandbox (sandbox_env), the grader's own otherwise;
        with the grader's additions, the data folder's path and the kernel's `token`."""
        own = {**KERNEL_ENV, **self.env, TOKEN_VARIABLE: token}
        if data_at is not None:
            own[DATA_VARIABLE] = str(data_at)
        return sandbox_env(own) if sandboxed else {**kernel_env(), **own}

    def rlimits(self, sandboxed: bool) -> tuple[int, int, int]:
        """(address space, file size, processes) for limits.set_limits. Unsandboxed, no process cap: the
        grader's own user's processes would be counted."""
        return self.limits.memory, self.limits.file_size, self.limits.processes if sandboxed else 0

    def launch_argv(self, sandboxed: bool, inputs: Path | None = None) -> list[str]:
        """The command line of launch.py for a kernel of its own; `inputs`: a folder copied into its working folder
        first (sandboxed: the assignment's files, shown read-only)."""
        seed = self.home_seed if sandboxed else None
        limits = [str(v) for v in self.rlimits(sandboxed)]
        return [sys.executable, "-m", LAUNCHER_MODULE, *limits, str(inputs or ""), str(seed or ""), "--",
                *kernel_flags()]
