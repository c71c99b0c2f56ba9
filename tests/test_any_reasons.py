"""`Any` in ``kiosk/`` only where a library really is untyped, each time with its reason.

Every use of ``typing.Any`` in the code (annotations, casts, aliases; a quoted annotation
too) carries a comment on its line, or in the comment lines right above it, of the form
``# Any(<library>): <why>``, and the library is one of those that publish no types (Kivy,
pyscard, python-escpos, evdev, fontTools, a C library through ctypes). JSON, TOML, rows
and settings are not reasons: they are typed with ``pydantic.JsonValue``, ``object`` plus
narrowing, or a model. docs/testing.md ("`Any`") reports the count.
"""

from __future__ import annotations

import ast
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Libraries without type information that the kiosk calls (pyproject.toml names the same
# ones under ignore_missing_imports, plus ctypes, whose foreign functions return Any).
UNTYPED = ("kivy", "pyscard", "escpos", "evdev", "fonttools", "ctypes")
REASON = re.compile(r"#.*\bAny\((" + "|".join(UNTYPED) + r")\): \S")

def _any_lines(tree: ast.AST) -> Iterator[int]:
    """Lines where the code names ``Any`` (``typing.Any`` or a bare import of it)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "Any":
            yield node.lineno
        elif isinstance(node, ast.Attribute) and node.attr == "Any":
            yield node.lineno
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A quoted annotation or cast target: "dict[str, Any]".
            try:
                inner = ast.parse(node.value, mode="eval")
            except SyntaxError:
                continue
            if any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(inner)):
                yield node.lineno


def _comments(path: Path) -> dict[int, str]:
    with path.open("rb") as handle:
        return {tok.start[0]: tok.string for tok in tokenize.tokenize(handle.readline)
                if tok.type == tokenize.COMMENT}


def _has_reason(line: int, lines: list[str], comments: dict[int, str]) -> bool:
    if REASON.search(comments.get(line, "")):
        return True
    above = line - 1
    while above >= 1 and lines[above - 1].lstrip().startswith("#"):
        if REASON.search(comments.get(above, "")):
            return True
        above -= 1
    return False


def unexplained(path: Path) -> list[int]:
    """The lines of one module that use Any without a reason."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    comments = _comments(path)
    return sorted({n for n in _any_lines(ast.parse(source))
                   if not _has_reason(n, lines, comments)})


def _modules() -> list[Path]:
    return sorted((REPO / "kiosk").rglob("*.py"))


def test_every_any_names_its_untyped_library() -> None:
    found = {}
    for path in _modules():
        if bad := unexplained(path):
            found[path.relative_to(REPO).as_posix()] = bad
    assert not found, f"Any without '# Any(<{'|'.join(UNTYPED)}>): why': {found}"


def test_the_check_sees_each_form(tmp_path: Path) -> None:
    """The check finds Any as a name, as typing.Any and in a quoted annotation, and
    accepts a reason only when it names an untyped library."""
    module = tmp_path / "m.py"
    module.write_text(
        "import typing\nfrom typing import Any\n"
        "a: Any = 1\n"
        "b: typing.Any = 2\n"
        "c: 'dict[str, Any]' = {}\n"
        "d: Any = 3  # Any(kivy): a widget\n"
        "# Any(pyscard): the connection\n"
        "e: Any = 4\n"
        "f: Any = 5  # Any(json): not a library without types\n"
        "g = 'Any text in prose'\n", encoding="utf-8")
    assert unexplained(module) == [3, 4, 5, 9]
