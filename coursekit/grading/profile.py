"""Where a grading batch's time goes: seconds per phase, summed over submissions, printed by `grade --profile`
and by `make bench`.

Phases marked "ahead" run in the warm pool while earlier submissions are graded (off a submission's path unless
it has to `wait for kernel`); the others are on the path of the submission. Totals of all phases exceed the
batch's wall time when jobs run in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# (name, what it covers); the order of the table
PHASES: tuple[tuple[str, str], ...] = (
    ("prepare batch", "once: sandbox probe, bytecode, font cache"),
    ("fork server", "once: the server that imports the modules and forks sandboxed kernels"),
    ("kernel start", "ahead: a kernel made in its sandbox (forked by the fork server, or started)"),
    ("fork failed", "a kernel the fork server could not make, started on its own instead"),
    ("imports", "ahead: the assignment's modules pre-imported (kernels not forked)"),
    ("wait for kernel", "a submission waiting for a ready kernel"),
    ("restore", "read the notebook, put the instructor's cells back"),
    ("checker prelude", "ahead: the assignment's set-up cells run in the checker before its submission is known"),
    ("checker setup", "the clean room's code put in the student kernel and the checker"),
    ("cells", "the notebook's cells: the student's in its kernel, the instructor's in the checker"),
    ("checker", "part of cells: instructor cells in the checker, with fetches and calls"),
    ("fetch", "part of checker: the student's values read and bound in the checker"),
    ("calls", "part of checker: the student's functions called by the tests, in the student kernel"),
    ("scoring", "scores from the cells' outputs"),
    ("kernel stop", "kill the kernel, remove its folder"),
    ("writing", "gradebook rows, CSVs, feedback, report"),
)


@dataclass
class Profile:
    """Seconds and counts per phase. Not thread-safe: fill it from one thread (the batch's event loop)."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    submissions: int = 0
    wall: float = 0.0

    def add(self, phase: str, seconds: float) -> None:
        """Count one occurrence of `phase` that took `seconds`."""
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        self.counts[phase] = self.counts.get(phase, 0) + 1

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Time the block as one occurrence of `phase` (also when it raises)."""
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.add(phase, time.monotonic() - t0)

    def table(self) -> str:
        """A small text table: phase, total seconds, times, mean seconds, what it covers."""
        lines = [
            f"profile: {self.submissions} submissions graded in {self.wall:.1f} s wall time",
            f"  {'phase':<16} {'total s':>8} {'times':>6} {'mean s':>7}  covers",
        ]
        known = [name for name, _ in PHASES]
        described = dict(PHASES)
        for name in known + sorted(set(self.seconds) - set(known)):
            if name not in self.seconds:
                continue
            total, n = self.seconds[name], self.counts[name]
            lines.append(f"  {name:<16} {total:8.2f} {n:6d} {total / n:7.3f}  {described.get(name, '')}")
        return "\n".join(lines)
