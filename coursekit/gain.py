"""The learning report of the concept inventory: `python -m coursekit gain PRE_OUT POST_OUT [--out DIR]`.

Reads two grading output folders (what `python -m coursekit grade` wrote for the pre-test and the post-test) and
writes, under `--out`:

- `gain.csv`: one row per student: the form and score of each test, the difference, Hake's normalised gain and
  whether each score passes; students with only one of the two tests are listed, not dropped;
- `concepts.csv`: per IHC Key Concept, the share correct before and after, and per misconception how often the
  wrong answers chose it, before and after;
- `items.csv`: per form and occasion, each item's difficulty (share correct), item-rest correlation, the share
  choosing each letter, and flags;
- `gain.html`: the page an instructor reads, with plots (alt text, Okabe-Ito colours);
- `feedback/<student>.html`: for each student with a post-test, each item missed, the answer chosen and the
  misconception behind it, the best answer, its one-line explanation and the lesson section that teaches it.

Which letter a student chose is read from the submitted notebook itself (the `file` column of `grades.csv`; the
answer cell is parsed, never run); if the file is gone, from the grader's message ("You chose C, ...") for a wrong
answer and from the key for a right one. The grader itself is unchanged.

Definitions (each student's score is the share of items correct, in percent):
- difference: post - pre, in percentage points; the class mean has a 95% confidence interval from the t
  distribution of the paired differences;
- Hake's normalised gain g = (post - pre) / (100 - pre) [Hake 1998, doi:10.1119/1.18809]; for the class, from the
  class means (<g>), and the mean of the students' own g (students with a perfect pre-test have none);
- KR-20: Kuder and Richardson's reliability of a test of right/wrong items, k/(k-1) (1 - sum p q / var(total));
- item-rest correlation: Pearson's r between an item (0/1) and the score on the other items of the form.

Rasch (1PL) model, per form and occasion: item difficulties by conditional maximum likelihood, fitted as a
conditional logistic regression with one stratum per student (statsmodels' ConditionalLogit, imported only when a
fit is made), centred at mean 0, with standard errors; each student's ability by maximum likelihood given them; and
each item's infit and outfit mean squares from those. Not attempted with fewer than RASCH_MIN_STUDENTS students
with at least one right and one wrong answer, or reported as not fitted when the fit does not converge; the item map
then shows the classical logit of each item's share correct instead, labelled as such.

coursekit does not import `appraisal`: this module reads the item table (`data/inventory_items.csv`) itself.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from coursekit.errors import CoursekitError
from coursekit.grading.class_report import correlation, figure_png  # shared with the class report

ITEMS_FILE = Path("data") / "inventory_items.csv"
FORM_OF = {"00-inventory-pre": "A", "05-inventory-post": "B"}
DEFAULT_PASS = 13  # items correct: the Uganda trial's pre-set passing score was 13 of 24 (Nsangi et al. 2020)
LETTERS = ("A", "B", "C", "D")
BLUE, ORANGE, VERMILLION, SKY, GREEN, GREY = "#0072B2", "#E69F00", "#D55E00", "#56B4E9", "#009E73", "#999999"
QUESTION = re.compile(r"^q(\d+)-")
CHOSE = re.compile(r"You chose ([A-D])\b")
GRADED_STATUSES = {"graded", "timeout"}  # an untouched release ("unchanged") holds no answer: not taken
MIN_ITEM_N = 10  # below this many answers to a form, item flags are not raised (too few to judge)
RASCH_MIN_STUDENTS = 30  # a form's Rasch fit needs this many students with at least one right and one wrong answer
MISFIT = 1.3  # an item whose infit or outfit mean square is above this is flagged (the kit's choice; see INSTRUCTORS.md)


@dataclass(frozen=True)
class Item:
    form: str
    number: int
    concept: str
    title: str
    key: str
    options: dict[str, str]
    misconceptions: dict[str, str]
    explanation: str
    notebook: str
    section: str


@dataclass
class Sitting:
    """One student's answers to one form on one occasion."""

    student: str
    occasion: str  # "pre" or "post"
    form: str
    correct: dict[int, bool]  # item number -> right
    letters: dict[int, str]  # item number -> letter chosen ("" when unknown or not one of A-D)
    letter_source: str = "notebook"


@dataclass
class Responses:
    """Every sitting of both occasions, and what could not be read."""

    sittings: list[Sitting] = field(default_factory=list)
    not_graded: list[tuple[str, str, str]] = field(default_factory=list)  # (student, occasion, why)


# ---------------------------------------------------------------------------------------------------------------
# Reading


def read_items(path: Path) -> dict[tuple[str, int], Item]:
    """The item table: {(form, item number): Item}."""
    if not path.is_file():
        raise CoursekitError(f"no item table at {path} (use --items to name it)")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    items = {}
    for r in rows:
        item = Item(
            form=r["form"],
            number=int(r["item"]),
            concept=r["concept"],
            title=r["title"],
            key=r["key"],
            options={x: r[f"option_{x.lower()}"] for x in LETTERS},
            misconceptions={x: r[f"misconception_{x.lower()}"] for x in LETTERS if x != r["key"]},
            explanation=r["explanation"],
            notebook=r["notebook"],
            section=r["section"],
        )
        items[item.form, item.number] = item
    return items


