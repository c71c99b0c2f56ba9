"""``kiosk bench mutate``: do the tests notice when the code is wrong? (mutation testing)

One small change at a time (a *mutant*) is made to a module, and the module's own tests
run against it; a mutant the tests still pass is a change nobody would notice. The
score is the share of mutants killed (a test failed, or the tests ran past their time
limit). Outside CI: CPU-heavy (every mutant runs the tests again), run module by module
(``--module kiosk/domain/masking.py``, default: every module in ``TARGETS``) with
only that module's tests (``TARGETS``, :mod:`kiosk.bench.mutation_tables`).
docs/testing.md says how to read the results; README.md records the scores.

Why not mutmut: mutmut 3 pulls in textual, libcst and coverage (~20 MB, not light for
the dev extra), mutates only inside functions (not the module-level tables these modules
are made of: check-digit weights, failure tables, SQL schemas, regexes), and its
trampolines change how functions are called. Here the syntax tree is mutated (the same
operators as mutmut: comparisons, arithmetic, boolean operators, ``not`` removed,
numbers +1, strings changed, ``True``/``False`` swapped, ``return x`` → ``return None``,
a call statement removed, ``break``/``continue`` swapped), plus hand-written mutants per
module (``HAND_MUTANTS``: the changes a careless edit or an attacker's patch would
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
import importlib.abc
import importlib.util
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.bench.mutants import Mutant, mutants
from kiosk.bench.mutation_tables import EQUIVALENT, HAND_MUTANTS, REPO, TARGETS
from kiosk.cli.common import CliError

__all__ = ["EQUIVALENT", "HAND_MUTANTS", "REPO", "TARGETS", "Mutant", "mutants", "run",
           "run_module"]


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
