"""The screens, as data. The app creates each once at start, in this order
(``KioskApp(settings, parts, screens=...)`` takes another list: the bench, tests).

To add a screen: one line here (see :mod:`kiosk.ui.screen_base` for the recipe). The
attract screen's routes (:mod:`kiosk.ui.routes`) name the screens their journeys' first
steps are drawn on: ``pre_loss`` and ``status`` (both identification, drawn on the one
class), ``guide``, ``cancel_pre_loss``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kivy.uix.screenmanager import Screen


@dataclass(frozen=True)
class ScreenSpec:
    """A screen's name and where its class is (loaded when the app builds it)."""

    name: str
    target: str   # "package.module:ClassName"

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        found = getattr(importlib.import_module(module), cls)
        if not isinstance(found, type):
            raise TypeError(f"{self.target} is not a class")
        return found

    def factory(self) -> Callable[[], Screen]:
        """Builds the screen: its class loaded then, named :attr:`name`."""
        return lambda: self.load()(name=self.name)


SCREENS: tuple[ScreenSpec, ...] = (
    ScreenSpec("attract", "kiosk.ui.screens.attract:AttractScreen"),
    ScreenSpec("message", "kiosk.ui.screens.message:MessageScreen"),
    ScreenSpec("placeholder", "kiosk.ui.screens.placeholder:PlaceholderScreen"),
    # Journeys (cardholder); the first four carry the routes' screen names.
    ScreenSpec("pre_loss", "kiosk.ui.screens.identify_card:IdentifyCardScreen"),
    ScreenSpec("status", "kiosk.ui.screens.identify_card:IdentifyCardScreen"),
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
    ScreenSpec("essc_choose", "kiosk.ui.screens.essc_choose:EsscChooseScreen"),
    ScreenSpec("essc_refused", "kiosk.ui.screens.essc_refused:EsscRefusedScreen"),
    ScreenSpec("journey_busy", "kiosk.ui.screens.journey_busy:JourneyBusyScreen"),
    ScreenSpec("journey_failure", "kiosk.ui.screens.journey_failure:JourneyFailureScreen"),
    ScreenSpec("out_of_service", "kiosk.ui.screens.out_of_service:OutOfServiceScreen"),
    # Diagnostics (technician mode); the technician's list is taken from here:
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
)

# Subsets: the bench builds the shell plus the journeys (the technician's list is in
# kiosk.ui.technician.base).
SHELL_SCREENS: tuple[ScreenSpec, ...] = tuple(
    s for s in SCREENS if s.name in ("attract", "message", "placeholder"))
_JOURNEY_MODULES = ("identify_", "pre_loss_", "status_", "cancel_", "guidance_", "journey_",
                    "essc_", "out_of_service")
JOURNEY_SCREENS: tuple[ScreenSpec, ...] = tuple(
    s for s in SCREENS
    if s.target.startswith(tuple(f"kiosk.ui.screens.{m}" for m in _JOURNEY_MODULES)))
