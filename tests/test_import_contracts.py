"""The layer contracts in pyproject.toml ([tool.importlinter]) hold: run ``lint-imports``
as CI would, from the repository root, on this checkout's ``kiosk`` package."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

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


def _contracts() -> list[dict[str, Any]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _top_level() -> set[str]:
    """kiosk's top-level packages and modules (its __init__ and __main__ aside)."""
    return {p.stem for p in (REPO / "kiosk").iterdir()
            if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py")
                                               .exists())}


def test_every_contract_is_checked() -> None:
    """The contracts the architecture names are all configured (none dropped): the
    library bans, the layers of the kiosk's own packages, the skips they may not make,
    no cycle, and the kiosk never importing the province centre."""
    contracts = _contracts()
    kinds = sorted(c["type"] for c in contracts)
    assert kinds == ["acyclic_siblings"] + ["forbidden"] * 7 + ["layers"]
    ui_threads = [c for c in contracts if c.get("source_modules") == ["kiosk.ui"]
                  and "threading" in c.get("forbidden_modules", [])]
    assert len(ui_threads) == 1  # the technician's raw threads must not come back
    centre = [c for c in contracts if "kiosk.centre" in c.get("forbidden_modules", [])]
    assert len(centre) == 1 and {"psycopg", "psycopg_pool"} <= set(
        centre[0]["forbidden_modules"])
    # every top-level part of the kiosk but the centre itself is a source
    assert {f"kiosk.{p}" for p in _top_level()} - set(centre[0]["source_modules"]) == {
        "kiosk.centre"}
    sources = {m for c in contracts if c is not centre[0]
               for m in c.get("source_modules", [])}
    assert sources == {"kiosk.domain", "kiosk.services", "kiosk.ui", "kiosk.devices",
                       "kiosk.central"}


def test_every_package_of_the_kiosk_has_its_layer() -> None:
    """A new top-level package must take its place in the layers (no package escapes
    them), and no layer names one that is gone."""
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    assert layers["containers"] == ["kiosk"]
    named = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    assert len(named) == len(set(named))
    assert set(named) == _top_level()
    order = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    # the spine the architecture draws: entry point, root, UI, services, the parts, rules
    spine = ["cli", "composition", "ui", "services", "central", "devices", "domain"]
    assert sorted(spine, key=order.index) == spine


def test_ui_and_services_reach_the_parts_only_through_the_ports() -> None:
    """ui imports no devices, central or composition module (only through services and
    the root); services import no devices module but through ports.py's re-export of the
    pure events module, and the ports return the central's typed answers: the allowed
    edges, each named with its reason in pyproject.toml."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for c in _contracts():
        if c["type"] == "forbidden":
            for source in c["source_modules"]:
                by_source.setdefault(source, []).append(c)
    ui = {m for c in by_source["kiosk.ui"] for m in c["forbidden_modules"]}
    assert {"kiosk.devices", "kiosk.central", "kiosk.composition"} <= ui
    services = {m for c in by_source["kiosk.services"] for m in c["forbidden_modules"]}
    assert {"kiosk.devices", "kiosk.ui", "kiosk.composition"} <= services
    allowed = {line for source in ("kiosk.ui", "kiosk.services") for c in by_source[source]
               for line in c.get("ignore_imports", [])}
    assert allowed == {"kiosk.services.ports -> kiosk.devices.events",
                       # the central's answers, typed: the contract's models
                       "kiosk.services.ports -> kiosk.central.schemas",
                       "kiosk.services.ports -> kiosk.central.outbound"}
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for line in allowed:  # each allowed edge has its reason: a comment right above it
        above = text.split(f'"{line}"')[0].rstrip().splitlines()[-1].strip()
        assert above.startswith("#"), f"{line}: no reason given above it"


def test_the_architecture_page_names_every_layer_in_the_contracts_order() -> None:
    """docs/architecture.md's layers table has a row for each layer of the contract, in
    its order, naming the same packages (``services/``, ``metrics.py``)."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = text.split("## Layers", 1)[1].split("\n\n**Enforced**", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    in_doc = [sorted(re.findall(r"`(\w+)(?:/|\.py)`", row.split("|")[1])) for row in rows]
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    in_config = [sorted(name.strip() for name in layer.split("|"))
                 for layer in layers["layers"]]
    assert in_doc == in_config
