"""How a batch is graded (`Options`), and the fingerprint of everything in it that can change a grade: a stored
grade is reused only while the submission, the assignment and this fingerprint are unchanged."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass

from coursekit.grading.assignment import Assignment
from coursekit.grading.kernels.sandbox import AUTO
from coursekit.grading.kernels.spec import Limits


def _not_in_fingerprint() -> dict[str, bool]:
    return {"fingerprint": False}


@dataclass(frozen=True)
class Options:
    """How to grade: resource limits, parallel jobs, whether to ignore stored results, nbgrader's stderr rule.

    Every field decides the grades (and is part of the fingerprint) unless its metadata says otherwise, so an
    option added later cannot silently reuse grades made without it."""

    limits: Limits = field(default_factory=Limits)
    jobs: int = field(default=0, metadata=_not_in_fingerprint())
    regrade: bool = field(default=False, metadata=_not_in_fingerprint())
    stderr_fails: bool = False
    sandbox: str = AUTO  # auto, bubblewrap or none (sandbox.py); in the fingerprint: a row graded without
    # containment is graded again when the sandbox is asked for
    warm: bool = field(default=True, metadata=_not_in_fingerprint())  # pre-import, font cache, bytecode
    # (pool.py); False: kernels start cold, one ahead per job (for measuring what the pool saves)
    clean_room: bool = True  # tests run in a checker kernel that never runs student code (cleanroom.py); False:
    # in the student's kernel, as nbgrader does (unprotected: for negative controls and measurements only)

    def fingerprint(self, assignment: Assignment) -> str:
        """A hash of the assignment and of every option that can change a grade."""
        grading = {f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("fingerprint", True)}
        text = f"{assignment.fingerprint()}|{json.dumps(_plain(grading), sort_keys=True)}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _plain(value: object) -> object:
    """Dataclasses as dicts (with their type's name), numbers as floats, recursively, for a stable JSON text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{k: _plain(v) for k, v in asdict(value).items()}}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)  # 4 and 4.0 seconds are the same limit
    return value
