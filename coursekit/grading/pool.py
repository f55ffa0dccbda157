"""A warm pool of grading kernels: kernels are started ahead of need, each in its own sandbox, with the modules the
assignment imports already imported, so that a submission waits only for its own cells. Which kind of kernel
(forked from the batch's fork server, which did the imports once, or started, then given the imports with
`preimport`) is chosen in kernels/providers.py.

- `assignment_imports` reads what to pre-import from the assignment's source notebook: the top-level `import` and
  `from ... import` statements of its code cells (parsed with `ast`; nothing is hard-coded).
- `preimport` imports them in a started kernel, silently: evaluated as a user expression (no input or AST
  transformer sees it, nothing is stored in `In`/`Out`, the execution count does not move, no name is bound).
  It runs before the clean room puts its code in the kernel (steps.take_kernels does that after taking a slot).
- `WarmPool` keeps `ahead` slots (a kernel, and the clean room's checker: slot.py) starting or ready beyond those in
  use, and never starts more than the batch needs. Each serves one submission and is destroyed after it; a kernel
  waiting in the pool holds the assignment's files only, never anything of a submission.
- `prepare_batch` does once per batch what every kernel would otherwise do again: compile the bytecode of the
  assignment's own packages outside the sandbox (the repository is read-only inside, so each kernel would
  compile them from source), and, for sandboxed kernels, build matplotlib's font cache once inside a sandbox
  like theirs; each kernel then starts with a copy of it in its HOME.
"""

from __future__ import annotations

import ast
import asyncio
import compileall
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from nbformat import NotebookNode

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.kernels.preimport import MODULE as PREIMPORT_MODULE
from coursekit.grading.kernels.sandbox import BwrapSpec, Containment, bwrap_argv, sandbox_folder
from coursekit.grading.kernels.spec import Imports, KernelSpec

if TYPE_CHECKING:
    from coursekit.grading.kernels.protocol import Kernel

PREIMPORT_TIMEOUT = 120.0
PREPARE_TIMEOUT = 180.0
WARM_RSS = 300 * 2**20  # a waiting kernel with pandas and matplotlib imported uses about 150-250 MB



def _python_source(source: str) -> str:
    """A cell's source as plain Python (IPython's magics and shell escapes turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython missing or the cell unreadable: parse it as it is
        return source


def assignment_imports(nb: NotebookNode) -> Imports:
    """The modules the notebook's code cells import at their top level, in order, each once, with the names a
    `from ... import` takes (a name may be a submodule). Relative imports, `__future__` and imports inside
    functions, conditions or `try` blocks are left out (they may not run); cells that do not parse are skipped."""
    found: dict[str, list[str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        try:
            tree = ast.parse(_python_source(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, [])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "__future__":
                    continue
                names = found.setdefault(node.module, [])
                names += [a.name for a in node.names if a.name != "*" and a.name not in names]
    return tuple((module, tuple(names)) for module, names in found.items())


def preimport_expression(imports: Imports) -> str:
    """A user expression that imports `imports` in the kernel (kernels/preimport.py) and evaluates to a JSON text
    {"failed": [...], "seconds": s}; it binds no name in the user's namespace."""
    wanted = [[module, list(names)] for module, names in imports]
    before = "set(__import__('sys').modules)"  # evaluated first: what was loaded before this module
    return f"(lambda b: __import__({PREIMPORT_MODULE!r}, fromlist=['silently']).silently({wanted!r}, b))({before})"


async def preimport(kernel: Kernel, imports: Imports, timeout: float = PREIMPORT_TIMEOUT) -> dict:
    """Import `imports` in `kernel` silently (see the module's docstring); the kernel's answer, or
    {"failed": ["no answer"]} when it gave none in time (the kernel is then interrupted) or died."""
    from coursekit.grading.run import evaluate

    if not imports:
        return {"failed": [], "seconds": 0.0}
    value = await evaluate(kernel, preimport_expression(imports), timeout)
    if value is None:
        return {"failed": ["no answer"]}
    try:
        return json.loads(ast.literal_eval(value["data"]["text/plain"]))
    except (KeyError, ValueError, SyntaxError, TypeError):
        return {"failed": [f"no answer ({value.get('ename', 'unreadable')})"]}


