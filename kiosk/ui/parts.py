"""What the app needs from the parts it runs on, as structural interfaces.

The composition root (:mod:`kiosk.composition`) builds the parts and hands the app a
factory for them (:data:`PartsFactory`); the app, its bridge and its helpers know the
parts only through :class:`AppParts`, so the UI imports no composition module and no
device or central class. ``kiosk.composition.parts.KioskParts`` meets these interfaces
(the type checker checks it where the root hands its factory to the app).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from kiosk.config import Settings
from kiosk.services.ports import CardEvent, Dispatcher, JackState, ScanEvent

if TYPE_CHECKING:  # these load prometheus_client (~0.4 s): after the first frame, not here
    from kiosk.services.controller import JourneyController
    from kiosk.services.diagnostics.live import TechnicianParts
    from kiosk.services.staff_call import StaffCall

Event = TypeVar("Event", covariant=True)


class Relay(Protocol[Event]):
    """Events of a part's thread, sent to whoever is connected now (the bridge)."""

    def connect(self, target: Callable[[Event], None]) -> None:
        """Send every later event to ``target`` (called on the part's thread)."""


class Speech(Protocol):
    """The speaker the app reads aloud with (``kiosk.devices.speech.Speaker``)."""

    @property
    def rate(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    def say(self, text: str, language: str) -> None: ...
    def cue(self, name: str) -> None: ...
    def route(self, output: str) -> None: ...
    def set_rate(self, wpm: int) -> int: ...
    def stop(self) -> None: ...


class AppParts(Protocol):
    """The running parts as the app uses them: the journeys' controller, the events of
    the card hub, QR scanner and headphone jack, the speaker, the staff call, what the
    technician works on; started after the first frame, stopped when the app stops."""

    @property
    def controller(self) -> JourneyController: ...
    @property
    def card_events(self) -> Relay[CardEvent]: ...
    @property
    def scan_events(self) -> Relay[ScanEvent] | None: ...
    @property
    def jack_events(self) -> Relay[JackState] | None: ...
    @property
    def speaker(self) -> Speech | None: ...
    @property
    def staff_call(self) -> StaffCall | None: ...
    @property
    def technician(self) -> TechnicianParts: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


# (settings, the Kivy main-thread dispatcher) → the parts the app runs on; the app calls
# it after its first frame (the parts' imports cost about 1 s).
PartsFactory = Callable[[Settings, Dispatcher], AppParts]
