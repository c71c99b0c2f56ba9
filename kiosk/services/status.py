"""Replacement status steps: by ID (card or keypad) or by the SSC, then the timeline."""

from __future__ import annotations

from typing import Any

from kiosk.calendar_source import calendar_for
from kiosk.domain.models import SscCardData
from kiosk.services.adapt import person_info, replacement_info
from kiosk.services.failures import error_kind
from kiosk.services.states import CardStateLine, StatusView, Step
from kiosk.services.timeline import build_timeline, expected_date


class StatusSteps:
    """Mixin of :class:`~kiosk.services.controller.JourneyController` (shares its state)."""

    # ---- replacement status -----------------------------------------------------------
    def _status_ssc_read(self, card: SscCardData) -> None:
        self.session.ssc_card = card

        def lookup() -> tuple[Any, Any]:
            person = self.central.lookup_by_card(card.card_number)
            return person, self._progress(card_number=card.card_number)

        def got(result: tuple[Any, Any]) -> None:
            self.session.person = person_info(result[0], card.ssn)
            self.session.id_number = self.session.person.id_number or card.ssn
            self._show_status(result[1])

        self._call("lookup_by_card", lookup, got, "journeys.busy.looking_up")

    def _progress(self, **by: str | None) -> Any:
        """Replacement progress, or None when no replacement exists (not a failure)."""
        try:
            return self.central.replacement_progress(**by)
        except Exception as exc:
            kind = error_kind(exc)
            if kind == "person_not_found" or (
                    kind == "refused" and getattr(exc, "code", "") == "no_replacement"):
                return None
            raise

    def _load_status(self) -> None:
        number = self.session.id_number
        self._call("replacement_progress", lambda: self._progress(id_number=number),
                   self._show_status, "journeys.busy.looking_up")

    def _show_status(self, progress: Any) -> None:
        person = self.session.person
        info = replacement_info(progress)
        self.session.replacement = info
        lines = tuple(CardStateLine(c.masked, c.state, f"journeys.status.card.{c.state}")
                      for c in (person.cards if person else ()))
        holder = person.masked_name if person else ""
        if info is None:
            self._set(Step.STATUS, StatusView(holder, lines, False,
                                              next_key="journeys.status.next.none"))
            return
        bank = any(c.bank_function for c in person.cards) if person else False
        r = self.settings.region
        days = r.replacement_working_days_bank if bank else r.replacement_working_days
        expected = expected_date(info, days, calendar_for(self.settings))
        self._set(Step.STATUS, StatusView(
            holder, lines, True, timeline=build_timeline(info), stage=info.stage,
            applied_on=info.applied_on, expected_on=expected.value if expected else None,
            expected_estimate=bool(expected and expected.is_estimate), working_days=days,
            outlet=info.outlet, ready_since=info.ready_since,
            mailed=info.mailed, tracking_number=info.tracking_number,
            next_key=f"journeys.status.next.{info.stage}"))

