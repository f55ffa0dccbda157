"""Integrity of the grading kernel: student code runs in the same kernel as the tests, so it can hook what runs
after it. Before each instructor cell, the grader checks that the kernel is as IPython made it, removes what the
student added, and runs a canary.

- `Guard.setup` runs first in a fresh kernel, before any student code: it records the kernel's baseline (input and
  AST transformers, event callbacks, trace and profile functions, builtins, sys hooks, the methods of the shell,
  the kernel and the objects that turn a cell into messages) in a module with a random name.
- `Guard.before_cell` runs before each instructor cell: first a canary, a test-like cell with a random assert that
  must fail as written (if it "passes", something neutralises failing checks: the kernel was tampered with, even
  if the check below was switched off); then the check itself, evaluated as a user expression (so no input or
  AST transformer touches it), which lists every difference from the baseline, puts the baseline back, and moves
  the kernel back to its working folder.
- `findings` holds what was found; a submission with findings is graded `tampered` (batch.py).

What this still cannot catch is said in INSTRUCTORS.md ("What the grader protects against").
"""

from __future__ import annotations

import ast
import json
import random
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coursekit.grading.kernel import SandboxKernel

REPLY_TIMEOUT = 10.0

SETUP = r'''
def _coursekit_make_guard(name, folder):
    import builtins, json, os, sys, threading, types
    from IPython import get_ipython
    ip = get_ipython()
    kernel = getattr(ip, "kernel", None)
    _len, _id, _type, _vars, _getattr, _setattr, _delattr, _isinstance = len, id, type, vars, getattr, setattr, delattr, isinstance
    _list, _dict, _sorted, _repr, _callable, _hasattr, _str, _set = list, dict, sorted, repr, callable, hasattr, str, set
    _function, _any = types.FunctionType, any
    prefixes = tuple({os.path.realpath(p) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    quiet_builtins = {"_", "__", "___"}
    sys_functions = {n: getattr(sys, n) for n in ("gettrace", "settrace", "getprofile", "setprofile", "_getframe")}
    threading_functions = {n: getattr(threading, n) for n in ("gettrace", "settrace", "getprofile", "setprofile")}
    _gettrace, _settrace = sys.gettrace, sys.settrace
    _getprofile, _setprofile, _getframe = sys.getprofile, sys.setprofile, sys._getframe
    _dumps, _chdir = json.dumps, os.chdir

    def lists():
        itm = ip.input_transformer_manager
        found = {
            "input transformer (cleanup)": itm.cleanup_transforms,
            "input transformer (line)": itm.line_transforms,
            "input transformer (token)": itm.token_transformers,
            "input transformer (post)": ip.input_transformers_post,
            "AST transformer": ip.ast_transformers,
        }
        for event, callbacks in ip.events.callbacks.items():
            found["event callback (" + event + ")"] = callbacks
        return found

    def owners():
        found = {
            "the shell": (ip, None),
            "the kernel": (kernel, None),
            "the compiler": (ip.compile, (ip, "compile")),
            "the display hook": (ip.displayhook, (ip, "displayhook")),
            "the display publisher": (ip.display_pub, (ip, "display_pub")),
            "the event manager": (ip.events, (ip, "events")),
            "the input transformer manager": (ip.input_transformer_manager, (ip, "input_transformer_manager")),
            "the traceback formatter": (ip.InteractiveTB, (ip, "InteractiveTB")),
            "the syntax error formatter": (ip.SyntaxTB, (ip, "SyntaxTB")),
            "the builtin trap": (ip.builtin_trap, (ip, "builtin_trap")),
        }
        if kernel is not None:
            found["the session"] = (kernel.session, (kernel, "session"))
        return found

    def methods(obj):
        found = {}
        for cls in _type(obj).__mro__:
            if cls is object:
                continue
            for key, value in _list(_vars(cls).items()):
                if _isinstance(value, (_function, staticmethod, classmethod, property)):
                    found[(cls, key)] = value
        return found

    def shadows(obj, table):
        names = {key for (_cls, key) in table}
        try:
            own = _vars(obj)
        except TypeError:
            return {}
        return {key: value for key, value in _list(own.items()) if key in names and _callable(value)}

    def handlers():
        found = {}
        for table in ("shell_handlers", "control_handlers"):
            for key, value in _list((_getattr(kernel, table, None) or {}).items()):
                found[(table, key)] = value
        return found

    def own_code(fn):
        code = _getattr(_getattr(fn, "__func__", fn), "__code__", None)
        if code is None:
            return False
        return os.path.realpath(code.co_filename).startswith(prefixes)

    base_lists = {key: _list(value) for key, value in lists().items()}
    base_builtins = _dict(_vars(builtins))
    base_owners = {key: value for key, value in owners().items()}
    base_types = {key: _type(obj) for key, (obj, _where) in base_owners.items()}
    base_methods = {key: methods(obj) for key, (obj, _where) in base_owners.items()}
    base_shadows = {key: shadows(obj, base_methods[key]) for key, (obj, _where) in base_owners.items()}
    base_handlers = handlers()
    base_hooks = {
        "sys.excepthook": sys.excepthook,
        "sys.displayhook": sys.displayhook,
        "sys.breakpointhook": sys.breakpointhook,
    }
    base_custom = (ip.custom_exceptions, ip.CustomTB)
    base_user_builtins = ip.user_ns.get("__builtins__")

    def same(a, b):
        return _getattr(a, "__func__", a) is _getattr(b, "__func__", b)

    def check():
        found = []
        tracer, profiler = _gettrace(), _getprofile()
        _settrace(None)  # nothing of the student's runs while the check runs
        _setprofile(None)
        _getframe().f_trace = None
        if tracer is not None:
            found.append("a trace function was set (sys.settrace)")
        if profiler is not None:
            found.append("a profile function was set (sys.setprofile)")
        try:
            for module, table in ((sys, sys_functions), (threading, threading_functions)):
                for attr, value in table.items():
                    if _getattr(module, attr) is not value:
                        found.append(module.__name__ + "." + attr + " was replaced")
                        _setattr(module, attr, value)
            for key, (obj, where) in owners().items():
                base_obj = base_owners[key][0]
                if obj is not base_obj:
                    found.append(key + " was replaced")
                    if where is not None:
                        _setattr(where[0], where[1], base_obj)
            for key, (obj, _where) in base_owners.items():
                if _type(obj) is not base_types[key]:
                    found.append("the class of " + key + " was changed")
                    obj.__class__ = base_types[key]
                for (cls, name), value in base_methods[key].items():
                    if _vars(cls).get(name) is not value:
                        found.append(cls.__name__ + "." + name + " was replaced")
                        _setattr(cls, name, value)
                for name, value in shadows(obj, base_methods[key]).items():
                    if base_shadows[key].get(name) is not value:
                        found.append(key + "'s method " + name + " was replaced")
                        if name in base_shadows[key]:
                            _setattr(obj, name, base_shadows[key][name])
                        else:
                            _delattr(obj, name)
            current = lists()
            for key, items in current.items():
                base = base_lists.get(key, [])
                for item in items:
                    if _any(item is b for b in base):
                        continue
                    if key.startswith("event callback") and own_code(item):
                        continue  # registered by IPython or an installed library (matplotlib's inline backend)
                    found.append(key + " added: " + _repr(_getattr(item, "__qualname__", _type(item).__name__)))
                kept = [item for item in items if _any(item is b for b in base)
                        or (key.startswith("event callback") and own_code(item))]
                items[:] = kept
                for b in base:
                    if not _any(b is item for item in items):
                        items.append(b)
            for name in _sorted(_set(_vars(builtins)) | _set(base_builtins)):
                if name in quiet_builtins:
                    continue
                now = _vars(builtins).get(name, base_builtins.get(name))
                if name not in base_builtins:
                    found.append("builtin " + name + " was added")
                    _delattr(builtins, name)
                elif name not in _vars(builtins) or now is not base_builtins[name]:
                    found.append("builtin " + name + " was replaced")
                    _setattr(builtins, name, base_builtins[name])
            if ip.user_ns.get("__builtins__") is not base_user_builtins:
                found.append("the cells' __builtins__ was replaced")
                ip.user_ns["__builtins__"] = base_user_builtins
            if threading.gettrace() is not None or threading.getprofile() is not None:
                found.append("a trace or profile function was set for new threads")
                threading.settrace(None)
                threading.setprofile(None)
            for hook, value in base_hooks.items():
                attr = hook.split(".")[1]
                if not same(_getattr(sys, attr), value):
                    found.append(hook + " was replaced")
                    _setattr(sys, attr, value)
            if (ip.custom_exceptions, ip.CustomTB) != base_custom and not (
                ip.custom_exceptions == base_custom[0] and same(ip.CustomTB, base_custom[1])
            ):
                found.append("a custom exception handler was set (set_custom_exc)")
                ip.custom_exceptions, ip.CustomTB = base_custom
            now_handlers = handlers()
            for key, value in base_handlers.items():
                if not same(now_handlers.get(key), value):
                    found.append("the kernel's " + key[1] + " handler was replaced")
                    _getattr(kernel, key[0])[key[1]] = value
        except BaseException as exc:  # report, never break the grading
            found.append("the check failed: " + _type(exc).__name__ + ": " + _str(exc)[:200])
        try:
            _chdir(folder)
        except OSError as exc:
            found.append("could not return to the working folder: " + _str(exc)[:200])
        return _dumps(found)

    module = types.ModuleType(name)
    module.check = check
    sys.modules[name] = module


_coursekit_make_guard(NAME, FOLDER)
del _coursekit_make_guard
'''

