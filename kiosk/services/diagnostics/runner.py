"""Run checks. :func:`run_check` is the one way to run anything on a context (one check,
a technician action such as the test read, or the whole set): it closes what the context
opened, whatever happens. :func:`run_checks` runs the parts in parallel (the central
heartbeat may wait for its timeout while the disk check takes a millisecond), each
bounded by ``diagnostics.check_timeout_seconds``; a check that raises or overruns becomes
a failed result, and the run itself never raises."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import TypeVar

from kiosk import __version__
from kiosk.logs import get_logger
from kiosk.services.diagnostics.checks import CHECKS
from kiosk.services.diagnostics.context import DiagnosticsContext, utcnow
from kiosk.services.diagnostics.model import (
    PARTS,
    SCHEMA_VERSION,
    CheckResult,
    CheckStatus,
    worst,
)

log = get_logger("kiosk.services.diagnostics")
T = TypeVar("T")


@dataclass(frozen=True)
class Report:
    """All results of one run, in :data:`PARTS` order."""

    results: tuple[CheckResult, ...]
    started_at: dt.datetime
    duration_ms: float
    terminal_id: str

    @property
    def status(self) -> CheckStatus:
        return worst(list(self.results))

    def by_part(self) -> dict[str, CheckResult]:
        return {r.part: r for r in self.results}

    def to_dict(self, language: str = "en") -> dict[str, object]:
        """The stable JSON document of ``kiosk diagnose --json`` (schema 1)."""
        return {"schema": SCHEMA_VERSION, "kiosk_version": __version__,
                "terminal_id": self.terminal_id,
                "started_at": self.started_at.isoformat(timespec="seconds"),
                "duration_ms": round(self.duration_ms, 1), "status": self.status.value,
                "checks": [r.to_dict(language) for r in self.results]}


def _guarded(part: str, ctx: DiagnosticsContext) -> CheckResult:
    started = time.perf_counter()
    try:
        result = CHECKS[part](ctx)
    except Exception as exc:  # a bug or an unexpected device error: report, don't crash
        log.warning("check crashed", extra={"fields": {"part": part,
                                                        "error": type(exc).__name__}})
        result = CheckResult(part, CheckStatus.FAIL, "diagnostics.check_crashed",
                             {"error": type(exc).__name__})
    elapsed = (time.perf_counter() - started) * 1000
    return CheckResult(result.part, result.status, result.summary_key, result.details,
                       duration_ms=elapsed)


def run_check(ctx: DiagnosticsContext, check: Callable[[DiagnosticsContext], T]) -> T:
    """Run ``check(ctx)`` and close what ``ctx`` opened (never the app's live parts),
    whatever happens. The check's exception, if any, reaches the caller (a screen says
    it in words)."""
    try:
        return check(ctx)
    finally:
        ctx.close()


def run_checks(ctx: DiagnosticsContext, parts: list[str] | None = None) -> Report:
    """Run the checks of ``parts`` (default: all) on ``ctx`` and return the report; the
    context is closed afterwards (through :func:`run_check`)."""
    wanted = [p for p in PARTS if parts is None or p in parts]
    unknown = sorted(set(parts or []) - set(PARTS))
    if unknown:
        ctx.close()
        raise ValueError(f"unknown parts: {', '.join(unknown)}; known: {', '.join(PARTS)}")
    return run_check(ctx, lambda c: _run_parts(c, wanted))


def _run_parts(ctx: DiagnosticsContext, wanted: list[str]) -> Report:
    limit = float(ctx.settings.diagnostics.check_timeout_seconds)
    started_at, started = utcnow(), time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=len(wanted) or 1, thread_name_prefix="diag")
    futures = {part: pool.submit(_guarded, part, ctx) for part in wanted}
    results = []
    for part in wanted:
        left = max(0.0, limit - (time.perf_counter() - started))
        try:
            results.append(futures[part].result(timeout=left))
        except FutureTimeout:
            results.append(CheckResult(part, CheckStatus.FAIL, "diagnostics.check_timeout",
                                       {"timeout_seconds": limit}, duration_ms=limit * 1000))
    pool.shutdown(wait=False, cancel_futures=True)  # an overrunning check is abandoned
    report = Report(tuple(results), started_at, (time.perf_counter() - started) * 1000,
                    ctx.settings.kiosk.terminal_id)
    log.info("diagnostics run", extra={"fields": {
        "status": report.status.value, "ms": round(report.duration_ms),
        **{r.part: r.status.value for r in results}}})
    return report
