"""Measure what one student's server uses while running every lesson: the numbers behind the resource guarantees
and limits of INSTRUCTORS.md, "Running a large course".

    hub/.venv/bin/python hub/measure_student.py [--runs 3] [--json OUT]

For each lesson (notebooks/NN-*.ipynb and the glossary) it starts a fresh kernel of this environment, runs the
lesson top to bottom with nbclient (as Run All does), and reads from /proc the kernel's peak resident memory
(VmHWM) and the CPU seconds it used (user + system), then stops the kernel. It also starts a plain
JupyterLab server of this environment (a hub user's server is the same, plus the hub's small extension) and
reads its resident memory once it has served the JupyterLab page. Runs are sequential, on copies of the
lessons in a temporary folder; the median of `--runs` runs is reported. Linux only (reads /proc).

Measured on the 2-core test VM on 2026-12-04 (three runs): see INSTRUCTORS.md, "Running a large course".
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

KIT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def run_lesson(path: Path) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    started = time.monotonic()
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        client.kc.kernel_info()  # the kernel has started and answers
        idle_kb = _status_kb(pid, "VmRSS")
        cpu_before = _cpu_seconds(pid)  # what starting the kernel took
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        peak_kb = _status_kb(pid, "VmHWM")
        cpu = _cpu_seconds(pid) - cpu_before
        end_kb = _status_kb(pid, "VmRSS")
    return {"lesson": path.name, "kernel_idle_mb": idle_kb / 1024, "kernel_peak_mb": peak_kb / 1024,
            "kernel_end_mb": end_kb / 1024, "start_cpu_s": cpu_before, "cpu_s": cpu, "wall_s": time.monotonic() - started}


def server_rss_mb(root: Path) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(8)
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                                 headers={"Authorization": f"token {token}"})
                urllib.request.urlopen(request, timeout=5).close()
                # and once the page itself has been served (loads the lab extension's handlers)
                urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=30).close()
                time.sleep(2)
                return _status_kb(server.pid, "VmRSS") / 1024
            except OSError:
                time.sleep(0.5)
        raise TimeoutError("JupyterLab did not answer")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    lessons = sorted((KIT / "notebooks").glob("[0-9][0-9]-*.ipynb")) + [KIT / "notebooks" / "glossary.ipynb"]
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="measure-student-") as work:
        copy = Path(work) / "notebooks"
        shutil.copytree(KIT / "notebooks", copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        (Path(work) / "data").symlink_to(KIT / "data", target_is_directory=True)
        servers = [server_rss_mb(Path(work)) for _ in range(args.runs)]
        for _ in range(args.runs):
            for lesson in lessons:
                results.setdefault(lesson.name, []).append(run_lesson(copy / lesson.name))
    table = []
    for name, runs in results.items():
        row = {"lesson": name}
        for key in ("kernel_idle_mb", "kernel_peak_mb", "kernel_end_mb", "start_cpu_s", "cpu_s", "wall_s"):
            row[key] = round(statistics.median(r[key] for r in runs), 2)
        table.append(row)
    summary = {
        "cpus": os.cpu_count(), "runs": args.runs, "server_rss_mb": round(statistics.median(servers), 1),
        "lessons": table,
        "sum_of_kernel_peaks_mb": round(sum(r["kernel_peak_mb"] for r in table), 1),
        "largest_kernel_peak_mb": round(max(r["kernel_peak_mb"] for r in table), 1),
        "cpu_s_all_lessons": round(sum(r["cpu_s"] for r in table), 2),
    }
    print(f"{'lesson':34} {'idle MB':>8} {'peak MB':>8} {'end MB':>8} {'start CPU s':>11} {'run CPU s':>9} "
          f"{'wall s':>7}")
    for row in table:
        print(f"{row['lesson']:34} {row['kernel_idle_mb']:8.1f} {row['kernel_peak_mb']:8.1f} "
              f"{row['kernel_end_mb']:8.1f} {row['start_cpu_s']:11.2f} {row['cpu_s']:9.2f} {row['wall_s']:7.2f}")
    print(f"JupyterLab server alone: {summary['server_rss_mb']} MB resident; every lesson's kernel open at once: "
          f"{summary['sum_of_kernel_peaks_mb']} MB (sum of peaks); CPU for every lesson: {summary['cpu_s_all_lessons']} s"
          f" (median of {args.runs} runs, {summary['cpus']} cores)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
