"""The kiosk's running parts, built here and nowhere else (:func:`build_kiosk`).

The app calls :func:`build_kiosk` after its first frame, through the factory the
composition root gave it (:func:`kiosk.composition.composed`); headless users (a bench,
a test, ``preloss_process``) call it directly::

    parts = build_kiosk(settings, dispatch)        # devices, central, outbox, controller
    parts.start()                                  # … parts.stop()

Nothing else builds a card hub, a central client, an outbox, a speaker, a printer, the
fleet agent, the technician's access or a journey controller for the app; no screen
builds any of them (tests/test_composition_root.py fails when something does). Every
part is given what it needs when it is built: nothing is wired in afterwards.

The parts live through :class:`PartsState` BUILT → STARTED → STOPPED, once each;
:meth:`KioskParts.stop` releases every thread, socket and file they hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, NoReturn, Protocol, TypeVar

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralOffline
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_sender import OutboxSender, RequestSender
from kiosk.composition.diagnostics import AppPrinter, live_context, technician_parts
from kiosk.composition.fleet import build_fleet_agent
from kiosk.composition.outbox import open_outbox
from kiosk.config import Settings
from kiosk.devices.card_hub import CardHub
from kiosk.devices.jack import JackWatcher, find_jack_source
from kiosk.devices.printer import make_printer
from kiosk.devices.scanner import ScannerWatcher, make_scanner
from kiosk.devices.speech import Speaker
from kiosk.fleet.agent import FleetAgent
from kiosk.fleet.ports import FleetClient
from kiosk.logs import error_fields, get_logger
from kiosk.metrics import MetricsEndpoint
from kiosk.secrets import load_secrets
from kiosk.services.controller import JourneyController
from kiosk.services.diagnostics.live import TechnicianParts
from kiosk.services.diagnostics.ports import HeartbeatClient
from kiosk.services.ports import CardEvent, CentralPort, Dispatcher, JackState, ScanEvent
from kiosk.services.present import PresentCards
from kiosk.services.staff_call import HelpCentralPort, StaffCall
from kiosk.services.tasks import Worker

log = get_logger("kiosk.composition")
T = TypeVar("T")
E = TypeVar("E")


class KioskCentral(CentralPort, RequestSender, HeartbeatClient, HelpCentralPort, FleetClient,
                   Protocol):
    """The central client as the parts use it: the journeys, the outbox's sender, the
    technician's checks, the staff call and the fleet agent (``CentralClient``, a test's
    client, or :class:`UnavailableCentral`)."""


class CardEventRelay(Generic[E]):
    """A part's event callback, connected late: the card hub (and the QR scanner, the
    headphone jack) is built before the UI that wants its events (the app connects its
    bridge). Until then events go to the default: the controller's thread-safe sink."""

    def __init__(self, default: Callable[[E], None]) -> None:
        self._target = default

    def connect(self, target: Callable[[E], None]) -> None:
        """Send every later event to ``target`` (called on any hub thread)."""
        self._target = target

    def __call__(self, event: E) -> None:
        self._target(event)


class Later(Generic[T]):
    """The one forward reference of the build: the journey controller needs the hub, the
    client and the sender, whose callbacks (a card event, a revocation, a delivery) go to
    the controller. Those callbacks reach it through this, bound once at the end of the
    build, before anything starts (nothing calls back before ``start()``)."""

    def __init__(self) -> None:
        self._value: T | None = None

    def bind(self, value: T) -> T:
        if self._value is not None:
            raise RuntimeError("bound already")
        self._value = value
        return value

    def get(self) -> T:
        if self._value is None:
            raise RuntimeError("a part called back before the build ended")
        return self._value


class PartsState(StrEnum):
    """Where the parts are in their life (once each, in this order)."""

    BUILT = "built"  # built, nothing running: no thread, no socket opened by a part
    STARTED = "started"  # watching cards, delivering the outbox, heartbeats
    STOPPED = "stopped"  # every thread, socket and file released; never started again


