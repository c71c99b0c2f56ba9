"""Navigation has one owner, read from the UI's source (Kivy-free; the behaviour in the
real window is tests/ui/test_navigation_owner.py):

- back is defined once: only the navigator calls the controller's back, and no screen
  has a back of its own (no ``handle_back``, no handler bound to a back button beside
  the navigation bar's one);
- no journey starts from inside navigation: no screen starts anything while it is
  prepared, drawn, entered, left or reset, no journey screen has a ``prepare`` (what
  ``app.go`` calls while it opens a screen), and a tile's journey is begun by the
  navigator's ``start_route`` intent."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.fixtures.cli import REPO

UI = REPO / "kiosk" / "ui"
NAVIGATOR = UI / "navigation.py"


def sources() -> list[Path]:
    return sorted(p for p in UI.rglob("*") if p.suffix in (".py", ".kv"))


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of ``path`` without comments and docstrings' prose (a ``.py`` file's
    docstrings are dropped through ast; ``#`` comments in both kinds of file)."""
    text = path.read_text(encoding="utf-8")
    skip: set[int] = set()
    if path.suffix == ".py":
        for node in ast.walk(ast.parse(text)):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                doc = body[0]
                skip.update(range(doc.lineno, (doc.end_lineno or doc.lineno) + 1))
    return [(n, line.split("#", 1)[0]) for n, line in enumerate(text.splitlines(), 1)
            if n not in skip]


def calls(pattern: str) -> list[str]:
    found = []
    for path in sources():
        for n, line in code_lines(path):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    return found


CONTROLLER = r"\b(ctl|controller|self\.ctl|_controller\(\))"


def test_only_the_navigator_calls_the_controllers_back() -> None:
    found = calls(CONTROLLER + r"\.back\(")
    assert found and all(f.startswith("kiosk/ui/navigation.py:") for f in found), found


def test_no_screen_has_a_back_of_its_own() -> None:
    assert calls(r"\bhandle_back\b|_back_pressed") == []
    # The navigation bar's back button has one handler, app.back (widgets/frame.py);
    # nothing else binds to it, so no order of binding can change what back does.
    assert calls(r"back_button\.bind|back_button\.trigger_action") == []
    binds = calls(r'"app\.back"')
    assert all(f.startswith("kiosk/ui/widgets/frame.py:") or "MessageButton" in f
               for f in binds), binds


# What navigation calls on a screen while it opens, shows or leaves it (app.go, the
# bridge's draw, Kivy's screen events, the session end's reset).
NAVIGATION_CALLBACKS = {"prepare", "render", "show", "reset", "on_enter", "on_pre_enter",
                        "on_leave", "on_pre_leave"}


def test_no_journey_starts_from_inside_navigation() -> None:
    """A journey is begun by an intent (a tile: the navigator's start_route; a button),
    never by a screen being opened, drawn or left."""
    inside = []
    for path in sources():
        if path.suffix == ".kv":
            inside += [f"{path.relative_to(REPO)}:{n}" for n, line in code_lines(path)
                       if re.match(r"\s*on_(pre_)?(enter|leave):", line)
                       and ".start(" in line]
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in NAVIGATION_CALLBACKS:
                inside += [f"{path.relative_to(REPO)}:{call.lineno} in {node.name}"
                           for call in ast.walk(node) if isinstance(call, ast.Call)
                           and isinstance(call.func, ast.Attribute)
                           and call.func.attr == "start"]
    assert inside == []
    tiles = calls(CONTROLLER + r"\.start\(route")
    assert [f.split(":")[0] for f in tiles] == ["kiosk/ui/navigation.py"], tiles
    assert calls(r"\bentry_journey\b|bridge=True") == []


def journey_screen_classes() -> dict[str, tuple[Path, ast.ClassDef]]:
    """Every class in kiosk/ui that derives from JourneyScreen, however indirectly."""
    classes: dict[str, tuple[Path, ast.ClassDef]] = {}
    for path in sources():
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = (path, node)

    def bases(node: ast.ClassDef) -> list[str]:
        return [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                for b in node.bases]

    journey = {"JourneyScreen"}
    grown = True
    while grown:
        more = {name for name, (_p, node) in classes.items()
                if name not in journey and journey & set(bases(node))}
        journey |= more
        grown = bool(more)
    return {name: classes[name] for name in journey if name in classes}


def test_no_journey_screen_prepares_anything() -> None:
    screens = journey_screen_classes()
    assert len(screens) > 10  # the walk found the journey screens (not vacuous)
    prepares = [f"{path.relative_to(REPO)}: {name}.prepare"
                for name, (path, node) in screens.items()
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name == "prepare"]
    assert prepares == []


def test_the_navigator_keeps_no_history() -> None:
    tree = ast.parse(NAVIGATOR.read_text(encoding="utf-8"))
    attrs = {t.attr for node in ast.walk(tree) if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Attribute)
             and isinstance(t.value, ast.Name) and t.value.id == "self"}
    assert "history" not in attrs and attrs <= {"app", "_opening"}, attrs
