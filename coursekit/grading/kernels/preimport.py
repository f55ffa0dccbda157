"""Importing an assignment's modules ahead of its first cell, in one place for the three that do it: the fork server
(before it forks any kernel), a kernel started on its own (pool.preimport, silently, as a user expression), and the
one-off sandbox that builds the font cache (pool.build_font_cache). Standard library only: it runs inside kernels
and sandboxes, and every kernel forgets it again (launch.forget_launcher)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable

MODULE = "coursekit.grading.kernels.preimport"


def import_all(wanted: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """Import each (module, names): the module, then each name it does not have as a submodule (as `from module
    import name` would). The modules that failed, as 'module: ExceptionName'."""
    failed = []
    for module, names in wanted:
        try:
            loaded = importlib.import_module(module)
        except BaseException as exc:  # noqa: BLE001 - a student's environment may lack a module: reported
            failed.append(module + ": " + type(exc).__name__)
            continue
        for name in names:
            if not hasattr(loaded, name):
                try:
                    importlib.import_module(module + "." + name)
                except BaseException:  # noqa: BLE001, S110 - as `from module import name` would fail later
                    pass
    return failed


def encode(wanted: Iterable[tuple[str, Iterable[str]]]) -> str:
    """The imports as one line: 'module:name,name;module:'."""
    return ";".join(f"{module}:{','.join(names)}" for module, names in wanted)


def decode(line: str) -> list[tuple[str, list[str]]]:
    """The imports from `encode`'s line."""
    pairs = []
    for item in filter(None, line.split(";")):
        module, _, names = item.partition(":")
        pairs.append((module, [n for n in names.split(",") if n]))
    return pairs


def silently(wanted: list[list], before: set[str] | frozenset[str] = frozenset()) -> str:
    """For a kernel's user expression (pool.preimport): import `wanted`, forget the coursekit modules that were not
    in `before` (sys.modules when the expression began), and answer {"failed": [...], "seconds": s} as JSON text."""
    import json
    import time

    t0 = time.perf_counter()
    failed = import_all((module, names) for module, names in wanted)
    forget(before)
    return json.dumps({"failed": failed, "seconds": time.perf_counter() - t0})


def forget(kept: set[str] | frozenset[str] = frozenset()) -> None:
    """Drop coursekit's modules from sys.modules (this one among them), but those in `kept`: a kernel's modules are
    then a fresh kernel's."""
    for name in [n for n in sys.modules if (n == "coursekit" or n.startswith("coursekit.")) and n not in kept]:
        del sys.modules[name]
