"""A technician card presented at the attract screen opens the technician PIN pad.

The card hub reports a card whose ATR is in ``diagnostics.technician_card_atrs`` as a
``technician_card`` event and never reads it; the journey bridge hands such events here
(through ``app.technician_card()``)
instead of to the journeys (so the card can never start a cardholder journey). The PIN
is still asked for: the card only replaces the hidden corner gesture. Anywhere but the
attract screen (a journey, the inactivity warning, diagnostics already open) the card
does nothing. Runs on the Kivy main thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.logs import get_logger
from kiosk.services.diagnostics.access import card_opens_pin
from kiosk.ui.technician.base import PIN_SCREEN

if TYPE_CHECKING:
    from kiosk.ui.app_protocol import UiApp

log = get_logger("kiosk.ui.technician.card")


def on_technician_card(app: UiApp) -> bool:
    """Open the PIN pad if the kiosk is idle at the attract screen; True if it did."""
    sm = app.sm
    if sm is None or not app.has_screen(PIN_SCREEN):
        log.warning("technician card, but no technician screens")
        return False
    overlay = getattr(app, "overlay", None)
    journey = app.journeys.controller.state.journey.value if app.journeys else ""
    tech = app.technician
    if not card_opens_pin(screen=sm.current,
                          overlay_open=getattr(overlay, "_window", None) is not None,
                          journey=journey, inside=tech.active):
        log.info("technician card ignored", extra={"fields": {"screen": sm.current}})
        return False
    log.info("technician card")
    app.go(PIN_SCREEN)
    return True