@dataclass
class KioskParts:
    """Everything the app runs on (``None`` where not configured)."""

    controller: JourneyController
    central: KioskCentral  # the CentralClient, a test's fake, or UnavailableCentral
    card_events: CardEventRelay[CardEvent]
    technician: TechnicianParts
    outbox: Outbox | None = None
    sender: OutboxSender | None = None
    hub: CardHub | None = None
    printer: AppPrinter | None = None
    speaker: Speaker | None = None
    scanner: ScannerWatcher | None = None  # the QR scanner's watcher (e-SSC)
    scan_events: CardEventRelay[ScanEvent] | None = None  # its events, like the cards'
    fleet: FleetAgent | None = None  # heartbeat and directives (kiosk/fleet)
    staff_call: StaffCall | None = None  # the one-key call for staff (一键呼叫)
    jack: JackWatcher | None = None  # headphone plug detection, when the hardware has it
    jack_events: CardEventRelay[JackState] | None = None  # its states, connected by the app
    metrics: MetricsEndpoint | None = None  # the local /metrics (when enabled)
    state: PartsState = field(default=PartsState.BUILT)

    def start(self) -> None:
        """Start watching cards, delivering the outbox, the heartbeats (BUILT → STARTED;
        nothing otherwise)."""
        if self.state is not PartsState.BUILT:
            return
        self.state = PartsState.STARTED
        if self.metrics is not None:
            self.metrics.start()
        if self.hub is not None:
            self.hub.start()
        if self.scanner is not None:
            self.scanner.start()
        if self.sender is not None:
            self.sender.start()
        if self.jack is not None:
            self.jack.start()
        if self.fleet is not None:
            # Started means a frame is drawn: the config overlay in effect is good.
            self.fleet.overlay.started()
            self.fleet.start()

    def stop(self) -> None:
        """Release everything, once (from BUILT or STARTED → STOPPED); each part's
        failure is logged, never raised."""
        if self.state is PartsState.STOPPED:
            return
        self.state = PartsState.STOPPED
        steps: list[Callable[[], None]] = [self.controller.shutdown,
                                           self.technician.worker.shutdown]
        if self.staff_call is not None:
            steps.append(self.staff_call.stop)
        if self.jack is not None:
            steps.append(self.jack.stop)
        if self.fleet is not None:
            steps.append(self.fleet.stop)
        if self.hub is not None:
            steps.append(self.hub.stop)
        if self.scanner is not None:
            steps.append(self.scanner.stop)
        if self.sender is not None:
            steps.append(self.sender.stop)
        if self.outbox is not None:
            steps.append(self.outbox.close)
        close = getattr(self.central, "close", None)  # a test's fake may have none
        if callable(close):
            steps.append(close)
        if self.speaker is not None:
            steps.append(self.speaker.close)
        if self.metrics is not None:
            steps.append(self.metrics.stop)
        for step in steps:
            try:
                step()
            except Exception as exc:
                log.warning("stop failed", extra={"fields": error_fields(exc)})


