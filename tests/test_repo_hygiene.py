"""Comments and docstrings stay inside the repository: no pointer to files outside it
(../shared, shared/*.md, PITFALLS.md, DOMAIN.md, DESIGN.md) and no issue numbers; the
facts the code relies on are in docs/."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("kiosk", "tests", "config")
SUFFIXES = {".py", ".kv", ".toml", ".md", ".sh", ".txt", ".cfg", ".ini", ".service"}

OUTSIDE = re.compile(r"\.\./shared|\bshared/\w+\.md|\b(PITFALLS|DOMAIN|DESIGN)\.md\b")
# "issue 6", "issues 3 and 4", "(#12)", "see #12"; not colours such as "#000000".
ISSUE = re.compile(r"""\bissues? ?#?\d+\b|(?<![\w&#"'])#\d{1,4}\b(?![0-9A-Fa-f])""",
                   re.IGNORECASE)

THIS = Path(__file__).resolve()


def _files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and path.resolve() != THIS \
                    and "__pycache__" not in path.parts:
                files.append(path)
    return files


def _offences(pattern: re.Pattern[str]) -> list[str]:
    found = []
    for path in _files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    return found


def test_nothing_points_outside_the_repository() -> None:
    assert _offences(OUTSIDE) == []


def test_no_issue_numbers() -> None:
    assert _offences(ISSUE) == []


def test_the_patterns_catch_what_they_should() -> None:
    for text in ("see ../shared/DOMAIN.md", "(shared/PITFALLS.md)", "PITFALLS.md", "DESIGN.md"):
        assert OUTSIDE.search(text), text
    for text in ("(issue 3)", "Issue #12", "issues 14", "fixed in #7", "(#12)"):
        assert ISSUE.search(text), text
    for text in ('bg="#000000"', "'#333'", "#FFFF00", "&#12;", "shared memory", "issue a card"):
        assert not ISSUE.search(text) and not OUTSIDE.search(text), text
    assert (REPO / "docs" / "domain.md").exists() and (REPO / "docs" / "cards.md").exists()
