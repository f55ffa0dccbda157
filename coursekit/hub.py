"""A class on JupyterHub: the student repository that nbgitpuller hands out, and the link that hands it out.

`student_repo(out)` writes what students need and nothing more (lessons, released exercises, data, the
`appraisal` package, an environment file and a README for students) as a git repository an instructor can push.
Nothing of `solutions/` (model answers, hidden tests, rubrics), `coursekit/` or the tests goes in; the author's
generator of the self-check answers (`appraisal/selfcheck_answers.py`) stays out too, as it would print them.
Run again on the same folder, it replaces the files with the kit's current ones and commits the change, so the
instructor pushes an update and students pull it with the same link.

`hub_link(...)` builds an nbgitpuller link in the format of nbgitpuller's own link generator:
`HUB/hub/user-redirect/git-pull?repo=URL&urlpath=lab/tree/REPO_NAME/PATH&branch=B` (plus `targetPath=REPO_NAME`
where nbgitpuller's own folder name would differ, as for a URL ending in `.git`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from argparse import Namespace, _SubParsersAction
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from coursekit.errors import CoursekitError

# What goes in, as (folder or file, relative to the kit's root). Folders are copied whole, less EXCLUDED names.
INCLUDED = ("notebooks", "exercises", "data", "appraisal")
# Never copied: caches, checkpoints, and the generator of the self-check answers (it computes every answer).
EXCLUDED_NAMES = ("__pycache__", ".ipynb_checkpoints", "*.pyc", ".DS_Store")
EXCLUDED_FILES = ("appraisal/selfcheck_answers.py",)
# The kit's runtime packages, pinned from requirements-lock.txt for the student's environment file.
RUNTIME = ("jupyterlab", "pandas", "numpy", "matplotlib", "ipykernel", "nbformat", "nbclient")
COMMIT_AUTHOR = ("coursekit student-repo", "coursekit@localhost")

STUDENT_README = """\
# Hype to Mechanism: the student copy

Lessons and exercises for the critical appraisal of health claims.

- `notebooks/`: the lessons. Start with `notebooks/00-start-here.ipynb` and go in order.
- `exercises/`: the graded exercises. Fill in the cells marked `# YOUR CODE HERE` or `YOUR ANSWER HERE`, and run
  the test cell under each answer (more tests run when your work is graded).
- `data/` and `appraisal/`: the data and the functions the notebooks use. You need not open them.

**On your course's JupyterHub** you got here through a link from your instructor. Clicking the same link again
brings in your instructor's changes and keeps your own edits: where you and your instructor changed the same
lines, your version is kept. To start a file over, delete it and click the link again.

**On your own computer** (Python 3.11): `python -m venv .venv`, then `.venv/bin/pip install -r requirements.txt`
and `.venv/bin/jupyter lab`; or with conda: `conda env create -f environment.yml`.

Code: MIT. Lesson text and data: CC BY 4.0. The case-study article is quoted as the object of study; its copyright
stays with its publisher.
"""

GITIGNORE = ".ipynb_checkpoints/\n__pycache__/\n*.pyc\n.venv/\n"

PYPROJECT = """\
# Installs the `appraisal` package the notebooks import (pip install -e .).
[build-system]
requires = ["setuptools>=75"]
build-backend = "setuptools.build_meta"

[project]
name = "hype-to-mechanism-student"
version = "{version}"
requires-python = ">=3.11,<3.12"

[tool.setuptools]
packages = ["appraisal"]
"""


@dataclass(frozen=True)
class StudentRepo:
    """What `student_repo` did: the folder, the commit it made (None when nothing changed), the files in it."""

    path: Path
    commit: str | None
    files: int


def _pins(root: Path) -> list[str]:
    """`name==version` for the runtime packages, from the kit's lock file."""
    lock = root / "requirements-lock.txt"
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.strip().partition("==")
        if sep and not line.startswith("#"):
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    missing = [name for name in RUNTIME if name not in pins]
    if missing:
        raise CoursekitError(f"{lock} pins no version of {', '.join(missing)}")
    return [f"{name}=={pins[name]}" for name in RUNTIME]


def _environment_yml(pins: list[str]) -> str:
    listed = "".join(f"      - {pin}\n" for pin in pins)
    return (
        "name: hype-to-mechanism-student\n"
        "# The packages the lessons and exercises need, at the kit's pinned versions.\n"
        "channels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
        f"{listed}      - -e .\n"
    )


def _git(repo: Path, *args: str) -> str:
    name, email = COMMIT_AUTHOR
    env = {**os.environ, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email}
    try:
        done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise CoursekitError("git is not installed (needed to make the student repository)") from None
    except subprocess.CalledProcessError as exc:
        raise CoursekitError(f"git {' '.join(args)} failed in {repo}: {exc.stderr.strip()}") from None
    return done.stdout.strip()


def _copy_content(root: Path, out: Path) -> None:
    ignore = shutil.ignore_patterns(*EXCLUDED_NAMES)
    for name in INCLUDED:
        source = root / name
        if not source.is_dir():
            raise CoursekitError(f"{source} is missing: is --root the kit's folder?")
        shutil.copytree(source, out / name, ignore=ignore)
    for relative in EXCLUDED_FILES:
        (out / relative).unlink(missing_ok=True)
    pins = _pins(root)
    (out / "requirements.txt").write_text(
        "# The packages the lessons and exercises need, at the kit's pinned versions.\n"
        + "".join(f"{pin}\n" for pin in pins) + "-e .\n", encoding="utf-8")
    (out / "environment.yml").write_text(_environment_yml(pins), encoding="utf-8")
    (out / "pyproject.toml").write_text(PYPROJECT.format(version=_kit_version(root)), encoding="utf-8")
    (out / "README.md").write_text(STUDENT_README, encoding="utf-8")
    (out / ".gitignore").write_text(GITIGNORE, encoding="utf-8")


