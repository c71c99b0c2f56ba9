"""``kiosk bench mutate``: do the tests notice when the code is wrong? (mutation testing)

One small change at a time (a *mutant*) is made to a module, and the module's own tests
run against it; a mutant the tests still pass is a change nobody would notice. The
score is the share of mutants killed (a test failed, or the tests ran past their time
limit). Outside CI: CPU-heavy (every mutant runs the tests again), run module by module
(``--module kiosk/domain/masking.py``, default: every module in :data:`TARGETS`) with
only that module's tests (:data:`TARGETS`). docs/testing.md says how to read the
results; README.md records the scores.

Why not mutmut: mutmut 3 pulls in textual, libcst and coverage (~20 MB, not light for
the dev extra), mutates only inside functions (not the module-level tables these modules
are made of: check-digit weights, failure tables, SQL schemas, regexes), and its
trampolines change how functions are called. Here the syntax tree is mutated (the same
operators as mutmut: comparisons, arithmetic, boolean operators, ``not`` removed,
numbers +1, strings changed, ``True``/``False`` swapped, ``return x`` → ``return None``,
a call statement removed, ``break``/``continue`` swapped), plus hand-written mutants per
module (:data:`HAND_MUTANTS`: the changes a careless edit or an attacker's patch would
make, such as the nonce left out of the signed string or ``synchronous=OFF``). Not
mutated: docstrings, type annotations, and the text of log calls (words only a reader of
the log sees).

How it runs: this process loads pytest and the libraries the tests use once, then
forks one child per mutant; the child drops every ``kiosk``/``tests`` module it had,
installs an import hook that serves the mutated source for the one module, and runs
pytest on the targeted tests (``-x``: the first failure kills the mutant). A child
past its limit (the unmutated run's time × 5 + 10 s) is killed and counts as killed
(an endless loop is noticed too).
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.cli.common import CliError

REPO = Path(__file__).resolve().parents[2]

# Module → the tests that must notice a change to it (paths from the repository root,
# and any further pytest arguments). The outbox's slow tests (kill -9, forged answers
# over HTTP, a thousand restarts) are CI's; its fast behaviour tests are run here.
TARGETS: dict[str, tuple[str, ...]] = {
    "kiosk/domain/masking.py": ("tests/domain/test_masking.py",),
    "kiosk/domain/idnumber.py": ("tests/domain/test_idnumber.py",),
    "kiosk/domain/receipts.py": ("tests/domain/test_receipts.py",),
    "kiosk/domain/opening_hours.py": ("tests/domain/test_opening_hours.py",),
    "kiosk/domain/working_days.py": ("tests/domain/test_working_days.py",
                                     "tests/domain/test_calendar.py"),
    "kiosk/domain/holiday_schedule.py": ("tests/domain/test_holiday_schedule.py",),
    "kiosk/domain/card_states.py": ("tests/domain/test_card_states.py",),
    "kiosk/domain/clock.py": ("tests/domain/test_clock.py",),
    "kiosk/domain/models.py": ("tests/domain/test_models.py",),
    "kiosk/domain/pause_reasons.py": ("tests/domain/test_models.py",),
    "kiosk/central/signing.py": ("tests/central/test_signing_vectors.py",),
    "kiosk/central/sealing.py": ("tests/central/test_sealing_vectors.py",),
    "kiosk/central/outbox.py": ("tests/central/test_outbox_behaviour.py",
                                "tests/central/test_outbox_storage.py",
                                "tests/central/test_outbox_sealed.py",
                                "tests/central/test_outbox.py",
                                "-k", "not sender and not kill_9 and not service_down"),
    "kiosk/services/failures.py": ("tests/services/test_failure_mapping.py",
                                   "tests/services/test_failure_parts.py",
                                   "tests/services/test_failure_tables.py",
                                   "tests/services/test_card_failure.py"),
}

# Hand-written mutants: (what the change is, the text replaced, its replacement). One
# that no longer applies (the code changed) is reported, never silently dropped.
HAND_MUTANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "kiosk/central/signing.py": (
        ("the nonce left out of the signed request string",
         "str(timestamp),\n                      nonce, terminal_id,",
         "str(timestamp),\n                      terminal_id,"),
        ("the terminal id left out of the signed request string",
         "nonce, terminal_id, idempotency_key)", "nonce, idempotency_key)"),
        ("the idempotency key left out of the signed request string",
         "terminal_id, idempotency_key)).encode()", "terminal_id)).encode()"),
        ("only the first 16 hex digits of a request signature compared",
         "hmac.compare_digest(expected, given)",
         "hmac.compare_digest(expected[:16], given[:16])"),
        ("only the first 16 hex digits of a reply signature compared",
         "hmac.compare_digest(reply_signature(key, nonce, status, body), given)",
         "hmac.compare_digest(reply_signature(key, nonce, status, body)[:16], given[:16])"),
        ("any timestamp in the future accepted",
         "abs(current - ts) > max_skew", "current - ts > max_skew"),
        ("the HTTP status left out of the reply signature",
         "(REPLY_SCHEME, nonce, str(status), body_digest(body))",
         "(REPLY_SCHEME, nonce, body_digest(body))"),
        ("the method signed as sent (case)", "method.upper(), path", "method, path"),
        ("the reply signature's shape not checked",
         "not given or not SIGNATURE_RE.fullmatch(given)", "not given"),
    ),
    "kiosk/central/sealing.py": (
        ("no associated data", "plaintext.encode(), associated.encode()",
         "plaintext.encode(), None"),
        ("a fixed nonce", "os.urandom(_NONCE)", "bytes(_NONCE)"),
        ("HKDF info changed", 'b"kiosk outbox v1"', 'b"kiosk outbox"'),
    ),
    "kiosk/central/outbox.py": (
        ("pending() also returns rejected items", "WHERE status = 'pending'\"",
         "WHERE status != 'delivered'\""),
        ("mark_rejected keeps the payload (personal data stays on disk)",
         "status = 'rejected', payload = NULL,", "status = 'rejected',"),
        ("mark_delivered keeps the payload", "status = 'delivered', payload = NULL,",
         "status = 'delivered',"),
        ("synchronous=OFF", "PRAGMA synchronous=FULL", "PRAGMA synchronous=OFF"),
        ("synchronous=NORMAL", "PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL"),
        ("no WAL journal", "PRAGMA journal_mode=WAL", "PRAGMA journal_mode=DELETE"),
        ("no secure delete", "PRAGMA secure_delete=ON", "PRAGMA secure_delete=OFF"),
        ("newest first", "ORDER BY id\", args)", "ORDER BY id DESC\", args)"),
        ("back-off ignored", "next_attempt_at <= ?", "next_attempt_at >= 0 OR ? IS NULL"),
        ("the WAL not emptied after a delivery", "PRAGMA wal_checkpoint(TRUNCATE)",
         "PRAGMA wal_checkpoint(PASSIVE)"),
    ),
}

# Known equivalent mutants: mutant id (see :class:`Mutant`) → why no test can tell it
# from the original. Kept in step with docs/testing.md.
EQUIVALENT: dict[str, str] = {
    "InvalidIdNumber.__init__: call super().__init__() removed [1]":
        "BaseException.__new__ keeps the arguments already: str() and args are the same",
    "RuleViolation.__init__: call super().__init__() removed [1]":
        "BaseException.__new__ keeps the arguments already: str() and args are the same",
    "_adhoc: 0 → 1 [1]": "the ad-hoc schedule's year is never asked for: the free "
                        "functions return dates only",
    "_adhoc: 'given' changed [1]": "the ad-hoc schedule's source is never shown: the free "
                                  "functions return dates only",
    "_adhoc: False → True [2]": "the ad-hoc schedule's 'official' flag is never read: the "
                               "free functions return dates only",
    "WorkingCalendar.month: 1 → 2 [1]": "the date is built only to refuse a month that does "
                                       "not exist; any day of the month does the same",
    "region_zone: 8 → 9 [1]": "the size of the zone cache changes speed, never an answer",
    "OpeningHours.next_change: > → >= [1]": "at the moment itself the state is the one it "
                                           "is: never a change, so never returned",
    "scrub_text: - removed [1]": "the card pattern's digits are exactly 8: their last 4 "
                                 "([-4:]) are the ones from the 5th on ([4:])",
    # kiosk/central/outbox.py
    "OutboxItem: 'pending' changed [1]": "no caller builds an OutboxItem without its status: "
                                         "the outbox reads every field from the row",
    "OutboxItem: 0 → 1 [1]": "no caller builds an OutboxItem without its refusals: the "
                             "outbox reads every field from the row",
    "OutboxItem: 0.0 → 1.0 [1]": "no caller builds an OutboxItem without its refused time: "
                                 "the outbox reads every field from the row",
    "OutboxItem: False → True [1]": "repr=True: a dataclass never replaces a __repr__ the "
                                    "class defines (the one that hides the payload)",
    "<module>: 'TEXT' changed [1]": "'XXTEXTXX' has TEXT affinity still: SQLite picks a "
                                    "column's affinity by a substring of its declared type",
    "<module>: 'REAL' changed [1]": "'XXREALXX' has REAL affinity still: SQLite picks a "
                                    "column's affinity by a substring of its declared type",
    "Outbox.__init__: call self._db.execute() removed [2]":
        "PRAGMA synchronous=FULL removed: FULL is this SQLite build's default, so the "
        "connection is the same (durability() reads 2 either way); kept for a build whose "
        "default is not",
    "Outbox.__init__: call self._db.execute() removed [3]":
        "PRAGMA secure_delete=ON removed: ON is this SQLite build's default (Debian builds "
        "with SQLITE_SECURE_DELETE); kept for a build whose default is not",
    "Outbox.enqueue: False → True [1]": "ensure_ascii: the stored JSON spelt with \\u "
                                        "escapes reads back as the same payload",
    "Outbox.enqueue: True → False [1]": "sort_keys: the stored JSON's key order; it reads "
                                        "back as the same payload",
    "Outbox._open: 'no payload' changed [1]": "the error's words are never shown: _items "
                                              "catches it and logs the item's id only",
    "Outbox._open: 'payload is not an ob' changed [1]": "the error's words are never shown: "
                                                        "_items catches it and logs the "
                                                        "item's id only",
    "Outbox._open: 'no key' changed [1]": "the error's words are never shown: _items catches "
                                          "it and logs the item's id only",
    "Outbox.__init__: 10 → 11 [1]": "how long a write waits for another connection's lock: "
                                    "the outbox is its file's one writer; an answer never "
                                    "depends on it",
}

LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
COMPARE_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Eq: (ast.NotEq,), ast.NotEq: (ast.Eq,), ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE), ast.Gt: (ast.GtE, ast.Lt), ast.GtE: (ast.Gt, ast.LtE),
    ast.In: (ast.NotIn,), ast.NotIn: (ast.In,), ast.Is: (ast.IsNot,), ast.IsNot: (ast.Is,),
}
BINOP_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,), ast.Sub: (ast.Add,), ast.Mult: (ast.Div,), ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,), ast.Mod: (ast.Mult,), ast.Pow: (ast.Mult,),
    ast.LShift: (ast.RShift,), ast.RShift: (ast.LShift,), ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,), ast.BitXor: (ast.BitAnd,),
}


@dataclass(frozen=True)
class Mutant:
    """One change: where (function and line), what, and the source it gives."""

    ident: str  # "<qualname>: <what> [<n>]" — stable while the function keeps its shape
    line: int
    what: str
    source: str


def _op(node: ast.AST) -> str:
    return {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
            ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
            ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
            ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<",
            ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
            ast.And: "and", ast.Or: "or"}.get(type(node), type(node).__name__)


def _skipped_ids(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, log call arguments."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                mark(body[0])
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            mark(node.returns)
            for arg in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs,
                        node.args.vararg, node.args.kwarg):
                if arg is not None:
                    mark(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.ImportFrom | ast.Import):
            mark(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name) \
                and node.func.value.id in ("log", "logger", "logging"):
            for value in (*node.args, *node.keywords):
                mark(value)
    return skip


def _qualnames(tree: ast.Module) -> dict[int, str]:
    """Node id → the qualified name of the function or class it sits in."""
    names: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                inner = f"{prefix}.{child.name}" if prefix else child.name
                for n in ast.walk(child):
                    names[id(n)] = inner
                visit(child, inner)
            else:
                visit(child, prefix)

    visit(tree, "")
    return names


def _alternatives(node: ast.AST) -> Iterator[tuple[str, Callable[[ast.AST], ast.AST]]]:
    """(what, how) for each mutation of ``node``; ``how`` returns the replacement."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for alt in COMPARE_SWAPS.get(type(op), ()):
                def swap(n: ast.AST, i: int = i, alt: type = alt) -> ast.AST:
                    assert isinstance(n, ast.Compare)
                    n.ops[i] = alt()
                    return n
                yield f"{_op(op)} → {_op(alt())}", swap
    elif isinstance(node, ast.BinOp):
        for alt in BINOP_SWAPS.get(type(node.op), ()):
            def binop(n: ast.AST, alt: type = alt) -> ast.AST:
                assert isinstance(n, ast.BinOp)
                n.op = alt()
                return n
            yield f"{_op(node.op)} → {_op(alt())}", binop
    elif isinstance(node, ast.AugAssign):
        for alt in BINOP_SWAPS.get(type(node.op), ()):
            def aug(n: ast.AST, alt: type = alt) -> ast.AST:
                assert isinstance(n, ast.AugAssign)
                n.op = alt()
                return n
            yield f"{_op(node.op)}= → {_op(alt())}=", aug
    elif isinstance(node, ast.BoolOp):
        alt_bool = ast.Or if isinstance(node.op, ast.And) else ast.And

        def boolop(n: ast.AST) -> ast.AST:
            assert isinstance(n, ast.BoolOp)
            n.op = alt_bool()
            return n
        yield f"{_op(node.op)} → {_op(alt_bool())}", boolop
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        yield f"{'not' if isinstance(node.op, ast.Not) else '-'} removed", \
            lambda n: n.operand  # type: ignore[attr-defined]
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            yield f"{value} → {not value}", lambda n: ast.Constant(not value)
        elif isinstance(value, int | float):
            yield f"{value!r} → {value + 1!r}", lambda n: ast.Constant(value + 1)
        elif isinstance(value, str) and value:
            yield f"{value[:20]!r} changed", lambda n: ast.Constant("XX" + value + "XX")
        elif isinstance(value, bytes) and value:
            yield f"{value[:20]!r} changed", lambda n: ast.Constant(b"XX" + value + b"XX")
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        yield "return None", lambda n: ast.Return(ast.Constant(None))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        yield f"call {ast.unparse(node.value.func)}() removed", lambda n: ast.Pass()
    elif isinstance(node, ast.Break):
        yield "break → continue", lambda n: ast.Continue()
    elif isinstance(node, ast.Continue):
        yield "continue → break", lambda n: ast.Break()


