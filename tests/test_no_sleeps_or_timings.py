"""Tests wait for conditions and leave timings to the benches.

A fixed ``sleep`` in a test is either too short on a loaded machine (a flaky failure) or
too long everywhere (a slow suite); :func:`tests.fixtures.polling.until` waits for the
condition itself, within a limit. A timing assertion (``elapsed < 0.1``) fails when the
machine is busy, whatever the code does: how fast something is belongs to a ``kiosk
bench`` figure, and a test asserts what happened (the answer came, the call was refused,
the deadline ended it), not how long it took.

This test reads every Python file under tests/ (the syntax tree, so a child program
written into a string is not counted) and fails on:

- a call to ``time.sleep``, ``sleep``, ``asyncio.sleep`` or ``select.select`` with only a
  timeout;
- ``x.pump(seconds)``: the Kivy loop (or a dispatcher) run for a fixed time is a fixed
  sleep too. Pump until a condition (``ui.wait_until``, ``ui.wait_for_screen``), or
  ``ui.drain()`` to let every hop already handed to the UI thread run before asserting
  that something did not happen (``pump_frames(n)`` counts turns of the loop, not time);
- ``threading.Timer(delay, ...)``: an action after a fixed delay, hoping the other side
  is ready by then (act once a condition says it is);
- a hypothesis ``deadline`` other than None, a ``fuzz_settings`` without
  ``deadline_ms=None``, or a ``suppress_health_check`` list that turns the ``too_slow``
  check back on: timing checks on every example (tests/conftest.py's profile has
  none);
- an assertion that compares a clock reading (``time.monotonic()``, ``perf_counter()``,
  ``time.time()``, or a name computed from one in the same function) or a measured
  duration (a name or attribute called ``elapsed``/``took``/``duration``/``latency`` or
  ending in ``_ms``) with ``<``, ``<=``, ``>`` or ``>=``.

The few places that need one are listed in ALLOWED with their reason: a misbehaving
party played (a server that dribbles, an app whose UI thread hangs), where the delay is
the behaviour under test and not a wait for it; or a deadline the code keeps, read
against the clock as a value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# (file relative to tests/, function) → why a fixed delay is the behaviour, not a wait.
ALLOWED: dict[tuple[str, str], str] = {
    ("fixtures/polling.py", "until"): "the one sanctioned wait: between two checks of the "
                                      "condition",
    ("central/hostile.py", "_dribble"): "a hostile server sending its answer a byte at a "
                                        "time: the delay is the attack",
    ("central/hostile.py", "_slow_headers"): "a hostile server sending its header slowly: "
                                             "the delay is the attack",
    ("system/test_preloss_kill9.py", "confirm_then_kill"): "kill -9 at a chosen instant "
                                                           "after confirming: the instant is "
                                                           "the input the test varies",
    ("deploy/freeze_app.py", "<lambda>"): "an app whose UI thread hangs, for the watchdog "
                                          "test: the hang is the fault played",
    ("diagnostics/test_screens.py", "hold"): "a finger held for a chosen time is the "
                                             "technician gesture's input: shorter than the "
                                             "3 s it needs, or 3.3 s in the wrong corner, "
                                             "must open nothing (hold_until_pin waits on "
                                             "the PIN pad)",
    # Deadlines the code keeps, read against the clock: a value, not a duration.
    ("services/test_resend_cooldown.py", "test_resend_waits_for_the_services_cooldown"):
        "the resend countdown's end is a monotonic deadline the view carries: checked to "
        "lie ahead, within the service's 600 s",
    ("system/test_app_kill9.py", "test_queued_pre_loss_and_lock_out_survive_kill_9_of_the_app"):
        "the technician lock-out's end after a kill -9 is compared with its end before "
        "(same boot): a deadline kept, not how long anything took",
}
SLEEPS = {("time", "sleep"), ("asyncio", "sleep"), (None, "sleep")}
CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}
MEASURED = ("elapsed", "took", "duration", "latency")
ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    function: str
    what: str

    def __str__(self) -> str:
        return f"tests/{self.file}:{self.line} in {self.function}: {self.what}"


def _call_name(node: ast.Call) -> tuple[str | None, str]:
    f = node.func
    if isinstance(f, ast.Attribute):
        owner = f.value.id if isinstance(f.value, ast.Name) else None
        return owner, f.attr
    if isinstance(f, ast.Name):
        return None, f.id
    return None, ""


def _is_clock_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    owner, name = _call_name(node)
    return name in CLOCKS and (owner == "time" or (owner is None and name != "time"))


def _is_fixed_sleep(node: ast.Call) -> bool:
    owner, name = _call_name(node)
    if (owner, name) in SLEEPS:
        return True
    # select.select([], [], [], t): a sleep spelt differently.
    return (owner, name) == ("select", "select") and len(node.args) == 4 and all(
        isinstance(a, ast.List) and not a.elts for a in node.args[:3])


def _is_fixed_pump(node: ast.Call) -> bool:
    """``x.pump(seconds)``: a loop run for a time; ``rig.pump(until=...)`` waits on a
    condition and ``pump_frames(n)`` counts turns."""
    return isinstance(node.func, ast.Attribute) and node.func.attr == "pump" and (
        bool(node.args) or any(k.arg == "seconds" for k in node.keywords))


def _timing_setting(node: ast.Call) -> str | None:
    """A hypothesis setting that times each example, described; None if there is none."""
    _, name = _call_name(node)
    kw = {k.arg: k.value for k in node.keywords}
    if name == "settings":
        deadline = kw.get("deadline")
        if deadline is not None and not (isinstance(deadline, ast.Constant)
                                         and deadline.value is None):
            return f"a per-example deadline {ast.unparse(deadline)}"
        checks = kw.get("suppress_health_check")
        if checks is not None and "too_slow" not in ast.unparse(checks) \
                and ast.unparse(checks) != "list(HealthCheck)":
            return "suppress_health_check without too_slow (a timed health check)"
    if name == "fuzz_settings":
        deadline = kw.get("deadline_ms")
        if not (isinstance(deadline, ast.Constant) and deadline.value is None):
            return "fuzz_settings without deadline_ms=None (the bench's deadline)"
    return None


def _measured(node: ast.AST) -> bool:
    name = node.id if isinstance(node, ast.Name) else (
        node.attr if isinstance(node, ast.Attribute) else "")
    name = name.lower()
    return any(word in name for word in MEASURED) or name.endswith("_ms")


class _Function(ast.NodeVisitor):
    """One function's findings; nested functions are visited on their own."""

    def __init__(self, file: str, name: str) -> None:
        self.file, self.name = file, name
        self.clock_names: set[str] = set()
        self.findings: list[Finding] = []

    def _uses_clock(self, node: ast.AST) -> bool:
        return any(_is_clock_call(n) or (isinstance(n, ast.Name) and n.id in self.clock_names)
                   or _measured(n) for n in ast.walk(node))

    def _is_clock_value(self, node: ast.AST) -> bool:
        """A clock reading, or arithmetic on one (``t0 + 5``, ``now() - t0``); a call of
        anything else (an outbox given a fake clock) or a container is not."""
        if isinstance(node, ast.Call):
            return _is_clock_call(node)
        if isinstance(node, ast.Name):
            return node.id in self.clock_names
        if isinstance(node, ast.BinOp):
            return self._is_clock_value(node.left) or self._is_clock_value(node.right)
        if isinstance(node, ast.UnaryOp):
            return self._is_clock_value(node.operand)
        return False

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._is_clock_value(node.value):
            for target in node.targets:
                self.clock_names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_fixed_sleep(node):
            self.findings.append(Finding(self.file, node.lineno, self.name,
                                         f"fixed sleep {ast.unparse(node)}"))
        elif _is_fixed_pump(node):
            self.findings.append(Finding(self.file, node.lineno, self.name,
                                         f"fixed wait {ast.unparse(node)}"))
        elif _call_name(node)[1] == "Timer":
            self.findings.append(Finding(self.file, node.lineno, self.name,
                                         f"fixed delay {ast.unparse(node)}"))
        elif (setting := _timing_setting(node)) is not None:
            self.findings.append(Finding(self.file, node.lineno, self.name,
                                         f"timing check: {setting}"))
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            if any(isinstance(op, ORDER) for op in compare.ops) and self._uses_clock(compare):
                self.findings.append(Finding(self.file, node.lineno, self.name,
                                             f"timing assertion {ast.unparse(compare)}"))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        inner = _Function(self.file, node.name)
        inner.clock_names = set(self.clock_names)  # a closure sees the outer clock names
        for statement in (*node.decorator_list, *node.body):  # @settings(deadline=...)
            inner.visit(statement)
        self.findings += inner.findings

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        inner = _Function(self.file, "<lambda>")
        inner.clock_names = set(self.clock_names)
        inner.visit(node.body)
        self.findings += inner.findings


