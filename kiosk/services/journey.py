"""The declared interfaces between the controller's core and the journeys.

The core (:class:`~kiosk.services.controller.JourneyController`) owns navigation, the
busy step, failures and the session end; each journey is one object that talks to the
core only through :class:`JourneyContext` and offers the UI its intents through one of
the ``*Intents`` protocols (``ctl.pre_loss.choose_card(token)``, ``ctl.cancel.submit_pin``…).
The helpers beside the journeys see the core through their own, narrower protocols:
:class:`WaitsContext` (``ctl.waits``, the card steps' readers and limits) and
:class:`PauseContext` (``ctl.out_of_service``, the centre's pause).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol, TypeVar

from kiosk.config import Settings
from kiosk.domain.receipts import PreLossReceipt
from kiosk.services.failures import Failure, FailureKind
from kiosk.services.ports import (
    CentralPort,
    OutboxPort,
    PinVerifier,
    PrinterPort,
    ReaderPort,
    ScanEvent,
)
from kiosk.services.session import KioskSession
from kiosk.services.states import EndReason, Journey, PreLossView, State, Step, View
from kiosk.services.tasks import Worker

T = TypeVar("T")
ReceiptFactory = Callable[[PreLossView, Settings, dt.date], PreLossReceipt]
"""Makes the receipt of a pre-loss (tests and the bench pass their own)."""


class JourneyContext(Protocol):
    """What a journey may use of the core: its parts, the session, and the few ways to
    change the state (publish, a background call, a failure, the end)."""

    settings: Settings
    central: CentralPort
    session: KioskSession
    pins: PinVerifier | None
    outbox: OutboxPort | None
    printer: PrinterPort | None
    make_receipt: ReceiptFactory | None
    worker: Worker
    language: str
    today: Callable[[], dt.date]
    now: Callable[[], dt.datetime]

    @property
    def state(self) -> State: ...
    @property
    def hotline(self) -> str: ...

    def publish(self, step: Step, view: View = None) -> None:
        """Show ``step`` with ``view`` in the current journey."""

    def restore(self, state: State) -> None:
        """Show an earlier state again."""

    def call(self, name: str, fn: Callable[[], T], on_ok: Callable[[T], None],
             message_key: str, on_error: Callable[[BaseException], bool] | None = None,
             on_cancel: Callable[[], None] | None = None) -> None:
        """Run a blocking call on a worker, BUSY meanwhile; errors become failures."""

    def fail(self, failure: Failure, retry: Callable[[], None] | None = None) -> None:
        """Show a failure (retry offered if the failure allows it)."""

    def fail_kind(self, kind: FailureKind, retry_to: State | None = None,
                  **params: object) -> None:
        """A failure of the journey's own making; retry returns to ``retry_to``."""

    def end(self, reason: EndReason = EndReason.DONE) -> None:
        """End the session."""

    def start(self, journey: str | Journey) -> None:
        """Begin a journey with a fresh session."""

    def identified(self, journey: Journey | None = None) -> None:
        """The person is known: go on to their status or their cards, in ``journey`` when
        given (begun now, the person kept: the e-SSC start screen's choice)."""


class IdentifyIntents(Protocol):
    """Identification (pre-loss and status): an ID card, or the number plus a code."""

    def use_keypad(self) -> None: ...
    def submit_id_number(self, text: str) -> None: ...
    def resend_code(self) -> None: ...
    def submit_code(self, code: str) -> None: ...


class PreLossIntents(Protocol):
    """Pre-loss: choose one of the person's cards, then confirm."""

    def choose_card(self, token: str) -> None: ...
    def confirm_pre_loss(self) -> None: ...


class CancelIntents(Protocol):
    """Cancel a pre-loss: the holder PIN on the found card, then confirm."""

    def submit_pin(self, pin: str) -> None: ...
    def confirm_cancel(self) -> None: ...


class GuidanceIntents(Protocol):
    """Guidance: open a topic (from any journey; back returns there)."""

    def open_topic(self, topic: str) -> None: ...


class EsscIntents(Protocol):
    """The e-SSC: scanner events in; after a scan at the start screen, the choice of
    journey; after a refusal, scan again."""

    def scan_event_sink(self, event: ScanEvent) -> None: ...
    def choose(self, journey: str) -> None: ...
    def again(self) -> None: ...


class WaitsContext(Protocol):
    """What :class:`~kiosk.services.waits.CardWaits` uses of the core."""

    @property
    def settings(self) -> Settings: ...
    @property
    def readers(self) -> ReaderPort | None: ...
    @property
    def identify(self) -> IdentifyIntents: ...

    @property
    def state(self) -> State: ...
    def restore(self, state: State) -> None: ...
    def fail_kind(self, kind: FailureKind, retry_to: State | None = None,
                  **params: object) -> None: ...
    def waiting_behind_failure(self) -> State | None: ...
    def forget_failure(self) -> None: ...


class PauseContext(Protocol):
    """What :class:`~kiosk.services.out_of_service.OutOfService` uses of the core."""

    @property
    def state(self) -> State: ...
    def publish_idle(self, step: Step, view: View = None) -> None: ...
    def end(self, reason: EndReason = EndReason.DONE) -> None: ...
