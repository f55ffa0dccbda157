"""The lock file, pyproject.toml and environment.yml describe the same environment, for every supported Python.

The lock is universal: one file for Python 3.10 to 3.13, where a package whose newest release has left an older
Python behind is pinned twice, each pin with an environment marker (`numpy==2.2.6 ; python_full_version <
'3.11'`). For each supported version, every package has at most one pin that applies.
"""

import re
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import yaml

ROOT = Path(__file__).parents[1]
SUPPORTED = ["3.10", "3.11", "3.12", "3.13"]
PLATFORM = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "platform_machine": "x86_64"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _environment(version: str) -> dict[str, str]:
    return {**PLATFORM, "python_version": version, "python_full_version": f"{version}.0"}


def _lock(version: str = "3.11") -> dict[str, str]:
    """{package: version} of the pins that apply on Linux with this Python."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        name, _, pinned = requirement.partition("==")
        assert pinned, f"lock line is not pinned with ==: {line}"
        if marker.strip() and not Marker(marker.strip()).evaluate(_environment(version)):
            continue
        assert _name(name) not in pins, f"{_name(name)} is pinned twice for Python {version}"
        pins[_name(name)] = pinned.strip()
    return pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _direct_requirements() -> list[Requirement]:
    project = _project()
    texts = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    return [Requirement(text) for text in texts]


def test_the_lock_pins_every_direct_dependency_once_for_every_supported_python():
    for version in SUPPORTED:
        lock = _lock(version)
        wanted = {_name(r.name) for r in _direct_requirements() if r.marker is None or r.marker.evaluate(_environment(version))}
        missing = wanted - set(lock)
        assert not missing, f"not in requirements-lock.txt for Python {version}: {sorted(missing)}"


def test_pyproject_ranges_admit_the_locked_versions_on_every_supported_python():
    for version in SUPPORTED:
        lock = _lock(version)
        for requirement in _direct_requirements():
            if requirement.marker is not None and not requirement.marker.evaluate(_environment(version)):
                continue
            locked = lock[_name(requirement.name)]
            assert requirement.specifier.contains(locked), f"{requirement} does not admit {locked} (Python {version})"


def test_pyproject_names_the_supported_pythons():
    spec = _project()["requires-python"]
    from packaging.specifiers import SpecifierSet

    assert all(f"{v}.0" in SpecifierSet(spec) for v in SUPPORTED), spec
    assert "3.9.0" not in SpecifierSet(spec) and "3.14.0" not in SpecifierSet(spec), spec


def test_environment_yml_names_the_same_pins_as_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    assert env["name"]
    conda = env["dependencies"]
    python = next(item for item in conda if isinstance(item, str) and item.startswith("python"))
    assert re.fullmatch(r"python(=3\.1[1-3]|>=3\.1[0-3],<3\.1[1-4])", python.replace(" ", "")), python
    pip_lines = next(item["pip"] for item in conda if isinstance(item, dict))
    pinned = {_name(k): v for k, v in (line.split("==") for line in pip_lines if "==" in line)}
    assert set(pinned) == {_name(r.name) for r in _direct_requirements() if r.marker is None}
    lock = _lock("3.11")  # conda users get a Python of 3.11 or later: the pins of those versions
    disagree = {name: (version, lock[name]) for name, version in pinned.items() if lock[name] != version}
    assert not disagree, f"environment.yml and the lock disagree (yml, lock): {disagree}"
    assert "-e ." in pip_lines and "-c requirements-lock.txt" in pip_lines