def read_concept_names(path: Path) -> dict[str, str]:
    """{code: short name} from data/ihc_key_concepts.csv beside the item table; {} when it is not there."""
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {r["code"]: r["short_name"] for r in csv.DictReader(f)}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise CoursekitError(f"{path.parent} is not a grading output folder: it has no {path.name}")
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def letters_in_notebook(path: Path) -> dict[int, str]:
    """{item number: letter} from the answer cells `answer_qN = "X"` of a submitted notebook (parsed, not run)."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[int, str] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else cell.get("source", "")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    match = re.fullmatch(r"answer_q(\d+)", getattr(target, "id", "") or "")
                    if match and isinstance(node.value.value, str):
                        letter = node.value.value.strip().upper()
                        found[int(match.group(1))] = letter if letter in LETTERS else ""
    return found


def read_output(folder: Path, occasion: str, items: dict[tuple[str, int], Item]) -> Responses:
    """The sittings in one grading output folder (its assignment says which form)."""
    long_rows = _csv_rows(folder / "grades-long.csv")
    wide = {r["student"]: r for r in _csv_rows(folder / "grades.csv")}
    assignments = {r["assignment"] for r in long_rows}
    if not long_rows:
        return Responses(not_graded=[(s, occasion, r.get("status", "")) for s, r in wide.items()])
    if len(assignments) != 1 or next(iter(assignments)) not in FORM_OF:
        raise CoursekitError(
            f"{folder}: expected the grades of one inventory assignment ({', '.join(FORM_OF)}), "
            f"found {', '.join(sorted(assignments)) or 'none'}"
        )
    form = FORM_OF[next(iter(assignments))]
    by_student: dict[str, dict[int, tuple[bool, str]]] = defaultdict(dict)
    for r in long_rows:
        match = QUESTION.match(r["question"])
        if not match or (form, int(match.group(1))) not in items:
            continue
        right = r["points"] != "" and r["max_points"] != "" and float(r["points"]) >= float(r["max_points"]) > 0
        by_student[r["student"]][int(match.group(1))] = (right, r["message"])
    out = Responses()
    for student, row in wide.items():
        if row.get("status", "graded") not in GRADED_STATUSES or student not in by_student:
            out.not_graded.append((student, occasion, row.get("status", "") or "not graded"))
            continue
        answers = by_student[student]
        from_file = letters_in_notebook(Path(row.get("file", ""))) if row.get("file") else {}
        source = "notebook" if from_file else "grader messages"
        letters = {}
        for number, (right, message) in answers.items():
            if from_file:
                letters[number] = from_file.get(number, "")
            elif right:
                letters[number] = items[form, number].key
            else:
                match = CHOSE.search(message or "")
                letters[number] = match.group(1) if match else ""
        out.sittings.append(
            Sitting(student, occasion, form, {n: r for n, (r, _) in answers.items()}, letters, source)
        )
    return out


def read_outputs(pre: list[Path], post: list[Path], items: dict[tuple[str, int], Item]) -> Responses:
    """Both occasions; a student graded twice on one occasion is an error (say which folders)."""
    out = Responses()
    for occasion, folders in (("pre", pre), ("post", post)):
        seen: dict[str, Path] = {}
        for folder in folders:
            part = read_output(folder, occasion, items)
            for s in part.sittings:
                if s.student in seen:
                    raise CoursekitError(
                        f"student {s.student!r} has two {occasion}-tests: in {seen[s.student]} and {folder}"
                    )
                seen[s.student] = folder
            out.sittings += part.sittings
            out.not_graded += part.not_graded
    return out


# ---------------------------------------------------------------------------------------------------------------
# Statistics


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c if abs(1 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-12:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1 - front * _betacf(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t (bisection on t_cdf; no scipy in the kit)."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("t_quantile needs 0 < p < 1 and df > 0")
    lo, hi = -1e3, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_ci(values: list[float], level: float = 0.95) -> tuple[float, float, float] | None:
    """(mean, low, high) with a t interval; None with fewer than 2 values."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    half = t_quantile(0.5 + level / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def hake_gain(pre: float, post: float) -> float | None:
    """(post - pre) / (100 - pre), scores in percent; None when pre is 100."""
    return None if pre >= 100 else (post - pre) / (100 - pre)


def kr20(matrix: list[list[int]]) -> float | None:
    """Kuder-Richardson 20 of a students x items 0/1 matrix; None if the totals do not vary or k < 2."""
    if len(matrix) < 2 or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    totals = [sum(row) for row in matrix]
    var = statistics.pvariance(totals)
    if var == 0:
        return None
    pq = 0.0
    for j in range(k):
        p = statistics.fmean(row[j] for row in matrix)
        pq += p * (1 - p)
    return k / (k - 1) * (1 - pq / var)


# ---------------------------------------------------------------------------------------------------------------
# The Rasch (1PL) model, fitted by conditional maximum likelihood with statsmodels


@dataclass
class RaschFit:
    """The Rasch model fitted to one form on one occasion, or why it was not.

    difficulty: item number -> difficulty in logits, centred so that the form's fitted items average 0 (higher is
    harder); se: its standard error; infit and outfit: mean squares (1 is what the model expects, above 1 means the
    answers to the item are noisier than the model predicts); abilities: the maximum-likelihood ability of each
    student who had at least one item right and one wrong, given the difficulties."""

    form: str
    occasion: str
    n_students: int
    n_used: int  # students with at least one right and one wrong answer (the others carry no information)
    status: str  # "fitted", or why not
    difficulty: dict[int, float] = field(default_factory=dict)
    se: dict[int, float] = field(default_factory=dict)
    infit: dict[int, float] = field(default_factory=dict)
    outfit: dict[int, float] = field(default_factory=dict)
    abilities: list[float] = field(default_factory=list)
    left_out: list[int] = field(default_factory=list)  # items everyone got right, or everyone wrong

    @property
    def fitted(self) -> bool:
        return self.status == "fitted"


def ml_ability(difficulties: list[float], score: int, tol: float = 1e-8) -> float:
    """The maximum-likelihood ability (logits) of a raw score 0 < score < k, given the item difficulties: the
    ability at which the expected score, sum of 1 / (1 + exp(b - ability)), equals the raw score (Newton steps)."""
    k = len(difficulties)
    if not 0 < score < k:
        raise ValueError("a raw score of 0 or of every item has no finite maximum-likelihood ability")
    theta = math.log(score / (k - score)) + statistics.fmean(difficulties)
    for _ in range(100):
        ps = [1 / (1 + math.exp(b - theta)) for b in difficulties]
        info = sum(p * (1 - p) for p in ps)
        step = (score - sum(ps)) / info
        theta += max(-2.0, min(2.0, step))
        if abs(step) < tol:
            break
    return theta


def item_fit(matrix: list[list[int]], difficulties: list[float]) -> tuple[list[float], list[float], list[float]]:
    """(infit, outfit, abilities) of each item of a students x items 0/1 matrix, given the difficulties; students
    with every item right or every item wrong are left out (their ability has no finite estimate).

    For student p and item i, with P the model's probability of a right answer at the student's ML ability and
    W = P (1 - P): outfit_i = mean over students of (x - P)^2 / W (the mean squared standardised residual);
    infit_i = sum of (x - P)^2 / sum of W (the same, weighted by W, so that students far above or below the item
    count less)."""
    k = len(difficulties)
    by_score = {r: ml_ability(difficulties, r) for r in range(1, k)}
    rows = [row for row in matrix if 0 < sum(row) < k]
    abilities = [by_score[sum(row)] for row in rows]
    infit, outfit = [], []
    for i, b in enumerate(difficulties):
        sq, w, z2 = 0.0, 0.0, 0.0
        for row, theta in zip(rows, abilities, strict=True):
            p = 1 / (1 + math.exp(b - theta))
            var = p * (1 - p)
            sq += (row[i] - p) ** 2
            w += var
            z2 += (row[i] - p) ** 2 / var
        infit.append(sq / w if w else math.nan)
        outfit.append(z2 / len(rows) if rows else math.nan)
    return infit, outfit, abilities


def _jml_start(y):
    """Starting difficulties (relative to the first item) for the conditional fit: joint maximum likelihood (abilities
    and difficulties estimated together, a few alternating Newton steps), shrunk by (k - 1) / k, the usual
    correction of its outward bias. Only a starting point: the conditional fit decides the estimates."""
    import numpy as np

    k = y.shape[1]
    right_i, right_p = y.sum(axis=0), y.sum(axis=1)
    b = -np.log(right_i / (len(y) - right_i))
    theta = np.log(right_p / (k - right_p))
    for _ in range(30):
        p = 1 / (1 + np.exp(b[None, :] - theta[:, None]))
        w = p * (1 - p)
        b = b + np.clip((p.sum(axis=0) - right_i) / w.sum(axis=0), -1, 1)
        b -= b.mean()
        p = 1 / (1 + np.exp(b[None, :] - theta[:, None]))
        w = p * (1 - p)
        theta = theta + np.clip((right_p - p.sum(axis=1)) / w.sum(axis=1), -1, 1)
    b = b * (k - 1) / k
    return b - b[0]


