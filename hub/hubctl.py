"""Start and stop the demo hub of `make hub` (see jupyterhub_config.py; demo login, loopback only).

    python hub/hubctl.py start [--port 8000] [--state DIR] [--background]
    python hub/hubctl.py stop [--state DIR]
    python hub/hubctl.py status [--state DIR]

`start` runs JupyterHub in the foreground (Ctrl-C stops it, its proxy and every user's server); with
`--background` it returns once the hub answers. `stop` sends the hub SIGTERM (JupyterHub then stops the proxy and
the users' servers), waits, and ends any process still marked with this hub's state folder (the variable
H2M_HUB_STATE, which the hub, its proxy, the users' servers and their kernels all carry): only processes of this
hub are touched. Both say what they did. Standard library only, so any Python 3 runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HUB = Path(__file__).resolve().parent
DEFAULT_STATE = HUB / "state"
MARKER = "H2M_HUB_STATE"


def _environment(state: Path, port: int) -> dict[str, str]:
    env = {**os.environ, MARKER: str(state), "H2M_HUB_PORT": str(port)}
    venv_bin = Path(env.get("H2M_HUB_VENV", HUB / ".venv")) / "bin"
    env["PATH"] = f"{venv_bin}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def _command(env: dict[str, str]) -> list[str]:
    venv_bin = Path(env.get("H2M_HUB_VENV", HUB / ".venv")) / "bin"
    missing = [p for p in (venv_bin / "jupyterhub", HUB / "node_modules/.bin/configurable-http-proxy") if not p.exists()]
    if missing:
        sys.exit(f"hubctl: {', '.join(map(str, missing))} missing: run `make hub-setup` first")
    return [str(venv_bin / "jupyterhub"), "-f", str(HUB / "jupyterhub_config.py")]


def wait_until_up(port: int, process: subprocess.Popen | None = None, timeout: float = 90) -> None:
    """Wait until the hub's API answers through the proxy on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hub/api/", timeout=5) as response:
                if "version" in json.loads(response.read()):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the hub stopped early (exit {process.returncode})")
        time.sleep(0.5)
    raise TimeoutError(f"the hub did not answer on port {port} within {timeout:.0f} s")


def marked_processes(state: Path) -> list[int]:
    """Processes carrying this hub's marker (the hub, its proxy, users' servers, kernels), this one excepted."""
    wanted = f"{MARKER}={state}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def stop(state: Path, timeout: float = 30) -> list[int]:
    """Stop the hub of `state` and everything it started; returns the pids that had to be killed."""
    pid = _read_pid(state / "jupyterhub.pid")
    if pid is not None and pid in marked_processes(state):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.3)
    killed = []
    for leftover in marked_processes(state):
        try:
            os.kill(leftover, signal.SIGKILL)
            killed.append(leftover)
        except ProcessLookupError:
            pass
    for name in ("jupyterhub.pid", "proxy.pid"):
        (state / name).unlink(missing_ok=True)
    return killed


def start(state: Path, port: int, background: bool) -> int:
    state.mkdir(parents=True, exist_ok=True)
    if marked_processes(state):
        sys.exit(f"hubctl: a hub with state {state} is running: `make hub-stop` first")
    env = _environment(state, port)
    command = _command(env)
    log = state / "jupyterhub.log"
    users = env.get("H2M_HUB_USERS", "student1 student2 student3 instructor")
    print(f"hubctl: DEMO hub on http://127.0.0.1:{port}/ (loopback only); users {users}, password "
          f"{env.get('H2M_HUB_PASSWORD', 'hype-demo')!r}. Not for real students: a course uses its university's "
          "login (INSTRUCTORS.md).", flush=True)
    if background:
        with open(log, "ab") as out:
            process = subprocess.Popen(command, cwd=state, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(port, process)
        except (RuntimeError, TimeoutError) as exc:
            stop(state)
            sys.exit(f"hubctl: {exc}; log: {log}")
        print(f"hubctl: running (pid {process.pid}, log {log}); stop it with `make hub-stop`", flush=True)
        return 0
    print("hubctl: Ctrl-C stops the hub, its proxy and every user's server", flush=True)
    process = subprocess.Popen(command, cwd=state, env=env)
    try:
        code = process.wait()
    except KeyboardInterrupt:  # the terminal sent SIGINT to the hub too; it shuts down its servers
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = 130
    killed = stop(state)
    print(f"hubctl: stopped{f'; ended {len(killed)} leftover process(es)' if killed else ''}", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hubctl", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--state", type=Path, default=Path(os.environ.get(MARKER, DEFAULT_STATE)))
    parser.add_argument("--port", type=int, default=int(os.environ.get("H2M_HUB_PORT", "8000")))
    parser.add_argument("--background", action="store_true")
    args = parser.parse_args(argv)
    state = args.state.resolve()
    if args.action == "start":
        return start(state, args.port, args.background)
    if args.action == "stop":
        killed = stop(state)
        left = marked_processes(state)
        print(f"hubctl: stopped the hub of {state}" + (f"; killed {killed}" if killed else "")
              + (f"; STILL RUNNING: {left}" if left else "; nothing of it is running"))
        return 1 if left else 0
    running = marked_processes(state)
    print(f"hubctl: {len(running)} process(es) of the hub of {state} running: {running}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
