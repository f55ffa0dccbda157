"""What one submission is graded with: a slot holds its student kernel and, with the clean room, a checker kernel
made by the same provider that has run the assignment's set-up cells (its prelude, cleanroom.py). A slot serves one
submission and is discarded after it, whatever happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from coursekit.grading.assignment import Assignment
from coursekit.grading.cleanroom import prelude, run_prelude
from coursekit.grading.kernels.protocol import KernelProvider, Started
from coursekit.grading.profile import Profile


@dataclass
class Slot:
    """A student kernel, and (clean room) a checker kernel with the prelude it ran."""

    student: Started
    checker: Started | None = None
    prelude: tuple[str, ...] = ()

    async def discard(self) -> None:
        """Stop both kernels and remove their folders (never raises)."""
        for started in (self.student, self.checker):
            if started is not None:
                await started.discard()


async def new_slot(
    provider: KernelProvider, assignment: Assignment, clean_room: bool, prelude_timeout: float, profile: Profile
) -> Slot:
    """A slot for one submission: its kernel, and with the `clean_room` a checker started at the same time (if
    either fails, neither is kept) that has run the prelude (when the prelude does not run to its end, the checker
    is restarted and runs every instructor cell in its place)."""
    if not clean_room:
        return Slot(await provider.start())
    made = await asyncio.gather(provider.start(), provider.start(), return_exceptions=True)
    kept = [m for m in made if isinstance(m, Started)]
    failed = [m for m in made if not isinstance(m, Started)]
    if failed:
        for started in kept:
            await started.discard()
        raise failed[0]
    slot = Slot(kept[0], kept[1])
    sources = prelude(assignment.source)
    if sources:
        with profile.timed("checker prelude"):
            try:
                if await run_prelude(kept[1].kernel, sources, prelude_timeout):
                    slot.prelude = sources
                else:
                    await kept[1].kernel.restart()
            except BaseException:
                await slot.discard()
                raise
    return slot


async def discard_task(task: asyncio.Future[Slot]) -> None:
    """Discard the slot a task made, or is still making (never raises)."""
    try:
        slot = await task
    except BaseException:  # noqa: BLE001 - a slot that failed to start left nothing behind
        return
    await slot.discard()
