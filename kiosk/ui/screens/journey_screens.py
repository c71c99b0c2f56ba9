"""The journey screens, as listed in the shell's registry (kiosk/ui/screens/registry.py).

The first four carry the attract screen's route names (kiosk/ui/routes.py), so the route
tiles open the journeys. The bench builds an app with the shell's screens plus these.
"""

from __future__ import annotations

from kiosk.ui.screens.registry import SCREENS, ScreenSpec

_MODULES = ("identify_", "prelost_", "status_", "cancel_", "guidance_", "journey_")
JOURNEY_SCREENS: list[ScreenSpec] = [
    s for s in SCREENS
    if s.target.startswith(tuple(f"kiosk.ui.screens.{m}" for m in _MODULES))]
SHELL_SCREENS: list[ScreenSpec] = [
    s for s in SCREENS if s.name in ("attract", "message", "placeholder")]
