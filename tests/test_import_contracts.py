"""The layer contracts in pyproject.toml ([tool.importlinter]) hold: run ``lint-imports``
as CI would, from the repository root, on this checkout's ``kiosk`` package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _lint_imports() -> list[str]:
    """The lint-imports command of this interpreter's environment (or on PATH)."""
    beside = Path(sys.executable).with_name("lint-imports")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("lint-imports")
    if found is None:
        pytest.fail("lint-imports is not installed (the dev extra: import-linter)")
    return [found]


def test_import_contracts_are_kept() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))  # this checkout's kiosk, not an installed one
    done = subprocess.run([*_lint_imports(), "--no-cache"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_contract_is_checked() -> None:
    """The contracts the architecture names are all configured (none dropped): the five
    layer rules, and the kiosk never importing the province centre."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    kinds = sorted(c["type"] for c in contracts)
    assert kinds == ["acyclic_siblings"] + ["forbidden"] * 5
    centre = [c for c in contracts if "kiosk.centre" in c.get("forbidden_modules", [])]
    assert len(centre) == 1 and {"psycopg", "psycopg_pool"} <= set(
        centre[0]["forbidden_modules"])
    # every top-level part of the kiosk but the centre itself is a source
    parts = {p.stem for p in (REPO / "kiosk").iterdir()
             if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py")
                                                .exists())}
    assert {f"kiosk.{p}" for p in parts} - set(centre[0]["source_modules"]) == {
        "kiosk.centre"}
    sources = {m for c in contracts if c is not centre[0]
               for m in c.get("source_modules", [])}
    assert sources == {"kiosk.domain", "kiosk.services", "kiosk.ui", "kiosk.devices",
                       "kiosk.central"}
