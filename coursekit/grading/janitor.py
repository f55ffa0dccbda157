"""The batch's temporary folders: each run works in a folder of its own (`batch_folder`) that names its owner
process, and removes folders and kernel connection files left by runs that were killed (`remove_stale_temp`),
whatever a submission left in them (cleanup.remove_tree)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from pathlib import Path

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.kernels.process import KERNEL_NAME

TEMP_PREFIX = "coursekit-grade-"
OWNER_FILE = "owner.pid"
STALE_AFTER = 6 * 3600  # seconds: a temporary folder without a live owner older than this is removed


def batch_folder() -> Path:
    """A fresh temporary folder for one run, with its owner's pid, after removing those of killed runs."""
    remove_stale_temp()
    base = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    (base / OWNER_FILE).write_text(str(os.getpid()))
    return base


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp(base: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove `coursekit-grade-*` folders left by killed runs: their owner process is gone (or, without an owner
    file, they are older than STALE_AFTER). Returns the folders removed."""
    base = Path(base or tempfile.gettempdir())
    now = time.time() if now is None else now
    removed = []
    try:
        folders = list(base.glob(f"{TEMP_PREFIX}*"))
    except OSError:
        folders = []
    for folder in folders:
        try:
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            owner = folder / OWNER_FILE
            if owner.is_file() and not owner.is_symlink() and owner.stat().st_size < 64:
                text = owner.read_text().strip()
                stale = not (text.isdigit() and _alive(int(text)))
            else:
                stale = now - info.st_mtime > STALE_AFTER
        except (OSError, ValueError):
            continue
        if stale and remove_tree(folder):
            removed.append(folder)
    removed += _remove_stale_connection_files(base, now)
    return removed


CONNECTION_FILE_AGE = 600  # seconds: a kernel reads its connection file at start-up, within a minute


def _remove_stale_connection_files(base: Path, now: float) -> list[Path]:
    """Kernel connection files (jupyter_client writes `tmp*.json` in the temp folder) of the grader's sandbox
    kernels, older than CONNECTION_FILE_AGE: left by killed runs (a clean run removes its own)."""
    removed = []
    for path in base.glob("tmp*.json"):
        try:
            info = path.stat()
            if info.st_uid != os.getuid() or info.st_size > 4096 or now - info.st_mtime < CONNECTION_FILE_AGE:
                continue
            if json.loads(path.read_text(encoding="utf-8")).get("kernel_name") != KERNEL_NAME:
                continue
            path.unlink()
        except (OSError, ValueError, AttributeError):
            continue
        removed.append(path)
    return removed