def fit_rasch(matrix: list[list[int]], numbers: list[int], form: str = "", occasion: str = "") -> RaschFit:
    """The Rasch model for a students x items 0/1 matrix (columns: item `numbers`), by conditional maximum
    likelihood: a conditional logistic regression (statsmodels' ConditionalLogit) of right/wrong on one indicator
    per item but the first, with one stratum per student. Conditioning on each student's number right removes the
    student's ability from the likelihood, so no ability distribution is assumed; students with every item right
    or every item wrong drop out. Not attempted with fewer than RASCH_MIN_STUDENTS such students."""
    n_students = len(matrix)
    columns = list(range(len(numbers)))
    usable = sum(1 for row in matrix if 0 < sum(row) < len(numbers))
    if usable < RASCH_MIN_STUDENTS:
        return RaschFit(form, occasion, n_students, usable, (
            f"not attempted: {usable} students with at least one right and one wrong answer "
            f"(the minimum is {RASCH_MIN_STUDENTS})"
        ))
    rows = matrix
    while True:  # leave out items everyone (left) got right or wrong, then students with no variation, until stable
        rows = [row for row in rows if 0 < sum(row[j] for j in columns) < len(columns)]
        keep = [j for j in columns if 0 < sum(row[j] for row in rows) < len(rows)]
        if keep == columns:
            break
        columns = keep
        if len(columns) < 2:
            break
    left_out = [numbers[j] for j in range(len(numbers)) if j not in columns]
    out = RaschFit(form, occasion, n_students, len(rows), "", left_out=left_out)
    if len(rows) < RASCH_MIN_STUDENTS or len(columns) < 2:
        out.status = (
            f"not attempted: {len(rows)} students with at least one right and one wrong answer once the items "
            f"everyone got right or wrong are left out (the minimum is {RASCH_MIN_STUDENTS})"
        )
        return out
    import warnings

    import numpy as np
    from statsmodels.discrete.conditional_models import ConditionalLogit

    y = np.array([[row[j] for j in columns] for row in rows], dtype=float)
    n, k = y.shape
    endog = y.ravel()
    exog = np.tile(np.eye(k)[:, 1:], (n, 1))  # item indicators; the first item is the reference
    groups = np.repeat(np.arange(n), k)
    start = -_jml_start(y)[1:]  # a quick approximation, so that the optimiser starts near the optimum
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ConditionalLogit(endog, exog, groups=groups)
            result = model.fit(start_params=start, method="bfgs", maxiter=200, disp=False)
            beta = np.asarray(result.params)
            cov = np.asarray(result.cov_params())
            # the results object does not keep the optimiser's own flag: converged means the score (the gradient of
            # the log-likelihood) is close to 0 at the estimate
            converged = bool(np.max(np.abs(model.score(beta))) < 1e-3 * n)
    except (np.linalg.LinAlgError, ValueError, OverflowError) as error:
        out.status = f"not fitted: the fit failed ({type(error).__name__})"
        return out
    # item i's logit of a right answer is ability - difficulty_i, so beta_i = difficulty_ref - difficulty_i;
    # difficulties relative to the reference are (0, -beta), then centred at mean 0: d = M (0, -beta)
    full = np.concatenate([[0.0], -beta])
    centre = np.eye(k) - 1.0 / k
    lift = np.vstack([np.zeros((1, k - 1)), -np.eye(k - 1)])  # (0, -beta) = lift @ beta
    transform = centre @ lift
    d = centre @ full
    var = np.diag(transform @ cov @ transform.T)
    if not converged or not np.all(np.isfinite(d)) or not np.all(np.isfinite(var)) or np.any(var <= 0):
        out.status = "not fitted: the fit did not converge"
        return out
    infit, outfit, abilities = item_fit([[int(v) for v in row] for row in y], [float(v) for v in d])
    for j, col in enumerate(columns):
        number = numbers[col]
        out.difficulty[number] = float(d[j])
        out.se[number] = float(math.sqrt(var[j]))
        out.infit[number] = infit[j]
        out.outfit[number] = outfit[j]
    out.abilities = abilities
    out.status = "fitted"
    return out


# ---------------------------------------------------------------------------------------------------------------
# The analysis


@dataclass
class StudentRow:
    student: str
    pre_form: str = ""
    post_form: str = ""
    pre: float | None = None  # percent
    post: float | None = None
    pre_correct: int | None = None
    post_correct: int | None = None
    pre_items: int | None = None
    post_items: int | None = None
    letters_from: str = ""

    @property
    def status(self) -> str:
        if self.pre is not None and self.post is not None:
            return "matched"
        return "pre-test only" if self.pre is not None else "post-test only"

    @property
    def difference(self) -> float | None:
        return None if self.pre is None or self.post is None else self.post - self.pre

    @property
    def g(self) -> float | None:
        return None if self.pre is None or self.post is None else hake_gain(self.pre, self.post)


@dataclass
class ItemStats:
    form: str
    occasion: str
    number: int
    concept: str
    n: int
    difficulty: float  # share correct
    item_rest: float | None
    letter_share: dict[str, float]
    flags: list[str]


@dataclass
class Report:
    students: list[StudentRow]
    not_graded: list[tuple[str, str, str]]
    pass_score: int
    difference: tuple[float, float, float] | None
    mean_pre: float | None
    mean_post: float | None
    class_g: float | None
    mean_g: float | None
    pass_pre: float | None
    pass_post: float | None
    orders: dict[str, dict[str, Any]]
    concepts: list[dict[str, Any]]
    misconceptions: list[dict[str, Any]]
    items: list[ItemStats]
    reliability: dict[tuple[str, str], tuple[int, float | None]]
    sittings: list[Sitting]
    item_table: dict[tuple[str, int], Item]
    concept_names: dict[str, str] = field(default_factory=dict)
    rasch: dict[tuple[str, str], RaschFit] = field(default_factory=dict)


def _percent(s: Sitting) -> float:
    return 100 * sum(s.correct.values()) / len(s.correct) if s.correct else 0.0


