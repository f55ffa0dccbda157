"""The warm pool (coursekit/grading/pool.py): what is pre-imported, how many kernels start ahead, and that a warm
kernel looks to the student exactly like a fresh one (namespace, history, modules, folders, environment, fonts)."""

from __future__ import annotations

import asyncio
import copy
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from coursekit.grading import pool, run
from coursekit.grading.assignment import load_assignment
from coursekit.grading.batch import grade_batch, kernel_spec
from coursekit.grading.cleanroom import CleanRoom
from coursekit.grading.kernels.forkserver import start_server
from coursekit.grading.kernels.protocol import KernelProvider
from coursekit.grading.kernels.providers import BubblewrapProvider, ForkServerProvider, LocalProvider
from coursekit.grading.kernels.sandbox import containment, probe
from coursekit.grading.kernels.spec import TOKEN_VARIABLE, Limits
from coursekit.grading.options import Options
from coursekit.grading.pool import (
    WARM_RSS,
    BatchPrep,
    WarmPool,
    assignment_imports,
    own_package_dirs,
    pool_ahead,
    preimport_expression,
    prepare_batch,
)
from coursekit.grading.report import Progress
from coursekit.grading.submissions import Submission

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "assignments"
SOURCE = FIXTURES / "solutions" / "ps1" / "ps1.ipynb"
PROBLEM = probe()
needs_bwrap = pytest.mark.skipif(bool(PROBLEM), reason=f"bubblewrap cannot run here: {PROBLEM}")


# --- what is pre-imported ----------------------------------------------------------------------------------------


def _nb(*sources: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_markdown_cell("import nothing_in_markdown"), *map(new_code_cell, sources)])


def test_imports_are_read_from_the_code_cells_top_level_in_order_once():
    nb = _nb(
        "import re\nimport pandas as pd, numpy.linalg",
        "from appraisal.hype import hype_features, load_lexicons\nfrom appraisal import load_article",
        "import re\nfrom appraisal.hype import hype_features, HEDGES\nx = 1",
    )
    assert assignment_imports(nb) == (
        ("re", ()),
        ("pandas", ()),
        ("numpy.linalg", ()),
        ("appraisal.hype", ("hype_features", "load_lexicons", "HEDGES")),
        ("appraisal", ("load_article",)),
    )


def test_conditional_relative_future_and_star_imports_are_left_out():
    nb = _nb(
        "from __future__ import annotations",
        "try:\n    import maybe_missing\nexcept ImportError:\n    pass",
        "def f():\n    import inside_function",
        "if False:\n    import never",
        "from . import sibling\nfrom .pkg import thing",
        "from os.path import *",
    )
    assert assignment_imports(nb) == (("os.path", ()),)


def test_cells_with_magics_are_parsed_and_broken_cells_skipped():
    nb = _nb("%matplotlib inline\nimport json\n!echo hi", "import (broken", "import csv")
    assert assignment_imports(nb) == (("json", ()), ("csv", ()))


def test_the_kits_assignment_pre_imports_what_its_cells_import():
    assignment = load_assignment("01-hype", REPO)
    modules = [m for m, _names in assignment_imports(assignment.source)]
    assert modules[:3] == ["re", "pandas", "appraisal"] and "appraisal.display" in modules


def test_the_preimport_expression_binds_no_name_and_reports_failures():
    namespace: dict = {}
    answer = json.loads(eval(preimport_expression((("json", ()), ("no_such_module_xyz", ()))), namespace))
    assert answer["failed"] == ["no_such_module_xyz: ModuleNotFoundError"]
    assert set(namespace) == {"__builtins__"}
    assert sys.modules["coursekit.grading.pool"] is pool  # nothing loaded before it was forgotten


def test_the_kits_own_packages_are_found_for_bytecode_and_installed_ones_are_not():
    folders = own_package_dirs((("appraisal", ()), ("pandas", ()), ("json", ())))
    assert folders == ((REPO / "appraisal").resolve(),)


# --- how many kernels start ahead ------------------------------------------------------------------------------


def test_pool_size_follows_jobs_and_memory():
    gib = 2**30
    assert pool_ahead(2, 2 * gib, available=32 * gib) == 2
    assert pool_ahead(4, 2 * gib, available=32 * gib) == 4
    assert pool_ahead(4, 2 * gib, available=8 * gib + 2 * WARM_RSS) == 2  # what the running caps leave
    assert pool_ahead(4, 2 * gib, available=4 * gib) == 1  # never fewer than one
    assert pool_ahead(2, 0, available=0) == 1  # unknown memory


class _Fake:
    def __init__(self) -> None:
        self.started = 0
        self.discarded: list[int] = []

    async def factory(self) -> tuple[Path, int]:
        self.started += 1
        return Path("."), self.started

    async def discard(self, task: asyncio.Task) -> None:
        self.discarded.append((await task)[1])


