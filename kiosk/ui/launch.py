"""Create or run the app: configures Kivy first (the only safe order)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.ui.kivy_env import configure_kivy


def create_app(settings: Settings, *, kivy_home: Path | None = None,
               console_log: bool = True) -> Any:
    """A :class:`~kiosk.ui.app.KioskApp` for ``settings`` (Kivy configured before import)."""
    configure_kivy(settings, kivy_home=kivy_home, console_log=console_log)
    from kiosk.ui.app import KioskApp

    return KioskApp(settings)
