"""Execute a prepared notebook in a sandboxed kernel: per-cell timeout (interrupt, mark, go on), a deadline for
the whole notebook, a cap on stored output, and a clear record of what happened to every code cell."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING

from nbformat import NotebookNode
from nbformat.v4 import output_from_msg

from coursekit.grading.kernels.protocol import Kernel
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.status import CellStatus

if TYPE_CHECKING:
    from coursekit.grading.cleanroom import CleanRoom

INTERRUPT_GRACE = 3.0  # seconds a kernel gets to stop after an interrupt before it is killed
POLL = 1.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")
MAX_TRACEBACK_LINES = 60
MAX_ENAME = 80  # characters of an error's name kept
NOTEBOOK_OUTPUT_CELLS = 50  # a notebook keeps at most this many cells' worth of output (Limits.output_bytes each)

OK, ERROR, TIMEOUT, DIED, NOT_RUN = (
    CellStatus.OK,
    CellStatus.ERROR,
    CellStatus.TIMEOUT,
    CellStatus.DIED,
    CellStatus.NOT_RUN,
)


@dataclass
class CellRun:
    """What happened to one code cell. `line` is the 1-based line of the cell that raised, when known."""

    status: str = NOT_RUN
    outputs: list[NotebookNode] = field(default_factory=list)
    ename: str = ""
    evalue: str = ""
    line: int | None = None
    stderr: bool = False
    dropped_bytes: int = 0
    seconds: float = 0.0


@dataclass
class NotebookRun:
    """Per code cell index, its CellRun; `status` is complete, timeout or died, with a human message."""

    cells: dict[int, CellRun]
    status: str = "complete"
    message: str = ""


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes."""
    return _ANSI.sub("", text)


def failing_line(traceback: list[str]) -> int | None:
    """The line of the executed cell that raised, read from IPython's first `Cell In[n], line L` frame."""
    for entry in traceback:
        match = _CELL_FRAME.search(strip_ansi(entry))
        if match:
            return int(match.group(1))
    return None


def _size(out: NotebookNode) -> int:
    if out.output_type == "stream":
        return len(out.text.encode("utf-8", "replace"))
    return len(json.dumps(out.get("data", {}), default=str))


class _Collector:
    """Outputs of one cell with a byte cap; errors and the last expression's value are always kept (the score
    depends on them), trimmed if huge."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.run = CellRun(status=OK)
        self.used = 0

    def add(self, msg: dict) -> None:
        kind = msg["msg_type"]
        if kind == "clear_output":
            self.run.outputs = [o for o in self.run.outputs if o.output_type in ("error", "execute_result")]
            return
        if kind not in ("stream", "display_data", "execute_result", "error"):
            return
        try:
            out = output_from_msg(msg)
        except ValueError:
            return
        if kind == "stream" and out.name == "stderr":
            self.run.stderr = True
        if kind in ("error", "execute_result") and any(o.output_type == kind for o in self.run.outputs):
            self.run.dropped_bytes += _size(out)  # a cell raises once and has one value: more is not the cell's
            return
        if kind == "error":
            self.run.status = ERROR
            out.ename, out.evalue = str(out.ename)[:MAX_ENAME], str(out.evalue)[:2000]
            self.run.ename, self.run.evalue = out.ename, out.evalue
            self.run.line = failing_line(out.traceback)
            out.traceback = (  # once the notebook's output budget is spent, the error's name and message only
                [entry[:2000] for entry in out.traceback[-MAX_TRACEBACK_LINES:]] if self.cap > 0 else []
            )
            self.run.outputs.append(out)
            self.used += _size(out)
            return
        if kind == "execute_result":
            plain = out.get("data", {}).get("text/plain", "")
            out.data = {"text/plain": plain[:2000]} if _size(out) > self.cap - self.used else out.data
            self.run.outputs.append(out)
            self.used += _size(out)
            return
        size = _size(out)
        room = self.cap - self.used
        if size <= room:
            last = self.run.outputs[-1] if self.run.outputs else None
            if (
                kind == "stream"
                and last is not None
                and last.output_type == "stream"
                and last.name == out.name
            ):
                last.text += out.text
            else:
                self.run.outputs.append(out)
            self.used += size
        elif kind == "stream" and room > 0:
            kept = out.text.encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
            out.text = kept
            self.run.outputs.append(out)
            self.used = self.cap
            self.run.dropped_bytes += size - len(kept.encode("utf-8"))
        else:
            self.run.dropped_bytes += size

    def finish(self) -> CellRun:
        if self.run.dropped_bytes:
            note = f"\n[coursekit: {self.run.dropped_bytes} more bytes of output were not kept]\n"
            self.run.outputs.append(NotebookNode(output_type="stream", name="stdout", text=note))
        return self.run


def _kept(run: CellRun) -> int:
    """The bytes of output a cell's run kept."""
    return sum(_size(out) for out in run.outputs)


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


