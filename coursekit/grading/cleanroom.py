"""Clean-room scoring: the tests never run beside student code.

The student's cells run in the student kernel. Every instructor cell runs, in its place, in a second kernel of
the same kind, the *checker*, which never runs student code: the test cells (public and hidden) there alone, the
read-only cells in both (the students' cells need them, and so do the tests). Before an instructor cell runs in
the checker, the grader finds the names it reads (`names_read`, with `ast`) that no earlier instructor cell bound,
and fetches each from the student kernel as plain JSON (cleanroom_kernel.py): plain values by exact type, a
student's function as a proxy whose calls run in the student kernel (under the cell's time limit) and whose result
comes back the same way. A value that cannot be fetched that way is refused: the cell fails with a message the
student can act on, without running.

So test text, expected values and assert messages never enter the student kernel, and whatever student code does
to its own kernel (hooks, patched builtins or libraries, objects equal to everything) cannot reach the tests:
scores and messages come from the checker alone. What a student's function sees is the arguments the tests call
it with (see INSTRUCTORS.md, "What the grader protects against").

Rules of the clean room (documented in INSTRUCTORS.md):
- a name an instructor cell binds (a read-only cell's `article`, a test's `_expected`, an import) is the
  instructor's from then on: the tests read the checker's value, not the student's;
- built-in names and IPython's own (`In`, `Out`, `display`, `get_ipython`) are never fetched;
- a module the student imported under a name the tests read is imported afresh in the checker, if it is one the
  assignment imports or part of the standard library.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import secrets
import time
from pathlib import Path
from queue import Empty
from typing import TYPE_CHECKING

import zmq
import zmq.asyncio

from coursekit.grading.run import (
    DIED,
    ERROR,
    INTERRUPT_GRACE,
    OK,
    TIMEOUT,
    CellRun,
    _Collector,
    _drain_shell,
    _error_output,
    _wait_idle,
    evaluate,
    is_idle,
)

if TYPE_CHECKING:
    from jupyter_client import AsyncKernelClient

    from coursekit.grading.kernels.protocol import Kernel

KERNEL_CODE = Path(__file__).with_name("cleanroom_kernel.py")
REFUSED = "UngradableAnswer"  # the ename of a test cell that did not run because a value was refused
LIMITS = {"items": 2_000_000, "depth": 60, "chars": 6 * 2**20}  # JSON quoted twice on its way: below kernels/client.MAX_MESSAGE
SETUP_TIMEOUT = 20.0
FETCH_TIMEOUT = 30.0
REPLY_TIMEOUT = 5.0  # seconds the checker's execute_reply may come after its idle status
NEVER_FETCHED = frozenset(
    {"In", "Out", "display", "get_ipython", "exit", "quit", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh",
     "_dh", "__builtins__", "__name__", "__doc__", "__spec__", "__loader__", "__package__"}
) | frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _python_source(source: str) -> str:
    from coursekit.grading.pool import _python_source as transform

    return transform(source)


def _walk_outer(node: ast.AST):
    """The nodes of `node` outside any nested scope: a function, lambda, class or comprehension is yielded, with
    its decorators, but not what is inside it."""
    yield node
    if isinstance(node, _SCOPES) and node is not None:
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
            for deco in child.decorator_list:
                yield from _walk_outer(deco)
            continue
        if isinstance(child, _SCOPES):
            yield child
            continue
        yield from _walk_outer(child)


def _stores(stmt: ast.AST) -> set[str]:
    """Names a top-level statement binds (outside nested scopes)."""
    found: set[str] = set()
    for node in _walk_outer(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            found.add(node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
    return found


def _nested_locals(tree: ast.AST) -> set[str]:
    """Names bound inside nested scopes anywhere in `tree` (arguments, comprehension targets, local stores)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.comprehension):
            found.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            body = node.body if isinstance(node.body, list) else [node.body]
            for stmt in body:
                for inner in ast.walk(stmt):
                    if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
                        found.add(inner.id)
    return found


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(_python_source(source))
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=512)  # the same instructor cells, for every submission of a batch
def names_read(source: str) -> tuple[str, ...]:
    """Names the cell reads before binding them, in order: at its top level, the names a statement loads that no
    earlier statement bound (`x = x + 1` reads x); inside functions, lambdas and comprehensions, the names they
    load that are not their own. A cell that does not parse reads nothing (it fails as it would anyway)."""
    tree = _parse(source)
    if tree is None:
        return ()
    local = _nested_locals(tree)
    bound: set[str] = set()
    found: list[str] = []
    for stmt in tree.body:
        outer = {id(n) for n in _walk_outer(stmt)}
        # inside a compound statement (with, for, if, try), a name stored before it is read is the cell's own
        earlier: dict[str, tuple[int, int]] = {}
        if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for node in _walk_outer(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    at = (node.lineno, node.col_offset)
                    earlier[node.id] = min(earlier.get(node.id, at), at)
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and (
                isinstance(node.ctx, ast.Load) or isinstance(node.ctx, ast.Store) and _augmented(stmt, node)
            ):
                if node.id in bound or node.id in found:
                    continue
                if node.id in earlier and earlier[node.id] < (node.lineno, node.col_offset):
                    continue
                if id(node) not in outer and node.id in local:
                    continue
                found.append(node.id)
        bound |= _stores(stmt)
    return tuple(found)


def _augmented(stmt: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.AugAssign) and n.target is name for n in ast.walk(stmt))