def mutants(path: Path) -> list[Mutant]:
    """Every automatic and hand-written mutant of the module at ``path``."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    skip, names, slots = _skipped_ids(tree), _qualnames(tree), _slots(tree)
    out: list[Mutant] = []
    seen: dict[str, int] = {}
    for node in [n for n in ast.walk(tree) if id(n) not in skip and id(n) in slots]:
        parent, field, index = slots[id(node)]
        for what, how in _alternatives(node):
            twin = how(copy.deepcopy(node))
            _put(parent, field, index, twin)
            try:
                source = ast.unparse(ast.fix_missing_locations(tree))
            finally:
                _put(parent, field, index, node)
            key = f"{names.get(id(node), '<module>')}: {what}"
            seen[key] = seen.get(key, 0) + 1
            out.append(Mutant(f"{key} [{seen[key]}]", getattr(node, "lineno", 0), what,
                              source))
    try:
        rel = path.resolve().relative_to(REPO).as_posix()
    except ValueError:
        rel = ""
    for what, old, new in HAND_MUTANTS.get(rel, ()):
        line = text[:text.find(old)].count("\n") + 1 if old in text else 0
        out.append(Mutant(f"hand: {what}", line, what,
                          text.replace(old, new, 1) if old in text else ""))
    return out


def _slots(tree: ast.AST) -> dict[int, tuple[ast.AST, str, int | None]]:
    """Node id → (parent, field, index in the field's list or None)."""
    slots: dict[int, tuple[ast.AST, str, int | None]] = {}
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, ast.AST):
                slots[id(value)] = (parent, field, None)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        slots[id(item)] = (parent, field, i)
    return slots


