"""The class report: `report.html` and `questions.csv`, what the instructor opens first after a run.

Per question (the cells of one question, its public and hidden tests say, folded into one row, the parts listed
under it; `questions.csv` keeps one row per graded cell): the mean score, the share of full marks, failures of public checks vs hidden tests, the most
common failure messages, and an item-discrimination index, with the questions sorted worst first; a histogram
of the totals. Only submissions that ran (status graded or timeout) count.

Discrimination is the corrected item-total correlation: the Pearson correlation between the points on a
question and the rest of the test (the total without that question). Near 0 (or negative) the question does
not separate strong from weak submissions (too easy, too hard, or measuring something else); above about 0.3
it separates them well.
"""

from __future__ import annotations

import base64
import csv
import io
import math
import statistics
import textwrap
from collections import Counter
from dataclasses import dataclass
from html import escape
from pathlib import Path

from coursekit.grading.feedback import STYLE
from coursekit.grading.score import Result
from coursekit.grading.status import Status

REPORT = "report.html"
QUESTIONS = "questions.csv"
# Okabe & Ito's colour-blind-safe palette, as the course's own plots use (kept here: coursekit is separate).
BLUE, ORANGE, VERMILLION, GREY = "#0072B2", "#E69F00", "#D55E00", "#999999"
COUNTED = (Status.GRADED, Status.TIMEOUT)


@dataclass
class QuestionStats:
    """One question's numbers across the class."""

    grade_id: str
    title: str
    max_points: float
    n: int
    mean: float
    full_share: float
    public_failures: int
    hidden_failures: int
    other_failures: int
    discrimination: float | None
    messages: list[tuple[str, int]]
    parts: tuple[str, ...] = ()  # the grade ids folded into this row (one, unless by question)

    @property
    def mean_share(self) -> float:
        return self.mean / self.max_points if self.max_points else 1.0


def correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r, or None when either side does not vary (or fewer than 3 pairs)."""
    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def question_stats(
    results: list[Result], titles: dict[str, str] | None = None, by_question: bool = False
) -> list[QuestionStats]:
    """Per autograded or hand-graded cell, sorted worst first (lowest mean share of the points). With
    `by_question`, the cells that share a title (the parts of one question: its public and hidden test cells,
    say) are folded into one row whose points are their sum; its grade id is the first part's."""
    titles = titles or {}
    counted = [r for r in results if r.status in COUNTED and r.questions]
    cells = [q.grade_id for q in counted[0].questions] if counted else []
    groups: dict[str, list[str]] = {}
    for gid in cells:
        groups.setdefault(titles.get(gid, gid) if by_question else gid, []).append(gid)
    totals = [r.total for r in counted]
    stats = []
    pending = {q.grade_id for r in counted for q in r.questions if q.points is None}
    for key, gids in groups.items():
        if pending & set(gids):
            continue  # a written question appears once every answer to it is graded
        points: list[float] = []
        rest: list[float] = []
        public = hidden = other = 0
        messages: Counter[str] = Counter()
        max_points = 0.0
        for r, total in zip(counted, totals, strict=True):
            parts = [q for q in r.questions if q.grade_id in gids and q.points is not None]
            if len(parts) != len(gids):
                continue
            max_points = sum(q.max_points for q in parts)
            got = sum(q.points or 0.0 for q in parts)
            points.append(got)
            rest.append(total - got)
            for q in parts:
                if (q.points or 0.0) < q.max_points and q.message:
                    if "public check" in q.message:
                        public += 1
                    elif "hidden test" in q.message:
                        hidden += 1
                    else:
                        other += 1
                    messages[q.message] += 1
        if not points:
            continue
        stats.append(
            QuestionStats(
                gids[0],
                titles.get(gids[0], gids[0]) if not by_question else key,
                max_points,
                len(points),
                statistics.fmean(points),
                sum(1 for p in points if p >= max_points) / len(points),
                public,
                hidden,
                other,
                correlation(points, rest),
                messages.most_common(3),
                tuple(gids),
            )
        )
    return sorted(stats, key=lambda s: (s.mean_share, s.grade_id))


