"""The learning report of the concept inventory (`coursekit gain`, issue 21) as an instructor sees it: a SIMULATED,
counterbalanced class of 120 rendered by Chromium at 1280 px fits the window, its figures load and fit, and each
has alt text. A screenshot is left in test-artifacts/browser/."""

from __future__ import annotations

from pathlib import Path

from coursekit import gain
from coursekit import inventory_sim as sim

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


def test_the_gain_report_reads_well_at_1280_px(page, tmp_path):
    items = gain.read_items(ROOT / "data" / "inventory_items.csv")
    model = sim.ClassModel(n_students=120, counterbalanced=True, bad_items=(("A", 5),))
    responses, _ = sim.simulate(items, model, seed=1)
    gain.write_report(gain.analyse(responses, items), tmp_path)
    page.goto((tmp_path / "gain.html").as_uri())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gain-report.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
    images = page.evaluate(
        "[...document.images].map(i => [i.getBoundingClientRect().right, i.naturalWidth, i.complete, i.alt.length])"
    )
    assert len(images) == 3
    assert all(right <= 1280 and natural > 0 and done and alt > 40 for right, natural, done, alt in images)
    # the item map is drawn from the Rasch fit (each form has about 55 students a side, above the minimum of 30)
    alts = page.evaluate("[...document.images].map(i => i.alt)")
    assert any(a.startswith("Item map of form") and "Rasch logit scale" in a for a in alts), alts
    assert page.locator("h3", has_text="Rasch (1PL) model").count() == 1
    widths = page.evaluate("[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)")
    assert max(widths) <= 1280, "a table is wider than the window"
    student = next(s.student for s in responses.sittings if s.occasion == "post")
    page.goto((tmp_path / "feedback" / f"{student}.html").as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
