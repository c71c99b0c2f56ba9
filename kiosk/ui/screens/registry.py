"""The screens, as data. The app creates each once at start, in this order.

To add a screen: one line here (see :mod:`kiosk.ui.screens.base` for the recipe). Names
used by the attract screen's routes (:mod:`kiosk.ui.routes`): ``pre_lost``, ``status``,
``guide``, ``cancel_pre_loss``; until a screen of that name exists, the placeholder
screen stands in.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ScreenSpec:
    name: str
    target: str   # "package.module:ClassName"

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


SCREENS: list[ScreenSpec] = [
    ScreenSpec("attract", "kiosk.ui.screens.attract:AttractScreen"),
    ScreenSpec("message", "kiosk.ui.screens.message:MessageScreen"),
    ScreenSpec("placeholder", "kiosk.ui.screens.placeholder:PlaceholderScreen"),
    # Journeys (issue 6) and diagnostics (issue 7): add your screens below.
    # Journeys (cardholder, issue 6); the first four carry the routes' screen names.
    ScreenSpec("pre_loss", "kiosk.ui.screens.identify_card:IdentifyPreLossScreen"),
    ScreenSpec("status", "kiosk.ui.screens.identify_card:IdentifyStatusScreen"),
    ScreenSpec("guide", "kiosk.ui.screens.guidance_index:GuidanceIndexScreen"),
    ScreenSpec("cancel_pre_loss", "kiosk.ui.screens.cancel_insert:CancelInsertScreen"),
    ScreenSpec("identify_keypad", "kiosk.ui.screens.identify_keypad:IdentifyKeypadScreen"),
    ScreenSpec("identify_code", "kiosk.ui.screens.identify_code:IdentifyCodeScreen"),
    ScreenSpec("pre_loss_cards", "kiosk.ui.screens.pre_loss_cards:PreLossCardsScreen"),
    ScreenSpec("pre_loss_consequences",
               "kiosk.ui.screens.pre_loss_consequences:PreLossConsequencesScreen"),
    ScreenSpec("pre_loss_done", "kiosk.ui.screens.pre_loss_done:PreLossDoneScreen"),
    ScreenSpec("pre_loss_pending", "kiosk.ui.screens.pre_loss_pending:PreLossPendingScreen"),
    ScreenSpec("status_progress", "kiosk.ui.screens.status_progress:StatusProgressScreen"),
    ScreenSpec("cancel_pin", "kiosk.ui.screens.cancel_pin:CancelPinScreen"),
    ScreenSpec("cancel_id", "kiosk.ui.screens.cancel_id:CancelIdScreen"),
    ScreenSpec("cancel_confirm", "kiosk.ui.screens.cancel_confirm:CancelConfirmScreen"),
    ScreenSpec("cancel_done", "kiosk.ui.screens.cancel_done:CancelDoneScreen"),
    ScreenSpec("guidance_topic", "kiosk.ui.screens.guidance_topic:GuidanceTopicScreen"),
    ScreenSpec("journey_busy", "kiosk.ui.screens.journey_busy:JourneyBusyScreen"),
    ScreenSpec("journey_failure", "kiosk.ui.screens.journey_failure:JourneyFailureScreen"),
    # Diagnostics (technician mode, issue 7):
    ScreenSpec("diag_pin", "kiosk.ui.screens.diag_pin:DiagPinScreen"),
    ScreenSpec("diag_overview", "kiosk.ui.screens.diag_overview:DiagOverviewScreen"),
    ScreenSpec("diag_readers", "kiosk.ui.screens.diag_readers:DiagReadersScreen"),
    ScreenSpec("diag_printer", "kiosk.ui.screens.diag_printer:DiagPrinterScreen"),
    ScreenSpec("diag_central", "kiosk.ui.screens.diag_central:DiagCentralScreen"),
    ScreenSpec("diag_outbox", "kiosk.ui.screens.diag_outbox:DiagOutboxScreen"),
    ScreenSpec("diag_display", "kiosk.ui.screens.diag_display:DiagDisplayScreen"),
    ScreenSpec("diag_audio", "kiosk.ui.screens.diag_audio:DiagAudioScreen"),
    ScreenSpec("diag_logs", "kiosk.ui.screens.diag_logs:DiagLogsScreen"),
    ScreenSpec("diag_config", "kiosk.ui.screens.diag_config:DiagConfigScreen"),
    ScreenSpec("diag_bundle", "kiosk.ui.screens.diag_bundle:DiagBundleScreen"),
]


def register_screen(spec: ScreenSpec) -> None:
    """Add (or replace, by name) a screen before the app starts (plugins, tests)."""
    SCREENS[:] = [s for s in SCREENS if s.name != spec.name] + [spec]
