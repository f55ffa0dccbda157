"""Clean-room scoring (coursekit/grading/cleanroom.py, cleanroom_kernel.py): which names a test cell reads, the
strict encoding of the student's values, and an inventory of every test cell of the four assignments and the
fixture assignment: each reads only what an instructor cell binds or what the solution's answer cells bind.

That the solutions still score full marks through the clean room, that the usual mistakes keep their hints and
that nbgrader gives each test cell the same points is tests/test_exercise_feedback.py's; the attacks are
test_sandbox_hostile.py's.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coursekit.cells import CellKind, cell_kind
from coursekit.grading.cleanroom import KERNEL_CODE, LIMITS, NEVER_FETCHED, names_bound, names_read
from coursekit.notebook_io import read_notebook

REPO = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((REPO / "solutions").glob("*/*.ipynb")), REPO / "tests/fixtures/assignments/solutions/ps1/ps1.ipynb"]


def test_names_read_are_those_read_before_the_cell_binds_them():
    source = (
        "import csv as _csv\n"
        "x = x + 1\n"
        "with open(data_path('m.csv')) as _f:\n"
        "    _rows = list(_csv.DictReader(_f))\n"
        "_expected = {c.strip() for r in _rows for c in r['ids'].split(';')}\n"
        "assert answer >= _expected, f'misses {len(_expected - answer)}'\n"
        "f = lambda q: q + top\n"
        "def helper(a, b=default):\n"
        "    z = a + outer\n"
        "    return z\n"
        "y += 2\n"
    )
    assert set(names_read(source)) == {"x", "open", "data_path", "list", "answer", "len", "top", "default", "outer", "y"}
    assert names_bound(source) == {"_csv", "x", "_f", "_rows", "_expected", "f", "helper", "y"}
    assert names_read("this is not python(") == ()


@pytest.fixture(scope="module")
def room():
    """The kernel-side module, installed in this process with a plain dict as the student's namespace."""
    namespace: dict = {}
    scope: dict = {}
    exec(KERNEL_CODE.read_text(encoding="utf-8"), scope)  # noqa: S102 - the kit's own file
    name = scope["install"]("_coursekit_test_room", "student", ["pandas", "numpy"], LIMITS, namespace)
    yield sys.modules[name], namespace
    del sys.modules[name]


PLAIN_VALUES = [
    None, True, 3, 2.5, "text", [1, (2, "3")], {1: "a", "b": {2, 3}}, frozenset({1}), 10**30,
    np.int64(3), np.float64(0.1), np.bool_(False), np.float32(1.5),
    np.arange(6).reshape(2, 3), np.array([1.5, np.inf, -np.inf]), np.array([True, False]),
    pd.Series([1, 2], index=["a", "b"], name="n"), pd.Series(["x", None]), pd.Series(["a", 1, None], dtype=object),
    pd.Series([0.5, float("nan")]), pd.Series(["a", None], dtype="string"), pd.Index(["E1"], dtype="string"),
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [True, False]}),
    pd.DataFrame({"x": [1.0, 2.0], "y": [3, 4]}).set_index("x"), pd.Index([3, 4], name="i"),
]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame):
        return a.equals(b) and a.dtypes.equals(b.dtypes) and a.index.equals(b.index) and list(a.columns) == list(b.columns)
    if isinstance(a, pd.Series):
        return a.equals(b) and a.dtype == b.dtype and a.index.equals(b.index) and a.name == b.name
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, pd.Index):
        return a.equals(b) and a.dtype == b.dtype
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and repr(a) == repr(b)


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda v: type(v).__name__)
def test_plain_values_come_back_as_they_were(room, value):
    module, _ = room
    text = module.encode(value, "answer")
    assert json.loads(text).keys() == {"ok"}, text
    assert _same(module.decode(text), value)