def scan(path: Path, root: Path = TESTS) -> list[Finding]:
    rel = path.relative_to(root).as_posix()
    module = _Function(rel, "<module>")
    module.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return module.findings


def test_no_fixed_sleep_and_no_timing_assertion_in_the_tests() -> None:
    found = [f for path in sorted(TESTS.rglob("*.py")) for f in scan(path)
             if (f.file, f.function) not in ALLOWED]
    assert not found, ("wait with tests.fixtures.polling.until on a condition, and move "
                       "timings to a `kiosk bench` figure:\n" + "\n".join(map(str, found)))


def test_every_allowance_is_still_needed() -> None:
    used = {(f.file, f.function) for path in sorted(TESTS.rglob("*.py")) for f in scan(path)}
    assert set(ALLOWED) <= used, f"no longer needed: {sorted(set(ALLOWED) - used)}"


def test_the_scanner_sees_each_kind(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    source = '''
import time, asyncio, select
from time import sleep, monotonic

def test_a():
    time.sleep(0.1)
    sleep(1)
    select.select([], [], [], 0.5)
    t0 = time.monotonic()
    elapsed = time.monotonic() - t0
    assert elapsed < 0.1
    assert monotonic() - t0 >= 2
    assert result.took_ms < 150
    wall = [time.time()]                     # a fake clock that starts now
    box = Outbox(clock=lambda: wall[0])
    assert 0 < box.next_due_in() <= 30       # the fake clock decides: not a timing

async def test_b():
    await asyncio.sleep(1)

@settings(max_examples=9, deadline=500)
def test_d(ui, rig):
    ui.pump(0.3)                              # the loop for a time
    ui.pump(seconds=1)
    threading.Timer(0.2, act).start()         # an action after a delay
    settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
    fuzz_settings(10)
    rig.pump(until=1, timeout=3)              # until a condition: fine
    rig.pump()
    ui.pump_frames(2)
    ui.drain()
    settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    fuzz_settings(10, deadline_ms=None)

def test_c():
    code = "import time; time.sleep(60)"    # a child program: not a wait of the test
    deadline = 5
    assert len(code) > deadline              # not a clock
    assert abs(now - then) == 0
'''
    sample.write_text(source, encoding="utf-8")
    found = scan(sample, tmp_path)
    kinds = sorted((f.function, f.what.split()[0]) for f in found)
    assert kinds == [("test_a", "fixed")] * 3 + [("test_a", "timing")] * 3 + [
        ("test_b", "fixed")] + [("test_d", "fixed")] * 3 + [("test_d", "timing")] * 3, found


def test_no_property_test_can_fail_on_speed() -> None:
    from hypothesis import HealthCheck, settings

    assert settings.default.deadline is None  # tests/conftest.py's profile
    assert HealthCheck.too_slow in settings.default.suppress_health_check