def item_statistics(
    sittings: list[Sitting], items: dict[tuple[str, int], Item], rasch: bool = True
) -> tuple[list[ItemStats], dict, dict[tuple[str, str], RaschFit]]:
    """Per (form, occasion): each item's numbers and flags, KR-20 of the form, and (with `rasch`) its Rasch fit."""
    groups: dict[tuple[str, str], list[Sitting]] = defaultdict(list)
    for s in sittings:
        groups[s.form, s.occasion].append(s)
    stats, reliability, fits = [], {}, {}
    for (form, occasion), group in sorted(groups.items()):
        numbers = sorted({n for s in group for n in s.correct})
        matrix = [[int(s.correct.get(n, False)) for n in numbers] for s in group]
        reliability[form, occasion] = (len(group), kr20(matrix))
        fit = fit_rasch(matrix, numbers, form, occasion) if rasch else None
        if fit is not None:
            fits[form, occasion] = fit
        totals = [sum(row) for row in matrix]
        for j, n in enumerate(numbers):
            column = [row[j] for row in matrix]
            rest = [t - c for t, c in zip(totals, column, strict=True)]
            p = statistics.fmean(column)
            r = correlation([float(c) for c in column], [float(x) for x in rest])
            chosen = Counter(s.letters.get(n, "") for s in group)
            share = {x: chosen.get(x, 0) / len(group) for x in (*LETTERS, "")}
            item = items[form, n]
            flags = []
            if len(group) >= MIN_ITEM_N:
                if r is not None and r < 0:
                    flags.append("negative discrimination (item-rest r below 0)")
                elif r is not None and r < 0.1:
                    flags.append("weak discrimination (item-rest r below 0.1)")
                unknown = chosen.get("", 0)
                if unknown < len(group):  # letters known for at least some students
                    for x in LETTERS:
                        if x != item.key and chosen.get(x, 0) == 0:
                            flags.append(f"distractor {x} chosen by nobody")
                if p > 0.95:
                    flags.append("nearly everyone right")
                elif p < 0.25:
                    flags.append("fewer right than guessing among four would give")
            if fit is not None and fit.fitted and n in fit.difficulty:
                if max(fit.infit[n], fit.outfit[n]) > MISFIT:
                    flags.append(f"Rasch misfit (infit or outfit mean square above {MISFIT})")
            stats.append(ItemStats(form, occasion, n, item.concept, len(group), p, r, share, flags))
    return stats, reliability, fits


def analyse(
    responses: Responses, items: dict[tuple[str, int], Item], pass_score: int = DEFAULT_PASS, rasch: bool = True
) -> Report:
    """Everything the report shows, from the sittings (`rasch=False` skips the Rasch fits, for quick repeats)."""
    rows: dict[str, StudentRow] = {}
    for s in responses.sittings:
        row = rows.setdefault(s.student, StudentRow(s.student))
        pct, n_right = _percent(s), sum(s.correct.values())
        if s.occasion == "pre":
            row.pre, row.pre_form, row.pre_correct, row.pre_items = pct, s.form, n_right, len(s.correct)
        else:
            row.post, row.post_form, row.post_correct, row.post_items = pct, s.form, n_right, len(s.correct)
        row.letters_from = ", ".join(sorted({row.letters_from, s.letter_source} - {""}))
    students = sorted(rows.values(), key=lambda r: (r.status != "matched", r.student))
    matched = [r for r in students if r.status == "matched"]
    diffs = [_known(r.difference) for r in matched]
    mean_pre = statistics.fmean(_known(r.pre) for r in matched) if matched else None
    mean_post = statistics.fmean(_known(r.post) for r in matched) if matched else None
    gs = [r.g for r in matched if r.g is not None]

    def passing(key: str) -> float | None:
        scored = [getattr(r, f"{key}_correct") for r in matched]
        return sum(c >= pass_score for c in scored) / len(scored) if scored else None

    orders: dict[str, dict[str, Any]] = {}
    for order in sorted({f"{r.pre_form}->{r.post_form}" for r in matched}):
        group = [r for r in matched if f"{r.pre_form}->{r.post_form}" == order]
        orders[order] = {
            "n": len(group),
            "pre": statistics.fmean(_known(r.pre) for r in group),
            "post": statistics.fmean(_known(r.post) for r in group),
            "difference": mean_ci([_known(r.difference) for r in group]),
        }

    # per concept: share correct before and after (matched students), and the misconceptions chosen
    by_key = {(s.student, s.occasion): s for s in responses.sittings}
    matched_ids = {r.student for r in matched}
    concept_right: dict[tuple[str, str], list[int]] = defaultdict(list)
    chosen: dict[tuple[str, str, str], int] = Counter()
    wrong_total: dict[tuple[str, str], int] = Counter()
    for (student, occasion), s in by_key.items():
        if student not in matched_ids:
            continue
        for n, right in s.correct.items():
            item = items[s.form, n]
            concept_right[item.concept, occasion].append(int(right))
            if not right:
                wrong_total[item.concept, occasion] += 1
                letter = s.letters.get(n, "")
                name = item.misconceptions.get(letter, "no answer or an answer that is not A-D")
                chosen[item.concept, name, occasion] += 1
    concepts = []
    for concept in sorted({c for c, _ in concept_right}):
        pre, post = concept_right.get((concept, "pre"), []), concept_right.get((concept, "post"), [])
        concepts.append(
            {
                "concept": concept,
                "pre_share": statistics.fmean(pre) if pre else None,
                "post_share": statistics.fmean(post) if post else None,
                "answers_pre": len(pre),
                "answers_post": len(post),
            }
        )
    misconceptions = []
    pairs = {(c, m) for c, m, _ in chosen}
    for concept, name in sorted(pairs, key=lambda cm: (cm[0], -chosen.get((cm[0], cm[1], "pre"), 0), cm[1])):
        misconceptions.append(
            {
                "concept": concept,
                "misconception": name,
                "pre": chosen.get((concept, name, "pre"), 0),
                "post": chosen.get((concept, name, "post"), 0),
                "wrong_pre": wrong_total.get((concept, "pre"), 0),
                "wrong_post": wrong_total.get((concept, "post"), 0),
            }
        )
    item_stats, reliability, fits = item_statistics(responses.sittings, items, rasch)
    return Report(
        students=students,
        not_graded=responses.not_graded,
        pass_score=pass_score,
        difference=mean_ci(diffs),
        mean_pre=mean_pre,
        mean_post=mean_post,
        class_g=hake_gain(mean_pre, mean_post) if mean_pre is not None and mean_post is not None else None,
        mean_g=statistics.fmean(gs) if gs else None,
        pass_pre=passing("pre"),
        pass_post=passing("post"),
        orders=orders,
        concepts=concepts,
        misconceptions=misconceptions,
        items=item_stats,
        reliability=reliability,
        sittings=responses.sittings,
        item_table=items,
        rasch=fits,
    )


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _known(value: float | None) -> float:
    """A score of a matched student (who has both tests, so it is never None)."""
    if value is None:
        raise ValueError("a matched student lacks a score")
    return value


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_csvs(report: Report, out: Path) -> None:
    """gain.csv, concepts.csv, misconceptions.csv and items.csv."""
    _write_csv(
        out / "gain.csv",
        ["student", "status", "pre_form", "pre_correct", "pre_items", "pre_percent", "post_form", "post_correct",
         "post_items", "post_percent", "difference", "normalised_gain", "pre_pass", "post_pass", "letters_from"],
        [
            [r.student, r.status, r.pre_form, "" if r.pre_correct is None else r.pre_correct,
             "" if r.pre_items is None else r.pre_items, _num(r.pre), r.post_form,
             "" if r.post_correct is None else r.post_correct, "" if r.post_items is None else r.post_items,
             _num(r.post), _num(r.difference), _num(r.g, 3),
             "" if r.pre_correct is None else str(r.pre_correct >= report.pass_score).lower(),
             "" if r.post_correct is None else str(r.post_correct >= report.pass_score).lower(), r.letters_from]
            for r in report.students
        ]
        + [[s, f"{occ}-test not graded: {why}"] + [""] * 13 for s, occ, why in report.not_graded],
    )
    _write_csv(
        out / "concepts.csv",
        ["concept", "short_name_pre_items", "pre_share_correct", "post_share_correct", "answers_pre", "answers_post"],
        [[c["concept"], _titles(report, c["concept"]), _num(c["pre_share"], 3), _num(c["post_share"], 3),
          c["answers_pre"], c["answers_post"]] for c in report.concepts],
    )
    _write_csv(
        out / "misconceptions.csv",
        ["concept", "misconception", "chosen_pre", "wrong_answers_pre", "chosen_post", "wrong_answers_post"],
        [[m["concept"], m["misconception"], m["pre"], m["wrong_pre"], m["post"], m["wrong_post"]]
         for m in report.misconceptions],
    )
    _write_csv(
        out / "items.csv",
        ["form", "occasion", "item", "concept", "n", "difficulty", "item_rest_r", *[f"chose_{x}" for x in LETTERS],
         "chose_none", "key", "rasch_difficulty", "rasch_se", "rasch_infit", "rasch_outfit", "flags"],
        [[s.form, s.occasion, s.number, s.concept, s.n, _num(s.difficulty, 3), _num(s.item_rest, 3),
          *[_num(s.letter_share[x], 3) for x in LETTERS], _num(s.letter_share[""], 3),
          report.item_table[s.form, s.number].key, *_rasch_cells(report, s, 3), "; ".join(s.flags)]
         for s in report.items],
    )


