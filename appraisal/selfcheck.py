"""Self-checks for lesson notebooks: say whether an answer is right without showing the answer.

Answers are stored in ``data/selfchecks/<notebook>.json`` as salted SHA-256 hashes of a normalised
form, with hints for the usual wrong answers. In a notebook::

    from appraisal.selfcheck import SelfCheck
    check = SelfCheck("00")
    check("00.a", n_sentences)      # prints "right", or what kind of wrong with a hint
    check("00.b", None)             # unanswered: says what to pass, and never gives the hint
    check.progress()                # prints which checks passed so far

Authors add a check in ``appraisal/selfcheck_answers.py`` (its answer computed, never typed) and run
``make selfchecks``; :func:`add_check` stores one check by hand (used by tests).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

from appraisal.paths import data_dir

__all__ = ["KINDS", "SelfCheck", "add_check", "normalise"]

#: How an answer is compared: a number rounded to ``digits`` decimals, a short text (case and spacing
#: ignored), one option of a multiple choice, or a set of items (order and repeats ignored).
KINDS = ("number", "text", "choice", "set")

#: What to put in place of ``None``, by kind (shown for an unanswered check instead of any hint).
_EXPECTED = {"number": "a number", "text": "a short text (a string)", "choice": "one of the options (a string)",
             "set": "a list or set of items"}


def normalise(answer: object, kind: str, digits: int = 0) -> str:
    """The canonical text of an answer, the form that is hashed. Raises TypeError for the wrong type."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "number":
        if isinstance(answer, bool) or not isinstance(answer, Real):
            try:
                answer = float(answer.item())  # type: ignore[attr-defined]  # numpy scalars, 1-element arrays
            except (AttributeError, ValueError, TypeError):
                raise TypeError(f"expected a number, got {type(answer).__name__}") from None
        value = float(answer)
        if not math.isfinite(value):
            raise TypeError(f"expected a finite number, got {value}")
        text = f"{value:.{digits}f}"
        return f"{0:.{digits}f}" if float(text) == 0 else text  # no "-0.0"
    if kind in ("text", "choice"):
        if not isinstance(answer, str):
            raise TypeError(f"expected a string, got {type(answer).__name__}")
        return " ".join(answer.lower().split()).strip(" .")
    if isinstance(answer, str) or not isinstance(answer, Iterable):
        raise TypeError(f"expected a list or set of items, got {type(answer).__name__}")
    return "|".join(sorted({" ".join(str(item).lower().split()) for item in answer}))


def _digest(question: str, canonical: str) -> str:
    return hashlib.sha256(f"{question}::{canonical}".encode()).hexdigest()


def _table_advice(answer: object) -> str:
    """What to do when a whole pandas Series or DataFrame was passed where one value was wanted ("" otherwise)."""
    kind = type(answer).__name__
    if kind not in ("Series", "DataFrame") or not type(answer).__module__.startswith("pandas"):
        return ""
    size = getattr(answer, "shape", (0,))[0]
    return (f" You passed a whole pandas {kind} ({size} rows); the check wants one value: pick the one the question "
            "asks for (a Series' labels are its index, its numbers its values).")


@dataclass
class _Spec:
    kind: str
    digits: int
    answer: str
    hint: str
    wrong: dict[str, str] = field(default_factory=dict)


class SelfCheck:
    """The self-checks of one notebook, and which of them the student has passed so far."""

    def __init__(self, notebook: str, folder: Path | None = None) -> None:
        path = (folder or data_dir() / "selfchecks") / f"{notebook}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"No self-checks for notebook {notebook!r} (looked for {path}).") from None
        self.notebook = notebook
        self._specs = {q: _Spec(**spec) for q, spec in raw.items()}
        self._passed: dict[str, bool] = {}

    @property
    def questions(self) -> list[str]:
        """The ids of this notebook's self-checks, in order."""
        return list(self._specs)

    def verdict(self, question: str, answer: object) -> tuple[bool, str]:
        """Whether ``answer`` is right, and the message to show (never containing the answer).

        ``None`` (the placeholder a shipped notebook holds) is unanswered: the message says what to pass and
        gives no hint, so a student sees the question before any help. A wrong answer gets the hint for that
        mistake when there is one, else the check's general hint.
        """
        if question not in self._specs:
            raise KeyError(f"No self-check {question!r} here; the checks are: {', '.join(self._specs)}")
        spec = self._specs[question]
        if answer is None:
            return False, (f"Not answered yet: replace None with {_EXPECTED[spec.kind]}, "
                           "then run this cell again.")
        try:
            canonical = normalise(answer, spec.kind, spec.digits)
        except TypeError as exc:
            return False, f"Not yet: {exc}.{_table_advice(answer)} Hint: {spec.hint}"
        digest = _digest(question, canonical)
        if digest == spec.answer:
            return True, "Right."
        if digest in spec.wrong:
            return False, f"Not yet: {spec.wrong[digest]}"
        return False, f"Not yet. Hint: {spec.hint}"

    def __call__(self, question: str, answer: object) -> None:
        """Check an answer and print the verdict and the progress so far (``None`` counts as not tried)."""
        right, message = self.verdict(question, answer)
        if answer is None:
            print(f"· {question}: {message}")
            print(self.progress_line())
            return
        self._passed[question] = self._passed.get(question, False) or right
        mark = "✓" if right else "✗"
        print(f"{mark} {question}: {message}")
        print(self.progress_line())

    def progress_line(self) -> str:
        """One line listing every check of the notebook: ✓ passed, ✗ tried and not yet passed, · not tried."""
        marks = []
        for q in self._specs:
            mark = "·" if q not in self._passed else "✓" if self._passed[q] else "✗"
            marks.append(f"{q} {mark}")
        done = sum(self._passed.values())
        return f"Self-checks passed: {done} of {len(self._specs)}  ({'  '.join(marks)})"

    def progress(self) -> None:
        """Print the progress line."""
        print(self.progress_line())


def add_check(
    notebook: str,
    question: str,
    answer: object,
    kind: str,
    hint: str,
    wrong: Mapping[object, str] | None = None,
    digits: int = 0,
    folder: Path | None = None,
) -> Path:
    """Store (or replace) a self-check; ``wrong`` maps usual wrong answers to a hint for each.

    For authors only: run it from a script, then commit ``data/selfchecks/<notebook>.json``.
    """
    if not hint.strip():
        raise ValueError("every self-check needs a hint for students who get it wrong")
    path = (folder or data_dir() / "selfchecks") / f"{notebook}.json"
    specs = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    right = _digest(question, normalise(answer, kind, digits))
    wrong_digests = {}
    for value, message in (wrong or {}).items():
        digest = _digest(question, normalise(value, kind, digits))
        if digest == right:
            raise ValueError(f"a 'wrong' answer for {question} equals the right one")
        wrong_digests[digest] = message
    specs[question] = {"kind": kind, "digits": digits, "answer": right, "hint": hint, "wrong": wrong_digests}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(specs, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
