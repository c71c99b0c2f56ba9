"""Create the app: configures Kivy first (the only safe order), then makes the
:class:`~kiosk.ui.app.KioskApp`. The composition root calls it
(:func:`kiosk.composition.build_app`) with the factory of the parts the app builds after
its first frame, so the heavy layers do not delay the first picture."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Settings
from kiosk.ui.kivy_env import configure_kivy
from kiosk.ui.parts import PartsFactory

if TYPE_CHECKING:  # Kivy is imported by the app's module: only after configure_kivy
    from kiosk.ui.app import KioskApp
    from kiosk.ui.registry import ScreenSpec


def create_app(settings: Settings, parts: PartsFactory | None = None, *,
               screens: Sequence[ScreenSpec] | None = None, kivy_home: Path | None = None,
               console_log: bool = True) -> KioskApp:
    """A :class:`~kiosk.ui.app.KioskApp` for ``settings`` on the parts ``parts`` builds
    (none: the shell alone), showing ``screens`` (default: the registry)."""
    configure_kivy(settings, kivy_home=kivy_home, console_log=console_log)
    # lazy: Kivy reads its configuration at import, so this comes after configure_kivy.
    from kiosk.ui.app import KioskApp

    return KioskApp(settings, parts, screens=screens)
