"""Cards already on the reader when a journey starts.

Cardholders often lay their card on the reader first and touch "挂失" second. The card
hub reads a card when it goes in; at the attract screen nobody wants it, so that read is
dropped. :class:`PresentCards` watches the controller's states and, when a step that
waits for a card is entered afresh, asks the hub to read the card lying in the slot it
needs (``CardHub.reread(slot)``); the result arrives as an ordinary ``card_read`` /
``card_failed`` event, exactly as for an insertion.

"Afresh" means: the journey has just started (the identify step of pre-loss and status,
the first step of cancel), cancel has just moved on to asking for the ID card, or the
person came back to the step with Back or "try again" from a failure or the keypad: the
card lying there is read again at once, instead of waiting for it to be lifted and placed
again. Going back from the person's own cards or status ("someone else's card?") does
not re-read: the card that identified them would bring the same person straight back.
Wired in :func:`kiosk.composition.parts.build_kiosk`.
"""

from __future__ import annotations

from typing import Protocol

from kiosk.logs import get_logger
from kiosk.services.states import Journey, State, Step

log = get_logger("kiosk.services.present")


class CardRereader(Protocol):
    """The card hub's re-read: True when a card was present and a read is under way."""

    def reread(self, slot: str) -> bool: ...


# Steps from which coming back to a card step reads the card lying there again.
BACK_FROM = frozenset({Step.FAILED, Step.ID_KEYPAD})


def slots_to_read(before: State | None, now: State) -> tuple[str, ...]:
    """The slots to re-read, in order of preference (the first present one is read)."""
    started = before is None or before.journey != now.journey or before.step in BACK_FROM
    if now.step == Step.IDENTIFY and started:
        return ("id", "ssc") if now.journey == Journey.STATUS else ("id",)
    if now.step == Step.CANCEL_INSERT_SSC and started:
        return ("ssc",)
    if now.step == Step.CANCEL_INSERT_ID and before is not None \
            and before.step != Step.CANCEL_INSERT_ID:
        return ("id",)
    return ()


class PresentCards:
    """A controller listener: ``controller.subscribe(PresentCards(hub))``."""

    def __init__(self, reader: CardRereader) -> None:
        self.reader = reader
        self._before: State | None = None

    def __call__(self, state: State) -> None:
        before, self._before = self._before, state
        for slot in slots_to_read(before, state):
            try:
                if self.reader.reread(slot):
                    log.info("reading the card already present", extra={"fields": {
                        "slot": slot, "step": state.step.value}})
                    return
            except Exception as exc:  # noqa: BLE001 - the card can still be presented
                log.warning("re-read failed", extra={"fields": {
                    "slot": slot, "error": type(exc).__name__}})
