"""A seccomp filter for the grading sandboxes: system calls a kernel never needs are refused (EPERM).

bubblewrap installs it (`--seccomp FD`) on the sandbox's first process, and every process of the sandbox inherits
it: the fork server, and each kernel and its children. It refuses the kernel keyring (`keyctl`, `add_key`,
`request_key`: the keyring is not namespaced, so a kernel could read, change and add keys of the instructor's
session), anonymous memory files (`memfd_create`: memory no size-capped folder holds and the memory watch does not
see), and calls for loading kernel code, BPF programs, performance counters, user-fault handlers, swap,
accounting, reboot and port I/O. System calls of another ABI (32-bit x86, x32) are refused with ENOSYS.

The filter is a small classic-BPF program generated here (no library: libseccomp's Python bindings are not on
PyPI): check the architecture, load the system call number, compare it with each refused number. Numbers are the
kernel's, for x86_64 and aarch64; on another architecture, or with a bubblewrap that cannot install it
(`sandbox.containment` tries it once per batch), there is no filter.
"""

from __future__ import annotations

import os
import platform
import struct
from pathlib import Path

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
EPERM, ENOSYS = 1, 38
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
NR_OFFSET, ARCH_OFFSET = 0, 4

# System call numbers (linux/arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h).
REFUSED: dict[str, dict[str, int]] = {
    "x86_64": {
        "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
        "userfaultfd": 323, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "acct": 163, "swapon": 167, "swapoff": 168, "reboot": 169, "iopl": 172,
        "ioperm": 173, "open_by_handle_at": 304, "lookup_dcookie": 212, "quotactl": 179, "syslog": 103,
        "memfd_create": 319,
    },
    "aarch64": {
        "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
        "userfaultfd": 282, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "acct": 89, "swapon": 224, "swapoff": 225, "reboot": 142,
        "open_by_handle_at": 265, "lookup_dcookie": 18, "quotactl": 60, "syslog": 116, "memfd_create": 279,
    },
}
FILE_NAME = "seccomp.bpf"


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter (struct sock_filter[]) for this machine's architecture, or None where there is none."""
    machine = machine or platform.machine()
    if machine not in REFUSED:
        return None
    numbers = sorted(REFUSED[machine].values())
    x32 = machine == "x86_64"
    # layout: arch check, load nr, [x32 check], one jeq per number, allow, refuse (EPERM), other ABI (ENOSYS)
    body = len(numbers) + (1 if x32 else 0)
    code = [
        _insn(LD_W_ABS, 0, 0, ARCH_OFFSET),
        _insn(JEQ_K, 0, body + 3, AUDIT_ARCH[machine]),  # not this ABI: to the ENOSYS return
        _insn(LD_W_ABS, 0, 0, NR_OFFSET),
    ]
    if x32:
        code.append(_insn(JGE_K, len(numbers) + 2, 0, X32_SYSCALL_BIT))  # an x32 call: ENOSYS
    for i, number in enumerate(numbers):
        code.append(_insn(JEQ_K, len(numbers) - i, 0, number))  # to the EPERM return
    code += [_insn(RET_K, 0, 0, RET_ALLOW), _insn(RET_K, 0, 0, RET_ERRNO | EPERM), _insn(RET_K, 0, 0, RET_ERRNO | ENOSYS)]
    return b"".join(code)


def filter_file(folder: Path) -> Path | None:
    """The filter written to `folder` (the batch's own folder, which no sandbox shows), or None without one."""
    code = program()
    if code is None:
        return None
    path = Path(folder) / FILE_NAME
    if not path.is_file() or path.read_bytes() != code:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(code)
    return path


SHELL_FD = 9  # a single digit: dash (/bin/sh on Debian) reads no higher descriptor in a redirection


def with_filter(argv: list[str], path: Path | None) -> list[str]:
    """A bwrap command line that reads the filter from `path` (opened by a shell as fd 9, so that any way of
    starting it works): `sh -c 'exec "$@" 9<"$0"' path bwrap ... --seccomp 9 ...`."""
    if path is None:
        return argv
    bwrap, rest = argv[0], argv[1:]
    return ["/bin/sh", "-c", f'exec "$@" {SHELL_FD}<"$0"', str(path), bwrap, "--seccomp", str(SHELL_FD), *rest]
