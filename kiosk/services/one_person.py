"""One person per session.

The session holds one cardholder's data (:class:`~kiosk.services.session.KioskSession`).
A card or e-SSC of someone else must never be shown, or acted on, with it:

- an ID card or social security card read while someone is identified, that is not
  theirs (another ID number, or anyone's when the session cannot tell: identified by the
  e-SSC, which gives the kiosk no ID number), **ends the session's personal data at once**
  (the session end the UI resets its screens on, ``EndReason.NEW_PERSON``) and starts the
  same journey over for the new person, with the card just read;
- an e-SSC scanned while someone is identified does the same (it is verified as a new
  identification: the kiosk cannot tell whose it is before it asks);
- lifting the ID card that identified the person while their cards are listed (or being
  looked up, or a pre-loss is being confirmed, or a cancellation confirmed) ends the
  session like pulling the social security card does (``EndReason.ID_CARD_REMOVED``).

A card of the same person (their own SSC beside their ID card, the ID card put back) is
no new person and changes nothing. Nothing interrupts a state change in flight (a
pre-loss or cancellation being sent): that ends first, then the next card counts.
The controller asks this guard first for every card read, removal and scan.
"""

from __future__ import annotations

from typing import Protocol

from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger
from kiosk.services.ports import Slot
from kiosk.services.session import KioskSession
from kiosk.services.states import EndReason, Journey, State, Step

log = get_logger("kiosk.services.one_person")

# Card steps where the journey itself expects the card (and judges it: the cancel
# journey's own ID check); an identification typed on the keypad is replaced by a card.
JOURNEY_WAITS = frozenset({Step.IDENTIFY, Step.CANCEL_INSERT_SSC, Step.CANCEL_INSERT_ID})
KEYPAD_STEPS = frozenset({Step.ID_KEYPAD, Step.CODE_ENTRY})
# Calls that change something at the service: a new card waits until they are done.
STATE_CHANGES = frozenset({"submit_pre_loss", "cancel_pre_loss"})
# Steps during which the identifying ID card must stay on the reader.
ID_CARD_STAYS = frozenset({Step.CARDS, Step.CONSEQUENCES, Step.CANCEL_CONFIRM})
# Calls made on the ID card's identification, during which it must stay too.
ID_CARD_CALLS = frozenset({"lookup_person", "card_status"})


class OnePersonContext(Protocol):
    """What the guard uses of the controller."""

    session: KioskSession

    @property
    def state(self) -> State: ...
    @property
    def busy_call(self) -> str:
        """The name of the background call in flight ("" when none)."""

    def end(self, reason: EndReason = EndReason.DONE) -> None: ...
    def start(self, journey: str | Journey) -> None: ...
    def card_read_for_journey(self, slot: Slot, data: object) -> None:
        """Give a card read to the current journey's waiting step."""


def _holder(data: object) -> str | None:
    """The ID number a read card belongs to (an SSC's social security number is the
    holder's ID number), or None for anything else."""
    if isinstance(data, IdCardData):
        return data.id_number.strip().upper()
    if isinstance(data, SscCardData):
        return data.ssn.strip().upper()
    return None


class OnePerson:
    """The guard (see the module doc); ``ctl.one_person``."""

    def __init__(self, core: OnePersonContext) -> None:
        self.core = core

    def someone_identified(self) -> bool:
        """Whether the session holds anyone's data."""
        s = self.core.session
        return (s.person is not None or s.id_number is not None or s.id_card is not None
                or s.ssc_card is not None)

    def _in_flight(self) -> bool:
        st = self.core.state
        return st.step == Step.BUSY and self.core.busy_call in STATE_CHANGES

    def _is_theirs(self, number: str) -> bool:
        s = self.core.session
        known = s.id_number or (s.ssc_card.ssn if s.ssc_card is not None else None)
        return known is not None and known.strip().upper() == number

    def card_read(self, slot: Slot, data: object) -> bool:
        """A card was read. True when it was another person's and the session started
        over for them (the controller then does nothing more with the event)."""
        step = self.core.state.step
        number = _holder(data)
        if number is None or step in JOURNEY_WAITS or not self.someone_identified():
            return False
        if step in KEYPAD_STEPS:
            if slot is not Slot.ID:
                return False
        elif self._is_theirs(number) or self._in_flight():
            return False
        self._start_over("card", slot, data)
        return True

    def card_removed(self, slot: Slot) -> bool:
        """A card was lifted. True when the session ended for it."""
        s, st = self.core.session, self.core.state
        if slot is Slot.SSC and s.ssc_card is not None:
            self.core.end(EndReason.CARD_REMOVED)
            return True
        if slot is not Slot.ID or s.id_card is None or self._in_flight():
            return False
        if st.step in ID_CARD_STAYS or (st.step == Step.BUSY
                                        and self.core.busy_call in ID_CARD_CALLS):
            log.info("identifying ID card lifted: session data dropped",
                     extra={"fields": {"step": st.step.value}})
            self.core.end(EndReason.ID_CARD_REMOVED)
            return True
        return False

    def scanned(self) -> bool:
        """An e-SSC code was scanned. True when someone was identified and the session
        started over (the caller then verifies the code as a new identification)."""
        if not self.someone_identified() or self._in_flight():
            return False
        self._start_over("essc", Slot.NONE, None)
        return True

    def _start_over(self, what: str, slot: Slot, data: object) -> None:
        journey = self.core.state.journey
        log.info("another person: session data dropped", extra={"fields": {
            "by": what, "journey": journey.value}})
        self.core.end(EndReason.NEW_PERSON)
        if journey not in (Journey.PRE_LOSS, Journey.STATUS, Journey.CANCEL):
            return  # the start screen, with its notice; the card is read when wanted
        self.core.start(journey)
        if data is not None:
            self.core.card_read_for_journey(slot, data)
