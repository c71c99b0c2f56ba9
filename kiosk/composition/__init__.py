"""The composition root: the one place that builds the kiosk's running parts, on top of
every other layer (``cli → composition → ui``).

An entry point (``kiosk run``, ``kiosk tour``, a bench, a test) calls the root; the root
builds the app and hands it what it needs — the settings and a factory for the parts the
app builds after its first frame (their imports cost about 1 s)::

    app = build_app(settings)            # Kivy configured, the app made (nothing drawn)
    app.run()                            # first frame; then the app calls the factory:
                                         # build_kiosk(settings, dispatch) → KioskParts

The parts themselves are built in :mod:`kiosk.composition.parts` (``build_kiosk``,
``KioskParts``). Nothing else builds a card hub, a central client, an outbox, a speaker,
a printer or a journey controller; no screen builds any of them, and the UI imports no
module of this package (it knows the parts through :mod:`kiosk.ui.parts`).

This module stays light: the parts' module is imported only when the factory runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from kiosk.config import Settings
from kiosk.services.ports import Dispatcher
from kiosk.ui.launch import create_app
from kiosk.ui.parts import AppParts, PartsFactory

if TYPE_CHECKING:
    from kiosk.composition.diagnostics import AppPrinter
    from kiosk.composition.parts import KioskCentral
    from kiosk.devices.speech import Speaker
    from kiosk.ui.app import KioskApp
    from kiosk.ui.registry import ScreenSpec


class PartsOptions(TypedDict, total=False):
    """What an entry point may change in the parts (see
    :func:`kiosk.composition.parts.build_kiosk`)."""

    central: KioskCentral  # another client (tests: a fake, or one on the sandbox)
    offline: str  # no client at all: every call fails as offline, for this reason (tour)
    cards: bool  # False: no card hub (no PC/SC)
    outbox: bool  # False: no durable queue
    printer: AppPrinter  # another printer
    speaker: Speaker  # another speaker
    speech: bool  # whether to build the espeak-ng speaker (default: the setting)
    scanner: bool  # False: no QR scanner
    fleet: bool  # whether to run the fleet agent (default: fleet.enabled, real client)
    jack: bool  # False: no headphone jack watcher


def composed(**options: Unpack[PartsOptions]) -> PartsFactory:
    """The factory the app calls after its first frame: the parts for its settings, on
    its main-thread dispatcher, with ``options``."""
    def build(settings: Settings, dispatch: Dispatcher) -> AppParts:
        # lazy: heavy (escpos, requests, prometheus: about 1 s); built after the first frame.
        from kiosk.composition.parts import build_kiosk

        return build_kiosk(settings, dispatch, **options)
    return build


def build_app(settings: Settings, *, screens: Sequence[ScreenSpec] | None = None,
              kivy_home: Path | None = None, console_log: bool = True,
              **options: Unpack[PartsOptions]) -> KioskApp:
    """The kiosk app for ``settings`` (Kivy configured first), which builds its parts with
    ``options`` after its first frame; ``screens`` another list of screens (the bench)."""
    return create_app(settings, composed(**options), screens=screens, kivy_home=kivy_home,
                      console_log=console_log)


__all__ = ["PartsOptions", "build_app", "composed"]
