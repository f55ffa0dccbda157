"""Grading throughput: the kit's grader against `nbgrader autograde`, on the same generated submissions, on the
same machine, in one run. Prints seconds for each, the ratio (goal: the kit, sandboxed, at least 4x nbgrader on 2
cores) and where the kit's time went, per phase (as `coursekit grade --profile` does).

    .venv/bin/python bench/bench_grading.py                 # 100 submissions of the fixture assignment ps1
    .venv/bin/python bench/bench_grading.py 01-hype --n 30  # a real assignment, by id, under ./solutions
    .venv/bin/python bench/bench_grading.py --quick         # 10 submissions (for make bench's quick mode)
    .venv/bin/python bench/bench_grading.py --cold          # also the kit without its warm pool (before/after)

Submissions cycle through: the full solution, the unchanged release, and the release with only the first
answer filled in. Run `main(argv)` from another script; it returns 0 and prints one summary line per tool.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coursekit.cells import CellKind, cell_kind, grade_id  # noqa: E402
from coursekit.grading.assignment import load_assignment  # noqa: E402
from coursekit.grading.batch import grade_batch  # noqa: E402
from coursekit.grading.kernels.sandbox import probe  # noqa: E402
from coursekit.grading.kernels.spec import Limits  # noqa: E402
from coursekit.grading.options import Options  # noqa: E402
from coursekit.grading.profile import Profile  # noqa: E402
from coursekit.grading.report import Progress  # noqa: E402
from coursekit.grading.submissions import Submission  # noqa: E402
from coursekit.notebook_io import notebook_text  # noqa: E402

FIXTURE_ROOT = REPO / "tests" / "fixtures" / "assignments"


def variants(assignment) -> list:
    """Three kinds of submission: solution, blank release, release with the first answer from the solution."""
    answers = {grade_id(c): c for c in assignment.source.cells if cell_kind(c) is CellKind.AUTOGRADED_ANSWER}
    half = copy.deepcopy(assignment.release)
    for cell in half.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)].source
            break
    return [assignment.source, assignment.release, half]


class _Quiet(Progress):
    def update(self, result, reused=False) -> None:
        self.done += 1


def run_kit(
    assignment, files: list[Path], out: Path, jobs: int, sandbox: str = "auto", warm: bool = True
) -> tuple[float, Profile]:
    """Seconds the kit takes to grade `files`, and its per-phase profile."""
    subs = [Submission(p.stem, p) for p in files]
    t0 = time.perf_counter()
    options = Options(limits=Limits(), jobs=jobs, sandbox=sandbox, warm=warm)
    outcome = grade_batch(assignment, subs, out, options, progress=_Quiet(len(subs)))
    seconds = time.perf_counter() - t0
    bad = [r for r in outcome.results if r.status not in ("graded", "unchanged")]  # unchanged: a release, graded
    if bad:
        print(f"  warning: kit: {len(bad)} submissions not graded, e.g. {bad[0].student}: {bad[0].message}")
    return seconds, outcome.profile


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def run_nbgrader(assignment, files: list[Path], course: Path) -> float | None:
    if shutil.which("nbgrader", path=str(Path(sys.executable).parent)) is None:
        print("  nbgrader is not installed: skipped")
        return None
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    src = course / "solutions" / assignment.id
    src.mkdir(parents=True)
    shutil.copy(assignment.source_path, src / assignment.notebook_name)
    for path, name in assignment.files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, src / name)
    cmd = [sys.executable, "-m", "nbgrader"]
    subprocess.run(
        [*cmd, "generate_assignment", assignment.id, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
    )
    for p in files:
        folder = course / "submitted" / p.stem / assignment.id
        folder.mkdir(parents=True)
        shutil.copy(p, folder / assignment.notebook_name)
        for path, name in assignment.files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / name)
    t0 = time.perf_counter()
    done = subprocess.run(
        [*cmd, "autograde", assignment.id, "--force"], cwd=course, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        print(
            f"  warning: nbgrader autograde exited {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
        )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "assignment", nargs="?", default="ps1", help="assignment id or source path (default: ps1)"
    )
    parser.add_argument(
        "--root", default=None, help="course folder (default: the fixture course for ps1, else .)"
    )
    parser.add_argument("--n", type=int, default=100, help="submissions to generate (default: 100)")
    parser.add_argument("--quick", action="store_true", help="10 submissions")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="kit jobs (default: cores)")
    parser.add_argument("--no-nbgrader", action="store_true", help="time the kit only")
    parser.add_argument(
        "--no-unsandboxed", action="store_true", help="skip the kit's run with --sandbox none (the sandbox's cost)"
    )
    parser.add_argument(
        "--cold", action="store_true", help="also time the kit with cold kernels (no warm pool): before and after"
    )
    args = parser.parse_args(argv)
    n = 10 if args.quick else args.n
    root = Path(args.root) if args.root else (FIXTURE_ROOT if args.assignment == "ps1" else Path("."))
    assignment = load_assignment(args.assignment, root)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        (tmp / "subs").mkdir()
        kinds = variants(assignment)
        files = []
        for i in range(n):
            path = tmp / "subs" / f"student{i:03d}.ipynb"
            path.write_text(notebook_text(kinds[i % len(kinds)]), encoding="utf-8")
            files.append(path)
        print(
            f"grading {n} submissions of {assignment.id} on {os.cpu_count()} cores "
            f"(load average {os.getloadavg()[0]:.2f})"
        )
        box = probe()
        mode = "sandbox none (bubblewrap cannot run here: " + box + ")" if box else "bubblewrap sandbox"
        if args.cold:
            cold, cold_profile = run_kit(assignment, files, tmp / "kit-out-cold", args.jobs, warm=False)
            print(f"  kit, cold kernels (each started alone, no pre-import, no fork server; --jobs {args.jobs}, "
                  f"{mode}): {cold:.1f} s, "
                  f"{n / cold:.2f} submissions/s")
            print(_indented(cold_profile.table()))
        kit, profile = run_kit(assignment, files, tmp / "kit-out", args.jobs)
        how = "kernels forked from the batch's fork server" if not box else "kernels pre-imported in a warm pool"
        print(f"  kit (--jobs {args.jobs}, {mode}, {how}): {kit:.1f} s, {n / kit:.2f} submissions/s")
        print(_indented(profile.table()))
        if not box and not args.no_unsandboxed:
            bare, _ = run_kit(assignment, files, tmp / "kit-out-none", args.jobs, sandbox="none")
            print(
                f"  kit (--jobs {args.jobs}, --sandbox none: no fork server, each kernel started and then "
                f"pre-imported): {bare:.1f} s, {n / bare:.2f} submissions/s ({kit / bare:.2f}x the sandboxed "
                "time with its fork server)"
            )
        nbg = None if args.no_nbgrader else run_nbgrader(assignment, files, tmp / "nbgrader-course")
        if nbg is not None:
            print(f"  nbgrader autograde: {nbg:.1f} s, {n / nbg:.2f} submissions/s")
            print(f"  ratio: the kit (sandboxed) is {nbg / kit:.2f}x nbgrader's throughput (goal: 4x)")
            if not box and not args.no_unsandboxed:
                print(f"  ratio without the sandbox: {nbg / bare:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
