"""Internal versus external validation of the kit's rules, side by side (part of `make bench`).

1. ``claim_strength`` on the kit's own held-out sentences (``data/claim_strength_examples.csv``, split ``heldout``)
   and on the development slice of Yu, Li & Wang 2019 [S127] (``../shared/corpora/yu2019-dev/``, GPL-3, never
   copied into the kit): accuracy, per-level precision, recall and F1, macro-F1 with a seeded bootstrap 95%
   interval, and the confusion matrices. Where the slice is absent, it says so and goes on.
2. ``report()``'s candidate claims against the keys of every practice article: precision and recall, with the
   articles written after its rules (held out) marked.

Usage: python bench/claim_strength_validation.py [--store] [--n-boot 2000] [--errors]
``--store`` writes the figures to ``data/claim_strength_validation.csv`` and ``data/report_claim_figures.csv``
(with today's date and the kit's version) so that the lessons can show them where the slice is absent.
``--errors`` prints the rule that decided each wrong answer on the slice, counted (never the sentences).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def kit_version() -> str:
    """The version in pyproject.toml."""
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def main(argv: list[str] | None = None) -> int:
    from appraisal.evaluation import (
        evaluate_strength,
        external_slice_path,
        load_external_slice,
        load_strength_examples,
        report_figures,
        validation_table,
    )

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="store_true", help="write the figures into data/")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--errors", action="store_true", help="count the slice's errors by deciding rule")
    args = parser.parse_args(argv)
    today, version = dt.date.today().isoformat(), kit_version()

    external = load_external_slice()
    print("\nClaim strength: internal (kit held-out) versus external (Yu, Li & Wang 2019 development slice)")
    if external is None:
        print(f"  The external slice is absent ({external_slice_path()}): only the kit's own held-out set is measured.")
    table = validation_table(n_boot=args.n_boot, measured=today, kit_version=version, external=external)
    overall = table[table["level"] == "all"]
    for row in overall.itertuples(index=False):
        print(f"  {row.dataset:<36} n={row.n:<5} accuracy {row.accuracy:.3f}   macro-F1 {row.macro_f1:.3f} "
              f"(95% bootstrap interval {row.ci_low:.3f} to {row.ci_high:.3f}, {args.n_boot} resamples)")
    per_level = table[table["level"] != "all"].set_index(["dataset", "level"])[["precision", "recall", "f1", "support"]]
    print("\n  Per level:")
    print("  " + per_level.round(3).to_string().replace("\n", "\n  "))
    sets = {"kit held-out": evaluate_strength(load_strength_examples(), "heldout")}
    if external is not None:
        sets["Yu 2019 dev slice"] = evaluate_strength(external, "all")
    for name, rep in sets.items():
        print(f"\n  Confusion matrix, {name} (rows: true level, columns: the rules' level):")
        print("  " + rep.confusion.to_string().replace("\n", "\n  "))
    if args.errors and external is not None:
        errors = sets["Yu 2019 dev slice"].errors
        print("\n  Slice errors by true level, predicted level and deciding rule:")
        counts = errors.groupby(["label", "predicted", "rule"]).size().sort_values(ascending=False)
        print("  " + counts.to_string().replace("\n", "\n  "))

    figures = report_figures(measured=today, kit_version=version).round(4)
    print("\nreport(): candidate claims against the practice keys (precision and recall by sentence)")
    print("  " + figures.drop(columns=["measured", "kit_version", "stage"]).round(3).to_string(index=False)
          .replace("\n", "\n  "))
    for held_out, group in figures.groupby("held_out"):
        label = "held out (written before the rules changed)" if held_out else "seen while writing the rules"
        precision = group["flagged_in_key"].sum() / group["flagged"].sum()
        recall = group["key_found"].sum() / group["key_claims"].sum()
        flagged = group["flagged"].sum() / group["sentences"].sum()
        print(f"  {label:<44} precision {precision:.2f}  recall {recall:.2f}  flags {flagged:.0%} of sentences")

    if args.store:
        if external is None:
            print("\nNot stored: the external slice is absent, and the stored figures need both sets.")
            return 1
        table.to_csv(ROOT / "data" / "claim_strength_validation.csv", index=False, float_format="%.4f")
        stored = pd.read_csv(ROOT / "data" / "report_claim_figures.csv", dtype=str, keep_default_na=False)
        before = stored[stored["stage"] == "before rule changes"]  # measured once, at commit 8f08cc1: kept as is
        pd.concat([before, figures.astype(str)]).to_csv(ROOT / "data" / "report_claim_figures.csv", index=False)
        print("\nStored in data/claim_strength_validation.csv and data/report_claim_figures.csv.")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    pd.set_option("display.width", 140)
    sys.exit(main())
