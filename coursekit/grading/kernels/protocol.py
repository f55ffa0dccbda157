"""What the grader needs of a running kernel (`Kernel`) and of a way to start kernels (`KernelProvider`), however
they are made: as a process of their own, plain or in bubblewrap (process.py), or forked from the batch's fork
server (forkserver.py). providers.py has the three providers and picks one per batch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.kernels.spec import Limits


class Kernel(Protocol):
    """A started kernel: `folder` (its working folder as the kernel sees it), `limits`, `kc` (its
    AsyncKernelClient), and the four things the grader does to it."""

    folder: Path
    limits: Limits
    kc: Any
    why_ended: str  # set when the grader stopped the kernel itself (over its memory cap): said in the row

    async def is_alive(self) -> bool: ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Started:
    """A started kernel and the host folder made for it (removed with it)."""

    root: Path
    kernel: Kernel

    async def discard(self) -> None:
        """Stop the kernel and everything it started, then remove its folder (never raises)."""
        try:
            await self.kernel.stop()
        except Exception:  # noqa: BLE001, S110 - a kernel that will not stop is killed with its process group
            pass
        remove_tree(self.root)


class KernelProvider(Protocol):
    """Starts a batch's kernels, each in a fresh folder holding the assignment's files and nothing of any
    submission, with the batch's imports done (when warm); `close` ends whatever the provider itself runs."""

    name: str

    async def start(self) -> Started: ...

    async def close(self) -> None: ...
