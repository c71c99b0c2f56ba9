"""docs/accessibility.md: the conformance table covers EN 301 549 §5.1 and §5.2, ADA §707
and the Chinese law's four items, and every row names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "accessibility.md"


def _rows() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("## Conformance", 1)[1]
    return [line for line in table.splitlines()
            if line.startswith("|") and not line.startswith(("| clause", "|---"))]


def test_every_clause_is_there_and_every_row_names_an_existing_test():
    rows = _rows()
    clauses = " ".join(r.split("|")[1] for r in rows)
    for needed in ("EN 301 549 §5.1", "EN 301 549 §5.2", "ADA §707", "语音", "大字", "盲文",
                   "一键呼叫"):
        assert needed in clauses, needed
    for row in rows:
        named = re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", row)
        assert named, f"no test named in: {row[:60]}"
        for path, name in named:
            assert f"def {name}(" in (ROOT / path).read_text(encoding="utf-8"), (path, name)
