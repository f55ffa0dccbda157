"""The kit's benchmarks (`make bench`). Speed goals live here, never in a test.

1. Restart-and-Run-All time of every lesson notebook in a fresh kernel (median of N runs), printed next to a
   floor notebook that only imports pandas and matplotlib and draws one plot, and as a ratio to that floor.
2. Text profiling: hype markers and claim strength over 1 MB of text (goal: under 2 s).
3. The grader against nbgrader, when `bench/bench_grading.py` is present.

Usage: python bench/run_benchmarks.py [--repeats 5] [--only notebooks,text,grading] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
FLOOR_CELLS = [
    "import pandas as pd\nimport matplotlib.pyplot as plt",
    "fig, ax = plt.subplots()\nax.plot([0, 1, 2], [0, 1, 4])\nax.set_title('floor')\nplt.show()",
]


def run_notebook_once(nb: nbformat.NotebookNode, cwd: Path) -> float:
    """Seconds to start a fresh kernel and run every cell of a notebook (Restart and Run All)."""
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute(stderr=subprocess.DEVNULL)  # hide the kernel's start-up warnings
    return time.perf_counter() - start


def median_time(make_nb: Callable[[], nbformat.NotebookNode], cwd: Path, repeats: int) -> float:
    """Median over ``repeats`` fresh-kernel runs."""
    return statistics.median(run_notebook_once(make_nb(), cwd) for _ in range(repeats))


def bench_notebooks(repeats: int) -> None:
    floor = lambda: nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in FLOOR_CELLS])  # noqa: E731
    floor_s = median_time(floor, ROOT / "notebooks", repeats)
    print(f"\nRestart and Run All, median of {repeats} fresh kernels")
    print(f"  {'notebook':<40} {'seconds':>8} {'x floor':>8}")
    print(f"  {'floor (pandas + matplotlib, one plot)':<40} {floor_s:8.2f} {1.0:8.2f}")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        seconds = median_time(lambda p=path: nbformat.read(p, as_version=4), path.parent, repeats)
        print(f"  {path.name:<40} {seconds:8.2f} {seconds / floor_s:8.2f}")


def _timed(label: str, func: Callable[[], object], repeats: int, goal: float | None = None) -> None:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    verdict = "" if goal is None else f"  (goal < {goal:.1f} s: {'met' if seconds < goal else 'MISSED'})"
    print(f"  {label:<52} {seconds:8.3f} s{verdict}")


def bench_text(repeats: int) -> None:
    from appraisal.text import load_article, split_text

    article_text = (ROOT / "data" / "article.txt").read_text(encoding="utf-8")
    megabyte = (article_text + "\n\n") * (1_000_000 // len(article_text) + 1)
    print(f"\nText processing, {len(megabyte) / 1e6:.2f} MB of text (the article repeated), median of {repeats}")
    _timed("split into sentences (appraisal.text.split_text)", lambda: split_text(megabyte), repeats)
    table = split_text(megabyte)
    if importlib.util.find_spec("appraisal.hype"):
        from appraisal.hype import hype_features

        _timed("hype markers per sentence (appraisal.hype)", lambda: hype_features(table), repeats, goal=2.0)
        _timed("split + hype markers", lambda: hype_features(split_text(megabyte)), repeats, goal=2.0)
    if importlib.util.find_spec("appraisal.claims"):
        from appraisal.claims import add_strength

        _timed("claim strength per sentence (appraisal.claims)", lambda: add_strength(table), repeats)
    _timed("load_article() (the case study)", load_article, repeats)


def bench_grading(quick: bool) -> None:
    script = ROOT / "bench" / "bench_grading.py"
    if not script.exists():
        print("\nGrading: bench/bench_grading.py not present yet; skipped.")
        return
    spec = importlib.util.spec_from_file_location("bench_grading", script)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    print("\nGrading: the kit's grader against nbgrader autograde (100 generated submissions of 01-hype)")
    args = ["01-hype", "--root", str(ROOT)]
    module.main(args + (["--quick"] if quick else ["--n", "100"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="notebooks,text,grading")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller grading batch")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    parts = {p.strip() for p in args.only.split(",")}
    unknown = parts - {"notebooks", "text", "grading"}
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if "text" in parts:
        bench_text(repeats)
    if "notebooks" in parts:
        bench_notebooks(repeats)
    if "grading" in parts:
        bench_grading(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
