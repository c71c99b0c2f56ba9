"""The mutants ``kiosk bench mutate`` makes of a module: each small change to its syntax
tree (comparisons, arithmetic, boolean operators, numbers, strings, returns, calls,
``break``/``continue``), plus its hand-written ones; docstrings, type annotations and the
text of log calls are left alone."""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.bench.mutation_tables import HAND_MUTANTS, REPO

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
