"""Create the app: configures Kivy first (the only safe order), then composes the parts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.ui.kivy_env import configure_kivy

# Builds the parts given the Kivy main-thread dispatcher, e.g.
# ``lambda dispatch: build_kiosk(settings, dispatch)`` (kiosk.composition).
PartsFactory = Callable[[Callable[[Callable[[], None]], None]], Any]


def create_app(settings: Settings, parts: PartsFactory | None = None, *,
               screens: Sequence[Any] | None = None, kivy_home: Path | None = None,
               console_log: bool = True) -> Any:
    """A :class:`~kiosk.ui.app.KioskApp` for ``settings`` on the parts ``parts`` builds
    (none: the shell alone), showing ``screens`` (default: the registry)."""
    configure_kivy(settings, kivy_home=kivy_home, console_log=console_log)
    # Kivy reads its configuration at import: these come after configure_kivy.
    from kiosk.ui.app import KioskApp
    from kiosk.ui.screens.journey_bridge import kivy_dispatch

    return KioskApp(settings, parts(kivy_dispatch) if parts is not None else None,
                    screens=screens)
