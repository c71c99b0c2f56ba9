"""``kiosk bench mutate``'s own parts: the mutants it makes, and its lists kept true (the
run itself is outside CI: docs/testing.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.bench.mutate import HAND_MUTANTS, REPO, TARGETS, _Served, mutants

SAMPLE = '''"""A docstring, never mutated."""
from __future__ import annotations

import logging

log = logging.getLogger("x")
LIMIT = 3


def check(value: int, names: list[str]) -> bool:
    """Also not mutated."""
    log.info("not this text either", extra={"value": value})
    if value <= LIMIT and "a" in names:
        names.append("b")
        return True
    return not value
'''


def test_the_operators_and_what_is_left_alone(tmp_path: Path):
    path = tmp_path / "sample.py"
    path.write_text(SAMPLE, encoding="utf-8")
    found = {m.ident: m for m in mutants(path)}
    assert set(found) == {
        "<module>: 'x' changed [1]", "<module>: 3 → 4 [1]",
        "check: and → or [1]", "check: <= → < [1]", "check: <= → >= [1]",
        "check: in → not in [1]", "check: 'a' changed [1]", "check: 'b' changed [1]",
        "check: call names.append() removed [1]", "check: True → False [1]",
        "check: return None [1]", "check: return None [2]", "check: not removed [1]",
        "check: call log.info() removed [1]"}
    # Each mutant is the whole module with that one change, and still Python.
    assert "if value < LIMIT and 'a' in names" in found["check: <= → < [1]"].source
    for ident, mutant in found.items():
        compile(mutant.source, "sample.py", "exec")
        assert "A docstring, never mutated." in mutant.source
        # The log line may go (a mutant of its own), but its words are never changed.
        assert ("not this text either" in mutant.source) is ("log.info" not in ident)


def test_the_served_module_replaces_the_real_one(tmp_path: Path):
    served = _Served("kiosk_mutate_sample", tmp_path / "sample.py", "ANSWER = 42\n")
    import importlib
    import sys

    sys.meta_path.insert(0, served)
    try:
        module = importlib.import_module("kiosk_mutate_sample")
        assert module.ANSWER == 42 and module.__file__ == str(tmp_path / "sample.py")
    finally:
        sys.meta_path.remove(served)
        sys.modules.pop("kiosk_mutate_sample", None)


@pytest.mark.parametrize("module", sorted(HAND_MUTANTS))
def test_every_hand_written_mutant_still_applies(module):
    # A change to the module that moves the text needs the mutant written again: a
    # mutant that no longer applies would quietly leave a hole in the run.
    text = (REPO / module).read_text(encoding="utf-8")
    for what, old, _new in HAND_MUTANTS[module]:
        assert old in text, f"{module}: hand-written mutant '{what}' no longer applies"


def test_every_target_and_its_tests_exist():
    for module, args in TARGETS.items():
        assert (REPO / module).is_file(), module
        for test in (a for a in args if a.endswith(".py")):
            assert (REPO / test).is_file(), (module, test)
