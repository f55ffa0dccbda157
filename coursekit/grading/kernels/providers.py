"""Where a batch's kernels come from. Three providers, each a `protocol.KernelProvider`:

- `LocalProvider`: unsandboxed, each kernel a plain child process in a fresh folder (`--sandbox none`, or no
  bubblewrap here);
- `BubblewrapProvider`: each kernel started in a bubblewrap sandbox of its own (launch.py inside bwrap);
- `ForkServerProvider`: each kernel forked from the batch's fork server (forkserver.py), which imported ipykernel
  and the assignment's modules once; a kernel that cannot be forked is started by its `fallback` instead.

`open_provider` is the one place the choice is made. The started kernels are the same whichever provider made
them: the same environment, limits, files and data (spec.py), with the batch's imports done when it is warm.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from coursekit.grading.cleanup import remove_tree
from coursekit.grading.kernels.forkserver import ForkServer, ForkServerError, forked_kernel, start_server
from coursekit.grading.kernels.process import ProcessKernel, started
from coursekit.grading.kernels.protocol import KernelProvider, Started
from coursekit.grading.kernels.sandbox import BwrapSpec, Containment, sandbox_folder
from coursekit.grading.kernels.spec import KernelSpec
from coursekit.grading.kernels.watchdog import MemoryWatch
from coursekit.grading.pool import preimport, settle
from coursekit.grading.profile import Profile

LOCAL, BUBBLEWRAP, FORK_SERVER = "local", "bubblewrap", "fork server"


def local_folder(spec: KernelSpec, base: Path) -> tuple[Path, Path, Path | None]:
    """A fresh folder under `base` for an unsandboxed kernel, holding copies of the assignment's files (and of the
    data folder): (root, working folder, the data folder's copy or None)."""
    root = Path(tempfile.mkdtemp(prefix="sub-", dir=base))
    work = root / "work"
    work.mkdir()
    for path, name in spec.files:
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / name)
    data_at = None
    if spec.data_dir is not None:
        data_at = root / "data"
        shutil.copytree(spec.data_dir, data_at)
    return root, work, data_at


async def _warm_up(kernel: ProcessKernel, spec: KernelSpec, profile: Profile) -> None:
    """Do the batch's imports in a kernel started on its own, silently (pool.preimport); a hung import gets a
    fresh kernel instead, which starts cold."""
    if not spec.imports:
        return
    with profile.timed("imports"):
        answer = await preimport(kernel, spec.imports)
        if "no answer" in answer.get("failed", []):
            await kernel.restart()
        else:
            await settle(kernel)


async def _start_process(
    root: Path,
    folder: Path,
    spec: KernelSpec,
    bwrap: BwrapSpec | None,
    data_at: Path | None,
    profile: Profile,
    watch: MemoryWatch | None,
) -> Started:
    """Start a ProcessKernel in `folder` and warm it up; on failure, stop it and remove `root`."""
    try:
        with profile.timed("kernel start"):
            kernel = await started(folder, spec, bwrap, data_at, watch)
        try:
            await _warm_up(kernel, spec, profile)
        except BaseException:
            await kernel.stop()
            raise
    except BaseException:
        remove_tree(root)
        raise
    return Started(root, kernel)


class LocalProvider:
    """Unsandboxed kernels, each a child process of the grader in a fresh folder."""

    name = LOCAL

    def __init__(
        self, spec: KernelSpec, base: Path, profile: Profile | None = None, watch: MemoryWatch | None = None
    ) -> None:
        self.spec, self.base, self.profile, self.watch = spec, base, profile or Profile(), watch

    async def start(self) -> Started:
        root, work, data_at = local_folder(self.spec, self.base)
        return await _start_process(root, work, self.spec, None, data_at, self.profile, self.watch)

    async def close(self) -> None:
        """Nothing of its own to end."""


class BubblewrapProvider:
    """Kernels each started in a bubblewrap sandbox of its own, as `box` says."""

    name = BUBBLEWRAP

    def __init__(
        self,
        spec: KernelSpec,
        base: Path,
        box: Containment,
        profile: Profile | None = None,
        watch: MemoryWatch | None = None,
    ) -> None:
        self.spec, self.base, self.box, self.profile, self.watch = spec, base, box, profile or Profile(), watch

    async def start(self) -> Started:
        root, bwrap, data_at = sandbox_folder(self.base, self.spec.files, self.box)
        return await _start_process(root, bwrap.work, self.spec, bwrap, data_at, self.profile, self.watch)

    async def close(self) -> None:
        """Nothing of its own to end."""


class ForkServerProvider:
    """Kernels forked from `server`; one that cannot be forked is started by `fallback`."""

    name = FORK_SERVER

    def __init__(
        self,
        server: ForkServer,
        spec: KernelSpec,
        base: Path,
        box: Containment,
        fallback: KernelProvider,
        profile: Profile | None = None,
        watch: MemoryWatch | None = None,
    ) -> None:
        self.server, self.spec, self.base, self.box = server, spec, base, box
        self.fallback, self.profile, self.watch = fallback, profile or Profile(), watch

    async def start(self) -> Started:
        root, kernel = forked_kernel(self.server, self.base, self.box, self.spec, self.watch)
        try:
            with self.profile.timed("kernel start"):
                await kernel.start()
        except ForkServerError:  # this kernel could not be forked: started on its own instead
            remove_tree(root)
            self.profile.add("fork failed", 0.0)
            return await self.fallback.start()
        except BaseException:
            remove_tree(root)
            raise
        return Started(root, kernel)

    async def close(self) -> None:
        """Stop the server (its kernels end with it)."""
        await self.server.close()


async def open_provider(
    spec: KernelSpec,
    box: Containment | None,
    base: Path,
    warm: bool,
    profile: Profile | None = None,
    watch: MemoryWatch | None = None,
) -> KernelProvider:
    """The provider for a batch, chosen here and nowhere else: unsandboxed, local; sandboxed and warm, the fork
    server when it starts here, else (or when cold) a bubblewrap sandbox per kernel. Every kernel is watched by
    `watch` (its memory with its children: memory.py)."""
    profile = profile if profile is not None else Profile()
    if box is None or not box.sandboxed:
        return LocalProvider(spec, base, profile, watch)
    own = BubblewrapProvider(spec, base, box, profile, watch)
    if not warm:
        return own
    with profile.timed("fork server"):
        server, _why = await start_server(base, box, spec)
    if server is None:
        return own
    return ForkServerProvider(server, spec, base, box, own, profile, watch)
