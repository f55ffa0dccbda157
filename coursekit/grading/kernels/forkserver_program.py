"""The fork server's own program (forkserver.py starts it inside one bubblewrap sandbox as
`python -m coursekit.grading.kernels.forkserver_program SEED`).

It imports ipykernel and the assignment's modules once, then serves one kernel per request, each a fork of itself
in namespaces of its own. It runs on the Python standard library alone, and of coursekit imports only limits.py
(standard library too); every kernel forgets both (`_forget_tools`).

Per request (a JSON line on stdin), three processes:

1. the *keeper*, forked in the server's PID namespace: it makes new mount, PID, network, IPC and UTS namespaces
   and waits for the next one; the server kills it to end the kernel (everything below dies with it);
2. *init*, PID 1 of the new PID namespace: it mounts a fresh /proc, a fresh size-capped /tmp, HOME and scratch
   folder (hiding every other kernel's folders), a small tmpfs for the kernel's sockets and connection file,
   brings in the data folder and the request's `keep` folders (Python or the kit when they live under /tmp or
   HOME on the host), read-only, copies the assignment's files and the font cache, forks the kernel, drops every capability and
   reaps until the kernel ends;
3. the *kernel*, PID 2: it enters a user namespace of its own where it is uid 1000 and may create no further user
   namespace, lowers its resource limits, drops every capability, sets no_new_privs, and becomes an IPython
   kernel (ipykernel's `launch_new_instance`) with the environment and arguments of a freshly started kernel.

A request with "probe" does every step and exits instead of starting ipykernel (the server's trial at start).
Its first line on stdin is the imports ('module:name,name;module:'); it answers with JSON lines on stdout:
{"ready": imports failed} once, then per request {"id", "started": pid},
{"id", "up": true} when the kernel is about to start, {"id", "error": text} if its set-up failed, and
{"id", "exited": status} when its keeper ended.
"""

import os
import sys

_STARTUP = set(sys.modules)


def _copy_tree(source: str, target: str) -> None:
    """Copy the files under `source` into `target` (os only: the server imports nothing a kernel would not)."""
    for folder, _dirs, files in os.walk(source):
        inside = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(inside, exist_ok=True)
        for name in files:
            with open(os.path.join(folder, name), "rb") as src, open(os.path.join(inside, name), "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)


if __name__ == "__main__":
    _ENV_BEFORE = dict(os.environ)
    _SEED = sys.argv[1]
    # The imports come as the first line on stdin, not on the command line: every kernel's PID 1 is a fork of this
    # process, and its /proc/1/cmdline would show them (they are read from the solution notebook).
    _LINE = b""
    while not _LINE.endswith(b"\n"):
        _BYTE = os.read(0, 1)
        if not _BYTE:
            break
        _LINE += _BYTE
    _IMPORTS = _LINE.decode().strip()
    if _SEED:
        for _name in os.listdir(_SEED):
            _copy_tree(os.path.join(_SEED, _name), os.path.join(os.path.expanduser("~"), _name))
    import resource  # noqa: F401 - as launch.py, which sets the limits with it (limits.py)
    import shutil  # noqa: F401 - as launch.py, which copies the inputs with it

    import ipykernel.debugger  # noqa: F401 - what every kernel imports as it starts (debugpy: 0.09 s of its 0.14 s)
    import ipykernel.kernelapp  # noqa: F401 - what every kernel imports first

    from coursekit.grading.kernels.preimport import decode, import_all  # forgotten by every kernel

    _FAILED = import_all(decode(_IMPORTS))
    _KERNEL_MODULES = set(sys.modules)
    # What the imports put in the environment (e.g. debugpy's PYDEVD_USE_FRAME_EVAL): a kernel that imported
    # them itself would have it too.
    _ENV_FROM_IMPORTS = {k: v for k, v in os.environ.items() if _ENV_BEFORE.get(k) != v}

import ctypes  # noqa: E402 - the server's own tools, imported after the kernel's modules (see _forget_tools)
import json  # noqa: E402
import selectors  # noqa: E402
import signal  # noqa: E402

from coursekit.grading.kernels.limits import set_limits  # noqa: E402 - as launch.py

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class SetupError(Exception):
    """A step of a kernel's set-up failed; the message names it."""


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SetupError(f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags: int, data=None, what: str = "") -> None:
    enc = [None if v is None else str(v).encode() for v in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), what or f"mount {target}")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), what)


