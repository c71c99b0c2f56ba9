"""The committed OpenAPI document (``kiosk/central/openapi.json``), generated from the app.

Regenerate after changing the contract::

    .venv/bin/python -m kiosk.central.sandbox.openapi
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from kiosk.central.sandbox.app import create_app
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import SandboxStore

OPENAPI_FILE = Path(__file__).resolve().parent.parent / "openapi.json"


def openapi_document() -> dict[str, object]:
    """The contract as OpenAPI, built from a throwaway sandbox app (no settings needed)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SandboxStore(Path(tmp) / "openapi.db", RegionalRules())
        try:
            return create_app(store, 300.0).openapi()
        finally:
            store.close()


def render() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_openapi(path: Path = OPENAPI_FILE) -> None:
    path.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    write_openapi(Path(sys.argv[1]) if len(sys.argv) > 1 else OPENAPI_FILE)