def test_the_pool_keeps_kernels_ahead_and_never_starts_more_than_the_batch_needs():
    fake = _Fake()

    async def go() -> list[int]:
        pool = WarmPool(fake.factory, ahead=2, total=5)
        pool.fill()
        assert len(pool.waiting) == 2
        taken = [pool.take() for _ in range(2)]
        assert len(pool.waiting) == 2 and pool.left == 1
        pool.give_back(taken[1])  # its submission could not be read: the next one gets it first
        assert pool.take() is taken[1]
        got = [(await t)[1] for t in taken]
        taken += [pool.take(), pool.take(), pool.take()]
        assert pool.left == 0 and not pool.waiting
        await pool.close(fake.discard)
        return got + [(await t)[1] for t in taken[2:]]

    assert asyncio.run(go()) == [1, 2, 3, 4, 5]
    assert fake.started == 5 and fake.discarded == []


def test_closing_the_pool_discards_the_kernels_still_waiting():
    fake = _Fake()

    async def go() -> None:
        pool = WarmPool(fake.factory, ahead=3, total=10)
        pool.fill()
        await pool.take()
        await pool.close(fake.discard)

    asyncio.run(go())
    assert fake.started == 4 and sorted(fake.discarded) == [2, 3, 4]


# --- a warm kernel looks like a fresh one ----------------------------------------------------------------------

FACTS = r"""
import json, os, signal, sys
_ip = get_ipython()
_root = os.path.dirname(os.getcwd())
def _norm(text):
    return str(text).replace(_root, "<root>")
def _tree(top):
    return sorted(_norm(os.path.relpath(os.path.join(d, f), top)) for d, _, fs in os.walk(top) for f in fs + ["."])
_facts = {
    "names": sorted(k for k in _ip.user_ns if not k.startswith("_facts")),
    "in": list(In), "out": sorted(Out), "count": _ip.execution_count,
    "modules": sorted(m for m in sys.modules if not m.startswith("_coursekit_s_")),
    "cwd": _norm(os.getcwd()), "files": _tree("."), "home": _tree(os.path.expanduser("~")),
    "tmp": sorted(os.listdir("/tmp")),
    "env": {k: _norm(v) for k, v in os.environ.items() if k != "TOKEN"},
    "callbacks": {k: len(v) for k, v in _ip.events.callbacks.items()},
    "signals": {n: str(signal.getsignal(getattr(signal, n))) for n in ("SIGINT", "SIGPIPE", "SIGTERM", "SIGCHLD")},
}
if "matplotlib" in sys.modules:
    import matplotlib, matplotlib.font_manager as _fm
    _facts["mpl"] = [matplotlib.get_backend(), _norm(matplotlib.get_cachedir()),
                     sorted((f.name, f.fname) for f in _fm.fontManager.ttflist)]
print(json.dumps(_facts))
""".replace("TOKEN", TOKEN_VARIABLE)


async def _execute(kernel, code: str) -> str:
    msg_id = kernel.kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
    text = ""
    while True:
        msg = await kernel.kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text += msg["content"]["text"]
        elif msg["msg_type"] == "error":
            raise AssertionError(msg["content"]["evalue"])
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return text


PLOTTING_IMPORT = "import matplotlib.pyplot as plt"


def _facts_of(warm: bool, sandboxed: bool, tmp_path: Path, forked: bool = False) -> tuple[dict, list[str]]:
    """Facts of one kernel as the grader prepares it (warm: from the pool, `forked` from the batch's fork server;
    else as before the pool), after the release's import cells ran, and what went wrong (nothing, we hope) with
    the clean room's code that the grader puts in a student kernel (cleanroom.py) before and after them."""
    assignment = load_assignment("01-hype", REPO)
    # As an assignment that plots would: importing pyplot loads matplotlib's font manager, whose cache the pool
    # builds once per batch (the kit's own packages import pyplot only when a figure is drawn).
    source = copy.deepcopy(assignment.source)
    source.cells.insert(0, new_code_cell(PLOTTING_IMPORT))
    base = tmp_path / ("forked" if forked else "warm" if warm else "fresh")
    base.mkdir()
    box = containment("bubblewrap" if sandboxed else "none", [assignment.source_path.parent], assignment.data_dir)
    options = Options(limits=Limits(), jobs=1, sandbox=box.choice.mode)
    prep = BatchPrep()
    if warm:
        prep = prepare_batch(source, box, base, kernel_spec(assignment, options))
        assert prep.imports and (prep.home_seed is not None) == sandboxed
    import_cells = [PLOTTING_IMPORT] + [
        c.source for c in assignment.release.cells if c.cell_type == "code" and assignment_imports(_nb(c.source))
    ]

    async def ask() -> tuple[dict, list[str]]:
        spec = kernel_spec(assignment, options, prep)
        provider: KernelProvider
        if forked:
            server, why = await start_server(base, box, spec)
            assert server is not None, why
            provider = ForkServerProvider(server, spec, base, box, BubblewrapProvider(spec, base, box))
        elif sandboxed:
            provider = BubblewrapProvider(spec, base, box)
        else:
            provider = LocalProvider(spec, base)
        made = await provider.start()
        root, kernel = made.root, made.kernel
        try:
            room = CleanRoom(kernel, kernel, ())
            problems = [] if await room.setup_student() else ["the clean room could not be set up"]
            for source in import_cells:
                await _execute(kernel, source)
            facts = json.loads(await _execute(kernel, FACTS))
            expression = "__import__(%r).dump_many(%r)" % (room.student_module, '["In"]')  # noqa: UP031
            fetched = await run.evaluate(kernel, expression, 10)
            if not fetched or fetched.get("status") != "ok":
                problems.append(f"the student's values could not be read: {fetched}")
            return facts, problems
        finally:
            await kernel.stop()
            shutil.rmtree(root, ignore_errors=True)
            await provider.close()

    return asyncio.run(ask())


