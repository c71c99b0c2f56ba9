"""The small interfaces the journeys need from the layers below, and the typed events
that cross them.

Card hub events are parsed into :class:`CardEventKind` / :class:`Slot`, defined once in
the pure :mod:`kiosk.devices.events` (no pyscard) and re-exported here, so the services
compare enums and never import the device layer's heavy parts.

The real ``kiosk.devices.card_hub.CardHub``, ``kiosk.central.client.CentralClient``,
``kiosk.central.outbox.Outbox`` and ``kiosk.devices.printer`` satisfy these structurally;
unit tests pass fakes. Results from the central service are read by attribute name only
(see :mod:`kiosk.services.adapt`), so the services do not import pydantic schemas.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol

from kiosk.devices.events import CardEventKind, Slot


class CardEvent(Protocol):
    """A card hub event, as the journeys read it (``kiosk.devices.card_hub.HubEvent``)."""

    @property
    def kind(self) -> str: ...
    @property
    def slot(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def error(self) -> BaseException | None: ...


class PinVerifier(Protocol):
    """The card hub's PIN check on the inserted social security card."""

    def verify_pin(self, pin: str) -> Any:
        """Return on success; raise ``CardError`` (kind pin_wrong / pin_blocked / …)."""


class CentralPort(Protocol):
    """What the journeys ask the central card service (blocking calls; run on a worker)."""

    def lookup_person(self, id_number: str) -> Any: ...
    def lookup_by_card(self, card_number: str) -> Any: ...
    def request_code(self, id_number: str) -> Any: ...
    def confirm_code(self, challenge_id: str, code: str) -> Any: ...
    def card_status(self, card_number: str) -> Any: ...
    def submit_pre_loss(self, card_number: str, id_number: str, idempotency_key: str) -> Any: ...
    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> Any: ...
    def cancel_pre_loss(self, card_number: str, id_number: str, idempotency_key: str) -> Any: ...


class OutboxPort(Protocol):
    """Durable queue for requests the central service could not acknowledge."""

    def enqueue(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> Any: ...


class PrinterPort(Protocol):
    """Receipt printer; failures are reported, never raised into the journey."""

    def print_receipt(self, receipt: Any, language: str) -> Any: ...


class Dispatcher(Protocol):
    """Runs a callback on the thread that owns the controller (Kivy: the main thread)."""

    def __call__(self, fn: Callable[[], None]) -> None: ...


Today = Callable[[], dt.date]
Now = Callable[[], dt.datetime]


__all__ = ["CardEvent", "CardEventKind", "CentralPort", "Dispatcher", "Now", "OutboxPort",
           "PinVerifier", "PrinterPort", "Slot"]
