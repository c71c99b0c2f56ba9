"""The journey screens as listed in the shell's registry (kiosk/ui/screens/registry.py).

The first four carry the attract screen's route names (kiosk/ui/routes.py), so the route
tiles open the journeys. Tests and the bench that build an app with only the shell's
screens plus the journeys use :data:`JOURNEY_SCREENS` / :func:`register_journey_screens`.
"""

from __future__ import annotations

from kiosk.ui.screens.registry import SCREENS, ScreenSpec, register_screen

_MODULES = ("identify_", "pre_loss_", "status_", "cancel_", "guidance_", "journey_")
JOURNEY_SCREENS: list[ScreenSpec] = [
    s for s in SCREENS
    if s.target.startswith(tuple(f"kiosk.ui.screens.{m}" for m in _MODULES))]


def register_journey_screens() -> None:
    """Make sure every journey screen is registered (call before the app is built)."""
    for spec in JOURNEY_SCREENS:
        register_screen(spec)
