"""Every error is mapped by its kind or its type, never by its class name or its message
text: a renamed class or a reworded message (a library upgrade, a locale) must not
silently change what the kiosk says or does.

The check reads the source of kiosk/: a decision (a comparison, a condition, a lookup, a
``startswith``, a regular expression) may not depend on ``type(exc).__name__``,
``exc.__class__.__name__``, ``str(exc)``, ``repr(exc)``, ``exc.args`` or an f-string of
an exception, nor on a name given one of those. Logging a class name, or putting the
message in a detail field, is fine: that decides nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIOSK = ROOT / "kiosk"
EXC_NAMES = frozenset({"exc", "e", "err", "error", "exception", "cause"})
TEXT_METHODS = frozenset({"startswith", "endswith", "find", "rfind", "index", "count",
                          "__contains__", "get"})
RE_FUNCTIONS = frozenset({"search", "match", "fullmatch", "findall", "finditer"})


def _is_exception_annotation(node: ast.expr | None) -> bool:
    if node is None:
        return True  # unannotated: judged by its name
    text = ast.unparse(node)
    return any(part.strip().endswith(("Error", "Exception")) for part in text.split("|"))


class _Scope(ast.NodeVisitor):
    """One function (or a module's top level): its exception names, the names given
    their text, and the decisions made on that text."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.exceptions: set[str] = set()
        self.tainted: set[str] = set()
        self.found: list[str] = []

    # -- what is an exception, and what is its text ------------------------------------
    def _exception(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.exceptions

    def _source(self, node: ast.AST) -> bool:
        """``node`` is the class name or the text of an exception."""
        if isinstance(node, ast.Attribute) and node.attr == "__name__":
            inner = node.value
            if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                    and inner.func.id == "type" and inner.args
                    and self._exception(inner.args[0])):
                return True
            if isinstance(inner, ast.Attribute) and inner.attr == "__class__" and \
                    self._exception(inner.value):
                return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("str", "repr", "format") and node.args
                and self._exception(node.args[0])):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "args" and \
                self._exception(node.value):
            return True
        if isinstance(node, ast.FormattedValue) and self._exception(node.value):
            return True
        return False

    def _text_of_error(self, node: ast.AST) -> bool:
        return any(self._source(n) or (isinstance(n, ast.Name) and n.id in self.tainted)
                   for n in ast.walk(node))

    # -- collecting ---------------------------------------------------------------------
    def bind(self, args: ast.arguments) -> None:
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.arg in EXC_NAMES and _is_exception_annotation(arg.annotation):
                self.exceptions.add(arg.arg)
            elif arg.annotation is not None and _is_exception_annotation(arg.annotation):
                self.exceptions.add(arg.arg)

    def collect(self, body: list[ast.stmt]) -> None:
        nodes = [n for stmt in body for n in _walk_here(stmt)]
        for node in nodes:
            if isinstance(node, ast.ExceptHandler) and node.name:
                self.exceptions.add(node.name)
            if isinstance(node, ast.comprehension | ast.For) and isinstance(
                    node.target, ast.Name) and isinstance(node.iter, ast.Name) and \
                    node.iter.id in ("chain", "causes"):
                self.exceptions.add(node.target.id)
        changed = True
        while changed:  # text = str(exc); low = text.lower(): both are the text
            changed = False
            for node in nodes:
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
                    targets, value = [node.target], node.value
                if value is None or not self._text_of_error(value):
                    continue
                for target in targets:
                    if isinstance(target, ast.Name) and target.id not in self.tainted:
                        self.tainted.add(target.id)
                        changed = True
        for node in nodes:
            self._decision(node)

    def _decision(self, node: ast.AST) -> None:
        where = f"{self.path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Compare) and any(
                self._text_of_error(n) for n in [node.left, *node.comparators]):
            self.found.append(f"{where}: compares {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in TEXT_METHODS and (
                    self._text_of_error(node.func.value) and node.func.attr != "get"
                    or node.func.attr == "get" and any(self._text_of_error(a)
                                                       for a in node.args[:1])):
                self.found.append(f"{where}: {ast.unparse(node)}")
            elif node.func.attr in RE_FUNCTIONS and any(self._text_of_error(a)
                                                        for a in node.args):
                self.found.append(f"{where}: {ast.unparse(node)}")
        elif isinstance(node, ast.Subscript) and self._text_of_error(node.slice) and \
                not self._source(node.value):
            self.found.append(f"{where}: looks up {ast.unparse(node)}")
        elif isinstance(node, ast.Match) and self._text_of_error(node.subject):
            self.found.append(f"{where}: match {ast.unparse(node.subject)}")


