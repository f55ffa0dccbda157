"""Execute notebooks in a Jupyter kernel and store their outputs, reproducibly."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path

import zmq
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from traitlets.config import Config

from coursekit.cells import cell_label
from coursekit.errors import CoursekitError, NotebookExecutionError
from coursekit.notebook_io import notebook_text, read_notebook, write_if_changed

KERNEL_NAME = "python3"
CELL_TIMEOUT = 120
KERNEL_ENV = {"PYTHONHASHSEED": "0", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def find_notebooks(paths: Iterable[Path]) -> list[Path]:
    """The notebooks named, or found under the named folders (skipping .ipynb_checkpoints), in order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            )
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        else:
            raise CoursekitError(f"{path}: not a notebook or a folder")
    return list(dict.fromkeys(found))


def kernel_env() -> dict[str, str]:
    """The environment for the kernel: ours, with a fixed hash seed and the inline plot backend."""
    return {**os.environ, **KERNEL_ENV}


def kernel_config() -> Config:
    """Kernel manager settings: encrypt the kernel's sockets when pyzmq can (this also silences
    ipykernel's warning about plain TCP)."""
    if zmq.has("curve"):
        return Config({"KernelManager": {"transport_encryption": "auto"}})
    return Config()


def execute_notebook(
    nb: NotebookNode,
    cwd: Path,
    *,
    name: str = "notebook",
    timeout: int = CELL_TIMEOUT,
    allow_errors: bool = False,
) -> NotebookNode:
    """An executed copy of `nb`, run in a fresh python3 kernel started in `cwd`. Unless `allow_errors`,
    the first error in a cell not tagged `raises-exception`, a timeout or a dead kernel raises
    NotebookExecutionError naming `name` and the cell."""
    nb = copy.deepcopy(nb)
    current = {"index": -1}

    def remember(cell: NotebookNode, cell_index: int, **_: object) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        allow_errors=allow_errors,
        interrupt_on_timeout=False,
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_execute=remember,
        config=kernel_config(),
    )

    def where() -> str:
        index = current["index"]
        return cell_label(nb.cells[index], index) if index >= 0 else "kernel start"

    try:
        client.execute(env=kernel_env())
    except CellTimeoutError:
        raise NotebookExecutionError(f"{name}: {where()}: timed out after {timeout} s") from None
    except CellExecutionError as exc:
        raise NotebookExecutionError(f"{name}: {where()}: {exc.ename}: {exc.evalue}") from None
    except NoSuchKernel:
        raise NotebookExecutionError(f"{name}: no Jupyter kernel named {KERNEL_NAME!r}") from None
    except DeadKernelError:
        raise NotebookExecutionError(f"{name}: {where()}: the kernel died") from None
    return nb


def execute_file(path: Path, timeout: int = CELL_TIMEOUT) -> bool:
    """Execute a notebook file in its own folder and store the outputs in place; True if it changed.
    On error the file is left untouched."""
    path = Path(path)
    nb = read_notebook(path)
    executed = coalesce_streams(execute_notebook(nb, path.resolve().parent, name=str(path), timeout=timeout))
    return write_if_changed(path, notebook_text(executed).encode("utf-8"))


def coalesce_streams(nb: NotebookNode) -> NotebookNode:
    """Merge consecutive stdout (or stderr) outputs of a cell into one, as Jupyter shows them.

    How a kernel batches printed text into messages varies from run to run; merging keeps stored outputs
    the same across runs. Changes `nb` in place and returns it.
    """
    for cell in nb.cells:
        merged: list[NotebookNode] = []
        for output in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (output.get("output_type") == "stream" and previous is not None
                    and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
                previous["text"] = "".join(previous["text"]) + "".join(output["text"])
            else:
                merged.append(output)
        if "outputs" in cell:
            cell["outputs"] = merged
    return nb
