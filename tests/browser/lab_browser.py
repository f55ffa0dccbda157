"""Drive JupyterLab in headless Debian Chromium with Playwright (sync API): the helpers behind the browser tests.

Nothing here downloads a browser: Playwright is pointed at the system Chromium, installed from Debian's
packages if it is missing (see `ensure_chromium`).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Needed on the development machines (closed network, root, no GPU); see .library/env/machines/python.md.
# Playwright adds --headless itself and always starts Chromium with a fresh temporary --user-data-dir.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_LOCK = Path("/tmp/hype-kit-chromium-install.lock")
INSTALL_TIMEOUT = 900  # seconds, for `apt-get update` plus `apt-get install chromium`
STDERR_MIME = "application/vnd.jupyter.stderr"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class ChromiumUnavailable(Exception):
    """Chromium is not installed and cannot be installed here (the message says why)."""


def find_chromium() -> Path | None:
    """The real Chromium binary (`/usr/bin/chromium` is Debian's wrapper script around it), or None."""
    for candidate in (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(on_path) if on_path else None


def ensure_chromium(timeout: float = INSTALL_TIMEOUT) -> Path:
    """Return the Chromium binary, installing Debian's `chromium` first if it is missing and we can.

    A file lock serialises the install, so two pytest-xdist workers (or two sessions) never run apt at once;
    whoever waits finds Chromium installed when it gets the lock.
    """
    found = find_chromium()
    if found:
        return found
    if os.geteuid() != 0:
        raise ChromiumUnavailable("not running as root, so `apt-get install chromium` is not possible")
    if shutil.which("apt-get") is None:
        raise ChromiumUnavailable("`apt-get` is not available on this machine")
    with open(INSTALL_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            found = find_chromium()
            if found:
                return found
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            try:
                result = subprocess.run(
                    "apt-get update -qq && apt-get install -y -qq chromium",
                    shell=True, env=env, capture_output=True, text=True, timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise ChromiumUnavailable(f"`apt-get install chromium` did not finish within {timeout:.0f} s") from None
            found = find_chromium()
            if result.returncode != 0 or found is None:
                tail = (result.stderr or result.stdout).strip()[-800:]
                raise ChromiumUnavailable(f"`apt-get install chromium` failed (exit {result.returncode}): {tail}")
            return found
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------------
# The JupyterLab server


LAB_CONFIG = """\
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.expose_app_in_browser = True
c.LabApp.user_settings_dir = {settings!r}
c.LabApp.workspaces_dir = {workspaces!r}
"""

# User settings for the test server only: every cell attached to the DOM (so the screenshot and the DOM check see
# all of them), no blank space after the last cell, and no "get Jupyter news?" toast over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none", "scrollPastEnd": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False,
    },
}


@dataclass
class LabServer:
    """A JupyterLab server on a free local port, serving `root_dir`; stop() ends it and every kernel it started.

    With `make_dir`, the server is started the way a student starts it, by `make lab` in that folder (the kit's
    root, which `make lab` serves: `root_dir` must then be that folder too), with the test settings passed in
    LAB_ARGS.
    """

    root_dir: Path
    work_dir: Path
    make_dir: Path | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> LabServer:
        runtime = self.work_dir / "runtime"
        settings = self.work_dir / "settings"
        workspaces = self.work_dir / "workspaces"
        for folder in (runtime, settings, workspaces):
            folder.mkdir(parents=True, exist_ok=True)
        for name, values in LAB_SETTINGS.items():
            target = settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        config = self.work_dir / "lab_config.py"
        config.write_text(LAB_CONFIG.format(settings=str(settings), workspaces=str(workspaces)), encoding="utf-8")
        self.port = free_port()
        self.log_path = self.work_dir / "jupyterlab.log"
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "BROWSER": "true",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        settings_args = [
            f"--config={config}",
            "--no-browser", "--ServerApp.open_browser=False",
            "--ip=127.0.0.1", "--port-retries=0",
            f"--ServerApp.token={self.token}", "--ServerApp.password=",
        ]
        if self.make_dir is not None:
            if Path(self.root_dir).resolve() != Path(self.make_dir).resolve():
                raise ValueError("`make lab` serves the folder it is run in: root_dir must be make_dir")
            # `make lab` adds --ServerApp.root_dir=. and, for root, --allow-root
            args = ["make", "--no-print-directory", "lab", f"PORT={self.port}", f"LAB_ARGS={' '.join(settings_args)}"]
        else:
            args = [sys.executable, "-m", "jupyter", "lab", *settings_args, f"--port={self.port}",
                    f"--ServerApp.root_dir={self.root_dir}"]
            if os.geteuid() == 0:
                args.append("--allow-root")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                args, cwd=self.root_dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                request = urllib.request.Request(f"{self.url}/api/status",
                                                 headers={"Authorization": f"token {self.token}"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab stopped early (exit {self.process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.5)

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path and self.log_path.exists():
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        """SIGTERM the server (it shuts its kernels down), SIGKILL it if it hangs, then kill leftover kernels.

        Kernels run in sessions of their own, so they are found by their connection files, which live in this
        server's private runtime folder: only processes this server started are touched.
        """
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        runtime = str(self.work_dir / "runtime")
        for pid in _pids_with_argument_under(runtime):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _pids_with_argument_under(folder: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.decode(errors="replace").startswith(folder + "/") for arg in argv):
            pids.append(int(entry.name))
    return pids


# ---------------------------------------------------------------------------------------------------------------
# Running one notebook in the browser


@dataclass
class NotebookRun:
    """What a Run All in the browser left behind."""

    path: str
    errors: list[str]  # error outputs, from the notebook model (cells tagged raises-exception left out)
    dom_errors: list[str]  # traceback-like stderr outputs seen in the visible panel (the same check, from the page)
    stderr_streams: int  # stderr outputs that are not errors (warnings): reported, never a failure
    code_cells: int
    executed_cells: int
    seconds: float
    screenshot: Path | None
    dialog: str = ""  # text of any JupyterLab dialog still open at the end (it would hide the notebook)


# Everything below reads the visible notebook panel through the application object JupyterLab exposes when
# `expose_app_in_browser` is set (galata does the same). Cells are JupyterLab's own models, so an error output
# is an `output_type == "error"`, not a guess from the text.
# `full`: every output as stored; else only what `_finished` and the error report need (output type, stream name,
# error name and value), so that the polls during a run do not carry the notebook's plots back each time.
_JS_STATE = """
(full) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {ready: false, why: 'no notebook panel'};
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    return {
      index,
      type: model.type,
      source: model.sharedModel.getSource(),
      tags: model.getMetadata('tags') || [],
      count: model.type === 'code' ? model.executionCount : null,
      running: !!(prompt && prompt.textContent.includes('[*]')),
      outputs: model.type !== 'code' ? [] : model.outputs.toJSON().map(o => full ? o :
        {output_type: o.output_type, name: o.name, ename: o.ename, evalue: o.evalue}),
    };
  });
  return {
    ready: true,
    kernel: kernel ? kernel.status : 'none',
    cells,
    dialog: Array.from(document.querySelectorAll('.jp-Dialog')).map(d => d.innerText).join(' | '),
  };
}
"""

_JS_DOM_STDERR = """
(mime) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return [];
  return Array.from(panel.querySelectorAll('.jp-Notebook .jp-Cell')).flatMap((cell, cellIndex) =>
    Array.from(cell.querySelectorAll(`.jp-OutputArea-output[data-mime-type="${mime}"]`))
      .map(output => ({text: output.innerText, cellIndex})));
}
"""

# A traceback as IPython prints it: "Traceback (most recent call last)" or, for syntax errors, a last line such as
# "SyntaxError: ...". A warning on stderr ("UserWarning: ...") matches neither.
_TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)(: .*)?$", re.M
)


def looks_like_traceback(text: str) -> bool:
    return bool(_TRACEBACK.search(ANSI.sub("", text)))


def _describe_error(cell: dict, output: dict) -> str:
    traceback = ANSI.sub("", "\n".join(output.get("traceback", [])))
    lines = [line for line in traceback.splitlines() if line.strip()]
    where = f"cell {cell['index']} (In [{cell['count']}])"
    summary = f"{output.get('ename', '?')}: {output.get('evalue', '')}"
    context = "\n      ".join(lines[-6:])
    return f"{where}: {summary}\n      {context}"


def collect_errors(state: dict) -> tuple[list[str], int]:
    """Error outputs of cells not tagged raises-exception, and the number of stderr streams (warnings)."""
    errors, stderr = [], 0
    for cell in state["cells"]:
        for output in cell["outputs"]:
            if output.get("output_type") == "error" and "raises-exception" not in cell["tags"]:
                errors.append(_describe_error(cell, output))
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                stderr += 1
    return errors, stderr


def dom_errors(page, state: dict) -> list[str]:
    """The same check from the rendered page: stderr-typed outputs whose text is a traceback.

    JupyterLab renders error outputs and stderr streams alike as `application/vnd.jupyter.stderr`, so the text
    tells them apart; cells tagged raises-exception are left out.
    """
    tagged = {cell["index"] for cell in state["cells"] if "raises-exception" in cell["tags"]}
    found = page.evaluate(_JS_DOM_STDERR, STDERR_MIME)
    return [
        f"cell {item['cellIndex']}: " + ANSI.sub("", item["text"]).strip()[-300:]
        for item in found
        if item["cellIndex"] not in tagged and looks_like_traceback(item["text"])
    ]


def _finished(state: dict) -> bool:
    """The kernel is idle, no cell shows [*], and Run All either reached every code cell or stopped at an error."""
    if not state.get("ready") or state["kernel"] != "idle":
        return False
    code = [cell for cell in state["cells"] if cell["type"] == "code" and cell["source"].strip()]
    if any(cell["running"] for cell in code):
        return False
    if all(cell["count"] is not None for cell in code):
        return True
    stopped_at_error = any(
        output.get("output_type") == "error" and "raises-exception" not in cell["tags"]
        for cell in code for output in cell["outputs"]
    )
    return stopped_at_error


def _click_menu(page, menu: str, item: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=re.compile(rf"^{re.escape(item)}")).first.click()


# Open a notebook in a JupyterLab page that is already loaded: the notebooks of earlier runs (throwaway copies)
# are closed first, marked clean so that no "save your changes?" dialog asks, and their kernels are left to the
# server, which stops them when it stops.
_JS_OPEN = """
async (path) => {
  const app = window.jupyterapp;
  for (const widget of Array.from(app.shell.widgets('main'))) {
    if (widget.context && widget.context.model) widget.context.model.dirty = false;
    widget.close();
  }
  await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
}
"""


def run_notebook(
    browser, server: LabServer, path: str, screenshot: Path | None = None, timeout: float = 120, page=None,
) -> NotebookRun:
    """Open `path` (relative to the server root) in JupyterLab, clear its stored outputs, Run All Cells from the
    Run menu, wait for the run to end, and report the error outputs. Saves a screenshot if asked.

    Without `page`, JupyterLab is loaded in a new browser context, closed at the end. With a `page` (of one
    context, for the tests of one module), JupyterLab is loaded in it once and each later notebook is opened in
    the same JupyterLab, after the earlier ones are closed, as a student opens one lesson after another.
    """
    started = time.monotonic()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}) if page is None else None
    try:
        if context is not None:
            page = context.new_page()
        page.set_default_timeout(30_000)
        page.set_viewport_size({"width": 1400, "height": 1000})  # a screenshot of an earlier run made it taller
        if context is None and page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell)"):
            page.evaluate(_JS_OPEN, path)
        else:
            page.goto(f"{server.url}/lab/tree/{path}?reset&token={server.token}")
        page.wait_for_function(
            """(path) => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                           return !!p && !!p.context && p.context.path === path; }""",
            arg=path, timeout=60_000,
        )
        panel = page.locator(".jp-NotebookPanel:visible")
        panel.wait_for(timeout=60_000)
        # The kernel has started and is idle before anything runs.
        page.wait_for_function(
            """() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                       const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
                       return !!k && k.status === 'idle'; }""",
            timeout=60_000,
        )
        # Clear the stored outputs first, so what is left at the end was produced by this run.
        _click_menu(page, "Edit", "Clear Outputs of All Cells")
        _click_menu(page, "Run", "Run All Cells")
        deadline = time.monotonic() + timeout
        finished_polls = 0
        while True:
            state = page.evaluate(_JS_STATE, False)
            finished_polls = finished_polls + 1 if _finished(state) else 0
            if finished_polls >= 3:  # stable for about a second
                break
            if time.monotonic() > deadline:
                pending = [c["index"] for c in state.get("cells", []) if c["type"] == "code" and c["count"] is None]
                running = [c["index"] for c in state.get("cells", []) if c.get("running")]
                errors, _ = collect_errors(state) if state.get("ready") else ([], 0)
                if screenshot:
                    _screenshot(page, screenshot)
                raise TimeoutError(
                    f"{path}: Run All did not finish within {timeout:.0f} s (kernel {state.get('kernel')}, "
                    f"cells running {running}, not run {pending}, dialog {state.get('dialog')!r}, errors {errors})"
                )
            time.sleep(0.4)
        state = page.evaluate(_JS_STATE, True)  # the finished notebook, outputs in full, read once
        errors, stderr = collect_errors(state)
        seen_in_page = dom_errors(page, state)
        code = [c for c in state["cells"] if c["type"] == "code" and c["source"].strip()]
        if screenshot:
            _screenshot(page, screenshot)
        return NotebookRun(
            path=path, errors=errors, dom_errors=seen_in_page, stderr_streams=stderr,
            code_cells=len(code), executed_cells=sum(c["count"] is not None for c in code),
            seconds=time.monotonic() - started, screenshot=screenshot, dialog=state.get("dialog", ""),
        )
    finally:
        if context is not None:
            context.close()


def _screenshot(page, target: Path, max_height: int = 32000) -> None:
    """Hide the side bar and grow the window to the notebook's full height (JupyterLab scrolls inside the page,
    so a plain full-page screenshot would show one screen), then capture it. Very long notebooks are cut at
    `max_height` pixels.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").count():
        page.evaluate("() => window.jupyterapp.commands.execute('application:toggle-left-area')")
    height = page.evaluate(
        """() => {
          const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
          const scroller = panel && panel.querySelector('.jp-WindowedPanel-outer');
          if (!scroller) return document.body.scrollHeight;
          scroller.scrollTop = 0;
          return scroller.scrollHeight + (window.innerHeight - scroller.clientHeight);
        }"""
    )
    width = (page.viewport_size or {"width": 1400})["width"]
    page.set_viewport_size({"width": width, "height": int(min(max(height, 600), max_height))})
    page.wait_for_timeout(500)  # let the layout settle at the new size
    page.screenshot(path=str(target), full_page=True)