def _walk_here(node: ast.AST) -> list[ast.AST]:
    """``node`` and what it holds, but not the functions and classes defined in it
    (each is a scope of its own)."""
    out, todo = [], [node]
    while todo:
        n = todo.pop()
        out.append(n)
        todo += [c for c in ast.iter_child_nodes(n)
                 if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
                                   | ast.Lambda)]
    return out


def mapped_by_text(source: str, path: str = "<sample>") -> list[str]:
    """Where ``source`` decides something by an exception's class name or message."""
    tree = ast.parse(source)
    found: list[str] = []
    scopes: list[tuple[ast.arguments | None, list[ast.stmt], set[str]]] = [
        (None, tree.body, set())]
    while scopes:
        args, body, outer = scopes.pop()
        scope = _Scope(path)
        scope.exceptions |= outer
        if args is not None:
            scope.bind(args)
        scope.collect(body)
        found += scope.found
        holder = ast.Module(body=body, type_ignores=[])
        for node in _walk_here(holder):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    scopes.append((child.args, child.body, set(scope.exceptions)))
                elif isinstance(child, ast.Lambda):
                    scopes.append((child.args, [ast.Expr(child.body)],
                                   set(scope.exceptions)))
                elif isinstance(child, ast.ClassDef):
                    scopes.append((None, child.body, set()))
    return sorted(set(found))


def test_no_error_is_mapped_by_class_name_or_message_text() -> None:
    found = [hit for path in sorted(KIOSK.rglob("*.py"))
             for hit in mapped_by_text(path.read_text(encoding="utf-8"),
                                       path.relative_to(ROOT).as_posix())]
    assert found == []


# What the check must catch: the ways main mapped errors before this check existed.
CAUGHT = {
    "the outbox's sqlite errors by message": '''
def _classify(exc):
    text = str(exc).lower()
    if "full" in text:
        return "full"
''',
    "a dropped connection by message": '''
def _offline(exc: Exception):
    text = str(exc)
    aborted = "aborted" in text.lower() or "RemoteDisconnected" in text
''',
    "the printer's errors by class name": '''
def done(outcome):
    name = type(outcome.error).__name__ if outcome.error is not None else ""
    try:
        pass
    except Exception as exc:
        kind = type(exc).__name__
        label = snake(kind) if kind.startswith("Printer") else "printer_failed"
''',
    "a table keyed by class name": '''
def key(exc):
    return KEYS.get(exc.__class__.__name__, "generic")
''',
    "a message matched by a pattern": '''
import re
def kind(err: OSError):
    if re.search("No space", str(err)):
        return "full"
''',
    "an exception's args compared": '''
def f():
    try:
        g()
    except ValueError as problem:
        if problem.args[0] == "bad":
            pass
''',
}


@pytest.mark.parametrize("name", sorted(CAUGHT))
def test_the_check_catches_a_mapping_by_text(name: str) -> None:
    assert mapped_by_text(CAUGHT[name]), name


def test_the_check_leaves_descriptions_alone() -> None:
    sample = '''
def f(exc: Exception, error: str):
    log.warning("failed", extra={"fields": {"error": type(exc).__name__}})
    detail = f"unreadable ({type(exc).__name__}): {exc}"
    if error == "offline":
        return CentralOffline(detail)
    if getattr(exc, "kind", None) == "full":
        return "full"
    if exc.sqlite_errorcode == 13:
        return "full"
'''
    assert mapped_by_text(sample) == []
