"""docs/security.md's endpoint table against the contract: every operation of the
OpenAPI document has its row (who may call it, what it takes, what it reveals, what could
be joined), and the table names no operation the contract does not have."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kiosk.central.sandbox.openapi import OPENAPI_FILE, render

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Endpoints: who may call, what each reveals, what could be joined"
COLUMNS = ["Operation", "Who may call it", "Takes", "Reveals",
           "What could be joined, and by whom"]


def _table() -> list[list[str]]:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    section = section[:section.find("\n## ", 1)] if "\n## " in section[1:] else section
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def _operations() -> set[str]:
    assert OPENAPI_FILE.read_text(encoding="utf-8") == render()  # the document is current
    doc = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    return {f"{method.upper()} {path}" for path, item in doc["paths"].items()
            for method in item}


def test_the_endpoint_table_lists_every_operation_of_the_contract() -> None:
    header, rule, *rows = _table()
    assert header == COLUMNS and set(rule) == {"---"}
    named = [re.fullmatch(r"`(\w+ /\S+)`", row[0]) for row in rows]
    assert all(named), [row[0] for row in rows]
    listed = [m.group(1) for m in named if m]
    assert len(listed) == len(set(listed)), "an operation listed twice"
    operations = _operations()
    assert set(listed) == operations, (sorted(operations - set(listed)),
                                       sorted(set(listed) - operations))


def test_every_row_says_who_what_and_what_could_be_joined() -> None:
    _, _, *rows = _table()
    for row in rows:
        assert len(row) == len(COLUMNS), row[0]
        assert all(len(cell) > 3 for cell in row), row[0]
