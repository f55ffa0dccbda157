"""The resource limits a grading kernel sets on itself before ipykernel loads, by whichever launcher started it
(`launch.py` for a kernel of its own, `forkserver_program.py` for a forked one). Standard library only: it runs
inside the sandbox, before anything else is imported."""

from __future__ import annotations

import resource


def set_limits(memory: int, file_size: int, processes: int = 0) -> None:
    """Lower the address space (`memory`), the size of any file written (`file_size`) and the processes of the
    kernel's user (`processes`; counted in its own user namespace when sandboxed) to the values given, never above
    a hard limit already set (0: leave that limit alone); no core dumps."""
    wanted = ((resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, file_size), (resource.RLIMIT_NPROC, processes))
    for limit, value in wanted:
        if value > 0:
            _soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, value if hard == resource.RLIM_INFINITY else hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