def questions_csv(stats: list[QuestionStats]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "question",
            "title",
            "max_points",
            "n",
            "mean",
            "full_marks_share",
            "public_failures",
            "hidden_failures",
            "other_failures",
            "discrimination",
            "top_message",
        ]
    )
    for s in stats:
        writer.writerow(
            [
                s.grade_id,
                s.title,
                f"{s.max_points:g}",
                s.n,
                f"{s.mean:.2f}",
                f"{s.full_share:.2f}",
                s.public_failures,
                s.hidden_failures,
                s.other_failures,
                "" if s.discrimination is None else f"{s.discrimination:.2f}",
                s.messages[0][0] if s.messages else "",
            ]
        )
    return buffer.getvalue()


def figure_png(draw, height: float = 3.6, width: float = 8.0) -> str:
    """Draw on a matplotlib figure of its own (no pyplot, so no global backend or state is touched, even inside
    Jupyter) and return the PNG as base64."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw(ax)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")  # long labels and a legend below stay in the picture
    return base64.b64encode(buffer.getvalue()).decode()


def histogram_of_totals(totals: list[float], max_total: float) -> tuple[str, str]:
    """(PNG base64, alt text) of the distribution of total points."""
    if 0 < max_total <= 40:  # whole points: one bar per point, centred on it
        bins: int | list[float] = [k - 0.5 for k in range(int(math.ceil(max_total)) + 2)]
    else:
        bins = 20

    def draw(ax) -> None:
        ax.hist(totals, bins=bins, color=BLUE, edgecolor="white")
        ax.set_title("Total points per submission")
        ax.set_xlabel(f"total points (of {max_total:g})")
        ax.set_ylabel("submissions (count)")

    median = statistics.median(totals) if totals else 0
    alt = (
        f"Histogram of the total points of {len(totals)} submissions, from 0 to {max_total:g}; "
        f"median {median:g}, lowest {min(totals, default=0):g}, highest {max(totals, default=0):g}."
    )
    return figure_png(draw), alt


def _label(s: QuestionStats, width: int = 38) -> str:
    """A question's label for the chart: its title, wrapped onto at most two lines."""
    lines = textwrap.wrap(s.title, width) or [s.grade_id]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def draw_question_chart(ax, stats: list[QuestionStats]) -> None:
    """Bars of the mean share of points per question, worst at the top, coloured by band; the legend sits below
    the axes, where it can cover no bar."""
    from matplotlib.patches import Patch

    names = [_label(s) for s in stats]
    shares = [100 * s.mean_share for s in stats]
    colours = [VERMILLION if v < 50 else ORANGE if v < 75 else BLUE for v in shares]
    ax.barh(range(len(names))[::-1], shares, color=colours, tick_label=names)
    ax.set_xlim(0, 100)
    bands = [(VERMILLION, "below 50%"), (ORANGE, "50-75%"), (BLUE, "75% or more")]
    ax.legend(
        handles=[Patch(color=c, label=t) for c, t in bands],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16 * 6 / max(6, len(stats) + 2)),
        ncol=3,
        frameon=False,
    )
    ax.set_title("Mean score per question, worst first")
    ax.set_xlabel("mean score (% of the question's points)")
    ax.set_ylabel("question")


def question_chart(stats: list[QuestionStats]) -> tuple[str, str]:
    """(PNG base64, alt text) of `draw_question_chart`."""
    worst = ", ".join(f"{s.title} {100 * s.mean_share:.0f}%" for s in stats[:3])
    alt = f"Bar chart of the mean score of {len(stats)} questions as a percentage of their points; lowest: {worst}."
    return figure_png(lambda ax: draw_question_chart(ax, stats), height=max(3.6, 1.0 + 0.55 * len(stats))), alt


