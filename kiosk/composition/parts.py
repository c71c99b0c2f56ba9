"""The kiosk's running parts, built here and nowhere else (:func:`build_kiosk`).

The app calls :func:`build_kiosk` after its first frame, through the factory the
composition root gave it (:func:`kiosk.composition.composed`); headless users (a bench,
a test, ``preloss_process``) call it directly::

    parts = build_kiosk(settings, dispatch)        # devices, central, outbox, controller
    parts.start()                                  # … parts.stop()

Nothing else builds a card hub, a central client, an outbox or a journey controller for
the app; no screen builds any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralOffline
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.probe import CentralProbes
from kiosk.config import Settings
from kiosk.devices.card_hub import CardHub
from kiosk.devices.jack import JackWatcher, find_jack_source
from kiosk.devices.printer import make_printer
from kiosk.devices.probes import DeviceProbes
from kiosk.devices.scanner import make_scanner
from kiosk.devices.speech import Speaker
from kiosk.fleet.agent import FleetAgent
from kiosk.fleet.hooks import build_fleet_agent
from kiosk.logs import error_fields, get_logger
from kiosk.secrets import load_secrets
from kiosk.services.controller import JourneyController
from kiosk.services.diagnostics.access import TechnicianAccess
from kiosk.services.ports import Dispatcher, PrinterPort
from kiosk.services.present import PresentCards
from kiosk.services.staff_call import StaffCall
from kiosk.services.tasks import Worker

log = get_logger("kiosk.composition")
OUTBOX_FILE = "outbox.sqlite3"

CardSink = Callable[[Any], None]


class CardEventRelay:
    """The card hub's event callback, connected late: the hub is built before the UI
    that wants its events (the app connects its bridge). Until then events go to the
    controller's thread-safe sink."""

    def __init__(self, default: CardSink) -> None:
        self._target = default

    def connect(self, target: CardSink) -> None:
        """Send every later event to ``target`` (called on any hub thread)."""
        self._target = target

    def __call__(self, event: Any) -> None:
        self._target(event)


@dataclass
class KioskParts:
    """Everything the app runs on (``None`` where not configured)."""

    controller: JourneyController
    central: Any
    card_events: CardEventRelay
    outbox: Outbox | None = None
    sender: OutboxSender | None = None
    hub: CardHub | None = None
    printer: PrinterPort | None = None
    speaker: Speaker | None = None
    technician_access: Callable[[], TechnicianAccess] | None = None
    device_probes: DeviceProbes | None = None  # what the technician's checks probe
    scanner: Any = None  # the QR scanner's watcher (e-SSC), when one is configured
    scan_events: CardEventRelay | None = None  # its events, connected like the cards'
    central_probes: CentralProbes | None = None
    fleet: FleetAgent | None = None  # heartbeat and directives (kiosk/fleet)
    staff_call: StaffCall | None = None  # the one-key call for staff (一键呼叫)
    jack: JackWatcher | None = None  # headphone plug detection, when the hardware has it
    jack_events: CardEventRelay | None = None  # its states, connected by the app
    extra_stops: list[Callable[[], None]] = field(default_factory=list)
    started: bool = False
    stopped: bool = False

    def start(self) -> None:
        """Start watching cards and delivering the outbox (idempotent)."""
        if self.started or self.stopped:
            return
        self.started = True
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
        """Stop everything, once; each part's failure is logged, never raised."""
        if self.stopped:
            return
        self.stopped = True
        steps = [self.controller.shutdown]
        if self.staff_call is not None:
            steps.append(self.staff_call.stop)
        if self.jack is not None:
            steps.append(self.jack.stop)
        if self.fleet is not None:
            steps += [self.fleet.stop, self.fleet.client.close]
        if self.hub is not None:
            steps.append(self.hub.stop)
        if self.scanner is not None:
            steps.append(self.scanner.stop)
        if self.sender is not None:
            steps.append(self.sender.stop)
        if self.outbox is not None:
            steps.append(self.outbox.close)
        if self.central is not None and hasattr(self.central, "close"):
            steps.append(self.central.close)
        if self.speaker is not None and hasattr(self.speaker, "stop"):
            steps.append(self.speaker.stop)
        for step in steps + self.extra_stops:
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

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*_args: object, **_kwargs: object) -> Any:
            raise CentralOffline(f"central client unavailable: {self.reason}")
        return fail


