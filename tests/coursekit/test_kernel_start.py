"""Starting and describing a kernel, without starting one. kernels/process.started(): a kernel that dies before it
answers is started once more (its TCP ports can be taken in between on a busy machine); a second death, or any other
failure, is raised, and every attempt is stopped. The launcher's command line, as spec.py writes it and launch.py
reads it. steps.grade_one stops at the first step for a file that is not a notebook."""

from __future__ import annotations

import asyncio
from pathlib import Path

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


# --- the launcher's command line (coursekit/grading/kernels/launch.py) ------------------------------------------


def test_the_launcher_reads_its_command_line_as_the_spec_writes_it():
    from coursekit.grading.kernels.launch import parse
    from coursekit.grading.kernels.spec import Limits

    argv = KernelSpec(limits=Limits(memory=123, file_size=45, processes=6)).launch_argv(True, Path("/in"))
    limits, inputs, seed, kernel_args = parse(argv[3:])  # after: python -m coursekit.grading.kernels.launch
    assert limits == (123, 45, 6) and inputs == "/in" and seed == ""
    assert kernel_args[:2] == ["-f", "{connection_file}"]
    assert (
        parse(KernelSpec(limits=Limits(processes=6)).launch_argv(False)[3:])[0][2] == 0
    )  # unsandboxed: no cap


@pytest.mark.parametrize(
    "argv", [[], ["1", "2", "3", "", ""], ["1", "2", "3", "", "", "-f", "x"], ["a", "2", "3", "", "", "--"]]
)
def test_a_malformed_launcher_command_line_is_refused(argv):
    from coursekit.grading.kernels.launch import parse

    with pytest.raises(ValueError):
        parse(argv)


# --- grading one submission: its steps (coursekit/grading/steps.py) ---------------------------------------------


def test_a_file_that_is_not_a_notebook_ends_at_the_first_step_and_starts_no_kernel(tmp_path):
    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.options import Options
    from coursekit.grading.steps import grade_one
    from coursekit.grading.submissions import Submission

    class NoKernels:
        name = "none"

        async def start(self):
            raise AssertionError("a kernel was started")

        async def close(self) -> None:
            pass

    source = (
        Path(__file__).resolve().parents[1] / "fixtures" / "assignments" / "solutions" / "ps1" / "ps1.ipynb"
    )
    broken = tmp_path / "ann.ipynb"
    broken.write_text("not json")
    result, used = asyncio.run(
        grade_one(load_assignment(str(source)), Submission("ann", broken), Options(), NoKernels())
    )
    assert not used and result.status == "not-a-notebook" and result.questions == [], result