def _write(path: str, text: str) -> None:
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
    except OSError as exc:
        raise SetupError(f"write {path}: {exc.strerror}") from None


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """No capability left in any set (bounding, ambient, effective, permitted, inheritable), and no_new_privs."""
    _prctl(PR_SET_NO_NEW_PRIVS, 1, "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap, f"drop capability {cap} from the bounding set")
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, "clear ambient capabilities")
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _stage(request: dict) -> dict:
    """Bind what the kernel keeps (the data) or copies (inputs, font cache) into a folder of the
    server's HOME, before the fresh /tmp and scratch folder hide where they are."""
    stage = os.path.join(request["home"], ".coursekit-stage-" + request["id"])
    os.makedirs(stage)
    staged = {"": stage}
    sources = [(key, request.get(key)) for key in ("data", "inputs", "seed")]
    sources += [(f"keep{i}", path) for i, path in enumerate(request.get("keep", []))]
    for key, source in sources:
        if source:
            staged[key] = os.path.join(stage, key)
            os.mkdir(staged[key])
            _mount(source, staged[key], None, MS_BIND | MS_REC, what=f"bind {source}")
    return staged


def _read_only(target: str) -> None:
    """Make the bind mount at `target` read-only (it already is if the remount is refused for a locked flag)."""
    try:
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, what=f"{target} read-only")
    except SetupError:
        if not os.statvfs(target).f_flag & os.ST_RDONLY:
            raise


