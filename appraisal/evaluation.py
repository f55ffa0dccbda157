"""How good are the kit's rules? Metrics, a bootstrap interval, and internal versus external validation.

- :func:`evaluate_strength` compares ``claims.claim_strength`` with hand labels: accuracy, per-level precision,
  recall and F1, macro-F1, the confusion matrix and the errors (a :class:`StrengthReport`).
- :func:`bootstrap_macro_f1` gives a seeded percentile bootstrap 95% interval for macro-F1.
- :func:`load_external_slice` reads the development slice of Yu, Li & Wang 2019 [S127] from
  ``../shared/corpora/yu2019-dev/`` when it is there (it is GPL-3 and never copied into the kit), else None.
- :func:`validation_table` puts the kit's own held-out set and the external slice side by side;
  :func:`load_validation` reads the figures the bench stored in ``data/claim_strength_validation.csv``, so a lesson
  can show them where the slice is absent.
- :func:`report_recall` measures ``appraise.report()``'s candidate claims against a practice article's key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from appraisal.claims import STRENGTH_LEVELS, add_strength
from appraisal.paths import data_path, kit_root

__all__ = [
    "EXAMPLE_COLUMNS",
    "EXTERNAL_DIR_ENV",
    "HELD_OUT_ARTICLES",
    "REPORT_FIGURE_COLUMNS",
    "STAGES",
    "VALIDATION_COLUMNS",
    "StrengthReport",
    "bootstrap_macro_f1",
    "evaluate_strength",
    "external_slice_path",
    "load_external_slice",
    "load_report_figures",
    "load_strength_examples",
    "load_validation",
    "report_figures",
    "report_recall",
    "strength_metrics",
    "validation_table",
]

EXAMPLE_COLUMNS: Final = ("example_id", "sentence", "label", "style", "split", "note")
#: Environment variable naming another folder that holds ``yu2019-dev.csv``.
EXTERNAL_DIR_ENV: Final = "HYPE_KIT_EXTERNAL"
#: Columns of ``data/claim_strength_validation.csv`` (one row per evaluation set and level, plus "all").
VALIDATION_COLUMNS: Final = ("measured", "kit_version", "dataset", "n", "level", "precision", "recall", "f1",
                             "support", "accuracy", "macro_f1", "ci_low", "ci_high")
#: Columns of ``data/report_claim_figures.csv`` (report()'s candidate claims against the practice keys).
REPORT_FIGURE_COLUMNS: Final = ("measured", "kit_version", "stage", "article_id", "held_out", "sentences", "flagged",
                                "key_claims", "key_found", "flagged_in_key", "precision", "recall")


def load_strength_examples() -> pd.DataFrame:
    """The labelled sentences of ``data/claim_strength_examples.csv`` (splits ``train`` and ``heldout``)."""
    path = data_path("claim_strength_examples.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in EXAMPLE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}.")
    return table


@dataclass(frozen=True, repr=False)
class StrengthReport:
    """How well the rules agree with hand labels: accuracy, macro-F1, per-level scores, confusion matrix, errors."""

    accuracy: float
    macro_f1: float
    per_class: pd.DataFrame = field(compare=False)
    confusion: pd.DataFrame = field(compare=False)
    errors: pd.DataFrame = field(compare=False)
    split: str = "heldout"
    n: int = 0

    def __str__(self) -> str:
        return (f"StrengthReport({self.split}: {self.n} sentences, accuracy {self.accuracy:.3f}, "
                f"macro-F1 {self.macro_f1:.3f}, {len(self.errors)} errors)")

    __repr__ = __str__


def _confusion(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Counts[true level, predicted level] over ``STRENGTH_LEVELS`` (labels as integer codes)."""
    k = len(STRENGTH_LEVELS)
    return np.bincount(truth * k + predicted, minlength=k * k).reshape(k, k)


def _codes(labels: pd.Series) -> np.ndarray:
    codes = pd.Categorical(labels.to_numpy(), categories=list(STRENGTH_LEVELS)).codes
    if (codes < 0).any():
        bad = sorted(set(labels[codes < 0]))
        raise ValueError(f"labels {bad} are not among {STRENGTH_LEVELS}.")
    return np.asarray(codes, dtype=np.int64)