def build_kiosk(settings: Settings, dispatch: Dispatcher, *,
                central: Any = None, offline: str | None = None,
                cards: bool = True, outbox: bool = True,
                printer: Any = None, speaker: Any = None,
                speech: bool | None = None, scanner: bool = True,
                fleet: bool | None = None, jack: bool = True) -> KioskParts:
    """The parts for ``settings``; not started (``parts.start()``, or the app does).

    Overrides: ``central`` another client (tests: a fake or the sandbox's), ``offline``
    no client at all (every call fails as offline, for that reason), ``cards=False``
    no card hub (no PC/SC), ``outbox=False`` no durable queue, ``printer`` another
    printer, ``speaker`` another speaker; ``speech`` (default: the setting) whether to
    build the espeak-ng speaker at all; ``scanner=False`` no QR scanner; ``fleet``
    (default: ``fleet.enabled`` when the client is the real one) whether to run the fleet
    agent."""
    if offline is not None:
        central = UnavailableCentral(offline)
    client = central if central is not None else _central(settings)
    box = Outbox(settings.data_dir / OUTBOX_FILE) if outbox else None
    prn = printer if printer is not None else (
        make_printer(settings) if settings.printer.kind != "none" else None)
    sender = None
    if box is not None:
        # Every confirmed pre-loss goes through the sender: stored before it is sent.
        sender = OutboxSender(box, client)
        sender.update_gauges()
    controller = JourneyController(settings, client, dispatch, outbox=sender, printer=prn,
                                   worker=Worker(dispatch))
    revocation = revocation_listener(controller, dispatch)
    if hasattr(client, "on_revocation"):
        client.on_revocation = revocation
    if sender is not None:
        # A background delivery's outcome, shown live to whoever still waits for it.
        sender.on_result = lambda item, outcome: controller.delivery_sink(
            item.idempotency_key, outcome)
    relay = CardEventRelay(controller.card_event_sink)
    hub = None
    if cards:
        hub = CardHub(settings, relay)
        controller.pins = hub
        # A card already on the reader when a journey starts is read then.
        controller.subscribe(PresentCards(hub))
        controller.readers = hub
    if speaker is None and (settings.speech.enabled if speech is None else speech):
        speaker = _speaker(settings)
    scan_relay = CardEventRelay(controller.essc.scan_event_sink)
    watcher = make_scanner(settings, scan_relay) if scanner else None
    if watcher is not None:
        controller.essc.scanner_configured()
    agent = None
    if fleet is None:
        fleet = settings.fleet.enabled and central is None
    if fleet:
        agent = build_fleet_agent(settings, dispatch, controller, hub=hub, printer=prn,
                                  speaker=speaker, outbox=box)
        if agent is not None and hasattr(agent.client, "on_revocation"):
            agent.client.on_revocation = revocation  # the heartbeat learns it when idle
    jack_relay = CardEventRelay(lambda _state: None)
    source = find_jack_source(settings) if jack else None
    jack_watcher = JackWatcher(source, jack_relay) if source is not None else None
    return KioskParts(controller, client, relay, box, sender, hub, prn, speaker,
                      technician_access=lambda: TechnicianAccess(
                          settings, load_secrets(settings).technician_pin_hash),
                      device_probes=DeviceProbes(settings),
                      central_probes=CentralProbes(settings),
                      scanner=watcher, scan_events=scan_relay, fleet=agent,
                      staff_call=StaffCall(settings, client, dispatch),
                      jack=jack_watcher, jack_events=jack_relay)


def revocation_listener(controller: JourneyController,
                        dispatch: Dispatcher) -> Callable[[bool], None]:
    """What a central client tells when the centre revokes this terminal's key (True) or
    takes it again (False): the controller's out-of-service step, on its own thread."""
    def tell(revoked: bool) -> None:
        oos = controller.out_of_service
        if revoked:
            dispatch(lambda: oos.revoked(controller.settings))
        else:
            dispatch(oos.reinstated)
    return tell


def _central(settings: Settings) -> Any:
    try:
        return CentralClient(settings, load_secrets(settings))
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