def _same(warm: dict, fresh: dict) -> None:
    for key in fresh:
        assert warm[key] == fresh[key], key
    assert set(warm) == set(fresh)


@pytest.fixture(scope="module")
def fresh_sandboxed(tmp_path_factory) -> tuple[dict, list[str]]:
    """A fresh sandboxed kernel's facts, computed once for the warm and the forked kernel to be compared with."""
    if PROBLEM:
        pytest.skip(f"bubblewrap cannot run here: {PROBLEM}")
    return _facts_of(False, True, tmp_path_factory.mktemp("fresh-sandboxed"))


@needs_bwrap
def test_a_warm_sandboxed_kernel_is_what_a_fresh_one_is_after_the_import_cells(tmp_path, fresh_sandboxed):
    warm, warm_findings = _facts_of(True, True, tmp_path)
    fresh, fresh_findings = fresh_sandboxed
    assert warm_findings == fresh_findings == []  # the clean room works in a warm kernel as in a fresh one
    assert "pandas" in warm["modules"] and "matplotlib.pyplot" in warm["modules"]  # the test sees real imports
    assert warm["count"] == fresh["count"] == len(fresh["in"]) > 2  # every cell counted, In[0] is ''
    assert warm["mpl"][2]  # the prebuilt font cache lists the same fonts, in a writable cache folder
    assert any(".cache/matplotlib/fontlist" in path for path in warm["home"])
    _same(warm, fresh)


@needs_bwrap
def test_a_forked_kernel_is_what_a_fresh_one_is_after_the_import_cells(tmp_path, fresh_sandboxed):
    forked, forked_findings = _facts_of(True, True, tmp_path, forked=True)
    fresh, fresh_findings = fresh_sandboxed
    assert forked_findings == fresh_findings == []
    assert "pandas" in forked["modules"] and "matplotlib.pyplot" in forked["modules"]
    assert forked["count"] == fresh["count"] == len(fresh["in"]) > 2
    assert any(".cache/matplotlib/fontlist" in path for path in forked["home"])
    _same(forked, fresh)


@pytest.mark.slow
def test_a_warm_unsandboxed_kernel_is_what_a_fresh_one_is_after_the_import_cells(tmp_path):
    warm, warm_findings = _facts_of(True, False, tmp_path)
    fresh, fresh_findings = _facts_of(False, False, tmp_path)
    assert warm_findings == fresh_findings == []
    # Unsandboxed, /tmp and the home folder are the machine's own, shared with every other process and changed by
    # them while this runs (JupyterLab's ~/.jupyter, Chromium's cache): compare what the kernel was given (its
    # environment, HOME among it, its folders and modules), not what others keep there.
    for shared in ("tmp", "home"):
        warm[shared] = fresh[shared] = []
    _same(warm, fresh)


# --- containment: a kernel waiting in the pool sees nothing of another submission -------------------------------

LEAK_CHECK = """\
import os
total_participants = 0
_marks = ["mark.txt", os.path.expanduser("~/mark.txt"), "/tmp/mark.txt"]
_found = [p for p in _marks if os.path.exists(p)]
for _p in _marks:
    open(_p, "w").write("left by an earlier submission")
if _found:
    raise RuntimeError("LEAK " + repr(_found))
"""


@needs_bwrap
def test_kernels_started_ahead_see_nothing_of_earlier_submissions(tmp_path):
    nb = nbformat.read(FIXTURES / "exercises" / "ps1" / "ps1.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q2-answer")
    answer.source = LEAK_CHECK
    subs = []
    for i in range(4):
        path = tmp_path / "subs" / f"s{i}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(copy.deepcopy(nb), path)
        subs.append(Submission(f"s{i}", path))
    assignment = load_assignment(str(SOURCE))
    outcome = grade_batch(
        assignment, subs, tmp_path / "out", Options(jobs=1, sandbox="bubblewrap"), progress=Progress(4)
    )
    assert [r.status for r in outcome.results] == ["graded"] * 4
    for result in outcome.results:
        assert result.answer_errors == []  # the cell ran to its end: no LEAK, no other error
        q2 = next(q for q in result.questions if q.grade_id == "q2-tests")
        assert q2.status == "failed" and "NameError" not in q2.message  # the test saw its (wrong) answer
    # Four submissions, each with its kernel and its checker (cleanroom.py), every one forked ahead of need from the
    # batch's one fork server (forkserver.py), which did the imports once.
    assert outcome.profile.counts["wait for kernel"] == 4 and outcome.profile.counts["kernel start"] == 8
    assert outcome.profile.counts["fork server"] == 1 and "imports" not in outcome.profile.counts