def _scores(confusion: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Precision, recall, F1 per level, accuracy and macro-F1 from a confusion matrix."""
    correct = np.diag(confusion).astype(float)
    support = confusion.sum(axis=1).astype(float)
    n_predicted = confusion.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(n_predicted > 0, correct / n_predicted, 0.0)
        recall = np.where(support > 0, correct / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = support.sum()
    accuracy = float(correct.sum() / total) if total else float("nan")
    present = (support > 0) | (n_predicted > 0)  # a level neither seen nor predicted does not count in the mean
    macro_f1 = float(f1[present].mean()) if present.any() else float("nan")
    return precision, recall, f1, accuracy, macro_f1


def strength_metrics(truth: pd.Series, predicted: pd.Series) -> tuple[float, float, pd.DataFrame, pd.DataFrame]:
    """Accuracy, macro-F1, a per-level table (precision, recall, f1, support) and the confusion matrix.

    Both series hold levels of ``STRENGTH_LEVELS``. Macro-F1 is the plain mean of the per-level F1 over the levels
    that occur in the labels or the predictions; a level never predicted has precision 0.
    """
    levels = list(STRENGTH_LEVELS)
    confusion = _confusion(_codes(truth), _codes(predicted))
    precision, recall, f1, accuracy, macro_f1 = _scores(confusion)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1,
                              "support": confusion.sum(axis=1).astype("int64")}, index=pd.Index(levels, name="level"))
    table = pd.DataFrame(confusion.astype("int64"), index=pd.Index(levels, name="true"),
                         columns=pd.Index(levels, name="predicted"))
    return accuracy, macro_f1, per_class, table


def bootstrap_macro_f1(truth: pd.Series, predicted: pd.Series, n_boot: int = 2000, seed: int = 11,
                       level: float = 0.95) -> tuple[float, float]:
    """A percentile bootstrap interval for macro-F1: resample the sentences with replacement ``n_boot`` times.

    Seeded, so the same inputs give the same interval. Raises ValueError for empty input or ``n_boot`` < 100.
    """
    if len(truth) == 0 or len(truth) != len(predicted):
        raise ValueError("bootstrap_macro_f1(): need two series of the same, non-zero length.")
    if n_boot < 100 or not 0 < level < 1:
        raise ValueError("bootstrap_macro_f1(): n_boot must be at least 100 and level between 0 and 1.")
    t, p = _codes(truth), _codes(predicted)
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for i in range(n_boot):
        pick = rng.integers(0, len(t), len(t))
        values[i] = _scores(_confusion(t[pick], p[pick]))[4]
    low, high = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(low), float(high)


def evaluate_strength(examples: pd.DataFrame, split: str = "heldout", convention: str = "kit") -> StrengthReport:
    """Compare ``claim_strength`` with the hand labels of one split (``"train"``, ``"heldout"`` or ``"all"``).

    ``convention`` is passed to ``claims.explain_strength`` (``"yu2019"`` for the external corpus's labelling).
    ``examples`` needs the columns ``sentence`` and ``label`` (and ``split`` unless ``split="all"``). Raises
    ValueError if the split has no rows or a label is not a level.
    """
    if not isinstance(examples, pd.DataFrame):
        raise TypeError(f"evaluate_strength() expects a pandas DataFrame, not {type(examples).__name__}.")
    needed = ["sentence", "label"] + ([] if split == "all" else ["split"])
    missing = [c for c in needed if c not in examples.columns]
    if missing:
        raise ValueError(f"evaluate_strength(): the examples lack the columns {missing}.")
    rows = examples if split == "all" else examples[examples["split"] == split]
    if rows.empty:
        found = sorted(set(examples["split"])) if "split" in examples.columns else []
        raise ValueError(f"evaluate_strength(): no examples with split {split!r} (splits present: {found}).")
    bad = sorted(set(rows["label"]) - set(STRENGTH_LEVELS))
    if bad:
        raise ValueError(f"evaluate_strength(): labels {bad} are not among {STRENGTH_LEVELS}.")
    rated = add_strength(rows, text_column="sentence", convention=convention).rename(columns={"strength": "predicted",
                                                                       "strength_rule": "rule"})
    accuracy, macro_f1, per_class, confusion = strength_metrics(rated["label"], rated["predicted"])
    keep = [c for c in ("example_id", "sentence", "label", "predicted", "rule", "style", "note") if c in rated.columns]
    errors = rated.loc[rated["label"] != rated["predicted"], keep].reset_index(drop=True)
    return StrengthReport(accuracy, macro_f1, per_class, confusion, errors, split=split, n=len(rated))


def external_slice_path() -> Path:
    """Where the external slice is looked for: ``$HYPE_KIT_EXTERNAL/yu2019-dev.csv``, else beside the kit."""
    override = os.environ.get(EXTERNAL_DIR_ENV)
    folder = Path(override) if override else kit_root().parent / "shared" / "corpora" / "yu2019-dev"
    return folder / "yu2019-dev.csv"


def load_external_slice(path: str | os.PathLike[str] | None = None) -> pd.DataFrame | None:
    """The Yu, Li & Wang 2019 development slice (columns ``sentence``, ``label``, ``split``="external"), or None.

    None when the file is absent (a fresh clone): the kit never ships it (GPL-3). Raises ValueError when the file
    exists but lacks the columns ``sentence`` and ``label``.
    """
    file = Path(path) if path is not None else external_slice_path()
    if not file.is_file():
        return None
    table = pd.read_csv(file, dtype=str, keep_default_na=False)
    if not {"sentence", "label"} <= set(table.columns):
        raise ValueError(f"{file} lacks the columns 'sentence' and 'label'.")
    return table[["sentence", "label"]].assign(split="external")


def validation_table(n_boot: int = 2000, seed: int = 11, measured: str = "", kit_version: str = "",
                     external: pd.DataFrame | None = None) -> pd.DataFrame:
    """Internal (kit held-out) and external (Yu 2019 slice, when present) evaluation, one row per set and level.

    Columns ``VALIDATION_COLUMNS``; the row with ``level == "all"`` holds accuracy, macro-F1 and its bootstrap
    interval. The slice is scored twice: with the kit's labelling convention, and with the convention of its own
    annotators (``convention="yu2019"``). ``external`` defaults to :func:`load_external_slice`; without it only the
    internal rows are returned.
    """
    examples = load_strength_examples()
    sets = {"kit held-out": (examples[examples["split"] == "heldout"], "kit")}
    external = load_external_slice() if external is None else external
    if external is not None:
        sets["Yu 2019 dev slice"] = (external, "kit")
        sets["Yu 2019 dev slice, Yu's convention"] = (external, "yu2019")
    rows = []
    for name, (subset, convention) in sets.items():
        rep = evaluate_strength(subset, "all", convention=convention)
        predicted = add_strength(subset, text_column="sentence", convention=convention)["strength"]
        low, high = bootstrap_macro_f1(subset["label"], predicted, n_boot=n_boot, seed=seed)
        for lv, r in rep.per_class.iterrows():
            rows.append({"dataset": name, "n": rep.n, "level": lv, "precision": r["precision"], "recall": r["recall"],
                         "f1": r["f1"], "support": int(r["support"])})
        rows.append({"dataset": name, "n": rep.n, "level": "all", "accuracy": rep.accuracy,
                     "macro_f1": rep.macro_f1, "ci_low": low, "ci_high": high, "support": rep.n})
    table = pd.DataFrame(rows).assign(measured=measured, kit_version=kit_version)
    return table.reindex(columns=list(VALIDATION_COLUMNS))


def load_validation() -> pd.DataFrame:
    """The figures stored by the bench in ``data/claim_strength_validation.csv``."""
    return pd.read_csv(data_path("claim_strength_validation.csv"),
                       dtype={"measured": str, "kit_version": str, "dataset": str, "level": str})


def report_recall(article: str | os.PathLike[str], key: pd.DataFrame) -> dict[str, float | int]:
    """``report()``'s candidate claims of one article against its key: precision and recall by sentence.

    Recall: the share of the key's claims whose sentence is flagged (``compare_with_key``'s ``found``). Precision:
    the share of flagged sentences that hold at least one of the key's claims. The key lists the claims worth
    checking, not every claim, so precision is a floor.
    """
    from appraisal.appraise import compare_with_key, report

    rep = report(article)
    found = compare_with_key(rep, key)
    prose = rep.sentences[~rep.sentences["kind"].isin(["link", "heading"])]
    flagged = set(rep.claims["sentence_id"])
    key_sentences = set(found["sentence_id"])
    hits = len(flagged & key_sentences)
    return {"sentences": len(prose), "flagged": len(flagged), "key_claims": len(found),
            "key_found": int(found["found"].sum()), "flagged_in_key": hits,
            "precision": hits / len(flagged) if flagged else float("nan"),
            "recall": float(found["found"].mean()) if len(found) else float("nan")}


#: Practice articles written after report()'s rules (kept out of their development): the held-out figure.
HELD_OUT_ARTICLES: Final = ("nasal-spray-trial", "blood-sugar-supplement")


#: ``stage`` of the stored report() figures: measured before any rule changed (commit 8f08cc1), or with the rules now.
STAGES: Final = ("before rule changes", "current")


def report_figures(measured: str = "", kit_version: str = "", stage: str = "current") -> pd.DataFrame:
    """``report_recall`` for every practice article of ``data/practice/index.csv`` (columns REPORT_FIGURE_COLUMNS)."""
    index = pd.read_csv(data_path("practice", "index.csv"), dtype=str, keep_default_na=False)
    rows = []
    for article in index.itertuples(index=False):
        key = pd.read_csv(data_path("practice", article.key_file), dtype=str, keep_default_na=False)
        figures = report_recall(data_path("practice", article.file), key)
        rows.append({"article_id": article.article_id, "held_out": article.article_id in HELD_OUT_ARTICLES,
                     **figures})
    table = pd.DataFrame(rows).assign(measured=measured, kit_version=kit_version, stage=stage)
    return table.reindex(columns=list(REPORT_FIGURE_COLUMNS))


def load_report_figures() -> pd.DataFrame:
    """The figures stored by the bench in ``data/report_claim_figures.csv`` (both ``STAGES``)."""
    return pd.read_csv(data_path("report_claim_figures.csv"),
                       dtype={"measured": str, "kit_version": str, "stage": str, "article_id": str})
