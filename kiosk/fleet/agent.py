"""The fleet agent: one heartbeat with status every ``fleet.heartbeat_seconds``, and the
directives in the (signed, verified by the client) answers.

Exactly once, across outages and restarts (:class:`~kiosk.fleet.state.AgentState`):
a directive is written to the inbox before anything is done with it and its id is
remembered, so it is never taken twice; its outcome is acknowledged in every heartbeat
until one is answered; the centre repeats it until acknowledged, so a lost answer loses
nothing. Counts since the last answered heartbeat travel with the next one.

What a directive does to the app is the app's business, through :class:`FleetHooks`
(called on the agent's thread): ``on_pause`` (finish the current journey, then out of
service), ``on_resume``, ``on_config`` (apply validated settings; raise to refuse), and
``is_idle`` (a config overlay waits for it). :meth:`FleetAgent.poke` says "idle now".
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk import __version__, metrics
from kiosk.central import schemas_fleet as f
from kiosk.central.errors import CentralError
from kiosk.config import Settings
from kiosk.fleet.counts import CountTracker, Snapshot
from kiosk.fleet.files import JsonObject
from kiosk.fleet.overlay import OverlayRefused, OverlayStore, settings_hash, validate_overlay
from kiosk.fleet.ports import FleetClient
from kiosk.fleet.state import AgentState
from kiosk.fleet.status import StatusCollector
from kiosk.logs import get_logger
from kiosk.services.diagnostics.runner import Report
from kiosk.system.priority import background_thread

log = get_logger("kiosk.fleet")
FIRST_BEAT_SECONDS = 3.0


def _nothing(*_args: object) -> None:
    return None


@dataclass
class FleetHooks:
    """What the app does for each directive (defaults: nothing; always idle)."""

    on_pause: Callable[[f.PauseDirective], None] = _nothing
    on_resume: Callable[[], None] = _nothing
    on_config: Callable[[Settings, int], None] = _nothing
    is_idle: Callable[[], bool] = lambda: True


class FleetAgent:
    """Heartbeats and directives for one terminal (see the module doc)."""

    def __init__(self, settings: Settings, client: FleetClient,
                 hooks: FleetHooks | None = None, *,
                 status: StatusCollector | None = None, overlay: OverlayStore | None = None,
                 config_path: str | Path | None = None,
                 environ: dict[str, str] | None = None,
                 report: Callable[[], Report] | None = None,
                 clock: Callable[[], float] = time.time,
                 started: float | None = None) -> None:
        self.settings = settings
        self.client = client
        self.hooks = hooks or FleetHooks()
        self.status = status or StatusCollector(settings)
        self.overlay = overlay or OverlayStore(settings.data_dir)
        self.state = AgentState(settings.data_dir)
        self.counts = CountTracker()
        self._config_path, self._environ = config_path, environ
        self._report = report or self.status.full_report
        self._clock = clock
        self._started = time.monotonic() if started is None else started
        self._skew: float | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._beat_lock = threading.Lock()
        self._inbox_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_answer_at: dt.datetime | None = None
        self.beats_answered = 0
        self.beats_failed = 0

    # ---- life ---------------------------------------------------------------------------

    @property
    def paused(self) -> f.PauseDirective | None:
        """The pause in force (it survives restarts), or None."""
        pause = self.state.pause
        return f.PauseDirective.model_validate(pause) if pause else None

    def start(self) -> None:
        """Restore a pause in force, then heartbeat from a daemon thread."""
        pause = self.paused
        if pause is not None:
            self.hooks.on_pause(pause)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fleet-agent", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread; a heartbeat in flight is cut off (its client cancelled)."""
        self._stop.set()
        self._wake.set()
        cancel = getattr(self.client, "cancel", None)
        if callable(cancel) and self._thread is not None:
            cancel()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def poke(self) -> None:
        """An idle moment (a session just ended): handle waiting directives now."""
        self._wake.set()

    def _run(self) -> None:
        background_thread()  # the UI first: kiosk/system/priority.py
        interval = float(self.settings.fleet.heartbeat_seconds)
        # The first one a moment after start: the card hub has seen its readers by then.
        next_beat = time.monotonic() + min(FIRST_BEAT_SECONDS, interval)
        while not self._stop.is_set():
            if time.monotonic() >= next_beat:
                next_beat = time.monotonic() + interval
                self._guarded(self.beat)
            else:
                self._guarded(self.handle_inbox)
            self._wake.wait(max(0.0, next_beat - time.monotonic()))
            self._wake.clear()

    def _guarded(self, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception as exc:  # the agent must outlive any bug in a step
            log.error("fleet agent step failed", extra={"fields": {
                "error": type(exc).__name__}})

    # ---- one heartbeat ------------------------------------------------------------------

    def report(self) -> f.FleetHeartbeat:
        """The heartbeat as it would be sent now (counts not yet committed)."""
        return self._build()[0]

    def _build(self) -> tuple[f.FleetHeartbeat, Snapshot, float, list[JsonObject]]:
        parts = self.status.collect(self._skew)
        counts, snap, at = self.counts.pending()
        acks = self.state.acks()[:f.MAX_ACKS]
        hb = f.FleetHeartbeat(
            terminal_id=self.settings.kiosk.terminal_id,
            clock=dt.datetime.fromtimestamp(self._clock(), dt.UTC), version=__version__,
            config_hash=settings_hash(self.settings), config_version=self.overlay.version,
            config_rolled_back_from=self.overlay.rolled_back_from(),
            site=self.settings.kiosk.site,
            uptime_seconds=round(time.monotonic() - self._started, 3),
            heartbeat_seconds=self.settings.fleet.heartbeat_seconds,
            paused=self.state.pause is not None, parts=parts, counts=counts,
            acks=[f.Ack.model_validate(a) for a in acks])
        metrics.fleet_status(_lights(parts),
                             paper=parts.printer.paper.value,
                             outbox_oldest_seconds=parts.outbox.oldest_age_seconds,
                             clock_skew_seconds=self._skew, paused=hb.paused)
        return hb, snap, at, acks

    def beat(self) -> f.FleetHeartbeatResult | None:
        """Send one heartbeat now and handle the answer's directives; None when the
        centre could not be reached (the next heartbeat tries again)."""
        with self._beat_lock:
            hb, snap, at, acks = self._build()
            sent = time.time()
            try:
                result = self.client.fleet_heartbeat(hb)
            except CentralError as exc:
                self.beats_failed += 1
                log.warning("fleet heartbeat failed", extra={"fields": {"error": exc.kind}})
                return None
            answered = time.time()
            self.beats_answered += 1
            self.counts.commit(snap, at)
            self.state.acked(acks)
            # The terminal's clock at the middle of the round trip, minus the centre's.
            mid = self._clock() - (answered - sent) / 2
            self._skew = mid - result.server_time.timestamp()
            self.last_answer_at = result.server_time
            metrics.fleet_heartbeat_answered(answered)
            self.state.take([d.model_dump(mode="json") for d in result.directives])
        self.handle_inbox()
        return result

    # ---- directives ---------------------------------------------------------------------

    def handle_inbox(self) -> None:
        """Handle every directive waiting, in order (a config overlay waits for an idle
        moment; the others do not)."""
        with self._inbox_lock:
            self._handle(self.state.inbox())

    def _handle(self, inbox: list[JsonObject]) -> None:
        valid = self._check_configs([f.ConfigDirective.model_validate(d) for d in inbox
                                     if d["kind"] == "config"])
        # Only the newest overlay that validates is applied; older ones are superseded.
        newest = max((c.version for c, _ in valid.values()), default=0)
        for d in inbox:
            kind = d["kind"]
            if kind == "pause":
                self._pause(f.PauseDirective.model_validate(d))
            elif kind == "resume":
                self._resume(str(d["id"]))
            elif kind == "config" and d["id"] in valid:
                self._config(*valid[d["id"]], newest)
            elif kind == "collect_bundle":
                self._bundle(str(d["id"]))
            elif kind != "config":  # pragma: no cover - the contract has no other kind
                self.state.done(str(d["id"]), "refused", "unknown_kind")

    def _check_configs(self, configs: list[f.ConfigDirective]
                       ) -> dict[str, tuple[f.ConfigDirective, Settings]]:
        """Refuse (and acknowledge) the overlays that do not validate; answer the others
        with the settings they give."""
        valid = {}
        for d in configs:
            try:
                valid[d.id] = (d, validate_overlay(d.overlay, self._config_path,
                                                   self._environ))
            except OverlayRefused as exc:
                log.warning("config overlay refused", extra={"fields": {
                    "version": d.version, "reason": exc.reason, "why": str(exc)}})
                self.state.done(d.id, "refused", exc.reason)
        return valid

    def _pause(self, d: f.PauseDirective) -> None:
        self.state.set_pause(d.model_dump(mode="json"))
        self.hooks.on_pause(d)
        self.state.done(d.id, "applied")
        log.info("paused by the centre", extra={"fields": {"reason": d.reason.value}})

    def _resume(self, directive_id: str) -> None:
        self.state.set_pause(None)
        self.hooks.on_resume()
        self.state.done(directive_id, "applied")
        log.info("resumed by the centre")

    def _config(self, d: f.ConfigDirective, settings: Settings, newest: int) -> None:
        current = self.overlay.version
        if d.version < newest:
            self.state.done(d.id, "refused", "superseded")
            return
        if d.version == current:  # applied already (e.g. before a restart)
            self.state.done(d.id, "applied")
            return
        if d.version < current:
            self.state.done(d.id, "refused", "stale_version")
            return
        if not self.hooks.is_idle():
            return  # stays in the inbox until an idle moment
        self.overlay.apply(d.version, d.overlay)
        try:
            self.hooks.on_config(settings, d.version)
        except Exception as exc:  # the app could not take it: keep what worked
            log.error("config overlay could not be applied", extra={"fields": {
                "version": d.version, "error": type(exc).__name__}})
            self.overlay.revert()
            self.state.done(d.id, "failed", "apply_failed")
            return
        # Not "good" yet: that takes a start that reaches its first frame with it
        # (OverlayStore.started); a start that crashes first rolls it back.
        self.settings = settings
        self.state.done(d.id, "applied")

    def _bundle(self, directive_id: str) -> None:
        # lazy: the support bundle (tarfile, the diagnostics exporter) is only for this
        # rare directive; not loaded by an idle kiosk.
        from kiosk.fleet.bundle import BundleFailed, collect_and_upload

        try:
            collect_and_upload(self.settings, self.client, directive_id, self._report)
        except BundleFailed as exc:
            log.warning("support bundle not sent", extra={"fields": {"reason": exc.reason}})
            self.state.done(directive_id, "failed", exc.reason)
            return
        self.state.done(directive_id, "applied")



def _lights(parts: f.Parts) -> dict[str, str]:
    """Each part's light, by its name in the heartbeat (every field of Parts is a
    PartStatus)."""
    return {name: status.light.value for name, status in parts
            if isinstance(status, f.PartStatus)}
