"""Removing the grader's temporary folders, whatever a submission left in them.

`remove_tree` never raises and never follows a symbolic link: it walks the tree with file descriptors opened
`O_NOFOLLOW` (one level at a time, so that a tree thousands of folders deep needs neither recursion nor thousands of
open descriptors), unlinks a symlink as the link it is, gives a folder without write or read permission those
permissions through its own descriptor (never through a path a student could have replaced by a link), and gives
up on what it cannot remove instead of looping. `shutil.rmtree` recursed (a 1,500-deep tree raised RecursionError
and stopped the whole batch) and its error handler's `chmod` followed links.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

MAX_STEPS = 5_000_000  # entries and folders handled before giving up (a bound, never reached by real folders)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_PATH_FLAGS = getattr(os, "O_PATH", 0) | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _open_dir(name: str, dir_fd: int) -> int:
    """A descriptor of the folder `name` in `dir_fd` (never a link), made readable and writable if it was not."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        if not _PATH_FLAGS & getattr(os, "O_PATH", 0):
            raise
        handle = os.open(name, _PATH_FLAGS, dir_fd=dir_fd)  # the folder itself: O_NOFOLLOW refuses a link
        try:
            os.chmod(f"/proc/self/fd/{handle}", stat.S_IRWXU)  # the inode the handle holds, not a path
        finally:
            os.close(handle)
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    with contextlib.suppress(OSError):
        if os.fstat(fd).st_mode & stat.S_IRWXU != stat.S_IRWXU:
            os.fchmod(fd, stat.S_IRWXU)
    return fd


def _unlink(name: str, dir_fd: int, is_dir: bool) -> bool:
    try:
        if is_dir:
            os.rmdir(name, dir_fd=dir_fd)
        else:
            os.unlink(name, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def remove_tree(path: Path | str) -> bool:
    """Remove `path` (a folder and everything under it, or a file or link) without following links; never
    raises. True when it is gone."""
    try:
        return _remove(Path(path))
    except Exception:  # noqa: BLE001 - clean-up must never stop a batch
        return not os.path.lexists(path)


def _remove(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISDIR(info.st_mode):
            return _unlink(path.name, parent, False)
        _empty(parent, path.name)
        return _unlink(path.name, parent, True)
    finally:
        os.close(parent)


def _empty(parent: int, name: str) -> None:
    """Empty the folder `name` of `parent`, depth first, holding one descriptor at a time (plus `parent`)."""
    fd = _open_dir(name, parent)
    names: list[str] = []  # the path from `name` down to the folder `fd` holds
    stuck: set[tuple[int, int]] = set()  # folders that could not be emptied: not entered again
    steps = 0
    try:
        while steps < MAX_STEPS:
            steps += 1
            child = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    steps += 1
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                        key = (entry.inode(), os.fstat(fd).st_dev)
                    except OSError:
                        continue
                    if is_dir and key not in stuck:
                        child = entry.name
                        break
                    if not is_dir:
                        _unlink(entry.name, fd, False)
            if child is not None:
                try:
                    below = _open_dir(child, fd)
                except OSError:
                    with contextlib.suppress(OSError):
                        info = os.stat(child, dir_fd=fd, follow_symlinks=False)
                        stuck.add((info.st_ino, info.st_dev))
                    continue
                os.close(fd)
                fd = below
                names.append(child)
                continue
            if not names:
                return
            up = os.open("..", _DIR_FLAGS, dir_fd=fd)
            here = os.fstat(fd)
            os.close(fd)
            fd = up
            gone = names.pop()
            if not _unlink(gone, fd, True):
                stuck.add((here.st_ino, here.st_dev))
    finally:
        os.close(fd)

