"""kernels/process.started(): a kernel that dies before it answers is started once more (its TCP ports can be taken in
between on a busy machine); a second death, or any other failure, is raised, and every attempt is stopped."""

from __future__ import annotations

import asyncio

import pytest

from coursekit.grading.kernels import process as kernel_module
from coursekit.grading.kernels.process import ProcessKernel, started
from coursekit.grading.kernels.spec import KernelSpec


def _fake(monkeypatch, failures: list[BaseException]) -> dict[str, int]:
    counts = {"start": 0, "stop": 0}

    async def start(self) -> None:
        counts["start"] += 1
        if failures:
            raise failures.pop(0)

    async def stop(self, restart: bool = False) -> None:
        counts["stop"] += 1

    monkeypatch.setattr(ProcessKernel, "start", start)
    monkeypatch.setattr(ProcessKernel, "stop", stop)
    return counts


def test_a_kernel_that_died_at_start_up_is_started_once_more(monkeypatch, tmp_path):
    counts = _fake(monkeypatch, [RuntimeError("Kernel died before replying to kernel_info")])
    kernel = asyncio.run(started(tmp_path, KernelSpec()))
    assert isinstance(kernel, ProcessKernel) and counts == {"start": 2, "stop": 1}


def test_two_deaths_are_raised(monkeypatch, tmp_path):
    counts = _fake(monkeypatch, [RuntimeError("died"), RuntimeError("died again")])
    with pytest.raises(RuntimeError, match="died again"):
        asyncio.run(started(tmp_path, KernelSpec()))
    assert counts == {"start": kernel_module.START_ATTEMPTS, "stop": kernel_module.START_ATTEMPTS}


def test_other_failures_are_not_retried(monkeypatch, tmp_path):
    counts = _fake(monkeypatch, [FileNotFoundError("no python")])
    with pytest.raises(FileNotFoundError):
        asyncio.run(started(tmp_path, KernelSpec()))
    assert counts == {"start": 1, "stop": 1}
