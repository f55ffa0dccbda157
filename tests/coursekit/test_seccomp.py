"""The seccomp filter (coursekit/grading/kernels/seccomp.py), run on a small classic-BPF interpreter: the refused system
calls get EPERM, every other call of the native ABI is allowed, other ABIs get ENOSYS. That it holds in a sandboxed
kernel (the keyring refused there, read and written without it) is test_sandbox_hostile.py's `keyring`."""

from __future__ import annotations

import struct

import pytest

from coursekit.grading.kernels.sandbox import BwrapSpec, bwrap_argv
from coursekit.grading.kernels.seccomp import AUDIT_ARCH, REFUSED, program, with_filter

ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050001, 0x00050026


def _run(code: bytes, nr: int, arch: int) -> int:
    """What the filter returns for system call `nr` of ABI `arch` (the four instructions it uses)."""
    insns = [struct.unpack("=HBBI", code[i : i + 8]) for i in range(0, len(code), 8)]
    pc, acc = 0, 0
    for _ in range(len(insns) + 1):
        op, jt, jf, k = insns[pc]
        if op == 0x20:
            acc, pc = (arch if k == 4 else nr), pc + 1
        elif op == 0x15:
            pc += 1 + (jt if acc == k else jf)
        elif op == 0x35:
            pc += 1 + (jt if acc >= k else jf)
        elif op == 0x06:
            return k
    raise AssertionError("the program did not return")


@pytest.mark.parametrize("machine", sorted(REFUSED))
def test_the_refused_calls_get_eperm_and_every_other_call_runs(machine):
    code = program(machine)
    arch = AUDIT_ARCH[machine]
    assert {name: _run(code, nr, arch) for name, nr in REFUSED[machine].items()} == dict.fromkeys(
        REFUSED[machine], EPERM
    )
    refused = set(REFUSED[machine].values())
    assert all(_run(code, nr, arch) == ALLOW for nr in range(600) if nr not in refused)
    assert _run(code, 250, 0x40000003) == ENOSYS  # i386's ABI
    if machine == "x86_64":
        assert _run(code, 0x40000000 + 250, arch) == ENOSYS  # x32's


def test_no_filter_where_the_numbers_are_unknown():
    assert program("riscv64") is None


def test_bwrap_reads_the_filter_from_a_descriptor_a_shell_opens(tmp_path):
    spec = BwrapSpec(tmp_path, tmp_path / "w", tmp_path / "i", tmp_path / "r", (), seccomp=tmp_path / "f.bpf")
    argv = bwrap_argv(spec, ["python3"], "bwrap")
    assert argv[:7] == ["/bin/sh", "-c", 'exec "$@" 9<"$0"', str(tmp_path / "f.bpf"), "bwrap", "--seccomp", "9"]
    assert with_filter(["bwrap", "--x"], None) == ["bwrap", "--x"]