def _points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def report_html(
    assignment: str, results: list[Result], stats: list[QuestionStats], parts: list[QuestionStats] | None = None
) -> str:
    """The page: totals, the chart, and one row per question (`stats`), its parts (`parts`) folded under it."""
    counted = [r for r in results if r.status in COUNTED]
    statuses = Counter(str(r.status) for r in results)
    max_total = max((r.max_total for r in counted), default=0.0)
    totals = [r.total for r in counted]
    by_id = {p.grade_id: p for p in parts or []}
    style = (
        f"{STYLE}body{{max-width:76rem}}img{{max-width:100%}}table{{width:100%;border-collapse:collapse}}"
        "td,th{vertical-align:top;padding:.3em .5em;text-align:left}td{overflow-wrap:anywhere}"
        "td.q{min-width:16em;width:30%;overflow-wrap:normal}"
        "details{margin-top:.3em}"
    )
    html = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta name='viewport' content='width=device-width'><title>Class report: {escape(assignment)}</title>"
        f"<style>{style}</style></head><body>",
        f"<h1>Class report: {escape(assignment)}</h1>",
        f"<p>{len(results)} submissions: "
        + ", ".join(f"{n} {escape(s)}" for s, n in sorted(statuses.items()))
        + (f". Mean total {statistics.fmean(totals):.2f} of {max_total:g}" if totals else "")
        + ".</p>",
    ]
    if totals:
        png, alt = histogram_of_totals(totals, max_total)
        html.append(f"<figure><img src='data:image/png;base64,{png}' alt='{escape(alt)}'></figure>")
    if stats:
        png, alt = question_chart(stats)
        html.append(f"<figure><img src='data:image/png;base64,{png}' alt='{escape(alt)}'></figure>")
        html.append(
            "<h2>Questions, worst first</h2><p>One row per question; a question graded in several cells (a public "
            "and a hidden test, say) shows its parts under it. Discrimination: the correlation of the question's "
            "points with the rest of the test (the total without it). Near 0 or below, the question does not "
            "separate strong from weak submissions; above about 0.3 it does. Written questions appear once all "
            "their answers are graded.</p>"
            "<table><tr><th>Question</th><th>Mean points</th><th>Full marks</th>"
            "<th>Failed: public / hidden / other</th><th>Discrimination</th><th>Most common failure messages</th></tr>"
        )
        for s in stats:
            disc = "n/a" if s.discrimination is None else f"{s.discrimination:.2f}"
            messages = "<br>".join(f"{escape(m)} ({n})" for m, n in s.messages)
            folded = ""
            if len(s.parts) > 1:
                lines = "".join(
                    f"<li>{escape(g)}: mean {_points(by_id[g].mean)} of {by_id[g].max_points:g} points, "
                    f"full marks {100 * by_id[g].full_share:.0f}%</li>"
                    for g in s.parts
                    if g in by_id
                )
                folded = f"<details><summary>{len(s.parts)} parts</summary><ul>{lines}</ul></details>"
            ids = ", ".join(s.parts or (s.grade_id,))
            html.append(
                f"<tr><td class='q'>{escape(s.title)}<br><small>{escape(ids)}</small>{folded}</td>"
                f"<td>{_points(s.mean)} of {s.max_points:g}</td><td>{100 * s.full_share:.0f}%</td>"
                f"<td>{s.public_failures} / {s.hidden_failures} / {s.other_failures}</td><td>{disc}</td>"
                f"<td>{messages}</td></tr>"
            )
        html.append("</table>")
    html.append("</body></html>")
    return "\n".join(html) + "\n"


def write_class_report(
    out: Path, assignment: str, results: list[Result], titles: dict[str, str] | None, write
) -> list[Path]:
    """Write report.html and questions.csv into `out` with `write(path, text)`."""
    parts = question_stats(results, titles)
    write(Path(out) / QUESTIONS, questions_csv(parts))
    questions = question_stats(results, titles, by_question=True)
    write(Path(out) / REPORT, report_html(assignment, results, questions, parts))
    return [Path(out) / REPORT, Path(out) / QUESTIONS]