class UnavailableCentral:
    """Stands in when the central client cannot be built (no secrets, bad TLS bundle):
    every call fails as offline, so the journeys say so and give the hotline."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def close(self) -> None:
        """Nothing to close."""

    def __getattr__(self, name: str) -> Callable[..., NoReturn]:
        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*_args: object, **_kwargs: object) -> NoReturn:
            raise CentralOffline(f"central client unavailable: {self.reason}")
        return fail


def build_kiosk(settings: Settings, dispatch: Dispatcher, *,
                central: KioskCentral | None = None, offline: str | None = None,
                cards: bool = True, outbox: bool = True,
                printer: AppPrinter | None = None, speaker: Speaker | None = None,
                speech: bool | None = None, scanner: bool = True,
                fleet: bool | None = None, jack: bool = True) -> KioskParts:
    """The parts for ``settings``; not started (``parts.start()``, or the app does).

    Overrides: ``central`` another client (tests: a fake or the sandbox's; it is not
    told of revocations), ``offline`` no client at all (every call fails as offline, for
    that reason), ``cards=False`` no card hub (no PC/SC), ``outbox=False`` no durable
    queue, ``printer`` another printer, ``speaker`` another speaker; ``speech``
    (default: the setting) whether to build the espeak-ng speaker at all;
    ``scanner=False`` no QR scanner; ``fleet`` (default: ``fleet.enabled`` when the
    client is the real one) whether to run the fleet agent; ``jack=False`` no headphone
    jack watcher."""
    controller: Later[JourneyController] = Later()
    if offline is not None:
        central = UnavailableCentral(offline)
    real_client = central is None
    client: KioskCentral = central if central is not None else _central(
        settings, revocation_listener(controller, dispatch))
    box = open_outbox(settings) if outbox else None
    prn = printer if printer is not None else (
        make_printer(settings) if settings.printer.kind != "none" else None)
    sender = None
    if box is not None:
        # Every confirmed pre-loss goes through the sender: stored before it is sent; a
        # background delivery's outcome is shown live to whoever still waits for it.
        sender = OutboxSender(box, client, on_result=lambda item, outcome: controller.get()
                              .delivery_sink(item.idempotency_key, outcome))
        sender.update_gauges()
    relay = CardEventRelay[CardEvent](lambda event: controller.get().card_event_sink(event))
    hub = CardHub(settings, relay) if cards else None
    scan_relay = CardEventRelay[ScanEvent](
        lambda event: controller.get().essc.scan_event_sink(event))
    watcher = make_scanner(settings, scan_relay) if scanner else None
    ctl = controller.bind(JourneyController(
        settings, client, dispatch, pins=hub, readers=hub, qr_scanner=watcher is not None,
        outbox=sender, printer=prn, worker=Worker(dispatch)))
    if hub is not None:
        # A card already on the reader when a journey starts is read then.
        ctl.subscribe(PresentCards(hub))
    if speaker is None and (settings.speech.enabled if speech is None else speech):
        speaker = _speaker(settings)
    jack_relay = CardEventRelay[JackState](_no_jack_listener)
    source = find_jack_source(settings) if jack else None
    jack_watcher = JackWatcher(source, jack_relay) if source is not None else None
    context = live_context(settings, card_hub=hub, printer=prn, speaker=speaker,
                           central=client, outbox=box, qr_scanner=watcher, jack=jack_watcher)
    agent = None
    if (settings.fleet.enabled and real_client) if fleet is None else fleet:
        if not isinstance(client, UnavailableCentral):  # none: it could not talk anyway
            agent = build_fleet_agent(settings, dispatch, ctl, client, context=context,
                                      speaker=speaker)
    return KioskParts(
        ctl, client, relay, technician_parts(settings, dispatch, context=context,
                                             sender=sender, speaker=speaker),
        box, sender, hub, prn, speaker, scanner=watcher, scan_events=scan_relay,
        fleet=agent, staff_call=StaffCall(settings, client, dispatch),
        jack=jack_watcher, jack_events=jack_relay,
        metrics=MetricsEndpoint(settings) if settings.diagnostics.metrics_enabled else None)


def _no_jack_listener(_state: JackState) -> None:
    """Headphone states before the app listens: nothing to do yet."""


def revocation_listener(controller: Later[JourneyController],
                        dispatch: Dispatcher) -> Callable[[bool], None]:
    """What the central client tells when the centre revokes this terminal's key (True) or
    takes it again (False): the controller's out-of-service step, on its own thread."""
    def tell(revoked: bool) -> None:
        oos = controller.get().out_of_service
        if revoked:
            dispatch(lambda: oos.revoked(controller.get().settings))
        else:
            dispatch(oos.reinstated)
    return tell


def _central(settings: Settings, on_revocation: Callable[[bool], None]
             ) -> CentralClient | UnavailableCentral:
    try:
        return CentralClient(settings, load_secrets(settings), on_revocation=on_revocation)
    except Exception as exc:  # the kiosk still runs: guidance, and honest failures
        log.error("central client unavailable", extra={"fields": {
            "error": type(exc).__name__}})
        return UnavailableCentral(type(exc).__name__)


def _speaker(settings: Settings) -> Speaker | None:
    """Read aloud through espeak-ng, if it can start; no audio never stops the kiosk."""
    try:
        return Speaker(settings)
    except Exception as exc:
        log.warning("speaker unavailable", extra={"fields": error_fields(exc)})
        return None
