"""Create the app: configures Kivy first (the only safe order); the parts come from the
composition root (:func:`kiosk.composition.build_kiosk`), built when the app asks for
them — after its first frame, so the heavy layers do not delay the first picture."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.config import Settings
from kiosk.ui.kivy_env import configure_kivy

if TYPE_CHECKING:
    from kiosk.composition import KioskParts

Dispatch = Callable[[Callable[[], None]], None]
# (settings, the Kivy main-thread dispatcher) → the parts the app runs on.
PartsFactory = Callable[[Settings, Dispatch], "KioskParts"]


def composed(**overrides: Any) -> PartsFactory:
    """The composition root's parts for the app's settings, with ``overrides`` (see
    :func:`kiosk.composition.build_kiosk`: ``cards=False``, ``speech=False``, …)."""
    def build(settings: Settings, dispatch: Dispatch) -> KioskParts:
        # lazy: heavy (escpos, requests, prometheus: about 1 s); built after the first frame.
        from kiosk.composition import build_kiosk

        return build_kiosk(settings, dispatch, **overrides)
    return build


def create_app(settings: Settings, parts: PartsFactory | None = None, *,
               screens: Sequence[Any] | None = None, kivy_home: Path | None = None,
               console_log: bool = True) -> Any:
    """A :class:`~kiosk.ui.app.KioskApp` for ``settings`` on the parts ``parts`` builds
    (e.g. ``composed()``; none: the shell alone), showing ``screens`` (default: the
    registry)."""
    configure_kivy(settings, kivy_home=kivy_home, console_log=console_log)
    # lazy: Kivy reads its configuration at import, so this comes after configure_kivy.
    from kiosk.ui.app import KioskApp

    return KioskApp(settings, parts, screens=screens)