def _rasch_cells(report: Report, s: ItemStats, digits: int) -> list[str]:
    """Difficulty, its standard error, infit and outfit of an item; blanks where the form's fit was not made."""
    fit = report.rasch.get((s.form, s.occasion))
    if fit is None or s.number not in fit.difficulty:
        return ["", "", "", ""]
    return [_num(v.get(s.number), digits) for v in (fit.difficulty, fit.se, fit.infit, fit.outfit)]


def _titles(report: Report, concept: str) -> str:
    return "; ".join(i.title for (f, _), i in sorted(report.item_table.items()) if i.concept == concept and f == "A")


def _figure(draw, height: float = 4.0, width: float = 8.0) -> str:
    """PNG (base64) of a figure of its own: the class report's helper, with this report's default height."""
    return figure_png(draw, height, width)


def concept_plot(report: Report) -> tuple[str, str] | None:
    """Dumbbell chart: share correct per concept before and after."""
    rows = [c for c in report.concepts if c["pre_share"] is not None and c["post_share"] is not None]
    if not rows:
        return None

    def draw(ax) -> None:
        ys = range(len(rows))
        for y, c in zip(ys, rows, strict=True):
            ax.plot([100 * c["pre_share"], 100 * c["post_share"]], [y, y], color=GREY, linewidth=2, zorder=1)
        ax.scatter([100 * c["pre_share"] for c in rows], ys, color=ORANGE, s=60, label="before (pre-test)", zorder=2)
        ax.scatter([100 * c["post_share"] for c in rows], ys, color=BLUE, s=60, marker="s",
                   label="after (post-test)", zorder=3)
        ax.axvline(25, color=GREY, linestyle=":", linewidth=1)
        ax.text(25.5, len(rows) - 0.55, "guessing (1 in 4)", color="#555555", fontsize=8, va="bottom")
        ax.set_yticks(list(ys), [str(c["concept"]) for c in rows])
        ax.invert_yaxis()  # the first concept at the top, as in the table
        ax.set_xlim(0, 100)
        ax.set_xlabel("answers correct (%)")
        ax.set_ylabel("IHC Key Concept")
        ax.set_title("Share of answers correct per Key Concept, before and after")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, frameon=False)

    ups = [c for c in rows if c["post_share"] > c["pre_share"]]
    best = max(rows, key=lambda c: c["post_share"] - c["pre_share"])
    worst = min(rows, key=lambda c: c["post_share"] - c["pre_share"])
    alt = (
        f"Dot chart of {len(rows)} Key Concepts: for each, the share of correct answers before (orange circle) and "
        f"after (blue square). The share rose for {len(ups)} of them; most for {best['concept']} "
        f"({100 * best['pre_share']:.0f}% to {100 * best['post_share']:.0f}%), least for {worst['concept']} "
        f"({100 * worst['pre_share']:.0f}% to {100 * worst['post_share']:.0f}%)."
    )
    return _figure(draw, height=1.2 + 0.38 * len(rows)), alt


def score_plot(report: Report) -> tuple[str, str] | None:
    """Histograms of the matched students' scores before and after."""
    matched = [r for r in report.students if r.status == "matched"]
    if not matched:
        return None

    def draw(ax) -> None:
        k = matched[0].post_items or 24
        edges = [100 * (j - 0.5) / k for j in range(k + 2)]  # one bar per number of items correct
        ax.hist([r.pre for r in matched], bins=edges, color=ORANGE, alpha=0.75, label="before")
        ax.hist([r.post for r in matched], bins=edges, color=BLUE, alpha=0.6, label="after")
        ax.axvline(100 * report.pass_score / (matched[0].post_items or 24), color=VERMILLION, linestyle="--",
                   linewidth=1.2, label=f"passing score ({report.pass_score} correct)")
        ax.set_xlabel("score (% of items correct)")
        ax.set_ylabel("students (count)")
        ax.set_title("Scores of the students who took both tests")
        ax.legend(frameon=False)

    alt = (
        f"Two overlaid histograms of the scores of {len(matched)} students: before (orange), mean "
        f"{report.mean_pre:.0f}%, and after (blue), mean {report.mean_post:.0f}%; a dashed line marks the passing score."
    )
    return _figure(draw, height=3.6), alt


def _map_fit(report: Report) -> RaschFit | None:
    """The Rasch fit the item map shows: the post-test form with the most students used, else the pre-test's."""
    fitted = [f for f in report.rasch.values() if f.fitted]
    if not fitted:
        return None
    return max(fitted, key=lambda f: (f.occasion == "post", f.n_used, f.form == "B"))


