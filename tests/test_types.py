"""The type checker passes: mypy over ``kiosk/`` with the project's configuration
(pyproject.toml, [tool.mypy]), as CI and ``./kiosk.sh test`` run it. Strict modules and
the shrinking list of modules not yet checked are named there (docs/testing.md, "Types")."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _overrides() -> list[dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["mypy"]["overrides"])


def test_mypy_passes() -> None:
    # The cache lives in the checkout (.mypy_cache): a warm run takes about a second.
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True,
                          text=True, timeout=170)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success:"), done.stdout


def test_strict_modules_are_strict() -> None:
    """A strict module gets every flag of mypy --strict that can be set per module, and
    no explicit Any."""
    strict = [o for o in _overrides() if o.get("disallow_untyped_defs")]
    assert len(strict) == 1
    flags = {k: v for k, v in strict[0].items() if k != "module"}
    assert flags == {
        "disallow_any_generics": True, "disallow_any_explicit": True,
        "disallow_subclassing_any": True, "disallow_untyped_calls": True,
        "disallow_untyped_defs": True, "disallow_incomplete_defs": True,
        "disallow_untyped_decorators": True, "warn_return_any": True,
        "implicit_reexport": False, "extra_checks": True}


def test_every_module_is_checked() -> None:
    """No module of kiosk/ is left out of the check (the not-yet-checked list is empty,
    and stays so): no override ignores errors or skips following imports."""
    for override in _overrides():
        assert not override.get("ignore_errors"), override["module"]
        assert override.get("follow_imports", "normal") == "normal", override["module"]


def test_the_parts_issue_26_names_are_strict() -> None:
    """domain, services, central client/signing/outbox, devices.events and fleet."""
    (strict,) = [set(o["module"]) for o in _overrides() if o.get("disallow_untyped_defs")]
    named = {"kiosk.domain.*", "kiosk.fleet.*", "kiosk.devices.events", "kiosk.central.client",
             "kiosk.central.signing", "kiosk.central.outbox",
             "kiosk.central.outbox_rows"}
    services = {f"kiosk.services.{p.stem}" for p in (REPO / "kiosk" / "services").glob("*.py")
                if p.stem != "__init__"}
    assert named | services <= strict, sorted((named | services) - strict)
