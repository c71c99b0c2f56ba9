"""The docs name what exists: every repository path, test id, module and allowed import
edge that README.md and docs/*.md mention is checked against the tree and pyproject.toml.

What counts as a repository path: an inline code span or a link target whose first
component is something the repository holds (a top-level entry, a package of kiosk/ or a
folder of tests/), resolved from the root, from kiosk/, from tests/ or from the doc's own
folder. Absolute paths (/etc/kiosk, /dev/ttyUSB*) and placeholders (<site>) are places on
a terminal, not in the repository, and are left alone; globs must match something.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"```.*?```", re.S)
CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
EDGE = re.compile(r"^([A-Za-z_][\w.]*)\s*(?:→|->)\s*([A-Za-z_][\w.]*)$")
# kiosk.<package>.<module>[.<name>]: one dot alone is a config key (`kiosk.site`) or a
# file name (`kiosk.service`) as often as a module.
MODULE = re.compile(r"(?<![\w./-])kiosk(?:\.[A-Za-z_]\w*){2,}(?![\w/-])")
SOURCE_SUFFIXES = (".py", ".kv", ".md", ".sh")


@cache
def tracked() -> frozenset[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return frozenset(out.splitlines())


@cache
def path_roots() -> frozenset[str]:
    """First components a repository path may start with."""
    files = tracked()
    tops = {f.split("/")[0] for f in files}
    inner = {f.split("/")[1] for f in files if f.startswith(("kiosk/", "tests/")) and
             f.count("/") >= 2}
    return frozenset(tops | inner)


def _exists(rel: str, doc: Path) -> bool:
    files = tracked()
    bases = ("", "kiosk/", "tests/", f"{doc.parent.relative_to(ROOT)}/".lstrip("./"))
    for base in bases:
        candidate = f"{base}{rel}".rstrip("/")
        if "*" in candidate:
            pattern = re.compile(re.escape(candidate).replace(r"\*", "[^/]*") + "(/|$)")
            # Generated at set-up and not kept by git (the fonts): on disk counts too.
            if any(pattern.match(f) for f in files) or any(ROOT.glob(candidate)):
                return True
        elif candidate in files or any(f.startswith(candidate + "/") for f in files):
            return True
    return False


def _mentions() -> list[tuple[Path, str]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for line in FENCE.sub("", text).splitlines():
            last_file = ""
            for token in CODE.findall(line) + LINK.findall(line):
                token = token.strip()
                if "::" in token and not token.startswith("::"):
                    last_file = token.partition("::")[0]
                elif token.startswith("::") and last_file:
                    token = last_file + token  # `a.py::test_x`, `::test_y`: same file
                found.append((doc, token))
        # In diagrams and trees only full kiosk/... paths are claims about the tree.
        for block in FENCE.findall(text):
            found += [(doc, m) for m in
                      re.findall(r"(?<![\w./-])kiosk/[\w./-]+\.\w+", block)]
    return found


def _repository_paths() -> list[tuple[Path, str]]:
    out = []
    for doc, token in _mentions():
        token = token.split("#")[0].rstrip(".,:;")
        if (not token or " " in token or token.startswith(("/", "~", "http", "<", "$"))
                or "<" in token or "=" in token or "://" in token):
            continue
        if "::" in token:  # a pytest node id: the file and the test must both exist
            out.append((doc, token))
            continue
        if "/" in token and token.split("/")[0] in path_roots():
            out.append((doc, token))
        elif "/" not in token and token.endswith(SOURCE_SUFFIXES) and not token.startswith("."):
            out.append((doc, token))  # a bare file name: some tracked file has it
    return out


@pytest.mark.parametrize("doc,token", _repository_paths(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_path_named_in_the_docs_exists(doc: Path, token: str) -> None:
    if "::" in token:
        file, _, test = token.partition("::")
        assert _exists(file, doc), f"{doc.name}: no file {file}"
        path = next(ROOT / b / file for b in ("", "tests/") if (ROOT / b / file).is_file())
        names = {n.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        assert test.split("[")[0] in names, f"{doc.name}: no test {token}"
    elif "/" in token:
        assert _exists(token, doc), f"{doc.name} names {token}, which is not in the repository"
    else:
        assert any(f.rsplit("/", 1)[-1] == token for f in tracked()), \
            f"{doc.name} names {token}, and no file in the repository has that name"


def _module_exists(dotted: str) -> bool:
    """A module, or an attribute of one (``kiosk.central.signing.reply_signature``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        name = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is None or spec.origin is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
        names = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)
                 for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                 if isinstance(t, ast.Name)}
        names |= {n.name for n in tree.body
                  if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)}
        return rest[0] in names
    return False


def _modules() -> list[tuple[Path, str]]:
    return sorted({(doc, m) for doc, t in _mentions() for m in MODULE.findall(t)})


@pytest.mark.parametrize("doc,module", _modules(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_module_named_in_the_docs_exists(doc: Path, module: str) -> None:
    assert _module_exists(module), f"{doc.name} names {module}, which does not exist"


def _config_edges() -> set[tuple[str, str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    edges = set()
    for contract in config["tool"]["importlinter"]["contracts"]:
        for line in contract.get("ignore_imports", []):
            source, _, target = line.partition(" -> ")
            edges.add((source.strip(), target.strip()))
    return edges


def _full(name: str) -> str:
    return name if name.startswith("kiosk") else f"kiosk.{name}"


def _covers(doc_edge: tuple[str, str], config_edge: tuple[str, str]) -> bool:
    """The doc may name a package for the config's module (``system.session → ui`` for
    ``kiosk.system.session -> kiosk.ui.fonts``), never a different module."""
    (a, b), (c, d) = doc_edge, config_edge
    return a == c and (d == b or d.startswith(b + "."))


def _doc_edges() -> list[tuple[Path, tuple[str, str]]]:
    out = []
    for doc, token in _mentions():
        m = EDGE.match(token)
        if m and all(_module_exists(_full(x)) or importlib.util.find_spec(_full(x))
                     for x in m.groups()):
            out.append((doc, (_full(m.group(1)), _full(m.group(2)))))
    return out


def test_the_docs_name_the_allowed_edges_and_only_them() -> None:
    config = _config_edges()
    named = _doc_edges()
    assert named, "docs/architecture.md names the allowed import edges"
    for doc, edge in named:
        assert any(_covers(edge, c) for c in config), (
            f"{doc.name} names the allowed edge {edge[0]} → {edge[1]}, "
            f"which pyproject.toml's import contracts do not allow")
    for edge in config:
        assert any(_covers(d, edge) for _, d in named), (
            f"pyproject.toml allows {edge[0]} -> {edge[1]}; the docs must name it")


def test_the_checker_finds_what_it_must() -> None:
    # The parsers above must see the kinds of mention they check, or they check nothing.
    paths = {t for _, t in _repository_paths()}
    assert {"kiosk/composition/parts.py", "services/failures.py", "docs/deploying.md"} <= paths
    assert any("::" in t for t in paths)
    assert any(t.startswith("kiosk.") for _, t in _modules())
    assert not _exists("ui/screens/registry.py", ROOT / "docs" / "architecture.md")
    assert _covers(("kiosk.system.session", "kiosk.ui"),
                   ("kiosk.system.session", "kiosk.ui.fonts"))
    assert not _covers(("kiosk.ui.technician.base", "kiosk.central.errors"),
                       ("kiosk.ui.launch", "kiosk.composition"))