async def _wait_idle(kernel: Kernel, msg_id: str, deadline: float, sink: _Collector | None) -> str:
    """Read iopub until `msg_id` is done: 'idle', or 'timeout' at `deadline`, or 'died'."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        try:
            msg = await kernel.kc.get_iopub_msg(timeout=min(POLL, left))
        except Empty:
            if not await kernel.is_alive():
                return "died"
            continue
        if is_idle(msg, msg_id, sink):
            return "idle"


def is_idle(msg: dict, msg_id: str, sink: _Collector | None) -> bool:
    """Whether an iopub message says request `msg_id` is done; its other messages go to `sink`, others' are
    dropped."""
    if msg["parent_header"].get("msg_id") != msg_id:
        return False
    if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
        return True
    if sink is not None:
        sink.add(msg)
    return False


async def _drain_shell(kernel: Kernel) -> None:
    while True:
        try:
            await kernel.kc.get_shell_msg(timeout=0)
        except Empty:
            return


async def evaluate(kernel: Kernel, expression: str, timeout: float) -> dict | None:
    """Evaluate `expression` in the kernel between cells, as the user expression of a silent request (no input or
    AST transformer sees it, nothing is stored, no name is bound). The reply's value ({"status", "data"} or an
    error), or {"status": "error", "ename": ...} when the reply carries none; None when the kernel died, or gave
    no reply within `timeout` seconds (it is then interrupted)."""
    msg_id = kernel.kc.execute(
        "", silent=True, store_history=False, allow_stdin=False, user_expressions={"r": expression}
    )
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await kernel.kc.get_shell_msg(timeout=min(1.0, left))
        except Empty:
            if not await kernel.is_alive():
                return None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            content = msg["content"]
            value = content.get("user_expressions", {}).get("r")
            return value if value else {"status": "error", "ename": content.get("ename") or "no answer"}
    await kernel.interrupt()
    return None


async def run_silently(kernel: Kernel, code: str, timeout: float = 10.0) -> str:
    """Run instructor code that stores no output (e.g. restoring the working folder); 'idle' when done."""
    msg_id = kernel.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
    return await _wait_idle(kernel, msg_id, time.monotonic() + timeout, None)


async def run_notebook(
    nb: NotebookNode,
    kernel: Kernel,
    limits: Limits,
    labels: dict[int, str],
    before: dict[int, str] | None = None,
    room: CleanRoom | None = None,
    tests: set[int] | None = None,
) -> NotebookRun:
    """Run the code cells of `nb` in order in `kernel`, storing outputs in the cells. `labels` names cells in
    messages; `before[i]`, if given, is run silently just before cell i (the instructor's cells). With a clean
    `room` (cleanroom.py), the cells in `tests` run in its checker instead, never in `kernel`, and the other
    instructor cells (those in `before`) run in both. Never raises for what the code does."""
    before = before or {}
    tests = tests or set()
    start = time.monotonic()
    nb_deadline = start + limits.notebook_timeout if limits.notebook_timeout > 0 else float("inf")
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
    result = NotebookRun(cells={i: CellRun() for i in code})
    budget = limits.output_bytes * NOTEBOOK_OUTPUT_CELLS  # what the notebook's outputs may still keep, in bytes
    for n, index in enumerate(code):
        output_cap = max(0, min(limits.output_bytes, budget))
        cell = nb.cells[index]
        label = labels.get(index, f"cell {index + 1}")
        if time.monotonic() >= nb_deadline:
            result.status = "timeout"
            result.message = (
                f"the notebook took longer than {limits.notebook_timeout:g} s; {label} and the "
                f"{len(code) - n - 1} code cells after it were not run"
            )
            break
        cell_limit = limits.cell_timeout if limits.cell_timeout > 0 else float("inf")
        if room is not None and index in tests:
            deadline = min(time.monotonic() + cell_limit, nb_deadline)
            run = await room.run_instructor_cell(
                cell.source, label, deadline, output_cap, min(cell_limit, limits.notebook_timeout or cell_limit)
            )
            result.cells[index] = run
            cell.outputs = run.outputs
            budget -= _kept(run)
            continue
        if index in before:
            await run_silently(kernel, before[index])
        t0 = time.monotonic()
        deadline = min(t0 + cell_limit, nb_deadline)
        sink = _Collector(output_cap)
        msg_id = kernel.kc.execute(cell.source, store_history=True, allow_stdin=False, stop_on_error=False)
        outcome = await _wait_idle(kernel, msg_id, deadline, sink)
        if outcome == "timeout":
            await kernel.interrupt()
            stopped = await _wait_idle(kernel, msg_id, time.monotonic() + INTERRUPT_GRACE, None)
            waited = time.monotonic() - t0
            run = sink.finish()
            run.status = TIMEOUT
            run.outputs = [o for o in run.outputs if o.output_type != "error"]
            run.ename, run.line = "TimeoutError", None
            run.evalue = f"{label} was stopped after {waited:.0f} s (the limit is {min(cell_limit, limits.notebook_timeout or cell_limit):g} s)"
            run.outputs.append(_error_output(run.ename, run.evalue))
            run.seconds = waited
            result.cells[index] = run
            cell.outputs = run.outputs
            if stopped != "idle":
                await kernel.restart()  # the code ignored the interrupt: a fresh kernel for what follows
                if room is not None:
                    await room.setup_student()
                result.message = f"{label} ignored the interrupt after its timeout; the kernel was restarted"
            continue
        if outcome == "died":
            run = sink.finish()
            run.status, run.ename = DIED, "DeadKernelError"
            run.evalue = (
                f"the kernel was stopped while running {label}: {kernel.why_ended}"
                if kernel.why_ended
                else f"the kernel died while running {label} (the code exited Python or crashed)"
            )
            run.outputs.append(_error_output(run.ename, run.evalue))
            run.seconds = time.monotonic() - t0
            result.cells[index] = run
            cell.outputs = run.outputs
            result.status = "died"
            result.message = run.evalue + (
                f"; the {len(code) - n - 1} code cells after it were not run" if n + 1 < len(code) else ""
            )
            break
        await _drain_shell(kernel)
        run = sink.finish()
        run.seconds = time.monotonic() - t0
        result.cells[index] = run
        cell.outputs = run.outputs
        budget -= _kept(run)
        if room is not None and index in before:  # a read-only cell: the tests need what it binds too
            await room.run_instructor_cell(
                cell.source, label, min(time.monotonic() + cell_limit, nb_deadline), limits.output_bytes, cell_limit
            )
    for index, run in result.cells.items():
        if run.status == NOT_RUN:
            nb.cells[index].outputs = []
    return result


def sandbox_chdir(folder: Path) -> str:
    """Code that moves the kernel back to `folder` (run before each instructor cell)."""
    return f"import os as _coursekit_os\n_coursekit_os.chdir({str(folder)!r})\ndel _coursekit_os"
