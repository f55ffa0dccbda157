"""The class report as an instructor sees it: rendered by Chromium at 1280 px, it fits the window, the question
column is readable, and the figures fit their column (issue 20). A screenshot is left in test-artifacts/browser/."""

from __future__ import annotations

from pathlib import Path

from coursekit.grading.class_report import question_stats, report_html
from coursekit.grading.score import QuestionResult, Result

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
TITLES = {f"q{i}-tests": f"Q{i} · Which sentences of the article name a source that no reader could look up?"
          for i in range(1, 9)}


def _class() -> list[Result]:
    results = []
    for j in range(12):
        questions = [
            QuestionResult(g, 2, float((i * j) % 3), False, "failed", "a hidden test failed: " + "x" * 60)
            for i, g in enumerate(TITLES, start=1)
        ]
        results.append(Result(f"s{j:02d}", "x.ipynb", "graded", questions=questions))
    return results


def test_the_class_report_reads_well_at_1280_px(page, tmp_path):
    results = _class()
    html = report_html("01-hype", results, question_stats(results, TITLES, by_question=True),
                       question_stats(results, TITLES))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "class-report.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
    widths = page.evaluate("[...document.querySelectorAll('td.q')].map(td => td.getBoundingClientRect().width)")
    assert widths and min(widths) >= 200, f"the question column is too narrow to read: {widths}"
    images = page.evaluate(
        "[...document.images].map(i => [i.getBoundingClientRect().right, i.naturalWidth, i.complete])"
    )
    assert len(images) == 2 and all(right <= 1280 and natural > 0 and done for right, natural, done in images)
