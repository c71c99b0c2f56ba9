"""Compose the journeys from the real parts: central client, outbox, card hub, printer.

Kivy-free (the UI passes its dispatcher; the bench passes a QueueDispatcher)::

    parts = build_parts(settings, dispatch)
    parts.start()          # card hub watching, outbox sender delivering
    parts.controller ...   # drive the journeys
    parts.stop()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Settings
from kiosk.logs import get_logger
from kiosk.services.controller import JourneyController
from kiosk.services.tasks import Worker

log = get_logger("kiosk.services.wiring")
OUTBOX_FILE = "outbox.sqlite3"


@dataclass
class JourneyParts:
    """The controller and the running parts it uses (``None`` where not configured)."""

    controller: JourneyController
    central: Any
    outbox: Any = None
    sender: Any = None
    hub: Any = None
    printer: Any = None
    extra_stops: list[Callable[[], None]] = field(default_factory=list)

    def start(self) -> None:
        if self.hub is not None:
            self.hub.start()
        if self.sender is not None:
            self.sender.start()

    def stop(self) -> None:
        """Stop everything; each part's failure is logged, never raised."""
        steps = [self.controller.shutdown]
        if self.hub is not None:
            steps.append(self.hub.stop)
        if self.sender is not None:
            steps.append(self.sender.stop)
        if self.outbox is not None:
            steps.append(self.outbox.close)
        if self.central is not None and hasattr(self.central, "close"):
            steps.append(self.central.close)
        for step in steps + self.extra_stops:
            try:
                step()
            except Exception as exc:
                log.warning("stop failed", exc_info=exc)


class UnavailableCentral:
    """Stands in when the central client cannot be built (no secrets, bad TLS bundle):
    every call fails as offline, so the journeys say so and give the hotline."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def close(self) -> None:
        """Nothing to close."""

    def __getattr__(self, name: str) -> Any:
        from kiosk.central.errors import CentralOffline

        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*_args: Any, **_kwargs: Any) -> Any:
            raise CentralOffline(f"central client unavailable: {self.reason}")
        return fail


def build_parts(settings: Settings, dispatch: Callable[[Callable[[], None]], None], *,
                central: Any = None, cards: bool = True, outbox: bool = True,
                printer: Any = None,
                card_sink: Callable[[Any], None] | None = None) -> JourneyParts:
    """The real parts for ``settings``. Pass ``central`` to use another client (tests),
    ``cards=False`` to run without the card hub (no PC/SC), ``outbox=False`` without a
    durable queue; ``card_sink`` receives the hub's events (default: the controller's
    thread-safe sink)."""
    from kiosk.central.client import CentralClient
    from kiosk.central.outbox import Outbox, OutboxSender
    from kiosk.devices.printer import make_printer
    from kiosk.secrets import load_secrets

    if central is not None:
        client = central
    else:
        try:
            client = CentralClient(settings, load_secrets(settings))
        except Exception as exc:  # the kiosk still runs: guidance, and honest failures
            log.error("central client unavailable", extra={"fields": {
                "error": type(exc).__name__}})
            client = UnavailableCentral(type(exc).__name__)
    box = Outbox(settings.data_dir / OUTBOX_FILE) if outbox else None
    sender = None
    if box is not None:
        depth = _outbox_depth_gauge(box)
        box.on_enqueue.append(depth)
        sender = OutboxSender(box, client, on_result=lambda _item, _outcome: depth())
        depth()
    prn = printer if printer is not None else (
        make_printer(settings) if settings.printer.kind != "none" else None)
    controller = JourneyController(settings, client, dispatch, outbox=box, printer=prn,
                                   worker=Worker(dispatch))
    hub = None
    if cards:
        from kiosk.devices.card_hub import CardHub
        from kiosk.services.present import PresentCards

        hub = CardHub(settings, card_sink or controller.card_event_sink)
        controller.pins = hub
        # A card already on the reader when a journey starts is read then.
        controller.subscribe(PresentCards(hub))
        controller.readers = hub
    return JourneyParts(controller, client, box, sender, hub, prn)


def _outbox_depth_gauge(box: Any) -> Callable[[], None]:
    """Set the outbox depth metric from the outbox (on enqueue and after each delivery
    or refusal); a failing count is logged, never raised into the caller."""
    from kiosk import metrics

    def update(*_: Any) -> None:
        try:
            metrics.outbox_depth(box.stats().pending)
        except Exception as exc:  # the outbox's own error is reported by its user
            log.warning("outbox depth unknown", extra={"fields": {
                "error": type(exc).__name__}})
    return update
