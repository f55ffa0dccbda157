"""coursekit.grading, the fast parts (no kernel): naming students, reading and restoring submissions, scoring
rules, manual scores, the gradebook, atomic CSVs and the written-answer pages."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict
from pathlib import Path

import nbformat
import pytest

from coursekit.cells import grade_id
from coursekit.errors import CoursekitError
from coursekit.grading.assignment import load_assignment
from coursekit.grading.feedback import feedback_html, safe_name
from coursekit.grading.gradebook import Gradebook
from coursekit.grading.kernels.spec import Limits
from coursekit.grading.manual import apply_manual, read_manual_scores
from coursekit.grading.prepare import SubmissionProblem, check_assignment, read_submission, restore
from coursekit.grading.report import atomic_write, limits_line
from coursekit.grading.roster import resolve
from coursekit.grading.run import CellRun
from coursekit.grading.score import QuestionResult, Result, explain, partial_credit, score_test
from coursekit.grading.submissions import NoSubmissionsError, find_submissions, student_id
from coursekit.written import collect

SUBMISSIONS = Path(__file__).resolve().parents[1] / "fixtures" / "submissions" / "ps1"


@pytest.fixture(scope="module")
def ps1():
    root = Path(__file__).resolve().parents[1] / "fixtures" / "assignments"
    return load_assignment("ps1", root)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("dl/smith_jane_12345_hype.ipynb", "smith_jane_12345"),
        ("dl/smith_jane_12345_01-hype.ipynb", "smith_jane_12345"),
        ("dl/Smith Jane - Hype.ipynb", "Smith Jane"),
        ("dl/hype_fan.ipynb", "hype_fan"),  # the assignment's name is not at the end: kept whole
        ("dl/hypehype.ipynb", "hypehype"),
        ("submitted/alice/01-hype/hype.ipynb", "alice"),  # nbgrader's layout
        ("by-student/bob/hype.ipynb", "bob"),
        ("dl/Zoë Müller.ipynb", "Zoë Müller"),
    ],
)
def test_student_id_strips_the_assignment_name_only_when_unambiguous(path, expected):
    assert student_id(Path(path), "01-hype", "hype") == expected


def test_find_submissions_walks_folders_and_grades_one_file_per_student(tmp_path):
    for rel in [
        "a/x_ps1.ipynb",
        "b/x_ps1.ipynb",
        "a/.ipynb_checkpoints/x_ps1-checkpoint.ipynb",
        "a/notes.txt",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("{}")
    found = find_submissions([tmp_path], "ps1", "ps1")
    assert [(s.student, s.path.parent.name) for s in found] == [("x", "a"), ("x", "b")]
    os.utime(tmp_path / "a/x_ps1.ipynb", (1_000_000_000, 1_000_000_000))  # a's copy is the older one
    chosen = resolve(found)
    assert [s.path.parent.name for s in chosen.graded] == ["b"]
    assert [s.path.parent.name for s, _ in chosen.superseded] == ["a"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoSubmissionsError, match="no notebooks"):
        find_submissions([tmp_path / "empty"], "ps1", "ps1")
    with pytest.raises(NoSubmissionsError, match="no file or folder"):
        find_submissions([tmp_path / "missing"], "ps1", "ps1")


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("empty", "not-a-notebook", "the file is empty"),
        ("not_json", "not-a-notebook", "not valid JSON"),
        ("not_a_notebook", "not-a-notebook", "without an nbformat version"),
    ],
)
def test_files_that_are_not_notebooks_get_a_reason(name, status, message):
    with pytest.raises(SubmissionProblem) as info:
        read_submission(SUBMISSIONS / f"{name}.ipynb")
    assert info.value.status == status and message in info.value.message


def test_old_nbformat_is_converted(ps1):
    nb, notes = read_submission(SUBMISSIONS / "old_nbformat.ipynb")
    assert notes == ["converted from nbformat 3 to 4"]
    check_assignment(nb, ps1.source, "ps1")


def test_a_notebook_of_another_assignment_is_recognised(ps1):
    nb, _ = read_submission(SUBMISSIONS / "other_assignment.ipynb")
    with pytest.raises(SubmissionProblem, match="belongs to another assignment") as info:
        check_assignment(nb, ps1.source, "ps1")
    assert info.value.status == "wrong-assignment"
    with pytest.raises(SubmissionProblem, match="no graded cells"):
        check_assignment(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), ps1.source, "ps1")


def _ids(prepared):
    return [grade_id(cell) or "free" for cell in prepared.nb.cells if cell.cell_type == "code"]


def _run(name, ps1):
    nb, _ = read_submission(SUBMISSIONS / f"{name}.ipynb")
    return restore(nb, ps1.source, ps1.release)


def test_restore_runs_the_instructors_tests_with_hidden_tests(ps1):
    prepared = _run("tests_pass", ps1)
    tests = {grade_id(c): c.source for c in prepared.nb.cells if grade_id(c) in ("q1-tests", "q2-tests")}
    assert "BEGIN HIDDEN TESTS" in tests["q1-tests"] and "total_participants == 60" in tests["q2-tests"]
    assert "q1-tests was changed; the instructor's version was run" in prepared.notes


@pytest.mark.parametrize(
    ("name", "order", "note"),
    [
        ("perfect", ["setup", "q1-answer", "q1-tests", "q2-answer", "q2-tests"], None),
        (
            "deleted_tests",
            ["setup", "q1-answer", "q1-tests", "q2-answer", "q2-tests"],
            "q1-tests was deleted",
        ),
        (
            "moved_tests",
            ["setup", "q1-answer", "q1-tests", "q2-answer", "q2-tests"],
            "q1-tests was moved above",
        ),
        (
            "deleted_answer",
            ["setup", "q1-answer", "q1-tests", "q2-tests"],
            "the answer cell q2-answer is missing",
        ),
        (
            "duplicated_cells",
            ["setup", "q1-answer", "free", "q1-tests", "q2-answer", "q2-tests"],
            "a second cell",
        ),
        (
            "type_changed",
            ["setup", "q1-answer", "q1-tests", "q2-answer", "q2-tests"],
            "q1-answer was turned into",
        ),
        ("child_process", ["setup", "q1-answer", "q1-tests", "free", "q2-answer", "q2-tests"], None),
    ],
)
def test_restore_puts_every_instructor_cell_back_once_after_its_answer(ps1, name, order, note):
    prepared = _run(name, ps1)
    assert _ids(prepared) == order
    if note:
        assert any(n.startswith(note) for n in prepared.notes), prepared.notes


def test_partial_credit_follows_nbgrader_but_caps_instead_of_crashing():
    assert partial_credit("1.5", 2) == 1.5
    assert partial_credit("0", 2) == 0
    assert partial_credit("'a string'", 2) == 2  # not a number: full credit, as nbgrader
    assert partial_credit("-1", 2) == 2  # negative: full credit, as nbgrader
    assert partial_credit("7", 2) == 2  # nbgrader raises ValueError here


def _out(kind, **fields):
    return nbformat.from_dict({"output_type": kind, **fields})


def test_score_test_rules():
    ok = CellRun(status="ok")
    assert score_test(ok, "", 2) == (2, "passed", "")
    noisy = CellRun(status="ok", stderr=True, outputs=[_out("stream", name="stderr", text="warn")])
    assert score_test(noisy, "", 2)[0] == 2  # a warning does not zero a correct answer
    assert score_test(noisy, "", 2, stderr_fails=True)[0] == 0  # nbgrader's rule, on request
    half = CellRun(
        status="ok",
        outputs=[_out("execute_result", data={"text/plain": "1"}, metadata={}, execution_count=1)],
    )
    assert score_test(half, "", 2) == (1, "partial", "partial credit: 1 of 2")
    assert score_test(None, "", 2)[0] == 0


def test_failure_messages_never_quote_hidden_tests(ps1):
    source = next(c.source for c in ps1.source.cells if grade_id(c) == "q1-tests")
    hidden = CellRun(status="error", ename="AssertionError", evalue="", line=4)
    message = explain(hidden, source)
    assert message == "a hidden test failed (AssertionError: a check did not hold)"
    assert "Miracle" not in message
    public = CellRun(status="error", ename="AssertionError", evalue="an empty text has no hype words", line=2)
    assert explain(public, source) == "a public check failed: AssertionError: an empty text has no hype words"
    secret = CellRun(status="error", ename="KeyError", evalue="'the secret answer'", line=5)
    assert "secret" not in explain(secret, source)


def test_manual_scores_are_checked_and_merged(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("student,question,max_points,points,comment\nann,q3,2,1.5,good\nbob,q3,2,,\n")
    # a blank cell is kept as "no points" (None), which clears earlier points (issue 12)
    assert read_manual_scores(path, {"q3": 2}) == [("ann", "q3", 1.5, "good"), ("bob", "q3", None, "")]
    path.write_text("student,question,points\nann,q9,1\n")
    with pytest.raises(CoursekitError, match="line 2: 'q9' is not a written question"):
        read_manual_scores(path, {"q3": 2})
    path.write_text("student,question,points\nann,q3,3\n")
    with pytest.raises(CoursekitError, match="outside 0..2"):
        read_manual_scores(path, {"q3": 2})
    result = Result("ann", "ann.ipynb", "graded", questions=[QuestionResult("q3", 2, None, True, "pending")])
    merged = apply_manual(result, {("ann", "q3"): (1.5, "good")})
    assert merged.manual_score == 1.5 and merged.manual_pending == 0 and result.manual_pending == 2


def test_gradebook_replaces_rows_and_knows_what_is_current(tmp_path):
    book = Gradebook(tmp_path)
    result = Result("ann", "ann.ipynb", "graded", questions=[QuestionResult("q1", 2, 2, False, "passed")])
    book.store("ps1", result, "sha-a", "fp")
    book.store("ps1", result, "sha-a", "fp")
    assert len(book.results("ps1")) == 1 and book.results("ps1")[0] == result
    assert book.is_current("ps1", "ann", "sha-a", "fp")
    assert not book.is_current("ps1", "ann", "sha-b", "fp") and not book.is_current(
        "ps1", "ann", "sha-a", "fp2"
    )
    book.store("ps1", Result("ann", "ann.ipynb", "timeout"), "sha-a", "fp")
    assert not book.is_current("ps1", "ann", "sha-a", "fp")  # timeouts and errors are graded again
    book.close()


def test_a_gradebook_poisoned_by_text_a_kernel_sent_reads_back_writable(tmp_path):
    # a row stored before the grader made kernels' text printable: its lone surrogate crashed every later report
    book = Gradebook(tmp_path)
    odd = Result("ann", "ann.ipynb", "refused", "REFUSED: odd \ud800 text")
    book.db.execute(
        "INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?)",
        ("ps1", "ann", "ann.ipynb", "sha", "fp", "refused", 0, 0, 0.0, json.dumps(asdict(odd))),
    )
    with pytest.raises(UnicodeEncodeError):  # control: the stored text as it is cannot be written as UTF-8
        (tmp_path / "control.txt").write_text(odd.message, encoding="utf-8")
    (read,) = book.results("ps1")
    book.store("ps1", odd, "sha", "fp")
    (stored,) = book.results("ps1")
    book.close()
    for message in (read.message, stored.message):
        assert message == "REFUSED: odd \\ud800 text", message
        atomic_write(tmp_path / "grades.csv", message)
    atomic_write(tmp_path / "raw.csv", odd.message)  # and a report written from the raw text does not stop
    assert (tmp_path / "raw.csv").read_text(encoding="utf-8") == "REFUSED: odd \\ud800 text"


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    atomic_write(tmp_path / "grades.csv", "a,b\n")
    atomic_write(tmp_path / "grades.csv", "a,b\n1,2\n")
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
    assert (tmp_path / "grades.csv").read_text() == "a,b\n1,2\n"


def test_feedback_escapes_and_names_files_safely():
    result = Result(
        "<b>Zoë</b>", "x.ipynb", "graded", questions=[QuestionResult("q1", 2, 0, False, "failed", "<script>")]
    )
    page = feedback_html(result, "ps1")
    assert "<script>" not in page and "&lt;b&gt;Zoë&lt;/b&gt;" in page
    assert safe_name("../a/b") == "_a_b" and safe_name("Zoë Müller") == "Zoë Müller"


def test_written_collects_answers_with_the_rubric_and_keeps_points(ps1, tmp_path):
    subs = find_submissions(
        [SUBMISSIONS / "perfect.ipynb", SUBMISSIONS / "blank.ipynb", SUBMISSIONS / "empty.ipynb"],
        "ps1",
        "ps1",
    )
    pages, scores = collect(ps1, subs, tmp_path)
    page = pages[0].read_text()
    assert pages[0].name == "q3-written.html"
    assert "1 point: says the evidence is preclinical" in page and "Twelve mice are not patients" in page
    assert "YOUR ANSWER HERE" in page and "(not graded: the file is empty)" in page
    rows = list(csv.DictReader(scores.read_text().splitlines()))
    assert [(r["student"], r["question"], r["max_points"]) for r in rows] == [
        ("perfect", "q3-written", "2"),
        ("blank", "q3-written", "2"),
        ("empty", "q3-written", "2"),
    ]
    text = scores.read_text().replace("perfect,q3-written,2,,", "perfect,q3-written,2,2,clear")
    scores.write_text(text)
    collect(ps1, subs, tmp_path)
    assert "perfect,q3-written,2,2,clear" in scores.read_text()


def test_load_assignment_by_id_or_path(ps1, fixture_root):
    assert ps1.id == "ps1" and [q.grade_id for q in ps1.questions] == ["q1-tests", "q2-tests", "q3-written"]
    assert ps1.auto_max == 3 and ps1.manual_max == 2 and [name for _, name in ps1.files] == ["headlines.csv"]
    by_path = load_assignment(str(fixture_root / "solutions/ps1/ps1.ipynb"))
    assert by_path.id == "ps1" and by_path.fingerprint() == ps1.fingerprint()
    with pytest.raises(CoursekitError, match="unknown assignment 'nope'"):
        load_assignment("nope", fixture_root)


def test_the_summary_says_how_each_limit_is_applied():
    limits = Limits(memory=1024 * 2**20, processes=64)
    as_user = limits_line(limits, sandboxed=True, as_root=False)
    assert "1024 MB a kernel with its children (the grader's memory watch; no cgroup v2" in as_user
    assert "processes 64 a kernel (RLIMIT_NPROC in its own user namespace)" in as_user
    assert "NOT enforced: you grade as root" in limits_line(limits, sandboxed=True, as_root=True)
    assert "processes not capped (no sandbox)" in limits_line(limits, sandboxed=False, as_root=False)
    assert "memory not capped" in limits_line(Limits(memory=0), sandboxed=True, as_root=False)


def _message(kind: str, content: dict) -> dict:
    return {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {}, "metadata": {}, "content": content}


def test_a_cell_keeps_one_error_and_one_value_with_a_short_name():
    # a kernel that sends 30 errors with a 20 MB name (red team): the grader keeps the first, its name cut short
    from coursekit.grading.run import MAX_ENAME, _Collector

    huge = "E" * (20 * 2**20)
    sink = _Collector(100_000)
    for _ in range(30):
        sink.add(_message("error", {"ename": huge, "evalue": "x", "traceback": []}))
        sink.add(_message("execute_result", {"data": {"text/plain": huge}, "metadata": {}, "execution_count": 1}))
    run = sink.finish()
    kinds = [o.output_type for o in run.outputs]
    assert kinds.count("error") == 1 and kinds.count("execute_result") == 1, kinds
    assert run.ename == "E" * MAX_ENAME and run.status == "error"
    kept = sum(len(json.dumps(o)) for o in run.outputs)
    assert kept < 10_000, kept
    assert run.dropped_bytes > 29 * 20 * 2**20  # control: what was sent and not kept