class _AlwaysEqual(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class _Frame(pd.DataFrame):
    pass


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (_AlwaysEqual(3), "top_booster_sentence must be a plain int, got a subclass of int (_AlwaysEqual)"),
        ([1, _AlwaysEqual(2)], "top_booster_sentence holds a value that must be a plain int, got a subclass of int"),
        (_Frame({"a": [1]}), "top_booster_sentence must be a plain value"),
        (pd.Series([pd.Timestamp(0)]), "top_booster_sentence has values of dtype datetime64"),
        (np.array(["a"], dtype=object), "must be a NumPy array of numbers or booleans"),
        (pd.Series([1], index=pd.MultiIndex.from_tuples([(1, 2)])), "has an index of type MultiIndex"),
        (object(), "must be a plain value"),
    ],
    ids=["always-equal int", "nested", "DataFrame subclass", "datetime", "object array", "MultiIndex", "object"],
)
def test_anything_else_is_refused_with_a_message_to_act_on(room, value, message):
    module, _ = room
    answer = json.loads(module.encode(value, "top_booster_sentence"))
    assert set(answer) == {"refused"} and answer["refused"].startswith("top_booster_sentence "), answer
    assert message in answer["refused"], answer


@pytest.mark.parametrize(
    "payload",
    [
        {"ok": {"pickle": "gASV"}},
        {"ok": {"list": "not a list"}},
        {"ok": {"ndarray": "object", "shape": [1], "v": [1]}},
        {"ok": {"ndarray": "int64", "shape": [2], "v": [1]}},
        {"ok": {"ndarray": "int64", "shape": [1], "v": [1.5]}},
        {"ok": {"npscalar": "int64", "v": "3"}},
        {"ok": {"float": "1e308"}},
        {"ok": {"series": {"dtype": "int64", "v": [1, 2]}, "index": {"range": [0, 1, 1], "name": None}, "name": None}},
        {"ok": {"dict": [[{"list": []}, 1]]}},
        {"ok": {"set": [{"list": []}]}},
        {"ok": 1, "extra": 2},
        {"not ok": 1},
    ],
)
def test_the_decoder_takes_the_encoders_json_only(room, payload):
    module, _ = room
    with pytest.raises((module.Bad, TypeError)):
        module.decode(json.dumps(payload))


def test_the_student_side_reads_names_by_exact_type_and_calls_functions(room):
    module, namespace = room

    def double(x, factor=2):
        return x * factor

    namespace.update(count=3, double=double, np=np, weird=_AlwaysEqual(1))
    fetched = json.loads(module.dump_many(json.dumps(["count", "double", "np", "weird", "absent"])))
    assert fetched["count"] == {"ok": 3} and fetched["double"] == {"function": 1}
    assert fetched["np"] == {"module": "numpy"} and fetched["absent"] == {"missing": 1}
    assert fetched["weird"]["refused"].startswith("weird must be a plain int")
    args = module.encode(([pd.Series([1, 2])], {"factor": 3}), "args")
    answer = json.loads(module.call("double", args))
    assert answer.pop("out") == answer.pop("err") == ""
    assert module.decode(json.dumps(answer)).tolist() == [3, 6]
    assert json.loads(module.call("double", module.encode((["a", None], {}), "args")))["raised"][0] == "TypeError"


def _inventory(path: Path) -> dict[str, set[str]]:
    """{test cell grade id: names it fetches from the student} for one source notebook, and under "answers"
    the names the solution's answer cells bind."""
    nb = read_notebook(path)
    own: set[str] = set()
    answers: set[str] = set()
    found: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kind = cell_kind(cell)
        if kind in (CellKind.AUTOGRADER_TESTS, CellKind.READ_ONLY):
            wanted = {n for n in names_read(cell.source) if n not in own and n not in NEVER_FETCHED}
            if kind is CellKind.AUTOGRADER_TESTS:
                found[cell.metadata["nbgrader"]["grade_id"]] = wanted
            own |= names_bound(cell.source)
        else:
            answers |= names_bound(cell.source)
    found["answers"] = answers
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_every_test_cell_reads_only_instructor_names_or_the_answers(path):
    """The clean room's rule, over every test cell: a name a test reads was bound by an instructor cell above it
    (then it is the checker's own), or is one the answer cells bind (then it is fetched from the student). A test
    reading anything else could not run in the checker; none does."""
    found = _inventory(path)
    answers = found.pop("answers")
    strays = {gid: sorted(names - answers) for gid, names in found.items() if names - answers}
    assert not strays, f"{path}: test cells read names that neither an instructor cell nor an answer binds: {strays}"
    assert any(found.values()), "no test cell reads an answer: the inventory is not looking"


