"""Every part is built by the composition root (kiosk/composition/), nowhere else in the
kiosk: not by a screen, the technician, the fleet hooks, a probe or a CLI command. The
tests and the benches build their own (they are entry points, like ``kiosk run``).

A part is anything that holds a thread, a socket, a file or a device, or decides how the
kiosk reaches one: the card hub, the central client, the outbox and its sender, the
speaker, a printer, a QR scanner or headphone jack watcher, the fleet agent, the staff
call, the technician's access, the metrics endpoint, the probes, the journey controller.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KIOSK = ROOT / "kiosk"

# What builds a part (a class, or the factory function of a layer), and the one module
# besides the root that may call it: the factory that wraps it.
PARTS: dict[str, str | None] = {
    "CardHub": None,
    "CentralClient": None,
    "Outbox": None,
    "OutboxSender": None,
    "Speaker": None,
    "JackWatcher": None,
    "ScannerWatcher": "kiosk/devices/scanner/__init__.py",  # make_scanner builds it
    "make_scanner": None,
    "make_printer": None,
    "FleetAgent": None,
    "StaffCall": None,
    "TechnicianAccess": None,
    "TechnicianParts": None,
    "MetricsEndpoint": None,
    "start_server": "kiosk/metrics.py",  # MetricsEndpoint.start serves with it
    "DeviceProbes": None,
    "CentralProbes": None,
    "JourneyController": None,
    # The journeys' and the technician's thread pools; a controller built without one (a
    # headless test of the services) makes its own.
    "Worker": "kiosk/services/controller.py",
    "KioskParts": None,
    "UnavailableCentral": None,
    "build_kiosk": None,
}
ALLOWED_TREES = ("kiosk/composition/", "kiosk/bench/")


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def constructions(path: Path) -> list[tuple[str, int]]:
    """(name, line) of every call of a part builder in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted((name, node.lineno) for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and (name := _called(node)) in PARTS)


@cache
def every_construction() -> tuple[tuple[str, str, int], ...]:
    """(module path, name, line) of every part builder call in kiosk/."""
    return tuple((path.relative_to(ROOT).as_posix(), name, line)
                 for path in sorted(KIOSK.rglob("*.py")) for name, line in constructions(path))


def outside_the_root() -> list[str]:
    return [f"{rel}:{line}: {name}(…)" for rel, name, line in every_construction()
            if not rel.startswith(ALLOWED_TREES) and PARTS[name] != rel]


def test_no_part_is_built_outside_the_composition_root() -> None:
    assert outside_the_root() == []


def test_the_checker_sees_a_construction(tmp_path: Path) -> None:
    sample = tmp_path / "screen.py"
    sample.write_text("from kiosk.devices.speech import Speaker\n"
                      "def speaker(app):\n    return app.own or Speaker(app.settings)\n"
                      "hub = devices.CardHub(settings, print)\n", encoding="utf-8")
    assert constructions(sample) == [("CardHub", 4), ("Speaker", 3)]


@pytest.mark.parametrize("name", sorted(PARTS))
def test_the_root_builds_each_listed_part(name: str) -> None:
    """Each name is a real builder, and the root (or its factory module) calls it: a
    renamed part cannot slip out of this check unnoticed."""
    callers = {rel for rel, n, _ in every_construction() if n == name}
    assert callers, f"nothing in kiosk/ builds {name}: rename it here too"
    assert any(c.startswith(ALLOWED_TREES[0]) or c == PARTS[name] for c in callers), callers
