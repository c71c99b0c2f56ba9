"""Central service: reachability, latency, TLS, signature, clock skew, last heartbeat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.domain.clock import format_time
from kiosk.services.diagnostics.checks import check_central
from kiosk.services.diagnostics.model import CheckResult
from kiosk.ui.screen_base import load_kv
from kiosk.ui.technician.base import DiagScreen, run_check

FIELDS = ("host", "port", "tls", "latency_ms", "signature", "skew_seconds", "last_heartbeat")


class DiagCentralScreen(DiagScreen):
    def reset(self) -> None:
        self.forget()
        self.show_text(self.ids.summary, "")
        self.show_text(self.ids.details, "")

    def refresh(self) -> None:
        self.show(self.ids.summary, "diagnostics.ui.checking")
        run_check(self.app, check_central, self._show)

    def _show(self, result: CheckResult | BaseException) -> None:
        self.show_check(result, FIELDS, self._fmt)

    def _fmt(self, value: object) -> str:
        if isinstance(value, bool):
            return self.tr("diagnostics.ui.yes" if value else "diagnostics.ui.no")
        if value in ("accepted", "rejected", "unknown"):
            return self.tr(f"diagnostics.ui.signature_{value}")
        moment = _moment(value)
        if moment is not None:  # the check's UTC instant, in the region's wall time
            return format_time(moment, self.app.settings.region.timezone)
        return _fmt(value)

    def tour_states(self) -> dict[str, Callable[[], None]]:
        def sample() -> None:
            self.show(self.ids.summary, "diagnostics.central.ok", latency_ms=12.5)
            self.render(lambda: self.show_text(self.ids.details, self.field_lines(zip(
                FIELDS, ("127.0.0.1", 8765, self._fmt(False), 12.5, self._fmt("accepted"),
                         0.4, self._fmt("2026-11-25T01:00:00+00:00")), strict=True))))

        return {"default": sample}


def _moment(value: object) -> dt.datetime | None:
    """An aware ISO 8601 instant (``2026-11-25T01:00:00+00:00``), else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _fmt(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


load_kv(__file__)