@functools.lru_cache(maxsize=512)
def names_bound(source: str) -> frozenset[str]:
    """Names the cell binds at its top level (they are the instructor's in the checker from then on)."""
    tree = _parse(source)
    if tree is None:
        return frozenset()
    found: set[str] = set()
    for stmt in tree.body:
        found |= _stores(stmt)
    return frozenset(found)


def prelude(source_nb) -> tuple[str, ...]:
    """The read-only cells a checker can run before it knows its submission: those above the first test or answer
    cell that read nothing but built-ins and what the cells before them bind (the assignment's set-up: imports,
    data). Their result is the same for every submission, so the batch runs them in each checker while it waits in
    the pool (batch.py), off the submission's time; the checker then skips them in their place."""
    from coursekit.cells import CellKind, cell_kind

    found: list[str] = []
    own: set[str] = set()
    for cell in source_nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell_kind(cell) is not CellKind.READ_ONLY:
            break
        if any(n not in own and n not in NEVER_FETCHED for n in names_read(cell.source)):
            break
        found.append(cell.source)
        own |= names_bound(cell.source)
    return tuple(found)


def _client(kernel: Kernel) -> AsyncKernelClient:
    assert kernel.kc is not None, "the kernel is not started"
    return kernel.kc


async def run_prelude(checker: Kernel, sources: tuple[str, ...], timeout: float) -> bool:
    """Run `sources` in a fresh checker, in order, outputs dropped; True when every one ran to its end in time."""
    ok = True
    for source in sources:
        msg_id = _client(checker).execute(source, store_history=True, allow_stdin=False, stop_on_error=False)
        outcome = await _wait_idle(checker, msg_id, time.monotonic() + timeout, None)
        await _drain_shell(checker)
        ok = ok and outcome == "idle"
        if outcome != "idle":
            break
    return ok


def _text_of(value: dict | None) -> str | None:
    """The string a user expression evaluated to, or None."""
    if not value or value.get("status") != "ok":
        return None
    try:
        text = ast.literal_eval(value["data"]["text/plain"])
    except (KeyError, ValueError, SyntaxError, TypeError, MemoryError):
        return None
    return text if isinstance(text, str) else None


def _values(text: str | None) -> dict | None:
    """The student kernel's answer to a fetch, {name: entry}, or None when it is not such a dict."""
    if text is None:
        return None
    try:
        sent = json.loads(text)
    except ValueError:
        return None
    return sent if isinstance(sent, dict) else None


