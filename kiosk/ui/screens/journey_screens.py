"""The journey screens, as data for the shell's registry (kiosk/ui/screens/registry.py).

The first four carry the attract screen's route names (kiosk/ui/routes.py), so the
route tiles open the journeys. Hooking them in is one line in the registry::

    from kiosk.ui.screens.journey_screens import JOURNEY_SCREENS
    SCREENS += JOURNEY_SCREENS

or, before the app is built, :func:`register_journey_screens`.
"""

from __future__ import annotations

from kiosk.ui.screens.registry import ScreenSpec, register_screen

_P = "kiosk.ui.screens."
JOURNEY_SCREENS: list[ScreenSpec] = [
    ScreenSpec("prelost", _P + "identify_card:IdentifyPrelostScreen"),
    ScreenSpec("status", _P + "identify_card:IdentifyStatusScreen"),
    ScreenSpec("guide", _P + "guidance_index:GuidanceIndexScreen"),
    ScreenSpec("cancel_prelost", _P + "cancel_insert:CancelInsertScreen"),
    ScreenSpec("identify_keypad", _P + "identify_keypad:IdentifyKeypadScreen"),
    ScreenSpec("identify_code", _P + "identify_code:IdentifyCodeScreen"),
    ScreenSpec("prelost_cards", _P + "prelost_cards:PrelostCardsScreen"),
    ScreenSpec("prelost_consequences", _P + "prelost_consequences:PrelostConsequencesScreen"),
    ScreenSpec("prelost_done", _P + "prelost_done:PrelostDoneScreen"),
    ScreenSpec("prelost_pending", _P + "prelost_pending:PrelostPendingScreen"),
    ScreenSpec("status_progress", _P + "status_progress:StatusProgressScreen"),
    ScreenSpec("cancel_pin", _P + "cancel_pin:CancelPinScreen"),
    ScreenSpec("cancel_id", _P + "cancel_id:CancelIdScreen"),
    ScreenSpec("cancel_confirm", _P + "cancel_confirm:CancelConfirmScreen"),
    ScreenSpec("cancel_done", _P + "cancel_done:CancelDoneScreen"),
    ScreenSpec("guidance_topic", _P + "guidance_topic:GuidanceTopicScreen"),
    ScreenSpec("journey_busy", _P + "journey_busy:JourneyBusyScreen"),
    ScreenSpec("journey_failure", _P + "journey_failure:JourneyFailureScreen"),
]


def register_journey_screens() -> None:
    """Add every journey screen to the registry (call before the app is built)."""
    for spec in JOURNEY_SCREENS:
        register_screen(spec)
