"""The class report folds each question's cells into one row and keeps its chart readable (issue 20)."""

from __future__ import annotations

from coursekit.grading.class_report import draw_question_chart, question_stats, report_html
from coursekit.grading.score import QuestionResult, Result

TITLES = {
    "q1-tests-a": "Q1 · Which sentences of the article name a source no reader can find?",
    "q1-tests-b": "Q1 · Which sentences of the article name a source no reader can find?",
    "q2-tests": "Q2 · Share of direct causal claims",
}


def _result(student: str, a: float, b: float, q2: float) -> Result:
    return Result(
        student,
        "x.ipynb",
        "graded",
        questions=[
            QuestionResult("q1-tests-a", 1, a, False, "passed" if a == 1 else "failed", "" if a else "a public check failed: shape"),
            QuestionResult("q1-tests-b", 2, b, False, "passed" if b == 2 else "failed", "" if b == 2 else "a hidden test failed: values"),
            QuestionResult("q2-tests", 1, q2, False, "passed" if q2 else "failed"),
        ],
    )


RESULTS = [_result("a", 1, 2, 1), _result("b", 1, 0, 0), _result("c", 0, 0, 1), _result("d", 1, 2, 0)]


def test_the_parts_of_a_question_fold_into_one_row_with_summed_points():
    folded = {s.title: s for s in question_stats(RESULTS, TITLES, by_question=True)}
    q1 = folded[TITLES["q1-tests-a"]]
    assert q1.parts == ("q1-tests-a", "q1-tests-b") and q1.max_points == 3
    assert q1.mean == (3 + 1 + 0 + 3) / 4  # points per student summed over the parts, then averaged
    assert q1.full_share == 0.5 and (q1.public_failures, q1.hidden_failures) == (1, 2)
    assert len(question_stats(RESULTS, TITLES)) == 3  # by cell, as questions.csv keeps them


def test_the_page_has_one_row_per_question_and_lists_the_parts():
    parts = question_stats(RESULTS, TITLES)
    page = report_html("ps1", RESULTS, question_stats(RESULTS, TITLES, by_question=True), parts)
    assert page.count("<tr><td class='q'>") == 2
    assert "<summary>2 parts</summary>" in page and "q1-tests-b: mean 1 of 2 points" in page
    assert "1.75 of 3" in page  # points as scored, not a percentage


def test_the_legend_covers_no_bar():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    many = [_result(s, 1, 2 * (i % 2), i % 2) for i, s in enumerate("abcdefgh")]
    titles = {f"q{i}-tests": f"Q{i} · a question whose title is long enough to wrap over two lines" for i in range(12)}
    results = [
        Result(r.student, "x", "graded", questions=[QuestionResult(g, 1, (i + j) % 3 / 2, False, "failed") for i, g in enumerate(titles)])
        for j, r in enumerate(many)
    ]
    for stats in (question_stats(results, titles, by_question=True), question_stats(RESULTS, TITLES, by_question=True)):
        fig = Figure(figsize=(8, 1 + 0.55 * len(stats)))
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        draw_question_chart(ax, stats)
        canvas.draw()
        renderer = canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        for bar in ax.patches:
            assert not legend.overlaps(bar.get_window_extent(renderer)), "the legend covers a bar"
        assert legend.y1 < ax.get_window_extent(renderer).y0  # below the axes


def test_the_feedback_page_labels_the_parts_of_a_question():
    from coursekit.grading.feedback import feedback_html

    page = feedback_html(RESULTS[1], "ps1", TITLES)
    title = TITLES["q1-tests-a"]
    assert f"{title} (part 1 of 2)" in page and f"{title} (part 2 of 2)" in page
    assert "Q2 · Share of direct causal claims (part" not in page  # a one-cell question has no part label


def test_question_titles_come_from_the_line_that_starts_the_question():
    from pathlib import Path

    from coursekit.grading.assignment import load_assignment

    root = Path(__file__).resolve().parents[2]
    mechanism = load_assignment("03-mechanism", root).titles  # bold leads: "**Q2 (2 points) · ... .**"
    assert mechanism["q2-tests-b"].startswith("Q2 (2 points)") and "Assignment 03" not in mechanism["q2-tests-b"]
    evidence = load_assignment("02-evidence", root).titles  # a heading, then more prompt cells below it
    assert evidence["q6-tests-b"].startswith("Q6 · ")
    assert all(len(t) <= 80 and not t.endswith(("…", "...")) or t.endswith(" ...") for t in evidence.values())


def test_an_unchanged_release_is_left_out_of_the_item_statistics():
    untouched = Result("e", "x.ipynb", "unchanged", questions=_result("e", 0, 0, 0).questions)
    with_it = {s.grade_id: s for s in question_stats([*RESULTS, untouched], TITLES)}
    without = {s.grade_id: s for s in question_stats(RESULTS, TITLES)}
    assert with_it["q2-tests"].n == without["q2-tests"].n == 4 and with_it["q2-tests"].mean == without["q2-tests"].mean
    assert "1 unchanged" in report_html("ps1", [*RESULTS, untouched], question_stats([*RESULTS, untouched], TITLES))


def test_an_unchanged_release_is_recognised_and_an_edited_one_is_not():
    import nbformat

    from coursekit.grading.assignment import load_assignment
    from coursekit.grading.prepare import is_unchanged, restore

    root = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "assignments"
    ps1 = load_assignment("ps1", root)
    release = nbformat.read(root / "exercises" / "ps1" / "ps1.ipynb", as_version=4)
    assert is_unchanged(restore(release, ps1.source, ps1.release).answers, ps1.release)
    edited = nbformat.read(root / "exercises" / "ps1" / "ps1.ipynb", as_version=4)
    answer = next(c for c in edited.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source += "\nx = 1"
    assert not is_unchanged(restore(edited, ps1.source, ps1.release).answers, ps1.release)