def _put(parent: ast.AST, field: str, index: int | None, node: ast.AST) -> None:
    if index is None:
        setattr(parent, field, node)
    else:
        getattr(parent, field)[index] = node


class _Served(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``source`` as module ``name`` (its ``__file__`` the real one)."""

    def __init__(self, name: str, path: Path, source: str) -> None:
        self.name, self.path, self.source = name, path, source

    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: object) -> None:
        exec(compile(self.source, str(self.path), "exec"), module.__dict__)  # noqa: S102


def _preload(tests: tuple[str, ...]) -> None:
    """Import the tests, their fixtures and what they use once, here: each child then
    imports again only what depends on the mutated module."""
    import importlib

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    conftest = importlib.import_module("tests.conftest")
    for plugin in getattr(conftest, "pytest_plugins", []):
        importlib.import_module(plugin)
    for test in _test_files(tests):
        importlib.import_module(test.removesuffix(".py").replace("/", "."))


def _test_files(tests: tuple[str, ...]) -> list[str]:
    return [t for t in tests if t.endswith(".py")]


def _dependents(target: str) -> set[str]:
    """``target`` and every loaded kiosk/tests module that imports it, at any depth
    (imports read from the source, those inside functions included)."""
    imports: dict[str, set[str]] = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.split(".")[0] not in ("kiosk", "tests") or not file:
            continue
        try:
            tree = ast.parse(Path(file).read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
        imports[name] = found
    out, todo = {target}, [target]
    while todo:
        current = todo.pop()
        for name, found in imports.items():
            if name not in out and current in found:
                out.add(name)
                todo.append(name)
    return out


def _run_tests(tests: tuple[str, ...], served: _Served | None, limit: float,
               purge: set[str] | None = None) -> int:
    """Fork; in the child run pytest on ``tests`` with ``served`` in place (the modules
    in ``purge`` imported afresh); the exit code, or -1 when the child ran past
    ``limit`` seconds or died of a signal."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 3
        try:
            signal.alarm(max(1, int(limit)))
            for name in purge or ():
                sys.modules.pop(name, None)
            if served is not None:
                sys.meta_path.insert(0, served)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest  # lazy: a dev tool; the kiosk itself never needs it

            # pytest-timeout off: its SIGALRM would replace the child's own limit.
            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "-p", "no:timeout",
                                    "--no-header", "-o", "addopts=", "-W",
                                    "ignore::pytest.PytestAssertRewriteWarning", *tests]))
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else -1