def item_map(report: Report) -> tuple[str, str] | None:
    """Items and students on one logit scale: Rasch difficulties and ML abilities where a form was fitted, else the
    classical logits of the shares correct (labelled as such)."""
    fit = _map_fit(report)
    if fit is not None:
        stats = {s.number: s for s in report.items if (s.form, s.occasion) == (fit.form, fit.occasion)}
        item_logits = [(d, stats[n]) for n, d in fit.difficulty.items()]
        people = fit.abilities
        title = f"Item map, form {fit.form} at the {fit.occasion}-test: Rasch difficulties and abilities (logits)"
        ylabel = "logits (Rasch model)"
        people_label = "students (ML ability)"
    else:
        post = [s for s in report.items if s.occasion == "post"] or report.items
        if not post:
            return None

        def logit(p: float) -> float:
            p = min(max(p, 0.5 / 100), 1 - 0.5 / 100)
            return math.log(p / (1 - p))

        item_logits = [(-logit(s.difficulty), s) for s in post]
        people = [logit(r.post / 100) for r in report.students if r.post is not None]
        title = "Item map of the post-test (classical logits: the Rasch model was not fitted)"
        ylabel = "logit: log(p / (1 - p))"
        people_label = "students (post-test score)"

    def draw(ax) -> None:
        if fit is not None:  # ML abilities take one value per number right: a bar for each
            counts = Counter(round(v, 6) for v in people)
            ax.barh(list(counts), list(counts.values()), height=0.12, color=SKY, label=people_label)
        else:
            ax.hist(people, bins=15, orientation="horizontal", color=SKY, label=people_label)
        xmax = max(ax.get_xlim()[1], 1)
        flagged = [(v, s) for v, s in item_logits if s.flags]
        plain = [(v, s) for v, s in item_logits if not s.flags]
        ax.scatter([xmax * 1.15] * len(plain), [v for v, _ in plain], color=BLUE, marker="_", s=400,
                   label="item (harder higher up)")
        ax.scatter([xmax * 1.15] * len(flagged), [v for v, _ in flagged], color=VERMILLION, marker="x", s=60,
                   label="flagged item")
        ends = {min(item_logits, key=lambda t: t[0])[1].number, max(item_logits, key=lambda t: t[0])[1].number}
        for v, s in item_logits:  # name the hardest, the easiest and the flagged items (the rest would overlap)
            if s.flags or s.number in ends:
                ax.annotate(f"{s.form}{s.number}", (xmax * 1.2, v), fontsize=8, va="center")
        ax.set_xlim(0, xmax * 1.45)
        ax.set_xlabel("students (count)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False, fontsize=8)

    hardest = max(item_logits, key=lambda t: t[0])
    easiest = min(item_logits, key=lambda t: t[0])
    n_flagged = sum(1 for _, s in item_logits if s.flags)
    if fit is not None:
        alt = (
            f"Item map of form {fit.form} at the {fit.occasion}-test on the Rasch logit scale: a sideways histogram "
            f"of {len(people)} students' abilities (one bar per number of items right) beside {len(item_logits)} "
            f"item difficulties; hardest item {hardest[1].form}{hardest[1].number} "
            f"({hardest[0]:+.1f} logits, {100 * hardest[1].difficulty:.0f}% right), easiest "
            f"{easiest[1].form}{easiest[1].number} ({easiest[0]:+.1f} logits, {100 * easiest[1].difficulty:.0f}% "
            f"right); students' abilities range from {min(people):+.1f} to {max(people):+.1f}; {n_flagged} flagged "
            f"item{'' if n_flagged == 1 else 's'} marked with a cross."
        )
    else:
        alt = (
            f"Item map: a sideways histogram of {len(people)} students' post-test scores on a logit scale, beside "
            f"{len(item_logits)} items placed by how few got them right (classical logits, not a Rasch fit); hardest "
            f"item {hardest[1].form}{hardest[1].number} ({100 * hardest[1].difficulty:.0f}% right), easiest "
            f"{easiest[1].form}{easiest[1].number} ({100 * easiest[1].difficulty:.0f}% right); {n_flagged} flagged "
            f"item{'' if n_flagged == 1 else 's'} marked with a cross."
        )
    return _figure(draw, height=5.0), alt


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222;"
    "line-height:1.45}table{border-collapse:collapse;margin:0.5rem 0 1.2rem}td,th{border-bottom:1px solid #ddd;"
    "padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}"
    "img{max-width:100%}.note{background:#fff7e0;border-left:4px solid #E69F00;padding:.6rem 1rem}"
    ".flag{color:#b3261e}figure{margin:1rem 0}"
)


def _ci_text(ci: tuple[float, float, float] | None, unit: str = " points") -> str:
    if ci is None:
        return "not computed (fewer than 2 students)"
    return f"{ci[0]:+.1f}{unit} (95% CI {ci[1]:+.1f} to {ci[2]:+.1f})"


