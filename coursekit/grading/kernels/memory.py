"""The cap on a kernel's memory with all its children, as the grader applies it: each kernel registers itself with the
batch's `MemoryWatch` (watchdog.py) once started, and leaves it when stopped; a kernel over its cap is killed at
once and says why. cgroup v2 (`memory.max`) is not used: the grader sets up no cgroup (see INSTRUCTORS.md)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from coursekit.grading.kernels.watchdog import MemoryWatch

MB = 2**20
WATCH_INTERVAL = 0.25  # seconds between two scans of /proc


def over_cap_message(total: int, limit: int) -> str:
    """What the row says of a kernel stopped over its memory cap."""
    return (
        f"its processes together used {total / MB:.0f} MB, above the {limit / MB:.0f} MB limit, "
        "and the grader stopped it"
    )


class Watched:
    """One kernel's place in a MemoryWatch: `enter` after each start, `leave` at each stop."""

    def __init__(self, watch: MemoryWatch | None, limit: int, kill: Callable[[str], None]) -> None:
        self.watch, self.limit, self.kill = watch, limit, kill
        self.key = ""

    def enter(self, anchor: int | None, token: str | None = None) -> None:
        """Watch the kernel of process `anchor` (with `token`: an unsandboxed kernel's tag)."""
        if self.watch is None or anchor is None or self.limit <= 0:
            return
        self.key = secrets.token_hex(8)
        self.watch.watch(self.key, anchor, self.limit, lambda _key, total: self.kill(over_cap_message(total, self.limit)), token)

    def leave(self) -> None:
        if self.watch is not None and self.key:
            self.watch.unwatch(self.key)
        self.key = ""