_TEMPLATES = (
    "{v} = [{a}, {b}]\nassert sum({v}) == {c}, {msg!r}",
    "{v} = {a} / {b}\nassert abs({v} - {c}) < 1e-9, {msg!r}",
    "{v} = {text!r}\nassert len({v}) == {n}, {msg!r}",
    "{v} = {a}\nassert isinstance({v}, str), {msg!r}",
    "{v} = {a} * {b}\nassert {v} == {c}, {msg!r}",
)


def canary(rng: random.Random | None = None) -> tuple[str, str]:
    """(source, message) of a test-like cell whose assert must fail with exactly `message`."""
    rng = rng or secrets.SystemRandom()
    a, b = rng.randint(2, 999), rng.randint(2, 999)
    text = secrets.token_hex(rng.randint(3, 9))
    fields = {
        "v": rng.choice(["result", "expected", "value", "answer", "total", "got"]) + f"_{secrets.token_hex(3)}",
        "a": a,
        "b": b,
        "c": a + b + rng.randint(1, 9),
        "text": text,
        "n": len(text) + rng.randint(1, 5),
        "msg": f"check {secrets.token_hex(8)}",
    }
    template = rng.choice(_TEMPLATES)
    return template.format(**fields), fields["msg"]


class Guard:
    """The integrity checks of one kernel (see the module's docstring); `findings` is what it found."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.name = f"_coursekit_guard_{secrets.token_hex(8)}"
        self.findings: list[str] = []

    def _note(self, label: str, what: str) -> None:
        line = f"before {label}: {what}"
        if line not in self.findings:
            self.findings.append(line)

    async def setup(self, kernel: SandboxKernel) -> None:
        """Record the fresh kernel's baseline (run before any student code, and after a restart). It runs as a
        user expression, as the checks do, so that both see the kernel in the same state (between cells)."""
        code = SETUP.replace("NAME, FOLDER", f"{self.name!r}, {str(self.folder)!r}")
        answer = await self._expression(kernel, f"exec({code!r}, {{}})")
        if answer is None or answer.get("status") != "ok":
            self.findings.append("the integrity check could not be set up")

    async def before_cell(self, kernel: SandboxKernel, label: str) -> None:
        """Canary, then check and restore, before the instructor cell `label`."""
        from coursekit.grading.run import _Collector, _wait_idle

        source, message = canary()
        sink = _Collector(10_000)
        msg_id = kernel.kc.execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        outcome = await _wait_idle(kernel, msg_id, time.monotonic() + REPLY_TIMEOUT, sink)
        run = sink.finish()
        if outcome == "timeout":
            await kernel.interrupt()
            await _wait_idle(kernel, msg_id, time.monotonic() + 3.0, None)
            self._note(label, "a check that fails in an instant did not finish (the kernel hangs on asserts)")
        elif outcome == "idle" and (run.ename, run.evalue) != ("AssertionError", message):
            got = f"{run.ename}: {run.evalue}" if run.ename else "it passed"
            self._note(
                label,
                f"a check that must fail did not fail as written ({got[:120]}): failing checks are being hidden",
            )
        await self._check(kernel, label)

    async def _expression(self, kernel: SandboxKernel, expression: str) -> dict | None:
        """The reply to `expression` evaluated between cells (no transformer sees it); None if no answer."""
        from coursekit.grading.run import evaluate

        return await evaluate(kernel, expression, REPLY_TIMEOUT)

    async def _check(self, kernel: SandboxKernel, label: str) -> None:
        value = await self._expression(kernel, f"__import__({self.name!r}).check()")
        if value is None:
            if await kernel.is_alive():
                self._note(label, "the integrity check did not answer")
            return
        if value.get("status") != "ok":
            reason = value.get("ename") or "no answer"
            self._note(label, f"the integrity check could not run ({reason}): the kernel was tampered with")
            return
        try:
            found = json.loads(ast.literal_eval(value["data"]["text/plain"]))
        except (KeyError, ValueError, SyntaxError, TypeError):
            self._note(label, "the integrity check gave an unreadable answer")
            return
        for what in found:
            self._note(label, str(what))
