"""The kit's benchmarks (`make bench`). Speed goals live here, never in a test.

1. Restart-and-Run-All time of every lesson notebook in a fresh kernel (median of N runs), printed next to a
   floor notebook that only imports pandas and matplotlib and draws one plot, and as a ratio to that floor.
2. Text profiling: hype markers and claim strength over 1 MB of text (goal: under 2 s).
3. Each simulation of lessons 02 and 03, with the lessons' own settings (goal: under 1 s each).
4. The grader against nbgrader, when `bench/bench_grading.py` is present, with the grader's time per phase.
5. Validation: claim strength on the kit's held-out set and on an external corpus, side by side, and report()'s
   precision and recall on the practice articles (`bench/claim_strength_validation.py`).

Usage: python bench/run_benchmarks.py [--repeats 5] [--only validation,notebooks,text,simulations,grading] [--quick]
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
    print(f"  {label:<62} {seconds:8.3f} s{verdict}")


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

        # add_strength rates each distinct sentence once; number the copies so every sentence is new.
        distinct = table.assign(text=table["text"] + " (" + table["sentence_id"].astype(str) + ")")
        _timed("claim strength per sentence, all distinct (appraisal.claims)", lambda: add_strength(distinct),
               repeats)
    _timed("load_article() (the case study)", load_article, repeats)


def bench_simulations(repeats: int) -> None:
    import numpy as np

    from appraisal import confounding, simulate

    rng = np.random.default_rng
    population = simulate.simulate_population(4000, rng(26), n_visits=2)
    runs: dict[str, Callable[[], object]] = {
        "02 weekly pain of 5,000 people over 26 weeks": lambda: simulate.simulate_population(
            5000, rng(2), n_visits=26),
        "02 regression to the mean, 200,000 people": lambda: simulate.simulate_rtm(
            200_000, rng(85), mean=5.0, sd_between=1.5, sd_within=1.58, cutoff=7),
        "02 case series and randomised trial": lambda: (
            simulate.simulate_case_series(population, threshold=7, nonspecific=1.0, true_effect=0.0),
            simulate.simulate_trial(population, threshold=7, rng=rng(42), nonspecific=1.0, true_effect=0.0)),
        "02 case-report literature, 20,000 patients": lambda: simulate.simulate_case_report_literature(
            20_000, rng(109), threshold=7, nonspecific=1.0, true_effect=0.0),
        "02 sensitivity table (15 settings)": lambda: simulate.case_report_sensitivity(
            {"threshold": [6, 7, 8], "nonspecific": [0.0, 1.0, 2.0], "sd_within": [0.5, 1.5, 2.5],
             "p_publish_not_improved": [0.01, 0.03, 0.10], "improved_if": [0.3, 0.5]}, seed=78),
        "02 200 simulated trials for the funnel plot": lambda: simulate.simulate_meta_studies(
            200, rng(147), true_effect=0.0, sd=2.0, n_min=10, n_max=200),
        "03 three trial designs (depression path)": lambda: confounding.compare_designs(40, seed=2023),
    }
    print(f"\nSimulations with the lessons' settings, median of {repeats}")
    for label, run in runs.items():
        _timed(label, run, repeats, goal=1.0)


def bench_grading(quick: bool) -> None:
    script = ROOT / "bench" / "bench_grading.py"
    if not script.exists():
        print("\nGrading: bench/bench_grading.py not present yet; skipped.")
        return
    spec = importlib.util.spec_from_file_location("bench_grading", script)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    print(
        "\nGrading: the kit's grader against nbgrader autograde (100 generated submissions of 01-hype), with "
        "where the kit's time goes, per phase: with cold kernels (each started alone) and as it grades by default "
        "(sandboxed kernels forked from one fork server per batch)"
    )
    args = ["01-hype", "--root", str(ROOT), "--cold"]
    module.main(args + (["--quick"] if quick else ["--n", "100"]))


def bench_validation(quick: bool) -> None:
    spec = importlib.util.spec_from_file_location("claim_strength_validation",
                                                  ROOT / "bench" / "claim_strength_validation.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    module.main(["--n-boot", "500" if quick else "2000"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="validation,notebooks,text,simulations,grading")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller grading batch")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    parts = {p.strip() for p in args.only.split(",")}
    unknown = parts - {"validation", "notebooks", "text", "simulations", "grading"}
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if "validation" in parts:
        bench_validation(args.quick)
    if "text" in parts:
        bench_text(repeats)
    if "simulations" in parts:
        bench_simulations(repeats)
    if "notebooks" in parts:
        bench_notebooks(repeats)
    if "grading" in parts:
        bench_grading(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
