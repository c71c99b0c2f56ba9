"""Tests stay safe to run side by side (the suite runs on every core: pytest-xdist workers,
``./kiosk.sh test``; and several developers' suites share one machine).

Each worker is its own process with its own session fixtures (Xvfb display chosen by
Xvfb, private pcscd with free vpcd ports, sandbox on port 0, Kivy app, data under
``tmp_path``), so two tests collide only through something fixed on the machine. This
test reads every Python file under tests/ (the syntax tree) and fails on:

- a port fixed in the test: ``bind((host, 8765))``/``connect((host, N))`` with a literal
  non-zero port, a keyword argument named ``…port`` with one (``port=8765``), a
  ``"--port", "8765"``-style argument in a command list, or a ``…PORT`` environment value
  with one. Listen on port 0 and read the port back;
- a fixed path under ``/tmp``, ``/var/tmp`` or ``/dev/shm`` handed to a call that opens,
  makes or removes it (``Path``, ``open``, ``makedirs``, ``mkdtemp(dir=…)``…): use
  ``tmp_path``/``tmp_path_factory``;
- ``pkill``/``killall``: stop what the test started, by its process.

A literal that names a port or path the test never opens (a URL the production checks
refuse, a value a validator rejects) is data, not a collision: list it in ALLOWED with the
reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# (file relative to tests/, line text stripped) → why the literal is data, not a resource.
ALLOWED: dict[tuple[str, str], str] = {
    ("cli/test_cli_errors.py",
     'line = one_line_error(run_kiosk(["sandbox", "--port", "1"], env))'):
        "the sandbox exits on its data directory before it listens: port 1 is never bound",
    ("cli/test_cli_errors.py",
     'line = one_line_error(run_kiosk(["sandbox", "--port", "1", "--db", str(tmp_path)], '
     'secrets_env))'):
        "the sandbox exits on its database before it listens: port 1 is never bound",
}
TMP = ("/tmp", "/var/tmp", "/dev/shm")
KILL_BY_NAME = {"pkill", "killall"}
# Calls whose first argument (or dir=) is a path the call opens, makes or removes.
PATH_CALLS = {"Path", "PurePath", "open", "mkdir", "makedirs", "mkdtemp", "mkstemp",
              "NamedTemporaryFile", "TemporaryDirectory", "rmtree", "copytree", "copy",
              "copyfile", "unlink", "remove", "chdir", "PrivatePcscd", "serve"}
PORT_ENV = re.compile(r"PORT$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"tests/{self.file}:{self.line}: {self.what}"


def _int(node: ast.AST) -> int | None:
    """A literal non-zero port number (int or digit string), else None."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and value:
            return value
        if isinstance(value, str) and value.isdigit() and int(value):
            return int(value)
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def findings_in(source: str, file: str) -> list[Finding]:
    """What ``source`` (a test file's text) fixes on the machine."""
    found: list[Finding] = []
    for node in ast.walk(ast.parse(source, file)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            first = node.args[0] if node.args else None
            if (name in ("bind", "connect", "connect_ex") and isinstance(first, ast.Tuple)
                    and len(first.elts) == 2 and _int(first.elts[1])):
                found.append(Finding(file, node.lineno, f"{name}() on fixed port "
                                                         f"{_int(first.elts[1])}"))
            for kw in node.keywords:
                if kw.arg and kw.arg.lower().endswith("port") and _int(kw.value):
                    found.append(Finding(file, node.lineno, f"{kw.arg}={_int(kw.value)}"))
            paths = [*node.args[:1], *(kw.value for kw in node.keywords if kw.arg == "dir")]
            for arg in paths if name in PATH_CALLS else ():
                if (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                        and arg.value.startswith(TMP)):
                    found.append(Finding(file, node.lineno, f"fixed path {arg.value!r}"))
            if name in KILL_BY_NAME:
                found.append(Finding(file, node.lineno, f"{name}(): kills by name"))
        elif isinstance(node, (ast.List, ast.Tuple)):
            elts = node.elts
            for a, b in zip(elts, elts[1:], strict=False):
                if (isinstance(a, ast.Constant) and isinstance(a.value, str)
                        and a.value.startswith("--") and a.value.endswith("port") and _int(b)):
                    found.append(Finding(file, node.lineno, f"{a.value} {_int(b)}"))
            if (elts and isinstance(elts[0], ast.Constant)
                    and elts[0].value in KILL_BY_NAME):
                found.append(Finding(file, node.lineno, f"{elts[0].value}: kills by name"))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (isinstance(key, ast.Constant) and isinstance(key.value, str)
                        and PORT_ENV.search(key.value) and _int(value)):
                    found.append(Finding(file, node.lineno, f"{key.value}={_int(value)}"))
    lines = source.splitlines()
    return [f for f in found
            if (f.file, lines[f.line - 1].strip()) not in ALLOWED]


def test_no_test_fixes_a_port_a_temp_path_or_kills_by_name() -> None:
    found = [f for path in sorted(TESTS.rglob("*.py"))
             for f in findings_in(path.read_text(encoding="utf-8"),
                                  path.relative_to(TESTS).as_posix())]
    assert not found, ("not safe to run beside another test (see this file's docstring):\n"
                       + "\n".join(map(str, found)))


def test_the_check_finds_each_kind() -> None:
    source = '''
import socket, subprocess
from pathlib import Path
def test_x(tmp_path):
    socket.socket().bind(("127.0.0.1", 8765))
    start_sandbox_thread(settings, port=8766)
    subprocess.run(["kiosk", "sandbox", "--port", "8767"])
    env = {"KIOSK__DIAGNOSTICS__METRICS_PORT": "9464"}
    Path("/tmp/kiosk-test").mkdir()
    subprocess.run(["pkill", "-f", "pcscd"])
'''
    whats = sorted(f.what for f in findings_in(source, "x.py"))
    assert whats == sorted(["bind() on fixed port 8765", "port=8766", "--port 8767",
                            "KIOSK__DIAGNOSTICS__METRICS_PORT=9464",
                            "fixed path '/tmp/kiosk-test'", "pkill: kills by name"]), whats


def test_what_is_safe_is_not_found() -> None:
    source = '''
import socket
def test_y(tmp_path, sandbox):
    socket.socket().bind(("127.0.0.1", 0))
    start_sandbox_thread(settings, port=0)
    url = "http://127.0.0.1:8765"       # data: a URL the test never listens on
    (tmp_path / "x").write_text("/tmp/evil.so")
    check({"cards": {"id_sdk_library": "/tmp/evil.so"}})
'''
    assert findings_in(source, "y.py") == []