def gain_html(report: Report) -> str:
    """The instructor's page."""
    matched = [r for r in report.students if r.status == "matched"]
    single = [r for r in report.students if r.status != "matched"]
    h = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Concept inventory: learning report</title><style>{STYLE}</style></head><body>",
        "<h1>Concept inventory: what changed between the pre-test and the post-test</h1>",
        "<p class='note'><b>Read this first.</b> There is no control group: a gain is the change in these students "
        "between two tests, not an effect of the course. Students also mature, practise test-taking, meet the "
        "ideas elsewhere, and the two forms may differ in difficulty (see counterbalancing below). Read a gain "
        "as a description of this class, and the per-concept numbers as pointers to which ideas the lessons "
        "moved least.</p>",
        "<h2>The class</h2><table>",
        f"<tr><th>students with both tests</th><td class='n'>{len(matched)}</td></tr>",
        f"<tr><th>with only one test (listed below)</th><td class='n'>{len(single)}</td></tr>",
        f"<tr><th>mean score before</th><td class='n'>{_num(report.mean_pre)}%</td></tr>",
        f"<tr><th>mean score after</th><td class='n'>{_num(report.mean_post)}%</td></tr>",
        f"<tr><th>mean difference (after - before)</th><td class='n'>{_ci_text(report.difference)}</td></tr>",
        f"<tr><th>Hake's normalised gain of the class means, &lt;g&gt;</th><td class='n'>{_num(report.class_g, 2)}"
        "</td></tr>",
        f"<tr><th>mean of the students' own normalised gains</th><td class='n'>{_num(report.mean_g, 2)}</td></tr>",
        f"<tr><th>passing ({report.pass_score} or more correct) before</th><td class='n'>"
        f"{_num(None if report.pass_pre is None else 100 * report.pass_pre, 0)}%</td></tr>",
        f"<tr><th>passing after</th><td class='n'>"
        f"{_num(None if report.pass_post is None else 100 * report.pass_post, 0)}%</td></tr></table>",
        "<p>The normalised gain divides the rise by the room there was to rise: (after - before) / (100 - before), "
        "scores in percent (Hake 1998, <a href='https://doi.org/10.1119/1.18809'>doi:10.1119/1.18809</a>). "
        f"The passing score is the instructor's choice (<code>--pass-score</code>); the default, {DEFAULT_PASS} of "
        "24, is the pre-set passing score of the Uganda school trial of the IHC resources (Nsangi et al. 2020, "
        "<a href='https://doi.org/10.1186/s13063-019-3960-9'>doi:10.1186/s13063-019-3960-9</a>).</p>",
    ]
    plot = score_plot(report)
    if plot:
        h.append(f"<figure><img src='data:image/png;base64,{plot[0]}' alt='{escape(plot[1])}'></figure>")
    h.append("<h2>Counterbalancing: which form each student took</h2>")
    if report.orders:
        h.append("<table><tr><th>order</th><th>students</th><th>before</th><th>after</th><th>difference</th></tr>")
        for order, o in report.orders.items():
            h.append(
                f"<tr><td>form {escape(order.replace('->', ' then form '))}</td><td class='n'>{o['n']}</td>"
                f"<td class='n'>{o['pre']:.1f}%</td><td class='n'>{o['post']:.1f}%</td>"
                f"<td class='n'>{_ci_text(o['difference'])}</td></tr>"
            )
        h.append("</table>")
        if {"A->B", "B->A"} <= set(report.orders):
            ab, ba = report.orders["A->B"]["difference"], report.orders["B->A"]["difference"]
            if ab and ba:
                h.append(
                    f"<p>Averaged over both orders, the gain is {(ab[0] + ba[0]) / 2:+.1f} points; half the "
                    f"difference between the orders, {(ab[0] - ba[0]) / 2:+.1f} points, estimates how much easier "
                    "form B is than form A (positive: B easier). A harder form cannot pass for learning here.</p>"
                )
        else:
            h.append(
                "<p>Every student took the forms in the same order, so a difference in difficulty between the "
                "forms cannot be told apart from learning. Giving form B first to a random half of the class "
                "separates the two (see INSTRUCTORS.md).</p>"
            )
    h.append("<h2>Per Key Concept</h2>")
    plot = concept_plot(report)
    if plot:
        h.append(f"<figure><img src='data:image/png;base64,{plot[0]}' alt='{escape(plot[1])}'></figure>")
    h.append("<table><tr><th>concept</th><th>before</th><th>after</th><th>items (form A)</th></tr>")
    for c in report.concepts:
        name = report.concept_names.get(str(c["concept"]), "")
        h.append(
            f"<tr><td>{escape(str(c['concept']))}{'<br><small>' + escape(name) + '</small>' if name else ''}</td>"
            f"<td class='n'>{_num(None if c['pre_share'] is None else 100 * c['pre_share'], 0)}%</td>"
            f"<td class='n'>{_num(None if c['post_share'] is None else 100 * c['post_share'], 0)}%</td>"
            f"<td>{escape(_titles(report, str(c['concept'])))}</td></tr>"
        )
    h.append("</table><h3>Which misconception the wrong answers chose, before and after</h3>")
    h.append(
        "<p>Parallel items of the two forms share their misconceptions, so the counts compare like with like. "
        "A misconception still chosen after the lessons is the place to start.</p>"
    )
    h.append("<table><tr><th>concept</th><th>misconception</th><th>before</th><th>after</th></tr>")
    for m in report.misconceptions:
        pre = f"{m['pre']} of {m['wrong_pre']} wrong" if m["wrong_pre"] else "0"
        post = f"{m['post']} of {m['wrong_post']} wrong" if m["wrong_post"] else "0"
        h.append(f"<tr><td>{escape(str(m['concept']))}</td><td>{escape(str(m['misconception']))}</td>"
                 f"<td class='n'>{pre}</td><td class='n'>{post}</td></tr>")
    h.append("</table><h2>Items and reliability</h2><table><tr><th>form</th><th>occasion</th><th>students</th>"
             "<th>KR-20</th></tr>")
    for (form, occasion), (n, rel) in sorted(report.reliability.items()):
        h.append(f"<tr><td>{form}</td><td>{occasion}</td><td class='n'>{n}</td><td class='n'>{_num(rel, 2)}</td></tr>")
    h.append(
        "</table><p>KR-20 is the reliability of a right/wrong test: near 1 the total mostly reflects steady "
        "differences between students, near 0 mostly noise. Difficulty is the share correct; the item-rest "
        "correlation is how well an item agrees with the rest of the form (below 0: students who do well on "
        f"the rest tend to get it wrong, so read the item again). Flags are raised only from {MIN_ITEM_N} "
        "answers to a form.</p>"
    )
    h += rasch_section(report)
    plot = item_map(report)
    if plot:
        h.append(f"<figure><img src='data:image/png;base64,{plot[0]}' alt='{escape(plot[1])}'></figure>")
    h.append("<table><tr><th>item</th><th>concept</th><th>occasion</th><th>n</th><th>difficulty</th>"
             "<th>item-rest r</th><th>A</th><th>B</th><th>C</th><th>D</th><th>Rasch difficulty (SE)</th>"
             "<th>infit</th><th>outfit</th><th>flags</th></tr>")
    for s in report.items:
        key = report.item_table[s.form, s.number].key
        letters = "".join(
            f"<td class='n'>{'<b>' if x == key else ''}{100 * s.letter_share[x]:.0f}%{'</b>' if x == key else ''}</td>"
            for x in LETTERS
        )
        h.append(
            f"<tr><td>{s.form}{s.number}</td><td>{s.concept}</td><td>{s.occasion}</td><td class='n'>{s.n}</td>"
            f"<td class='n'>{100 * s.difficulty:.0f}%</td><td class='n'>{_num(s.item_rest, 2)}</td>{letters}"
            f"{_rasch_td(report, s)}<td class='flag'>{escape('; '.join(s.flags))}</td></tr>"
        )
    h.append("</table><p>The best answer's share is in bold.</p>")
    h.append("<h2>Students with only one of the two tests</h2>")
    if single or report.not_graded:
        h.append("<ul>")
        h += [f"<li>{escape(r.student)}: {escape(r.status)}</li>" for r in single]
        h += [f"<li>{escape(s)}: {escape(occ)}-test not graded ({escape(why)})</li>" for s, occ, why in
              report.not_graded]
        h.append("</ul><p>They are left out of the paired numbers above and listed in gain.csv.</p>")
    else:
        h.append("<p>None: every student took both tests.</p>")
    h.append("</body></html>")
    return "\n".join(h)


def _rasch_td(report: Report, s: ItemStats) -> str:
    d, se, infit, outfit = _rasch_cells(report, s, 2)
    return (f"<td class='n'>{d}{f' ({se})' if se else ''}</td><td class='n'>{infit}</td>"
            f"<td class='n'>{outfit}</td>")


