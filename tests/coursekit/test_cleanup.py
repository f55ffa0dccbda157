"""Removing the grader's temporary folders (coursekit/grading/cleanup.py), whatever a submission left there: a tree
deeper than Python's recursion limit, read-only folders, links out of the folder. `shutil.rmtree` is the control:
it raises on the deep tree. The batch-level test (a submission that makes such a tree in its working folder and its
sockets folder) is test_sandbox_hostile.py's `deep_tree`."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.janitor import OWNER_FILE, STALE_AFTER, TEMP_PREFIX, remove_stale_temp

DEPTH = 1500


def _hostile_tree(top: Path, outside_file: Path, outside_dir: Path) -> None:
    """A tree `DEPTH` folders deep, read-only at the top and the bottom, with links to a file and a folder outside
    it at the bottom and at the top, a file without permissions, and an unreadable folder."""
    top.mkdir(parents=True)
    fd = os.open(top, os.O_RDONLY)
    for _ in range(DEPTH):
        os.mkdir("d", dir_fd=fd)
        below = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = below
    os.symlink(outside_file, "file-link", dir_fd=fd)
    os.symlink(outside_dir, "dir-link", dir_fd=fd)
    os.close(os.open("locked", os.O_CREAT | os.O_WRONLY, 0o000, dir_fd=fd))
    os.fchmod(fd, 0o500)
    os.close(fd)
    os.symlink(outside_dir, top / "top-link")
    (top / "closed").mkdir()
    (top / "closed" / "inside.txt").write_text("x")
    (top / "closed").chmod(0o000)
    top.chmod(0o500)


@pytest.fixture
def outside(tmp_path):
    outside_file = tmp_path / "instructor.txt"
    outside_file.write_text("the instructor's")
    outside_file.chmod(0o400)
    outside_dir = tmp_path / "instructor"
    outside_dir.mkdir()
    (outside_dir / "keep.txt").write_text("keep")
    return outside_file, outside_dir


def test_a_deep_read_only_tree_with_links_out_is_removed_and_nothing_outside_changes(tmp_path, outside):
    outside_file, outside_dir = outside
    top = tmp_path / "scratch" / "tree"
    _hostile_tree(top, outside_file, outside_dir)
    t0 = time.monotonic()
    assert remove_tree(tmp_path / "scratch") is True
    assert time.monotonic() - t0 < 30
    assert not (tmp_path / "scratch").exists()
    assert outside_file.read_text() == "the instructor's" and outside_file.stat().st_mode & 0o777 == 0o400
    assert (outside_dir / "keep.txt").read_text() == "keep" and outside_dir.stat().st_mode & 0o777 == 0o755


def test_control_shutil_rmtree_fails_on_the_same_tree(tmp_path, outside):
    top = tmp_path / "scratch" / "tree"
    _hostile_tree(top, *outside)
    with pytest.raises(RecursionError):
        shutil.rmtree(top, ignore_errors=True)
    assert remove_tree(top)


def test_links_files_and_missing_paths_never_raise(tmp_path, outside):
    outside_file, outside_dir = outside
    link = tmp_path / "link"
    link.symlink_to(outside_dir)
    assert remove_tree(link) and not link.is_symlink() and (outside_dir / "keep.txt").exists()
    assert remove_tree(tmp_path / "nothing") is True
    assert remove_tree(outside_file) is True and not outside_file.exists()


@pytest.mark.kernel
def test_a_stale_folder_of_a_crashed_run_is_removed_and_never_stops_the_next_run(tmp_path, outside):
    stale = tmp_path / f"{TEMP_PREFIX}crashed"
    _hostile_tree(stale / "sub-1" / "work" / "deep", *outside)
    (stale / OWNER_FILE).write_text("999999999")  # an owner that is gone
    old = tmp_path / f"{TEMP_PREFIX}old-without-owner"
    _hostile_tree(old / "run" / "deep", *outside)
    past = time.time() - STALE_AFTER - 60
    os.utime(old, (past, past))
    linked = tmp_path / f"{TEMP_PREFIX}a-link"
    linked.symlink_to(outside[1])
    removed = remove_stale_temp(tmp_path)
    assert set(removed) == {stale, old}
    assert linked.is_symlink() and (outside[1] / "keep.txt").exists()  # a link is never followed nor removed
    assert remove_stale_temp(tmp_path) == []