def _kit_version(root: Path) -> str:
    for line in (root / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0"


def student_repo(out: Path, root: Path = Path("."), branch: str = "main", message: str | None = None) -> StudentRepo:
    """Write the student repository into `out` and commit it.

    A new or empty `out` becomes a new git repository on `branch`. An `out` that is already a git repository
    (an earlier student repository) has its files replaced by the kit's current ones, and the difference is
    committed; an `out` holding anything else is refused, so nothing of the instructor's is overwritten.
    """
    root, out = Path(root).resolve(), Path(out).resolve()
    if out == root or root in out.parents or out in root.parents:
        raise CoursekitError(f"{out}: write the student repository outside the kit's folder")
    is_repo = (out / ".git").is_dir()
    readme = out / "README.md"
    ours = readme.is_file() and readme.read_text(encoding="utf-8", errors="replace").startswith(
        STUDENT_README.split("\n", 1)[0]
    )
    if is_repo and not ours:
        raise CoursekitError(f"{out} is a git repository but not a student repository made by this command")
    if out.exists() and not out.is_dir():
        raise CoursekitError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not is_repo:
        raise CoursekitError(f"{out} is not empty and not a git repository: choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    if not is_repo:
        _git(out, "init", "-q", "-b", branch)
    else:
        for entry in out.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    _copy_content(root, out)
    _git(out, "add", "-A")
    if not _git(out, "status", "--porcelain"):
        commit = None
    else:
        _git(out, "commit", "-q", "-m", message or ("Update from the kit" if is_repo else "The course for students"))
        commit = _git(out, "rev-parse", "HEAD")
    files = len(_git(out, "ls-files").splitlines())
    return StudentRepo(out, commit, files)


def repo_name(repo_url: str) -> str:
    """The folder the student's copy lives in: the URL's last path part, without a `.git` ending.

    nbgitpuller (1.3) names the folder by the last part as it is, `.git` included; `hub_link` then adds
    nbgitpuller's `targetPath` parameter so that the folder is this name either way."""
    name = repo_url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = name[: -len(".git")] if name.endswith(".git") else name
    if not name:
        raise CoursekitError(f"--repo {repo_url!r}: cannot tell the repository's name from it")
    return name


def hub_link(hub_url: str, repo: str, branch: str = "main", path: str = "notebooks/00-start-here.ipynb",
             app: str = "lab") -> str:
    """The nbgitpuller link that clones (or updates) `repo` for the student and opens `path` in JupyterLab."""
    parts = urlsplit(hub_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CoursekitError(f"HUB_URL {hub_url!r} must be the hub's address, e.g. https://hub.example.edu")
    if not repo:
        raise CoursekitError("--repo: the student repository's URL is needed")
    path = path.strip("/")
    target = f"{repo_name(repo)}/{path}" if path else repo_name(repo)
    urlpath = {"lab": f"lab/tree/{target}", "tree": f"tree/{target}"}[app]
    query = {"repo": repo, "urlpath": urlpath}
    if branch:
        query["branch"] = branch
    if repo.rstrip("/").rsplit("/", 1)[-1] != repo_name(repo):  # e.g. a `.git` ending: name the folder
        query["targetPath"] = repo_name(repo)
    base = hub_url if hub_url.endswith("/") else hub_url + "/"
    return f"{base}hub/user-redirect/git-pull?{urlencode(query)}"


def cmd_student_repo(args: Namespace) -> int:
    """`student-repo OUT`: write (or update) the student repository and commit it."""
    made = student_repo(Path(args.out), Path(args.root), branch=args.branch, message=args.message)
    done = f"committed {made.commit[:10]}" if made.commit else "nothing changed since the last commit"
    print(f"coursekit student-repo: {made.path}: {made.files} files, {done}")
    print("  next: push it where the hub can clone it, e.g. "
          f"git -C {made.path} remote add origin URL && git -C {made.path} push -u origin {args.branch}")
    return 0


def cmd_hub_link(args: Namespace) -> int:
    """`hub-link HUB_URL --repo URL`: print the nbgitpuller link."""
    print(hub_link(args.hub_url, args.repo, args.branch, args.path, args.app))
    return 0


def add_commands(sub: _SubParsersAction) -> None:
    """Register `student-repo` and `hub-link` on the command line's subparsers."""
    p = sub.add_parser("student-repo", help="write the students' repository (no solutions) as a git repository")
    p.add_argument("out", metavar="OUT", help="folder for the repository (new, or an earlier student repository)")
    p.add_argument("--root", default=".", metavar="DIR", help="the kit's folder (default: .)")
    p.add_argument("--branch", default="main", metavar="B", help="branch of a new repository (default: main)")
    p.add_argument("--message", metavar="TEXT", help="commit message (default: says what it is)")
    p.set_defaults(func=cmd_student_repo)

    p = sub.add_parser("hub-link", help="print the nbgitpuller link that gives students the repository")
    p.add_argument("hub_url", metavar="HUB_URL", help="the hub's address, e.g. https://hub.example.edu")
    p.add_argument("--repo", required=True, metavar="URL", help="the student repository's git URL")
    p.add_argument("--branch", default="main", metavar="B", help="its branch (default: main)")
    p.add_argument(
        "--path", default="notebooks/00-start-here.ipynb", metavar="PATH",
        help="the file to open, inside the repository (default: %(default)s)",
    )
    p.add_argument("--app", choices=("lab", "tree"), default="lab", help="JupyterLab or the classic tree")
    p.set_defaults(func=cmd_hub_link)