class CleanRoom:
    """One submission's student kernel and checker kernel; `run_instructor_cell` runs an instructor cell in the
    checker (see the module's docstring). `refusals` lists the values that were refused."""

    def __init__(
        self,
        student: Kernel,
        checker: Kernel,
        allowed_modules: tuple[str, ...],
        ran: tuple[str, ...] = (),
    ) -> None:
        self.student = student
        self.checker = checker
        self.allowed = tuple(sorted({m.split(".")[0] for m in allowed_modules}))
        self.student_module = f"_coursekit_s_{secrets.token_hex(8)}"
        self.checker_module = f"_coursekit_c_{secrets.token_hex(8)}"
        self.ran = list(ran)  # prelude cells the checker already ran (in order): skipped once each in their place
        self.own: set[str] = set().union(*(names_bound(source) for source in ran))
        self.refusals: list[str] = []
        self.checker_ok = False
        self.calls = 0
        self.seconds = {"checker": 0.0, "fetch": 0.0, "calls": 0.0}  # for the batch's profile

    def _install(self, name: str, role: str) -> str:
        code = KERNEL_CODE.read_text(encoding="utf-8")
        folder = str(self.student.folder) if role == "student" else None
        call = f"install({name!r}, {role!r}, {list(self.allowed)!r}, {LIMITS!r}, None, {folder!r})"
        return f"(lambda g: (exec({code!r}, g), eval({call!r}, g))[1])({{}})"

    async def setup_student(self) -> bool:
        """Install the encoder in the student kernel, before any student code (and again after a restart)."""
        answer = await evaluate(self.student, self._install(self.student_module, "student"), SETUP_TIMEOUT)
        return _text_of(answer) == self.student_module

    async def setup_checker(self) -> bool:
        answer = await evaluate(self.checker, self._install(self.checker_module, "checker"), SETUP_TIMEOUT)
        self.checker_ok = _text_of(answer) == self.checker_module
        return self.checker_ok

    async def _fetch(self, names: list[str], deadline: float) -> list[str]:
        """Fetch `names` from the student kernel into the checker; the refusal messages."""
        expression = f"__import__({self.student_module!r}).dump_many({json.dumps(names)!r})"
        left = max(1.0, min(FETCH_TIMEOUT, deadline - time.monotonic()))
        text = _text_of(await evaluate(self.student, expression, left))
        sent = _values(text)
        if text is None:
            if not await self.student.is_alive():
                return []  # the kernel died: the tests meet undefined names, as they would have
            sent = {}
        elif sent is None:
            return ["the answers could not be read"]
        unasked = sorted(str(k)[:40] for k in sent if k not in names)
        payload = json.dumps({n: sent.get(n, {"missing": 1}) for n in names})  # only what the tests read
        answer = _text_of(
            await evaluate(self.checker, f"__import__({self.checker_module!r}).bind({payload!r})", FETCH_TIMEOUT)
        )
        try:
            found = json.loads(answer) if answer is not None else ["the answers could not be passed to the tests"]
        except ValueError:
            found = ["the answers could not be passed to the tests"]
        if not isinstance(found, list):
            found = ["the answers could not be passed to the tests"]
        if unasked:
            found = [*found, f"values came back for names the tests did not ask for ({', '.join(unasked[:5])}): "
                     "the notebook changed how the grader reads answers"]
        return [str(m) for m in found if isinstance(m, str)]

    async def run_instructor_cell(
        self, source: str, label: str, deadline: float, output_cap: int, cell_limit: float
    ) -> CellRun:
        """Run an instructor cell in the checker with the student's values it reads; its CellRun."""
        t0 = time.monotonic()
        if self.ran and self.ran[0] == source:  # run ahead, before the submission was known
            self.ran.pop(0)
            return CellRun(status=OK)
        try:
            return await self._run(source, label, deadline, output_cap, cell_limit, t0)
        finally:
            self.seconds["checker"] += time.monotonic() - t0

    async def _run(
        self, source: str, label: str, deadline: float, output_cap: int, cell_limit: float, t0: float
    ) -> CellRun:
        if not self.checker_ok:
            run = CellRun(status=DIED, ename="DeadKernelError", evalue="the checker kernel is not running")
            run.outputs = [_error_output(run.ename, run.evalue)]
            return run
        wanted = [n for n in names_read(source) if n not in self.own and n not in NEVER_FETCHED]
        if wanted:
            t_fetch = time.monotonic()
            refused = await self._fetch(wanted, deadline)
            self.seconds["fetch"] += time.monotonic() - t_fetch
            if refused:
                self.refusals += [m for m in refused if m not in self.refusals]
                run = CellRun(status=ERROR, ename=REFUSED, evalue="; ".join(refused)[:2000])
                run.outputs = [_error_output(run.ename, run.evalue)]
                run.seconds = time.monotonic() - t0
                self.own |= names_bound(source)
                return run
        sink = _Collector(output_cap)
        msg_id = _client(self.checker).execute(source, store_history=True, allow_stdin=True, stop_on_error=False)
        outcome = await self._serve(msg_id, deadline, sink)
        self.own |= names_bound(source)
        if outcome == "timeout":
            await self.checker.interrupt()
            stopped = await self._serve(msg_id, time.monotonic() + INTERRUPT_GRACE, None)
            waited = time.monotonic() - t0
            run = sink.finish()
            run.status, run.ename, run.line = TIMEOUT, "TimeoutError", None
            run.outputs = [o for o in run.outputs if o.output_type != "error"]
            run.evalue = f"{label} was stopped after {waited:.0f} s (the limit is {cell_limit:g} s)"
            run.outputs.append(_error_output(run.ename, run.evalue))
            run.seconds = waited
            if stopped != "idle":
                self.checker_ok = False
            return run
        if outcome == "died":
            self.checker_ok = False
            run = sink.finish()
            run.status, run.ename = DIED, "DeadKernelError"
            run.evalue = f"the checker stopped while running {label}"
            run.outputs.append(_error_output(run.ename, run.evalue))
            run.seconds = time.monotonic() - t0
            return run
        reply = await _execute_reply(_client(self.checker), msg_id)
        run = sink.finish()
        run.seconds = time.monotonic() - t0
        if run.status == OK and reply.get("status") != "ok":  # the reply, not the absence of an error, says passed
            run.status, run.ename = ERROR, str(reply.get("ename") or "CheckerError")[:80]
            run.evalue = str(reply.get("evalue") or f"the result of {label} could not be read")[:2000]
            run.outputs.append(_error_output(run.ename, run.evalue))
        return run

    async def _serve(self, msg_id: str, deadline: float, sink: _Collector | None) -> str:
        """Read the checker's iopub until `msg_id` is done ('idle', 'timeout' or 'died'), answering its proxies'
        calls (input requests on its stdin channel) by calling into the student kernel."""
        kc = _client(self.checker)
        iopub, stdin = kc.iopub_channel.socket, kc.stdin_channel.socket
        poller = zmq.asyncio.Poller()
        poller.register(iopub, zmq.POLLIN)
        poller.register(stdin, zmq.POLLIN)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            events = dict(await poller.poll(int(min(1.0, left) * 1000)))
            if not events:
                if not await self.checker.is_alive():
                    return "died"
                continue
            if stdin in events:
                try:
                    request = await kc.get_stdin_msg(timeout=0)
                except Empty:
                    request = None
                if request is not None and request["msg_type"] == "input_request":
                    t_call = time.monotonic()
                    kc.input(await self._call(request["content"].get("prompt", ""), deadline))
                    self.seconds["calls"] += time.monotonic() - t_call
            if iopub in events:
                try:
                    msg = await kc.get_iopub_msg(timeout=0)
                except Empty:
                    continue
                if is_idle(msg, msg_id, sink):
                    return "idle"

    async def _call(self, prompt: str, deadline: float) -> str:
        """Run one proxied call in the student kernel; the reply for the checker (JSON text)."""
        prefix = "\x00coursekit-call:"
        if not prompt.startswith(prefix):
            return json.dumps({"raised": ["RuntimeError", "the tests may not read input"]})
        try:
            request = json.loads(prompt[len(prefix) :])
            name, args = request["call"], request["args"]
            if not (isinstance(name, str) and name.isidentifier() and isinstance(args, str)):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return json.dumps({"raised": ["RuntimeError", "the call could not be read"]})
        self.calls += 1
        left = deadline - time.monotonic()
        if left <= 0.05:
            return json.dumps({"timeout": 1})
        expression = f"__import__({self.student_module!r}).call({name!r}, {args!r})"
        text = _text_of(await evaluate(self.student, expression, left))
        if text is None:
            if not await self.student.is_alive():
                return json.dumps({"raised": ["RuntimeError", f"the kernel running {name}() stopped"]})
            return json.dumps({"timeout": 1})
        return text


async def _execute_reply(kc: AsyncKernelClient, msg_id: str, timeout: float = REPLY_TIMEOUT) -> dict:
    """The content of the checker's execute_reply to `msg_id` (other replies are dropped), or {} when none came
    within `timeout` seconds (a reply the checker could not send)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = await kc.get_shell_msg(timeout=left)
        except Empty:
            break
        if msg["parent_header"].get("msg_id") == msg_id:
            return dict(msg["content"])
    return {}


def refused_message(refusals: list[str], shown: int = 4) -> str:
    """The row's message when values were refused."""
    more = f"; and {len(refusals) - shown} more" if len(refusals) > shown else ""
    return "REFUSED: some answers could not be graded as they are: " + "; ".join(refusals[:shown]) + more