def rasch_section(report: Report) -> list[str]:
    """What the Rasch fits are, which forms were fitted, and why any was not."""
    h = [
        "<h3>Rasch (1PL) model</h3>",
        "<p>The <b>Rasch model</b> gives each student an ability and each item a difficulty on one scale (logits), "
        "and says the odds of a right answer depend only on their difference. Its item difficulties are estimated "
        "here by <b>conditional maximum likelihood</b>: given how many items a student got right, which ones they "
        "were no longer depends on the student's ability, so the difficulties can be estimated without estimating "
        "abilities or assuming how they are spread, and standard regression software can do it (Christensen 2013, "
        "<a href='https://doi.org/10.1155/2013/617475'>doi:10.1155/2013/617475</a>). "
        "Here it is a conditional logistic regression with one stratum per "
        "student (statsmodels' <code>ConditionalLogit</code>); students with every item right or every item wrong "
        "carry no information and drop out. Difficulties are centred so that a form's items average 0 (higher is "
        "harder) and have standard errors (SE). Each student's ability is then estimated by maximum likelihood given "
        "the difficulties, and each item gets two <b>fit mean squares</b>, averages of squared standardised "
        "residuals (observed minus expected, divided by its standard deviation): outfit weighs every student alike, "
        "infit weighs students near the item's difficulty more. About 1 is what the model expects; above "
        f"{MISFIT} (the kit's cut-off, chosen so that items following the model are rarely flagged in simulated "
        "classes) the answers are noisier than the model predicts, and the item is flagged.</p>",
        f"<p>The fit is not attempted for a form with fewer than {RASCH_MIN_STUDENTS} students who got at least one "
        "item right and one wrong: with 30 students, an item that half of them get right has a standard error of "
        "about 1 / sqrt(30 × 0.25) ≈ 0.37 logits, so only items about a logit apart can be told apart, and fewer "
        "students blur them more. A fit that does not converge is not reported. The forms are fitted separately "
        "for each occasion, so difficulties compare items within a form and occasion, not across them.</p>",
        "<table><tr><th>form</th><th>occasion</th><th>students</th><th>used in the fit</th><th>Rasch fit</th></tr>",
    ]
    for (form, occasion), fit in sorted(report.rasch.items()):
        status = fit.status
        if fit.fitted and fit.left_out:
            status += "; left out (everyone right or everyone wrong): " + ", ".join(f"{form}{n}" for n in fit.left_out)
        h.append(f"<tr><td>{form}</td><td>{occasion}</td><td class='n'>{fit.n_students}</td>"
                 f"<td class='n'>{fit.n_used}</td><td>{escape(status)}</td></tr>")
    if not report.rasch:
        h.append("<tr><td colspan='5'>not computed for this report</td></tr>")
    h.append("</table>")
    if _map_fit(report) is None:
        h.append("<p>No form was fitted, so the item map below places items by the logit of their share correct, a "
                 "classical approximation.</p>")
    elif (shown := _map_fit(report)) is not None:
        h.append(f"<p>The item map below shows form {shown.form} at the {shown.occasion}-test: each item's difficulty "
                 "beside the students' abilities on the same scale (students with every item right or every item "
                 "wrong have no finite ability and are not shown; the standard errors are in the table). Items far "
                 "above most students, or far below, tell little about who understood what.</p>")
    return h


def _safe_name(student: str) -> str:
    from coursekit.grading.feedback import safe_name

    return safe_name(student)


def feedback_pages(report: Report) -> dict[str, str]:
    """{student: page} for each student with a post-test: every item missed, with its explanation and lesson."""
    pages = {}
    for s in report.sittings:
        if s.occasion != "post":
            continue
        missed = [n for n, right in sorted(s.correct.items()) if not right]
        parts = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>Concept inventory: your feedback</title><style>{STYLE}</style></head><body>",
            f"<h1>Concept inventory, form {s.form}: your feedback</h1>",
            f"<p>You answered {len(s.correct) - len(missed)} of {len(s.correct)} questions with the best answer.</p>",
        ]
        if not missed:
            parts.append("<p>Nothing to review: every answer was the best one.</p>")
        for n in missed:
            item = report.item_table[s.form, n]
            letter = s.letters.get(n, "")
            mine = (
                f"You chose {letter}: {escape(item.options[letter])} This answer follows the misconception that "
                f"{escape(item.misconceptions.get(letter, ''))}."
                if letter in item.options and letter != item.key
                else "Your answer was missing or not one of A-D."
            )
            parts.append(
                f"<h2>Q{n} · {escape(item.title)} (IHC Key Concept {escape(item.concept)})</h2>"
                f"<p>{mine}</p><p><b>Best answer: {item.key}.</b> {escape(item.options[item.key])}</p>"
                f"<p><b>Why:</b> {escape(item.explanation)}</p>"
                f"<p><b>Where it is taught:</b> notebook {escape(item.notebook)}, section "
                f"'{escape(item.section)}'.</p>"
            )
        parts.append("</body></html>")
        pages[s.student] = "\n".join(parts)
    return pages


def write_report(report: Report, out: Path) -> list[Path]:
    """Every output file; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    write_csvs(report, out)
    (out / "gain.html").write_text(gain_html(report), encoding="utf-8")
    written = [out / name for name in ("gain.csv", "concepts.csv", "misconceptions.csv", "items.csv", "gain.html")]
    for student, page in feedback_pages(report).items():
        path = out / "feedback" / f"{_safe_name(student)}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return written


def run(
    pre: list[Path], post: list[Path], out: Path, items_path: Path, pass_score: int = DEFAULT_PASS
) -> Report:
    """Read, analyse and write; the report is returned for the caller's summary."""
    items = read_items(items_path)
    forms_sizes = Counter(f for f, _ in items)
    if pass_score > max(forms_sizes.values(), default=0):
        raise CoursekitError(f"--pass-score {pass_score} is more than the {max(forms_sizes.values())} items of a form")
    report = analyse(read_outputs(pre, post, items), items, pass_score)
    report.concept_names = read_concept_names(items_path.parent / "ihc_key_concepts.csv")
    write_report(report, out)
    return report


# ---------------------------------------------------------------------------------------------------------------
# The command line


def add_parser(sub) -> None:
    """`gain` on the command line's subparsers (coursekit/cli.py calls this)."""
    p = sub.add_parser(
        "gain", help="the concept inventory's learning report: pre-test and post-test grading outputs compared"
    )
    p.add_argument("pre", metavar="PRE_OUT", help="grading output folder of the pre-test (`grade ... --out`)")
    p.add_argument("post", metavar="POST_OUT", help="grading output folder of the post-test")
    p.add_argument("--out", default="gain", metavar="DIR", help="folder for gain.html, gain.csv ... (default: gain)")
    p.add_argument(
        "--pre-also",
        action="append",
        default=[],
        metavar="DIR",
        help="counterbalanced classes: the grading output of the other form at the pre-test (repeatable)",
    )
    p.add_argument(
        "--post-also", action="append", default=[], metavar="DIR", help="the same for the post-test"
    )
    p.add_argument(
        "--pass-score",
        type=int,
        default=DEFAULT_PASS,
        metavar="N",
        help="items correct needed to pass (default: %(default)s of 24, the Uganda IHC trial's pre-set score)",
    )
    p.add_argument("--root", default=".", metavar="DIR", help="course folder holding data/ (default: .)")
    p.add_argument("--items", metavar="CSV", help="the item table (default: ROOT/data/inventory_items.csv)")
    p.set_defaults(func=cmd_gain)


def cmd_gain(args) -> int:
    """Write the report and print where it is."""
    if args.pass_score < 0:
        raise CoursekitError("--pass-score must be 0 or more")
    items = Path(args.items) if args.items else Path(args.root) / ITEMS_FILE
    out = Path(args.out)
    report = run(
        [Path(args.pre), *map(Path, args.pre_also)], [Path(args.post), *map(Path, args.post_also)], out, items,
        args.pass_score,
    )
    matched = sum(1 for r in report.students if r.status == "matched")
    single = len(report.students) - matched
    ungraded = len({s for s, _, _ in report.not_graded})
    print(
        f"coursekit gain: {matched} students with both tests, {single} with one"
        + (f", {ungraded} with a test that was not graded (listed)" if ungraded else "")
        + "; "
        f"mean difference {_ci_text(report.difference)}; wrote {out / 'gain.html'}, {out / 'gain.csv'} "
        f"and feedback/ for each student with a post-test"
    )
    return 0
