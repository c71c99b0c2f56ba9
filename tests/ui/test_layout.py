"""The UI's layout shows its architecture: ``ui/screens/`` holds screens only (each a
``.py`` with a same-named ``.kv``, each registered), and nothing in ``kiosk/`` asks
whether it runs under pytest."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import REPO_ROOT
from kiosk.ui.registry import JOURNEY_SCREENS, SCREENS, SHELL_SCREENS

SCREENS_DIR = REPO_ROOT / "kiosk" / "ui" / "screens"


def test_screens_folder_holds_screens_only() -> None:
    modules = {p.stem for p in SCREENS_DIR.glob("*.py") if p.name != "__init__.py"}
    kvs = {p.stem for p in SCREENS_DIR.glob("*.kv")}
    assert modules == kvs, (modules ^ kvs)
    registered = {spec.target.partition(":")[0].rpartition(".")[2] for spec in SCREENS}
    assert modules == registered, modules ^ registered


def test_registry_subsets_are_drawn_from_the_registry() -> None:
    names = [s.name for s in SCREENS]
    assert len(names) == len(set(names))
    assert {s.name for s in SHELL_SCREENS} == {"attract", "message", "placeholder"}
    assert set(JOURNEY_SCREENS) <= set(SCREENS) and JOURNEY_SCREENS


def test_no_production_code_looks_at_pytest() -> None:
    hits = [p for p in (REPO_ROOT / "kiosk").rglob("*.py")
            if "PYTEST_CURRENT_TEST" in Path(p).read_text(encoding="utf-8")]
    assert hits == []