def test_a_call_runs_in_the_submissions_folder_whatever_the_student_did_with_chdir(tmp_path, monkeypatch):
    import os

    namespace: dict = {"where": os.getcwd}
    scope: dict = {}
    exec(KERNEL_CODE.read_text(encoding="utf-8"), scope)  # noqa: S102 - the kit's own file
    name = scope["install"]("_coursekit_test_chdir", "student", [], LIMITS, namespace, str(tmp_path))
    try:
        monkeypatch.chdir("/")
        module = sys.modules[name]
        answer = json.loads(module.call("where", module.encode(([], {}), "args")))
        assert answer["ok"] == str(tmp_path)
    finally:
        del sys.modules[name]


def test_what_a_call_prints_is_passed_on_to_the_test_cell(room):
    module, namespace = room

    def noisy():  # (a warning goes to stderr in a kernel: nbgrader's rule, test_nbgrader_agreement.py)
        import sys

        print("hello")
        sys.stderr.write("to stderr\n")
        return 1

    namespace["noisy"] = noisy
    answer = json.loads(module.call("noisy", module.encode(([], {}), "args")))
    assert answer["ok"] == 1 and answer["out"] == "hello\n"
    assert answer["err"] == "to stderr\n"


# --- the checker's side of a call: what a student's function raised, raised again -------------------------------


@pytest.fixture
def checker(monkeypatch):
    """The checker-side module, installed in this process; a call's reply is taken from `replies` (as the grader
    would answer the checker's input request after running the call in the student's kernel)."""
    import IPython

    replies: list[str] = []

    class Kernel:
        def raw_input(self, prompt: str) -> str:
            return replies.pop(0)

    class Shell:
        user_ns: dict = {}
        kernel = Kernel()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    scope: dict = {}
    exec(KERNEL_CODE.read_text(encoding="utf-8"), scope)  # noqa: S102 - the kit's own file
    name = scope["install"]("_coursekit_test_checker", "checker", [], LIMITS)
    module = sys.modules[name]
    module.bind(json.dumps({"answer": {"function": 1}}))
    yield Shell.user_ns["answer"], replies
    del sys.modules[name]


def _raised(call, replies, ename: str, message: str) -> BaseException:
    replies.append(json.dumps({"raised": [ename, message]}))
    with pytest.raises(BaseException) as caught:
        call()
    return caught.value


def test_a_students_assertion_error_does_not_pose_as_the_tests_own(checker):
    call, replies = checker
    error = _raised(call, replies, "AssertionError", "expected 3")
    assert not isinstance(error, AssertionError) and str(error) == "AssertionError: expected 3"
    assert type(_raised(call, replies, "ValueError", "bad")) is ValueError  # a built-in error keeps its class


def test_a_students_stop_iteration_does_not_end_a_loop_of_the_tests_silently(checker):
    call, replies = checker
    error = _raised(call, replies, "StopIteration", "")
    assert not isinstance(error, StopIteration)
    replies.append(json.dumps({"raised": ["StopIteration", ""]}))
    with pytest.raises(Exception):  # noqa: B017 - any error: the map() below must not just end
        list(map(lambda _: call(), [1]))


def test_control_a_stop_iteration_raised_in_a_map_ends_it_silently():
    def answer(_):
        raise StopIteration

    assert list(map(answer, [1, 2])) == []  # what a test would see if the checker raised it again as it was


def test_a_message_that_cannot_be_encoded_is_made_printable(checker):
    call, replies = checker
    error = _raised(call, replies, "ValueError", "x\ud800")
    assert type(error) is ValueError and str(error).encode("utf-8") == b"x\\ud800"