# Imported once here, so that each child (a fork) starts with them loaded.
WARM = ("pytest", "hypothesis", "pydantic", "cryptography.hazmat.primitives.ciphers.aead",
        "requests", "sqlite3", "fastapi", "uvicorn", "httpx")


def _prepare() -> None:
    """Deterministic property tests, no example database, no deadline (a slow mutant is
    not a killed one), in this process and so in every child; the libraries the tests
    use loaded once."""
    import importlib

    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from hypothesis import HealthCheck, settings  # lazy: dev extra

    settings.register_profile("mutate", database=None, derandomize=True, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("mutate")
    os.environ["KIOSK_HYPOTHESIS_PROFILE"] = "mutate"  # tests/conftest.py loads this one
    os.environ["KIOSK_STRICT"] = "1"


def run_module(rel: str, tests: tuple[str, ...], *, say: Callable[[str], None]
               ) -> dict[str, object]:
    """Every mutant of ``rel`` against ``tests``; the figures and the survivors."""
    path = REPO / rel
    name = rel.removesuffix(".py").replace("/", ".")
    _preload(tests)
    purge = _dependents(name) | {t.removesuffix(".py").replace("/", ".")
                                 for t in _test_files(tests)}
    started = time.monotonic()
    if _run_tests(tests, None, 600, purge) != 0:
        raise CliError(f"bench mutate: {' '.join(tests)} fail without any mutant")
    limit = (time.monotonic() - started) * 5 + 10
    found = mutants(path)
    killed, survived, timeouts, missing = 0, [], 0, []
    for n, mutant in enumerate(found, 1):
        if not mutant.source:
            missing.append(mutant.what)
            continue
        try:
            compile(mutant.source, rel, "exec")
        except SyntaxError:
            killed += 1  # cannot even load (a hand-written text change gone wrong)
            continue
        code = _run_tests(tests, _Served(name, path, mutant.source), limit, purge)
        if code == 0:
            survived.append(mutant)
        else:
            killed += 1
            timeouts += code == -1
        if n % 25 == 0:
            say(f"  {rel}: {n}/{len(found)} ({killed} killed, {len(survived)} survived)")
    total = killed + len(survived)
    equivalent = [m for m in survived if m.ident in EQUIVALENT]
    return {
        "module": rel, "tests": list(tests), "mutants": total, "killed": killed,
        "timeouts": timeouts, "survived": len(survived), "equivalent": len(equivalent),
        "score_pct": round(100 * killed / total, 1) if total else 100.0,
        "score_without_equivalent_pct": round(
            100 * killed / (total - len(equivalent)), 1) if total > len(equivalent) else 100.0,
        "hand_not_applicable": missing,
        "survivors": [{"id": m.ident, "line": m.line, "what": m.what,
                       "equivalent": EQUIVALENT.get(m.ident)} for m in survived],
        "seconds": round(time.monotonic() - started, 1),
    }


def run(args: argparse.Namespace) -> int:
    try:
        import pytest  # noqa: F401 - lazy: the dev extra must be there
    except ImportError:
        raise CliError("bench mutate: needs the dev extra (pip install -e '.[dev]')") from None
    modules = args.module or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        raise CliError(f"bench mutate: no tests listed for {', '.join(unknown)} "
                       f"(one of: {', '.join(TARGETS)})")
    os.chdir(REPO)
    _prepare()
    reports = []
    for rel in modules:
        print(f"mutate {rel} against {' '.join(TARGETS[rel])}", file=sys.stderr, flush=True)
        report = run_module(rel, TARGETS[rel],
                            say=lambda line: print(line, file=sys.stderr, flush=True))
        reports.append(report)
        if not args.json:
            print(f"{rel}: {report['killed']}/{report['mutants']} killed "
                  f"({report['score_pct']} %; {report['timeouts']} by the time limit), "
                  f"{report['survived']} survived ({report['equivalent']} known equivalent) "
                  f"in {report['seconds']} s", flush=True)
            for s in report["survivors"]:  # type: ignore[attr-defined]
                tag = f"  [equivalent: {s['equivalent']}]" if s["equivalent"] else ""
                print(f"  survived line {s['line']}: {s['id']}{tag}", flush=True)
            for what in report["hand_not_applicable"]:  # type: ignore[attr-defined]
                print(f"  hand-written mutant no longer applies: {what}", flush=True)
    if args.json:
        print(json.dumps({"mutate": reports}, indent=2, ensure_ascii=False))
    floor = getattr(args, "min_score", None) or 90.0
    low = [r for r in reports if float(r["score_pct"]) < floor]  # type: ignore[arg-type]
    return 1 if low else 0
