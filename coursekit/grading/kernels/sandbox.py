"""Containment for grading kernels: each kernel runs inside a bubblewrap (`bwrap`) sandbox on Linux.

Inside the sandbox the kernel has its own user, PID, IPC, UTS, cgroup and network namespaces (no network at all:
it talks to the grader over Unix sockets in a folder of its own), a new session, and dies with the grader. It sees
the Python installation, the packages the kernel imports and the assignment's files, read-only; a fresh, size-capped
working folder (the assignment's files are copied into it by the launcher), HOME and /tmp; nothing else of the
host: not the instructor's repository, the submissions, the output folder or the gradebook. Its environment is
built from nothing. When the bwrap process is killed, the namespace's init dies and takes every process with it.

Kernels made by the batch's fork server (forkserver.py) see the same, built inside one sandbox from this module's
command line (`BwrapSpec.uid`, `add_caps` and `scratch_bind` are the server's).

`probe()` says once per batch whether bubblewrap works here (and how to fix it when it does not); `BwrapSpec`
and `bwrap_argv()` build the command line for one kernel, so that a pool can start kernels ahead of need.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.errors import CoursekitError
from coursekit.grading.kernels.seccomp import filter_file, program, with_filter

AUTO, BUBBLEWRAP, NONE = "auto", "bubblewrap", "none"
MODES = (AUTO, BUBBLEWRAP, NONE)
HOME = "/home/student"
SANDBOX_UID = 1000
TMP_SIZE = 256 * 2**20  # HOME and /tmp, each (tmpfs: in memory, gone with the sandbox)
WORK_SIZE = 512 * 2**20  # the working folder and its parents
SHM_SIZE = 64 * 2**20  # /dev/shm, each kernel its own
SOCKETS_INSIDE = "/dev/.coursekit-sockets"  # a kernel's socket folder, as it sees it: a tmpfs of its own, reached by
# the grader through /proc/<pid>/root (short, so that the path stays within a Unix socket's 108 bytes)
SOCKETS_SIZE = 2**20  # bytes: five sockets and a connection file
INSTALL_HINT = (
    "install it: sudo apt-get install bubblewrap (Debian/Ubuntu) or sudo dnf install bubblewrap (Fedora)"
)
USERNS_HINT = (
    "unprivileged user namespaces are blocked (Ubuntu 24.04's AppArmor): install an AppArmor profile for bwrap "
    "(Ubuntu 25.04 ships one, bwrap-userns-restrict), or run "
    "sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0 (in a Docker container, its default seccomp "
    "profile blocks them too)"
)
_USERNS_SIGNS = (
    "setting up uid map",
    "RTM_NEWADDR",
    "No permissions to create",
    "No permissions to creating",
    "Creating new namespace failed",
    "unshare",
)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "fonts",
    "ssl",
    "mime.types",
    "alternatives",
)


@dataclass(frozen=True)
class BwrapSpec:
    """What one sandbox shows its kernel. Host paths are shown at the same path inside.

    `scratch`: a size-capped tmpfs inside (the parents of `work`), gone with the sandbox. `work`: the kernel's
    working folder, inside `scratch`. `inputs`: the assignment's files, read-only (the launcher copies them into
    `work`). `run`: the host folder of the connection file (with `sockets`, only that file is shown, read-only, and
    the sockets are on a tmpfs inside; without, the folder is shown writable).
    `readonly`: host paths shown read-only at the same path (Python, packages); `extra_readonly`: (host, inside).
    `home_seed`: a host folder shown read-only, copied into HOME by the kernel's launcher (the font cache).
    """

    scratch: Path
    work: Path
    inputs: Path
    run: Path
    readonly: tuple[Path, ...]
    extra_readonly: tuple[tuple[Path, Path], ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    scratch_size: int = WORK_SIZE
    tmp_size: int = TMP_SIZE
    disable_userns: bool = True
    home_seed: Path | None = None  # host folder shown read-only; the launcher copies its entries into HOME
    uid: int = SANDBOX_UID  # the user inside (the fork server is 0 of its own namespace)
    add_caps: tuple[str, ...] = ()  # capabilities kept inside (the fork server's; kernels keep none)
    scratch_bind: bool = False  # show the host's `scratch` folder writable instead of an empty tmpfs
    seccomp: Path | None = None  # a seccomp filter file (seccomp.py) installed on the sandbox's first process
    sockets: bool = False  # the kernel's sockets on a tmpfs at SOCKETS_INSIDE, and of `run` only the connection
    # file, read-only (a kernel's own sandbox); False: `run` writable (the fork server, the font cache's sandbox)


def bwrap_argv(spec: BwrapSpec, command: list[str], bwrap: str = "bwrap") -> list[str]:
    """The bwrap command line that runs `command` in the sandbox described by `spec`."""
    argv = [
        bwrap,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-net",
        "--unshare-cgroup-try",
        "--uid",
        str(spec.uid),
        "--gid",
        str(spec.uid),
        "--hostname",
        "coursekit",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    for cap in spec.add_caps:
        argv += ["--cap-add", cap]
    if spec.disable_userns:
        argv.append("--disable-userns")
    for path in SYSTEM_DIRS:
        argv += ["--ro-bind-try", path, path]
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    argv += ["--dev", "/dev", "--perms", "1777", "--size", str(SHM_SIZE), "--tmpfs", "/dev/shm", "--proc", "/proc"]
    argv += ["--perms", "1777", "--size", str(spec.tmp_size), "--tmpfs", "/tmp"]
    argv += ["--perms", "0700", "--size", str(spec.tmp_size), "--tmpfs", HOME]
    if spec.scratch_bind:
        argv += ["--bind", str(spec.scratch), str(spec.scratch)]
    else:
        argv += ["--perms", "0700", "--size", str(spec.scratch_size), "--tmpfs", str(spec.scratch)]
    for shown in spec.readonly:
        argv += ["--ro-bind", str(shown), str(shown)]
    for host, inside in spec.extra_readonly:
        argv += ["--ro-bind", str(host), str(inside)]
    argv += ["--ro-bind", str(spec.inputs), str(spec.inputs)]
    if spec.home_seed is not None:
        argv += ["--ro-bind", str(spec.home_seed), str(spec.home_seed)]
    if spec.sockets:
        connection = str(spec.run / "kernel.json")
        argv += ["--ro-bind", connection, connection]
        argv += ["--perms", "0700", "--size", str(SOCKETS_SIZE), "--tmpfs", SOCKETS_INSIDE]
    else:
        argv += ["--bind", str(spec.run), str(spec.run)]
    argv += ["--dir", str(spec.work), "--chdir", str(spec.work)]
    argv += ["--remount-ro", "/", "--clearenv"]
    for key, value in sorted(spec.env.items()):
        argv += ["--setenv", key, value]
    return with_filter([*argv, "--", *command], spec.seccomp)


def sandbox_env(extra: Mapping[str, str]) -> dict[str, str]:
    """A clean environment for the sandboxed kernel: nothing of the instructor's, plus `extra`."""
    python_bin = str(Path(sys.executable).parent)
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PYTHONNOUSERSITE": "1",
        **extra,
    }


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _kernel_import_paths(python: str) -> tuple[str, ...]:
    """Folders the kernel's Python imports from: its prefixes, sys.path and editable-install mappings."""
    code = (
        "import sys, json\n"
        "paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path]\n"
        "for name, mod in list(sys.modules.items()):\n"
        "    if name.startswith('__editable__') and hasattr(mod, 'MAPPING'):\n"
        "        paths += list(mod.MAPPING.values())\n"
        "        paths += [p for ps in getattr(mod, 'NAMESPACES', {}).values() for p in ps]\n"
        "print(json.dumps(paths))\n"
    )
    try:
        done = subprocess.run(
            [python, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        found = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        found = [sys.prefix, sys.base_prefix, *sys.path]
    return tuple(str(p) for p in found if p)


def readonly_paths(protected: Iterable[Path], python: str = sys.executable) -> tuple[Path, ...]:
    """Host paths to show read-only: what the kernel's Python needs (its installation, its venv, sys.path and
    editable installs), minus anything holding or inside a protected path, and minus what the system folders
    already show; the narrowest set (nothing inside another listed folder)."""
    guarded = [Path(p).resolve() for p in protected]
    exe = Path(python)
    candidates = [Path(t) for t in _kernel_import_paths(python)]
    candidates += [exe.parent.parent, exe.resolve().parent.parent]
    wanted: set[Path] = set()
    for path in candidates:
        if not path.is_absolute() or not path.exists():
            continue
        for shown in {path.absolute(), path.resolve()}:
            if any(_inside(shown, Path(d)) for d in SYSTEM_DIRS):
                continue
            if any(_inside(g, shown) or _inside(shown, g) for g in guarded):
                continue
            wanted.add(shown)
    kept = sorted(wanted)
    return tuple(p for p in kept if not any(q != p and _inside(p, q) for q in kept))


@dataclass(frozen=True)
class SandboxChoice:
    """The outcome of `--sandbox`: the mode used (bubblewrap or none) and, when unsandboxed, why."""

    mode: str
    reason: str = ""

    @property
    def sandboxed(self) -> bool:
        return self.mode == BUBBLEWRAP


class SandboxUnavailable(CoursekitError):
    """bubblewrap cannot run here; the message is one line with the reason and the fix."""


def diagnose(stderr: str) -> str:
    """A one-line reason, with the fix, for a failed bwrap start."""
    text = " ".join(stderr.strip().split()) or "no message"
    if any(sign.lower() in text.lower() for sign in _USERNS_SIGNS):
        return f"bubblewrap cannot create its namespaces ({text[:160]}): {USERNS_HINT}"
    return f"bubblewrap failed to start ({text[:200]})"


def probe(bwrap: str | None = None, seccomp: bool = False) -> str:
    """'' if bubblewrap works on this machine (with `seccomp`: with the seccomp filter); else one line saying why
    not and how to fix it."""
    if not sys.platform.startswith("linux"):
        return (
            f"bubblewrap needs Linux (this is {sys.platform}): grade in a Linux VM or container, or on the hub"
        )
    bwrap = bwrap or shutil.which("bwrap")
    if not bwrap:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    with tempfile.TemporaryDirectory(prefix="coursekit-probe-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        (root / "run").mkdir()
        spec = BwrapSpec(
            scratch=root / "scratch",
            work=root / "scratch" / "work",
            inputs=root / "in",
            run=root / "run",
            readonly=readonly_paths([]),
            env=sandbox_env({}),
            disable_userns=supports_disable_userns(bwrap),
            seccomp=filter_file(root) if seccomp else None,
        )
        check = "import os; open(os.path.join(os.environ['OUT'], 'ok'), 'w').write(os.getcwd())"
        argv = bwrap_argv(spec, [sys.executable, "-c", check], bwrap)
        argv[argv.index("--clearenv") + 1 : argv.index("--clearenv") + 1] = ["--setenv", "OUT", str(root / "run")]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return diagnose(str(exc))
        if done.returncode != 0 or not (root / "run" / "ok").is_file():
            return diagnose(done.stderr)
    return ""


def supports_disable_userns(bwrap: str) -> bool:
    """Whether this bwrap has --disable-userns (0.8.0 and later)."""
    try:
        text = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "--disable-userns" in text


def choose(mode: str) -> SandboxChoice:
    """Resolve `--sandbox`: auto probes and falls back to none with a reason; bubblewrap raises
    SandboxUnavailable when it cannot work; none is none."""
    if mode not in MODES:
        raise CoursekitError(f"unknown sandbox mode {mode!r}: use one of {', '.join(MODES)}")
    if mode == NONE:
        return SandboxChoice(NONE, "--sandbox none was given")
    problem = probe()
    if not problem:
        return SandboxChoice(BUBBLEWRAP)
    if mode == BUBBLEWRAP:
        raise SandboxUnavailable(problem)
    return SandboxChoice(NONE, problem)


@dataclass(frozen=True)
class Containment:
    """How a batch's kernels are contained: the choice made, and for bubblewrap what every sandbox shows."""

    choice: SandboxChoice
    readonly: tuple[Path, ...] = ()
    data_dir: Path | None = None
    scratch_size: int = WORK_SIZE
    disable_userns: bool = True
    seccomp: bool = False  # the sandboxes install the seccomp filter (seccomp.py)

    @property
    def sandboxed(self) -> bool:
        return self.choice.sandboxed


def containment(
    mode: str, protected: Iterable[Path], data_dir: Path | None = None, scratch_size: int = WORK_SIZE
) -> Containment:
    """Resolve `--sandbox` once for a batch (see `choose`); `protected`: host paths no sandbox may show."""
    choice = choose(mode)
    if not choice.sandboxed:
        return Containment(choice)
    bwrap = shutil.which("bwrap") or "bwrap"
    shown = readonly_paths(protected)
    for python in (Path(sys.executable).resolve(), Path(sys.prefix).resolve()):
        if not any(_inside(python, p.resolve()) for p in shown) and not any(
            _inside(python, Path(d)) for d in SYSTEM_DIRS
        ):
            raise SandboxUnavailable(
                f"the kernel's Python ({python}) is inside a folder the sandbox must hide (the submissions, the "
                "output folder or the assignment's source): use a virtual environment outside those folders"
            )
    seccomp = program() is not None and not probe(bwrap, seccomp=True)
    return Containment(choice, shown, data_dir, scratch_size, supports_disable_userns(bwrap), seccomp)


def box_spec(
    box: Containment, scratch: Path, work: Path, inputs: Path, run: Path, data_parent: Path
) -> tuple[BwrapSpec, Path | None]:
    """The BwrapSpec of a sandbox as `box` says, with these folders, the data folder shown at `data_parent`/data;
    (the spec, where the kernel finds the data folder or None)."""
    extra: tuple[tuple[Path, Path], ...] = ()
    data_at = None
    if box.data_dir is not None:
        data_at = data_parent / "data"
        extra = ((Path(box.data_dir), data_at),)
    spec = BwrapSpec(
        scratch=scratch,
        work=work,
        inputs=inputs,
        run=run,
        readonly=box.readonly,
        extra_readonly=extra,
        scratch_size=box.scratch_size,
        disable_userns=box.disable_userns,
        seccomp=filter_file(scratch) if box.seccomp else None,
    )
    return spec, data_at


def sandbox_folder(
    base: Path, files: Iterable[tuple[Path, str]], box: Containment
) -> tuple[Path, BwrapSpec, Path | None]:
    """A fresh host folder under `base` for one sandboxed kernel: `inputs/` (copies of the assignment's files)
    and `run/` (its sockets). Returns (root, spec, where the kernel finds the data folder or None). Inside, `base`
    is a private tmpfs holding `root/work`. The spec's environment is the kernel's to fill (spec.py)."""
    root = Path(tempfile.mkdtemp(prefix="sub-", dir=base))
    inputs, run = root / "inputs", root / "run"
    inputs.mkdir()
    run.mkdir()
    for path, name in files:
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, inputs / name)
    spec, data_at = box_spec(box, Path(base), root / "work", inputs, run, root)
    return root, spec, data_at