def _place(staged: str, target: str) -> None:
    """Move a staged bind mount to `target`, read-only."""
    os.makedirs(target, exist_ok=True)
    _mount(staged, target, None, MS_MOVE, what=f"move {target}")
    _read_only(target)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def build_filesystem(request: dict) -> None:
    """In init, in the new mount and PID namespaces: what the kernel sees (see the module's docstring)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE, what="make mounts private")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, what="mount /proc")
    staged = _stage(request)
    tmp_opts = f"size={request['tmp_size']}"
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"{tmp_opts},mode=1777", "mount /tmp")
    # /dev: the server's (bwrap's) is one writable tmpfs for the whole batch. Each kernel gets a fresh, size-capped
    # /dev/shm of its own, and the rest of /dev read-only (its device nodes are bind mounts: they still work).
    os.makedirs("/dev/shm", exist_ok=True)
    shm = f"size={request.get('shm_size', 64 * 2**20)},mode=1777"
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, shm, "mount /dev/shm")
    # The socket folder: a small tmpfs of the kernel's own in /dev (the grader reaches it through /proc/<keeper>/root),
    # holding the connection file; nothing the kernel writes there reaches the host's disk. Its mount point is made
    # once in the batch's /dev; each kernel mounts its own tmpfs on it, in its own mount namespace.
    sockets = request["sockets"]
    os.makedirs(sockets, exist_ok=True)
    _mount("tmpfs", sockets, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={request['sockets_size']},mode=0700")
    if request.get("connection"):
        with open(os.path.join(sockets, "kernel.json"), "w") as f:
            f.write(request["connection"])
    _mount(None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, what="/dev read-only")
    # Folders the kernel needs (the Python installation, the kit's packages) that live under /tmp or HOME on the
    # host (a checkout in /tmp): shown again on top of the fresh /tmp now, and of the fresh HOME below.
    keep = {f"keep{i}": path for i, path in enumerate(request.get("keep", []))}
    held = {}
    for key, path in keep.items():
        if _under(path, "/tmp"):
            _place(staged.pop(key), path)
        else:
            held[path] = f"/tmp/.coursekit-hold-{key}"
            os.mkdir(held[path])
            _mount(staged.pop(key), held[path], None, MS_MOVE, what=f"hold {path}")
    scratch = request["scratch"]
    os.makedirs(scratch, exist_ok=True)
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={request['scratch_size']},mode=0700")
    if "data" in staged:
        _place(staged.pop("data"), request["data_at"])
    os.makedirs(request["work"])
    if "inputs" in staged:
        _copy_tree(staged["inputs"], request["work"])
        _check(_libc.umount2(staged.pop("inputs").encode(), MNT_DETACH), "unmount the staged inputs")
    seed = ""
    if "seed" in staged:
        seed = "/tmp/.coursekit-seed"
        os.mkdir(seed)
        _mount(staged.pop("seed"), seed, None, MS_MOVE, what="move the font cache")
    stage = staged.pop("")
    for name in os.listdir(stage):
        os.rmdir(os.path.join(stage, name))
    os.rmdir(stage)
    _mount("tmpfs", request["home"], "tmpfs", MS_NOSUID | MS_NODEV, f"{tmp_opts},mode=0700", "mount HOME")
    for path, hold in held.items():
        _place(hold, path)
        os.rmdir(hold)
    if seed:
        for name in os.listdir(seed):
            _copy_tree(os.path.join(seed, name), os.path.join(request["home"], name))
        _check(_libc.umount2(seed.encode(), MNT_DETACH), "unmount the font cache")
        os.rmdir(seed)


def enter_user_namespace(uid: int, no_userns: bool) -> None:
    """Become `uid` in a user namespace of our own (mapped to the sandbox's root); with `no_userns`, nothing in
    it may create another user namespace."""
    _check(_libc.unshare(CLONE_NEWUSER), "new user namespace")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} 0 1")
    _write("/proc/self/gid_map", f"{uid} 0 1")
    if no_userns:
        _write("/proc/sys/user/max_user_namespaces", "0")


def _forget_tools() -> None:
    """Drop from sys.modules what only the server imported, and coursekit's modules that `python -m` loaded, so
    the kernel's modules are a fresh kernel's (launch.py forgets the same)."""
    for name in set(sys.modules) - _KERNEL_MODULES:
        if name not in _STARTUP:
            del sys.modules[name]
    for name in [n for n in sys.modules if n == "coursekit" or n.startswith("coursekit.")]:
        del sys.modules[name]


def _reseed() -> None:
    """Modules seeded at import would repeat the server's state in every kernel: seed them afresh (the standard
    library's `random` does this itself after a fork)."""
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def become_kernel(request: dict, status_fd: int) -> None:
    """In the kernel's process: the user namespace, limits and capabilities, then ipykernel (never returns)."""
    enter_user_namespace(request["uid"], request["no_userns"])
    os.setsid()
    set_limits(request["memory"], request["file_size"], request.get("processes", 0))
    drop_capabilities()
    if os.getuid() != request["uid"]:
        raise SetupError(f"the kernel runs as uid {os.getuid()}, not {request['uid']}")
    os.chdir(request["work"])
    if request.get("probe"):  # the server's first request: every step above works here; no kernel
        os.write(status_fd, b"up")
        os._exit(0)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(_ENV_FROM_IMPORTS)
    sys.argv = [os.path.join(os.path.dirname(__file__), "launch.py"), *request["argv"]]  # as launch.py has it
    os.write(status_fd, b"up")
    os.close(status_fd)
    _forget_tools()
    _reseed()
    for _name in ("_IMPORTS", "_LINE", "_BYTE", "_FAILED"):  # what the server was asked to import: not the kernel's
        globals().pop(_name, None)
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


def _reset_process(keep: tuple[int, ...]) -> None:
    """After a fork from the server: Python's own signal handling back (the server's SIGCHLD handler out), no
    wakeup fd, stdin and stdout on /dev/null."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    for fd in os.listdir("/proc/self/fd"):
        if int(fd) > 2 and int(fd) not in keep:
            try:
                os.close(int(fd))
            except OSError:
                pass


def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent ends; exit now if it already has (`parent`: its pid as seen here, 0 when it
    lives outside our PID namespace)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, "die with the parent")
    if os.getppid() != parent:
        os._exit(1)


def run_init(request: dict, status_fd: int) -> None:
    """PID 1 of the kernel's namespace: build its filesystem, fork the kernel, drop everything, reap (never
    returns)."""
    try:
        build_filesystem(request)
    except (SetupError, OSError) as exc:
        os.write(status_fd, f"error: {exc}".encode())
        os._exit(3)
    kernel = os.fork()
    if kernel == 0:
        try:
            _die_with_parent(1)
            become_kernel(request, status_fd)
        except BaseException as exc:  # noqa: BLE001 - told to the grader, which reports it
            os.write(status_fd, f"error: {type(exc).__name__}: {exc}".encode())
        os._exit(3)
    os.close(status_fd)
    try:
        _prctl(PR_SET_DUMPABLE, 0, "not dumpable")
        drop_capabilities()
    except SetupError:
        os.kill(kernel, signal.SIGKILL)
        os._exit(3)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def run_keeper(request: dict, status_fd: int, server: int) -> None:
    """The keeper: new namespaces, then init in them; waits for it (never returns)."""
    try:
        _die_with_parent(server)
        flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
        _check(_libc.unshare(flags), "new namespaces")
    except SetupError as exc:
        os.write(status_fd, f"error: {exc}".encode())
        os._exit(3)
    init = os.fork()
    if init == 0:
        _die_with_parent(0)  # the keeper is outside the new PID namespace
        run_init(request, status_fd)
    os.close(status_fd)
    _, status = os.waitpid(init, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


class Server:
    """The server's loop: requests on stdin, kernels' set-up news on status pipes, their ends on SIGCHLD."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.keepers: dict[int, str] = {}  # keeper pid -> request id
        self.by_id: dict[str, int] = {}
        self.buffer = b""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.selector.register(0, selectors.EVENT_READ, "stdin")
        self.selector.register(self.wake_r, selectors.EVENT_READ, "wake")

    def say(self, **message) -> None:
        os.write(1, (json.dumps(message) + "\n").encode())

    def spawn(self, request: dict) -> None:
        status_r, status_w = os.pipe()
        server = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(status_r)
                _reset_process(keep=(2, status_w))
                run_keeper(request, status_w, server)
            finally:
                os._exit(3)
        os.close(status_w)
        self.keepers[pid] = request["id"]
        self.by_id[request["id"]] = pid
        self.selector.register(status_r, selectors.EVENT_READ, ("status", request["id"]))
        self.say(id=request["id"], started=pid)

    def status(self, fd: int, ident: str) -> None:
        data = b""
        try:
            data = os.read(fd, 4096)
        except OSError:
            pass
        self.selector.unregister(fd)
        os.close(fd)
        text = data.decode(errors="replace")
        if text == "up":
            self.say(id=ident, up=True)
        else:
            self.say(id=ident, error=text[len("error: ") :] if text.startswith("error: ") else "set-up ended early")

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            ident = self.keepers.pop(pid, None)
            if ident is not None:
                self.by_id.pop(ident, None)
                self.say(id=ident, exited=os.waitstatus_to_exitcode(status))

    def handle(self, line: bytes) -> None:
        request = json.loads(line)
        if "kill" in request:
            pid = self.by_id.get(request["kill"])
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return
        self.spawn(request)

    def serve(self) -> None:
        self.say(ready=_FAILED)
        while True:
            for key, _ in self.selector.select():
                if key.data == "wake":
                    os.read(self.wake_r, 4096)
                    self.reap()
                elif key.data == "stdin":
                    chunk = os.read(0, 1 << 16)
                    if not chunk:
                        for pid in list(self.keepers):
                            os.kill(pid, signal.SIGKILL)
                        return
                    self.buffer += chunk
                    while b"\n" in self.buffer:
                        line, self.buffer = self.buffer.split(b"\n", 1)
                        if line.strip():
                            self.handle(line)
                else:
                    self.status(key.fd, key.data[1])


if __name__ == "__main__":
    Server().serve()
