"""The lock file, pyproject.toml and environment.yml describe the same environment."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"lock line is not pinned with ==: {line}"
            pins[_name(name)] = version
    return pins


def _direct_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return {_name(r) for r in requirements}


def test_lock_pins_every_direct_dependency():
    missing = _direct_dependencies() - set(_lock())
    assert not missing, f"not in requirements-lock.txt: {sorted(missing)}"


def test_environment_yml_names_the_same_pins_as_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert env["name"]
    conda = env["dependencies"]
    assert "python=3.11" in conda
    pip_lines = next(item["pip"] for item in conda if isinstance(item, dict))
    pinned = dict(line.split("==") for line in pip_lines if "==" in line)
    pinned = {_name(k): v for k, v in pinned.items()}
    assert set(pinned) == _direct_dependencies()
    lock = _lock()
    disagree = {name: (version, lock[name]) for name, version in pinned.items() if lock[name] != version}
    assert not disagree, f"environment.yml and the lock disagree (yml, lock): {disagree}"
    assert "-e ." in pip_lines and "-c requirements-lock.txt" in pip_lines


def test_pyproject_ranges_admit_the_locked_versions():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lock = _lock()
    for text in project["dependencies"] + project["optional-dependencies"]["test"]:
        requirement = Requirement(text)
        version = lock[_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{text} does not admit the locked {version}"
