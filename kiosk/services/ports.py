"""The small interfaces the journeys need from the layers below, and the typed events
that cross them.

Card hub events are parsed into :class:`CardEventKind` / :class:`Slot`, defined once in
the pure :mod:`kiosk.devices.events` (no pyscard) and re-exported here, so the services
compare enums and never import the device layer's heavy parts.

The real ``kiosk.devices.card_hub.CardHub``, ``kiosk.central.client.CentralClient``,
``kiosk.central.outbox_sender.OutboxSender`` and ``kiosk.devices.printer`` satisfy these
structurally (mypy checks it where the composition root hands them over); unit tests
pass fakes. The central service's answers are its own pydantic response models
(:mod:`kiosk.central.schemas`), read into the services' plain views by
:mod:`kiosk.services.adapt`; a request to store and send stays opaque here
(:class:`~kiosk.central.outbound.OutboundRequest`): the services never import the HTTP
client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from kiosk.central.outbound import OutboundRequest
from kiosk.central.schemas import (
    CancelResult,
    CardStatus,
    CardSummary,
    PersonCards,
    PreLossResult,
    Replacement,
    VerificationChallenge,
)
from kiosk.devices.events import CardEventKind, JackState, ScanEventKind, Slot
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.domain.receipts import PreLossReceipt


class CardEvent(Protocol):
    """A card hub event, as the journeys read it (``kiosk.devices.card_hub.HubEvent``)."""

    @property
    def kind(self) -> str: ...
    @property
    def slot(self) -> str: ...
    @property
    def data(self) -> object: ...
    @property
    def error(self) -> BaseException | None: ...


class PinVerifier(Protocol):
    """The card hub's PIN check on the inserted social security card."""

    def verify_pin(self, pin: str) -> object:
        """Return on success; raise ``CardError`` (kind pin_wrong / pin_blocked / …)."""


class CentralPort(Protocol):
    """What the journeys ask the central card service (blocking calls; run on a worker).
    Each answer is the contract's response model, parsed and bounded by the client."""

    def lookup_by_id_card(self, card: IdCardData) -> PersonCards:
        """The person whose ID card was read (its chip's facts): masked name, cards as
        masked numbers and handles."""
    def lookup_by_ssc(self, card: SscCardData) -> PersonCards:
        """The holder of the social security card read (its chip): handles that read."""
    def request_code(self, id_number: str) -> VerificationChallenge: ...
    def confirm_code(self, challenge_id: str, code: str) -> PersonCards: ...
    def card_status(self, handle: str | None = None, *,
                    ssc: SscCardData | None = None) -> CardStatus: ...
    def replacement_progress(self, handle: str | None = None, *,
                             ssc: SscCardData | None = None) -> Replacement: ...
    def cancel_pre_loss(self, ssc: SscCardData, id_card: IdCardData,
                        idempotency_key: str) -> CancelResult: ...
    def verify_essc(self, code: str) -> PersonCards:
        """The e-SSC's answer (``EsscIdentity``, a :class:`PersonCards`)."""
    def pre_loss_request(self, handle: str) -> OutboundRequest:
        """The pre-loss as a request to store and send (no I/O)."""
    def send_request(self, request: OutboundRequest, idempotency_key: str) -> object:
        """Send a request made by a ``*_request`` method: the service's answer (for a
        pre-loss a :class:`PreLossResult`)."""
    def cancel(self) -> None:
        """End every call in flight now (closes its connection), so no worker is held."""


class OutboxPort(Protocol):
    """Write-ahead delivery of confirmed requests
    (``kiosk.central.outbox_sender.OutboxSender``): stored durably before the first byte
    is sent, then delivered by the direct attempt or, failing that, in the background."""

    def write_ahead(self, request: OutboundRequest, idempotency_key: str) -> bool:
        """Store ``request`` (fsync'd) and claim it: True when the caller makes the
        direct attempt, False when it is already queued and being sent. Raises when it
        cannot be stored (then nothing is saved)."""

    def deliver_now(self, idempotency_key: str) -> object:
        """The direct attempt (blocking: on a worker): the service's answer (for a
        pre-loss a :class:`PreLossResult`); raises what refused or failed it."""

    def is_queued(self, idempotency_key: str) -> bool:
        """Whether the request under this key is still stored, undelivered."""


DeliverySink = Callable[[str, object], None]
"""How the outbox reports a delivery: ``sink(idempotency_key, result_or_error)``, from
the sender's thread (the controller's :meth:`delivery_sink` hops to the owner's thread).
A result is the service's acknowledgement; an exception means it was refused for good."""


class PrinterPort(Protocol):
    """Receipt printer (``kiosk.devices.printer``): raises its ``PrinterError`` on a
    failure, which the journey reports and never waits for."""

    def print_receipt(self, receipt: PreLossReceipt, language: str) -> None: ...


class Dispatcher(Protocol):
    """Runs a callback on the thread that owns the controller (Kivy: the main thread)."""

    def __call__(self, fn: Callable[[], None]) -> None: ...


class ScannedText(Protocol):
    """A scanned code's text (``kiosk.devices.scanner.framing.ScannedCode``)."""

    @property
    def text(self) -> str: ...


class ScanEvent(Protocol):
    """A QR scanner event, as the e-SSC journey reads it
    (``kiosk.devices.scanner.watcher.ScanEvent``); ``code`` on code_scanned only."""

    @property
    def kind(self) -> str: ...
    @property
    def code(self) -> ScannedText | None: ...


class ReaderPort(Protocol):
    """The card hub's list of slots with a reader (``CardHub.reader_slots``): None while
    unknown. The hub also has ``snapshot()`` (its service state), read when present."""

    def reader_slots(self) -> frozenset[str] | None: ...


Today = Callable[[], dt.date]
Now = Callable[[], dt.datetime]


__all__ = ["CancelResult", "CardEvent", "CardEventKind", "CardStatus", "CardSummary",
           "CentralPort", "Dispatcher", "JackState", "Now", "OutboundRequest",
           "OutboxPort", "PersonCards", "PinVerifier", "PreLossResult", "PrinterPort",
           "ReaderPort", "Replacement", "ScanEvent", "ScanEventKind", "ScannedText",
           "Slot", "VerificationChallenge"]
