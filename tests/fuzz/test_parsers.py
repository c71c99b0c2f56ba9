"""Every parser of hostile input, fuzzed with a fixed budget (CI): card records and
61xx/6Cxx chains, serial ID frames, the ID text block, central replies (raw HTTP from a
loopback server to the real client, and each reply schema), configuration files and
variables. Each input parses or raises the target's typed error, within a memory bound
(peak traced allocation per example); pytest-timeout bounds each target. How long one
example may take (a parser that backtracks for seconds) is the bench's check: ``kiosk
bench fuzz --seconds N`` runs the same targets with a per-example deadline."""

from __future__ import annotations

import logging
import tracemalloc
from typing import Any

import pytest
from hypothesis import given

from kiosk.bench.fuzz import fuzz_settings
from kiosk.bench.fuzz_targets import TARGETS, check

# Examples per target: the whole set stays well under 60 s on a loaded 2-core machine.
BUDGET = {"ssc_records": 300, "apdu_chain": 300, "serial_frames": 300, "id_text": 400,
          "central_reply": 150, "central_schemas": 300, "config_file": 200}
MAX_PEAK_BYTES = 8 * 1024 * 1024  # one example; the largest inputs are a few hundred bytes


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.CRITICAL)  # thousands of expected "call failed" lines
    yield
    logging.disable(logging.NOTSET)


def test_every_target_has_a_budget():
    assert set(BUDGET) == set(TARGETS)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(BUDGET))
def test_parses_or_raises_the_typed_error(name: str) -> None:
    target = TARGETS[name]
    outcomes: dict[str, int] = {}

    @fuzz_settings(BUDGET[name], deadline_ms=None)
    @given(target.strategy)
    def one(value: Any) -> None:
        tracemalloc.start()
        try:
            outcome = check(target, value)  # anything but the typed error propagates
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak < MAX_PEAK_BYTES, peak
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    one()
    assert sum(outcomes.values()) >= BUDGET[name] // 2
    # The strategies reach both sides: some inputs parse, some are refused (except
    # where parsing is rare by nature: forged replies to a signed client, raw APDUs).
    assert len(outcomes) >= 2 or name in ("central_reply", "apdu_chain"), outcomes
