"""`coursekit hub-link`: the nbgitpuller link, in the format of nbgitpuller's link generator
(HUB/hub/user-redirect/git-pull?repo=...&urlpath=lab/tree/REPO_NAME/PATH&branch=...). Expected links are written
out by hand."""

from __future__ import annotations

import pytest

from coursekit.cli import main
from coursekit.errors import CoursekitError
from coursekit.hub import hub_link, repo_name


def test_link_opens_the_start_lesson_in_jupyterlab():
    assert hub_link("https://hub.example.edu", "https://github.com/teacher/hype-course") == (
        "https://hub.example.edu/hub/user-redirect/git-pull"
        "?repo=https%3A%2F%2Fgithub.com%2Fteacher%2Fhype-course"
        "&urlpath=lab%2Ftree%2Fhype-course%2Fnotebooks%2F00-start-here.ipynb"
        "&branch=main"
    )


def test_link_with_branch_path_trailing_slash_and_git_suffix():
    assert hub_link(
        "http://127.0.0.1:8000/", "https://git.example.edu/course/hype.git", branch="spring",
        path="/exercises/01-hype/hype.ipynb",
    ) == (
        "http://127.0.0.1:8000/hub/user-redirect/git-pull"
        "?repo=https%3A%2F%2Fgit.example.edu%2Fcourse%2Fhype.git"
        "&urlpath=lab%2Ftree%2Fhype%2Fexercises%2F01-hype%2Fhype.ipynb"
        "&branch=spring&targetPath=hype"  # nbgitpuller would name the folder hype.git
    )


def test_hub_under_a_prefix_and_classic_tree():
    assert hub_link("https://uni.edu/jupyter", "file:///srv/course/hype-course", path="", app="tree") == (
        "https://uni.edu/jupyter/hub/user-redirect/git-pull"
        "?repo=file%3A%2F%2F%2Fsrv%2Fcourse%2Fhype-course&urlpath=tree%2Fhype-course&branch=main"
    )


@pytest.mark.parametrize(
    ("url", "name"),
    [("https://github.com/a/b.git", "b"), ("https://github.com/a/b/", "b"), ("git@github.com:c.git", "c"),
     ("/srv/course/d", "d"), ("file:///srv/e.git", "e")],
)
def test_repo_name_is_the_folder_nbgitpuller_clones_into(url, name):
    assert repo_name(url) == name


def test_bad_hub_url_is_refused():
    with pytest.raises(CoursekitError, match="HUB_URL"):
        hub_link("hub.example.edu", "https://github.com/a/b")


def test_command_prints_the_link(capsys):
    assert main(["hub-link", "https://hub.example.edu", "--repo", "https://github.com/t/c", "--branch", "b1"]) == 0
    assert capsys.readouterr().out == (
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Ft%2Fc"
        "&urlpath=lab%2Ftree%2Fc%2Fnotebooks%2F00-start-here.ipynb&branch=b1\n"
    )
    assert main(["hub-link", "nonsense", "--repo", "x"]) == 2
