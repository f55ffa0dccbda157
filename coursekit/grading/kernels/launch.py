"""The launcher of a grading kernel started as its own process (plain, or in bubblewrap):

    python -m coursekit.grading.kernels.launch MEMORY FILE_SIZE PROCESSES INPUTS SEED -- IPYKERNEL_ARGS...

It lowers its own resource limits (limits.py), copies the assignment's files (`INPUTS`, a folder, or '') into the
working folder and the font cache (`SEED`, a folder, or '') into HOME, forgets its own modules, and becomes an
IPython kernel with `IPYKERNEL_ARGS`. Standard library only until ipykernel.
"""

from __future__ import annotations

import os
import shutil
import sys

from coursekit.grading.kernels.limits import set_limits

SEPARATOR = "--"


def parse(argv: list[str]) -> tuple[tuple[int, int, int], str, str, list[str]]:
    """(limits, inputs, seed, ipykernel's arguments) from the launcher's command line; ValueError when malformed."""
    if SEPARATOR not in argv or argv.index(SEPARATOR) != 5:
        raise ValueError("usage: launch MEMORY FILE_SIZE PROCESSES INPUTS SEED -- IPYKERNEL_ARGS...")
    memory, file_size, processes = (int(v) for v in argv[:3])
    return (memory, file_size, processes), argv[3], argv[4], argv[6:]


def forget_launcher() -> None:
    """Drop the launcher's own modules from sys.modules: the kernel's modules are those of any fresh kernel."""
    for name in [n for n in sys.modules if n == "coursekit" or n.startswith("coursekit.")]:
        del sys.modules[name]


def main(argv: list[str]) -> None:
    """Limits, files, then ipykernel (never returns while the kernel runs)."""
    (memory, file_size, processes), inputs, seed, kernel_args = parse(argv)
    set_limits(memory, file_size, processes)
    if inputs:
        shutil.copytree(inputs, ".", dirs_exist_ok=True)
    if seed:
        for name in os.listdir(seed):
            shutil.copytree(os.path.join(seed, name), os.path.join(os.path.expanduser("~"), name), dirs_exist_ok=True)
    sys.argv = [sys.argv[0], *kernel_args]
    forget_launcher()
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main(sys.argv[1:])
