"""The grader's side of a kernel's sockets (coursekit/grading/kernels/client.py) and what run.py keeps: whatever a
kernel sends, the grader holds a bounded amount of it. A kernel sends 1 GB of outputs while the grader reads none of them; the grader's
resident memory is measured before and after. Negative control: the same with a client made the usual way."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import zmq.asyncio
from nbformat.v4 import new_code_cell, new_notebook

from coursekit.grading import run as run_module
from coursekit.grading.kernels.client import MAX_MESSAGE, OUTPUT_QUEUE, REPLY_QUEUE
from coursekit.grading.kernels.process import started
from coursekit.grading.kernels.spec import KernelSpec, Limits
from coursekit.grading.run import NOTEBOOK_OUTPUT_CELLS, run_notebook

MB = 2**20
SENT = 50 * 20 * MB  # 50 displays of 20 MB each, all sent before the reply
FLOOD = """from IPython.display import display
_big = "x" * (20 * 2**20)
for _ in range(50):
    display({"text/plain": _big}, raw=True)
del _big
"""


def _resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


async def _growth(tmp_path: Path, bounded: bool) -> int:
    """How much the grader's resident memory grew while the kernel sent SENT bytes of outputs, none read."""
    kernel = await started(tmp_path, KernelSpec(limits=Limits(memory=0)))  # the kernel may hold what is not read
    client = kernel.kc
    try:
        if not bounded:  # the usual client: a context with ZMQ's defaults (queues of 1000 messages, any size)
            client = kernel.km.client(context=zmq.asyncio.Context())
            client.start_channels()
            kernel.kc.stop_channels()
        before = _resident()
        msg_id = client.execute(FLOOD, store_history=False)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the reply comes once every display was sent
            reply = await client.get_shell_msg(timeout=deadline - time.monotonic())
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        await asyncio.sleep(2.0)  # ZMQ's own thread reads what it may meanwhile
        return _resident() - before
    finally:
        if client is not kernel.kc:
            client.stop_channels()
        await kernel.stop()


def test_the_grader_holds_a_bounded_part_of_what_a_kernel_sends(tmp_path):
    growth = asyncio.run(_growth(tmp_path, bounded=True))
    bound = (OUTPUT_QUEUE + 2 * REPLY_QUEUE) * MAX_MESSAGE  # the queues at their fullest (client.py)
    assert growth < bound + 64 * MB, f"the grader grew by {growth / MB:.0f} MB while 1000 MB went unread"


def test_control_a_client_with_zmq_defaults_holds_all_of_it(tmp_path):
    growth = asyncio.run(_growth(tmp_path, bounded=False))
    assert growth > SENT * 0.7, f"the grader grew by only {growth / MB:.0f} MB"


def _kept_by_a_long_notebook(tmp_path: Path) -> int:
    """Bytes of output kept from 120 cells that each print 100 kB (12 MB in all)."""
    cells = [new_code_cell('print("x" * 100_000)') for _ in range(120)]
    nb = new_notebook(cells=cells)

    async def go() -> int:
        kernel = await started(tmp_path, KernelSpec())
        try:
            run = await run_notebook(nb, kernel, Limits(), {})
        finally:
            await kernel.stop()
        return sum(len(out.get("text", "")) for cell in run.cells.values() for out in cell.outputs)

    return asyncio.run(go())


def test_a_notebook_keeps_a_bounded_amount_of_output(tmp_path):
    kept = _kept_by_a_long_notebook(tmp_path)
    assert kept <= Limits().output_bytes * NOTEBOOK_OUTPUT_CELLS + 120 * 200, kept  # plus one short note a cell


def test_control_without_the_notebook_budget_every_cell_keeps_its_output(tmp_path, monkeypatch):
    monkeypatch.setattr(run_module, "NOTEBOOK_OUTPUT_CELLS", 10**6)
    assert _kept_by_a_long_notebook(tmp_path) >= 120 * 100_000
