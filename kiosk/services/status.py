"""Replacement status steps: by ID (card or keypad) or by the SSC, then the timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from kiosk.calendar_source import calendar_for
from kiosk.domain.models import SscCardData
from kiosk.services.adapt import person_info, replacement_info
from kiosk.services.essc import status_card
from kiosk.services.failures import FailureKind, error_kind
from kiosk.services.identify import not_found_on_card
from kiosk.services.journey import JourneyContext
from kiosk.services.ports import PersonCards, Replacement, Slot
from kiosk.services.states import CardStateLine, StatusView, Step
from kiosk.services.timeline import build_timeline, expected_date

T = TypeVar("T")


class StatusJourney:
    """The replacement status journey: identified by ID (card or keypad, then
    :meth:`load`) or by the SSC (:meth:`ssc_read`); shows the timeline. No intents of
    its own beyond identification."""

    back_steps = frozenset({Step.STATUS})  # the journey registry routes back here

    def __init__(self, core: JourneyContext) -> None:
        self.core = core

    def card_read(self, slot: Slot, data: object) -> bool:
        """A card read while identification waits: the old or new SSC identifies too."""
        if slot is Slot.SSC and isinstance(data, SscCardData):
            self.ssc_read(data)
            return True
        return False

    def back(self) -> None:
        """Back from the status: identify again (someone else's card?), data wiped."""
        self.core.start(self.core.state.journey)

    def ssc_read(self, card: SscCardData) -> None:
        """The old or new SSC identifies the person and the replacement (by its chip)."""
        self.core.session.ssc_card = card

        def lookup() -> tuple[PersonCards, Replacement | None]:
            central = self.core.central  # read when the call runs ("try again" too)
            person = central.lookup_by_ssc(card)
            return person, self._progress(lambda: central.replacement_progress(ssc=card))

        def got(result: tuple[PersonCards, Replacement | None]) -> None:
            # The chip's social security number is the holder's ID number.
            self.core.session.person = person_info(result[0], card.ssn)
            self.core.session.id_number = card.ssn
            self._show_status(result[1])

        self.core.call("lookup_by_card", lookup, got, "journeys.busy.looking_up",
                       on_error=not_found_on_card(self.core))

    def _progress(self, ask: Callable[[], T]) -> T | None:
        """Replacement progress, or None when no replacement exists (not a failure)."""
        try:
            return ask()
        except Exception as exc:
            kind = error_kind(exc)
            if kind is FailureKind.PERSON_NOT_FOUND or (
                    kind is FailureKind.REFUSED
                    and getattr(exc, "code", "") == "no_replacement"):
                return None
            raise

    def load(self) -> None:
        """The replacement progress of the identified person, by the handle of the card
        it concerns (one with a replacement, else a lost one, else the first)."""
        handle = status_card(self.core.session.person)
        if handle is None:
            self._show_status(None)
            return
        self.core.call("replacement_progress", lambda: self._progress(
                           lambda: self.core.central.replacement_progress(handle)),
                       self._show_status, "journeys.busy.looking_up")

    def _show_status(self, progress: Replacement | None) -> None:
        person = self.core.session.person
        info = replacement_info(progress)
        self.core.session.replacement = info
        lines = tuple(CardStateLine(c.masked, c.state, f"journeys.status.card.{c.state}")
                      for c in (person.cards if person else ()))
        holder = person.masked_name if person else ""
        if info is None:
            self.core.publish(Step.STATUS, StatusView(holder, lines, False,
                                              next_key="journeys.status.next.none"))
            return
        bank = any(c.bank_function for c in person.cards) if person else False
        r = self.core.settings.region
        days = r.replacement_working_days_bank if bank else r.replacement_working_days
        expected = expected_date(info, days, calendar_for(self.core.settings))
        self.core.publish(Step.STATUS, StatusView(
            holder, lines, True, timeline=build_timeline(info), stage=info.stage,
            applied_on=info.applied_on, expected_on=expected.value if expected else None,
            expected_estimate=bool(expected and expected.is_estimate), working_days=days,
            outlet=info.outlet, ready_since=info.ready_since,
            mailed=info.mailed, tracking_number=info.tracking_number,
            next_key=f"journeys.status.next.{info.stage}"))

