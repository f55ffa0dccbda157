"""How `make test` shares the slow work between its pytest-xdist workers (`-n 3 --dist loadfile`: three on the two
cores, as tests spend part of their time waiting on kernels, browsers and nbgrader).

- A group of tests runs whole on one worker. The group is the test's file, as `--dist loadfile` has it (so a
  module-scoped fixture is computed once and a notebook's nbval cells run in order in one kernel), except that
  the files in GROUPS share a group: they use the same session fixture, which is then computed once
  (e.g. "nbgrader": one nbgrader course for every comparison with nbgrader, see nbgrader_course.py).
- The groups are handed out longest first, so the workers end at about the same time. SECONDS holds what
  each slow group took on the 2-core machine; only the order matters, and a group missing from it is
  scheduled after the slow ones, in collection order.

(pytest-xdist's own `--dist loadgroup` reads `xdist_group` marks, but with pytest 9 it cannot tag the tests'
ids any more, so the grouping is done by the scheduler below, from the test ids alone.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GROUPS = {
    "tests/test_exercise_feedback.py": "nbgrader",
    "tests/coursekit/test_nbgrader_agreement.py": "nbgrader",
    "tests/coursekit/test_semester_nbgrader_release.py": "nbgrader",
    "tests/browser/test_lessons_in_browser.py": "lab",  # one JupyterLab (`make lab`) for both
    "tests/browser/test_make_lab.py": "lab",
}

# Seconds per group, measured with `make test` (three workers) on the 2-core machine (issue 14). Groups not listed
# take a second or less.
SECONDS = {
    "nbgrader": 84,
    "lab": 72,
    "tests/hub/test_hub_browser.py": 85,  # three students on the demo hub (make hub), measured alone
    "tests/hub/test_hub_exchange.py": 45,
    "tests/hub/test_hub_student_repo.py": 6,
    "tests/coursekit/test_pool.py": 25,
    "tests/coursekit/test_grade_batch.py": 23,
    "tests/coursekit/test_sandbox_hostile.py": 21,
    "tests/coursekit/test_sandbox.py": 12.5,
    "tests/coursekit/test_semester_reports.py": 12,
    "tests/coursekit/test_coursekit_execute.py": 8,
    "tests/coursekit/test_forkserver.py": 5,
    "notebooks/02-evidence-hierarchy.ipynb": 4,
    "notebooks/03-mechanism-plausibility.ipynb": 3.8,
    "tests/coursekit/test_profile.py": 3.8,
    "notebooks/01-hype-detection.ipynb": 3.5,
    "tests/coursekit/test_semester_assignment.py": 2.9,
    "notebooks/04-capstone.ipynb": 2.8,
    "tests/appraisal/test_appraise.py": 2.5,
    "tests/appraisal/test_hype.py": 1.9,
    "tests/appraisal/test_selfcheck_answers.py": 1.9,
    "solutions/04-capstone/capstone.ipynb": 1.7,
    "solutions/02-evidence/evidence.ipynb": 1.6,
    "solutions/01-hype/hype.ipynb": 1.6,
    "tests/coursekit/test_grade_inside_a_running_loop.py": 1.5,
    "tests/data/test_sources_registry.py": 1.5,
    "solutions/03-mechanism/mechanism.ipynb": 1.5,
    "notebooks/glossary.ipynb": 1.5,
}


def group_of(nodeid: str) -> str:
    """The group of a test id: its file, or the shared group that file belongs to."""
    path = nodeid.split("::", 1)[0]
    return GROUPS.get(path, path)


# Files whose tests start kernels, sandboxes, nbgrader, servers or browsers: marked `kernel` as a whole, so that
# `make test-fast` (-m "not slow and not kernel") leaves them out. A test elsewhere that starts one is marked
# @pytest.mark.kernel by hand; in the fast loop, `_no_kernels_in_the_fast_loop` turns an unmarked one into a
# failure that says so.
KERNEL_FILES = frozenset(
    {
        "notebooks",
        "solutions",
        "tests/browser",
        "tests/hub",
        "tests/test_exercise_feedback.py",
        "tests/test_exercises_answerable.py",
        "tests/coursekit/test_cleanroom.py",
        "tests/coursekit/test_coursekit_execute.py",
        "tests/coursekit/test_forkserver.py",
        "tests/coursekit/test_grade_batch.py",
        "tests/coursekit/test_grade_inside_a_running_loop.py",
        "tests/coursekit/test_kernel_client.py",
        "tests/coursekit/test_kernel_start.py",
        "tests/coursekit/test_nbgrader_agreement.py",
        "tests/coursekit/test_pool.py",
        "tests/coursekit/test_profile.py",
        "tests/coursekit/test_sandbox.py",
        "tests/coursekit/test_sandbox_hostile.py",
        "tests/coursekit/test_semester_nbgrader_release.py",
    }
)


def _starts_kernels(nodeid: str) -> bool:
    path = nodeid.split("::", 1)[0]
    return any(path == f or path.startswith(f + "/") for f in KERNEL_FILES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the kernel tests; put the slowest groups first (the order within a group, and among the other
    groups, is kept)."""
    for item in items:
        if _starts_kernels(item.nodeid):
            item.add_marker(pytest.mark.kernel)
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of(item.nodeid), []).append(item)
    ordered = sorted(groups, key=lambda name: -SECONDS.get(name, 0))
    items[:] = [item for name in ordered for item in groups[name]]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist (`-p no:xdist`) pytest must not refuse it
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile` (or loadgroup) with the groups above, handed out in collection order."""
    if config.getvalue("dist") not in ("loadfile", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    config.option.loadscopereorder = False  # keep the longest-first order of pytest_collection_modifyitems
    return GroupScheduling(config, log)


@pytest.fixture(scope="session")
def exercise_submissions(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """{assignment: {student: notebook}}: each kit assignment's unchanged release, its solution, and a submission
    with every usual mistake (written once; the kit's grader and nbgrader grade these same files)."""
    import shared_nbgrader

    return shared_nbgrader.write_exercise_submissions(tmp_path_factory.mktemp("exercise-submissions"))


@pytest.fixture(scope="session")
def nbgrader_course(tmp_path_factory, exercise_submissions):
    """The one nbgrader course of the test run, released and autograded (shared_nbgrader.py). Its tests are in
    the group "nbgrader", so one worker builds it."""
    pytest.importorskip("nbgrader.api")
    import shared_nbgrader

    return shared_nbgrader.build(tmp_path_factory.mktemp("nbgrader-course"), exercise_submissions)


@pytest.fixture(autouse=True)
def _no_kernels_in_the_fast_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In `make test-fast` (a -m expression with "not kernel"), a test that starts a kernel or a grading sandbox
    fails at once and says how to mark it, instead of making the fast loop slow."""
    if "not kernel" not in (request.config.option.markexpr or ""):
        return

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(
            f"{request.node.nodeid} starts a kernel or a sandbox: mark it @pytest.mark.kernel "
            "(or list its file in KERNEL_FILES, tests/conftest.py)"
        )

    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    from coursekit.grading.kernels.forkserver import ForkServer

    monkeypatch.setattr(LocalProvisioner, "launch_kernel", refuse)
    monkeypatch.setattr(ForkServer, "start", refuse)

