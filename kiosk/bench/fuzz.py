"""``kiosk bench fuzz --seconds N``: run every fuzz target (:mod:`.fuzz_targets`) for
about N seconds in all, and print examples per second and failures per target.

The CI fuzz tests (``tests/fuzz``) run the same targets with a fixed number of examples;
this is the long run. A failure is an input that neither parsed nor raised the target's
typed error (or overran :data:`EXAMPLE_DEADLINE_MS`); hypothesis shrinks it and the
smallest input is printed, to become a regression test.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from typing import TypedDict

from hypothesis import HealthCheck, given, settings

from kiosk.bench.fuzz_targets import TARGETS, Target, check
from kiosk.cli.common import CliError

EXAMPLE_DEADLINE_MS = 1000  # one example of any target; parsers take microseconds
CHUNK = 200  # examples per hypothesis run; runs repeat until the time is up


class FuzzFigures(TypedDict):
    """One target's run: examples, time, rate, failures (text) and outcomes by kind."""

    examples: int
    seconds: float
    examples_per_s: float
    failures: list[str]
    outcomes: dict[str, int]


def fuzz_settings(max_examples: int,
                  deadline_ms: int | None = EXAMPLE_DEADLINE_MS) -> settings:
    """Hypothesis settings shared by the CI tests and the bench: fixed examples, a
    per-example deadline (the bench's; the tests pass None: a timing is no test's to
    assert), no example database (nothing written), no health checks that would fail a
    slow shared machine."""
    return settings(max_examples=max_examples, deadline=deadline_ms, database=None,
                    suppress_health_check=list(HealthCheck), derandomize=False,
                    print_blob=True)


def fuzz_for(target: Target, seconds: float) -> FuzzFigures:
    """Fuzz ``target`` for about ``seconds``: examples run, rate, failures (text)."""
    count = 0
    failures: list[str] = []
    outcomes: dict[str, int] = {}

    @fuzz_settings(CHUNK)
    @given(target.strategy)
    def one(value: object) -> None:
        nonlocal count
        count += 1
        outcome = check(target, value)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    started = time.perf_counter()
    logging.disable(logging.CRITICAL)  # thousands of "call failed" lines say nothing here
    try:
        _loop(one, started, seconds, failures)
    finally:
        logging.disable(logging.NOTSET)
    elapsed = time.perf_counter() - started
    return {"examples": count, "seconds": round(elapsed, 1),
            "examples_per_s": round(count / elapsed, 1) if elapsed else 0.0,
            "failures": failures, "outcomes": outcomes}


def _loop(one: Callable[[], None], started: float, seconds: float,
          failures: list[str]) -> None:
    while time.perf_counter() - started < seconds:
        try:
            one()
        except Exception as exc:  # noqa: BLE001 - a found bug: record it, keep fuzzing
            failures.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                            if str(exc) else type(exc).__name__)
            if len(failures) >= 5:
                return


def run(args: argparse.Namespace) -> int:
    """Exit 0 when no target failed, 1 otherwise."""
    names = getattr(args, "target", None) or list(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        raise CliError(f"bench fuzz: unknown target {', '.join(unknown)}; "
                       f"known: {', '.join(TARGETS)}", 2)
    total = getattr(args, "seconds", None) or 60.0
    per = total / len(names)
    figures = {name: fuzz_for(TARGETS[name], per) for name in names}
    if getattr(args, "json", False):
        print(json.dumps({"fuzz": figures}, ensure_ascii=False))
    else:
        print(f"fuzz ({total:g} s over {len(names)} targets)")
        for name, f in figures.items():
            print(f"  {name:16s} {f['examples']:7d} examples  {f['examples_per_s']:8.1f}/s"
                  f"  failures {len(f['failures'])}")
            for failure in f["failures"]:
                print(f"      {failure}")
    return 1 if any(f["failures"] for f in figures.values()) else 0