async def settle(kernel: Kernel, timeout: float = 10.0) -> None:
    """Wait until the kernel is idle again after silent requests, and drop their messages, so that the first
    cell of the submission starts from empty channels."""
    from queue import Empty

    msg_id = kernel.kc.kernel_info()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await kernel.kc.get_shell_msg(timeout=min(1.0, left))
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            break
    while True:
        try:
            await kernel.kc.get_iopub_msg(timeout=0.05)
        except Empty:
            return


def pool_ahead(jobs: int, memory_cap: int, available: int | None = None) -> int:
    """How many kernels to keep starting or ready beyond the `jobs` in use: one per job, fewer when the memory
    left after the running kernels' caps cannot hold them (at least one, as before the pool)."""
    jobs = max(1, jobs)
    available = available_memory() if available is None else available
    if available <= 0:
        return 1
    spare = available - jobs * memory_cap if memory_cap > 0 else available
    return max(1, min(jobs, spare // WARM_RSS))


def available_memory() -> int:
    """Bytes of memory available now (Linux's MemAvailable), or 0 when unknown."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


T = TypeVar("T")


class WarmPool(Generic[T]):
    """Kernels started ahead of need by `factory`, handed out oldest first; at most `total` are ever started
    (the batch's size), and `ahead` beyond those handed out and not yet given back are kept starting or ready."""

    def __init__(self, factory: Callable[[], Awaitable[T]], ahead: int, total: int) -> None:
        self.factory = factory
        self.ahead = max(0, ahead)
        self.left = total
        self.waiting: deque[asyncio.Task[T]] = deque()

    def _top_up(self) -> None:
        while len(self.waiting) < self.ahead and self.left > 0:
            self.left -= 1
            self.waiting.append(asyncio.ensure_future(self.factory()))

    def fill(self) -> None:
        """Start the first kernels."""
        self._top_up()

    def take(self) -> asyncio.Task[T]:
        """The next kernel (a task: await it), and start another in its place."""
        if not self.waiting:
            self.left = max(0, self.left - 1)
            task = asyncio.ensure_future(self.factory())
        else:
            task = self.waiting.popleft()
        self._top_up()
        return task

    def give_back(self, task: asyncio.Task[T]) -> None:
        """An unused kernel goes back to the front (its submission could not be read)."""
        self.waiting.appendleft(task)

    async def close(self, discard: Callable[[asyncio.Task[T]], Awaitable[None]]) -> None:
        """Discard the kernels still waiting."""
        self.left = 0
        while self.waiting:
            await discard(self.waiting.popleft())


@dataclass(frozen=True)
class BatchPrep:
    """What `prepare_batch` made: the imports to pre-import, and the HOME seed (a folder copied into each
    sandboxed kernel's HOME before it starts), if any."""

    imports: Imports = ()
    home_seed: Path | None = None
    compiled: tuple[Path, ...] = ()


def own_package_dirs(imports: Imports) -> tuple[Path, ...]:
    """Folders of the imported top-level packages that are not part of the Python installation (e.g. the kit's
    `appraisal`, installed editable): their bytecode is not written by pip."""
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    found: list[Path] = []
    for module, _names in imports:
        top = module.split(".")[0]
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            path = Path(location).resolve()
            if any(path == p or p in path.parents for p in installed) or path in found:
                continue
            found.append(path)
    return tuple(found)


def compile_packages(folders: tuple[Path, ...]) -> tuple[Path, ...]:
    """Write the bytecode of `folders` in place (outside any sandbox), where the folder is writable; the folders
    compiled."""
    done = []
    for folder in folders:
        if not os.access(folder, os.W_OK):
            continue
        with contextlib.suppress(OSError), open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            if compileall.compile_dir(str(folder), quiet=2, workers=1):
                done.append(folder)
    return tuple(done)


FONT_CACHE_CODE = """\
import json, os, shutil, sys
from coursekit.grading.kernels.preimport import import_all
inputs, out, wanted, seed = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
shutil.copytree(inputs, ".", dirs_exist_ok=True)
home = os.path.expanduser("~")
if seed:
    for name in os.listdir(seed):
        shutil.copytree(os.path.join(seed, name), os.path.join(home, name), dirs_exist_ok=True)
import_all(wanted)
answer = {"matplotlib": "matplotlib.font_manager" in sys.modules, "modules": sorted(sys.modules)}
if answer["matplotlib"] and not seed:
    shutil.copytree(home, os.path.join(out, "seed"))  # what the imports made: matplotlib's and fontconfig's caches
with open(os.path.join(out, "answer.json"), "w") as f:
    json.dump(answer, f)
"""


def _import_once(spec: BwrapSpec, imports: Imports, seed: Path | None, bwrap: str) -> dict:
    """Import `imports` in a one-off sandbox like the kernels' (`spec`), HOME seeded from `seed` if given; its
    answer: whether matplotlib's font manager loaded, and the modules loaded. Unseeded, the HOME the imports
    left (matplotlib's and fontconfig's caches) is copied to run/seed."""
    spec = replace(spec, home_seed=seed)
    wanted = json.dumps([list(p) for p in imports])
    command = [sys.executable, "-c", FONT_CACHE_CODE, str(spec.inputs), str(spec.run), wanted, str(seed or "")]
    (spec.run / "answer.json").unlink(missing_ok=True)
    subprocess.run(
        bwrap_argv(spec, command, bwrap), capture_output=True, timeout=PREPARE_TIMEOUT, check=False, cwd=spec.run
    )
    return json.loads((spec.run / "answer.json").read_text(encoding="utf-8"))


def build_font_cache(
    spec: BwrapSpec, imports: Imports, into: Path, bwrap: str = "bwrap"
) -> tuple[Path | None, tuple[str, ...]]:
    """Import `imports` once in a sandbox like the kernels' (`spec`); if that loads matplotlib's font manager,
    copy the HOME that building its font cache left (matplotlib's and fontconfig's caches) to `into` (the
    seed). Then import them again with the seed, to learn which modules only building the cache loads (e.g.
    `encodings.utf_16_be` for TrueType names): the kernels import those too, so that their `sys.modules` is a
    fresh kernel's. Returns (the seed or None, those modules)."""
    try:
        built = _import_once(spec, imports, None, bwrap)
        seed = spec.run / "seed"
        if not built.get("matplotlib") or not seed.is_dir():
            return None, ()
        shutil.copytree(seed, into)  # shown read-only to every kernel, which copies it into its own HOME
        seeded = _import_once(spec, imports, into, bwrap)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None, ()
    return into, tuple(sorted(set(built["modules"]) - set(seeded["modules"])))


def prepare_batch(source: NotebookNode, box: Containment | None, base: Path, spec: KernelSpec) -> BatchPrep:
    """Once per batch: the imports to pre-import, the bytecode of the assignment's own packages, and (sandboxed)
    the font cache seed, built in one-off sandboxes like the kernels' (`spec`) under `base`."""
    imports = assignment_imports(source)
    compiled = compile_packages(own_package_dirs(imports))
    if box is None or not box.sandboxed or not imports:
        return BatchPrep(imports, None, compiled)
    root, bwrap, data_at = sandbox_folder(base, spec.files, box)
    bwrap = replace(bwrap, env=spec.environment("", data_at, sandboxed=True))
    try:
        seed, building = build_font_cache(bwrap, imports, base / "home-seed", shutil.which("bwrap") or "bwrap")
    finally:
        remove_tree(root)
    if seed is None:
        return BatchPrep(imports, None, compiled)
    return BatchPrep(imports + tuple((m, ()) for m in building), seed, compiled)
