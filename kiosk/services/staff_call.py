"""The one-key call for staff (一键呼叫), Kivy-free.

A cardholder presses "call staff" (on any screen, or the keypad's help key). The call
goes to the centre at once, signed, holding no personal data (the outlet, the screen's
step, the time); then the terminal asks every ``access.help_poll_seconds`` whether
staff have answered, and says so when they have. It never pretends:

- ``SENDING`` — on its way to the centre;
- ``WAITING`` — the centre has it; staff have not answered yet;
- ``COMING`` — staff acknowledged: "staff are on their way";
- ``UNANSWERED`` — no answer after ``access.help_answer_seconds``: say so, and give the
  hotline and the counter (still asking: a late answer still shows);
- ``UNREACHABLE`` — the centre could not be reached, or refused: nobody was called; the
  hotline and the counter.

States are published through the dispatcher (the UI's thread). A session end
(:meth:`StaffCall.end_session`) stops showing the call to the next person; the call
itself stays open at the centre until staff answer it, and the terminal keeps asking
(the ``kiosk_help_waiting_since_timestamp_seconds`` gauge feeds the alert rule) for at
most :data:`MAX_FOLLOW_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk import metrics
from kiosk.config import Settings
from kiosk.logs import get_logger
from kiosk.services.ports import Dispatcher

log = get_logger("kiosk.services.staff_call")
MAX_FOLLOW_SECONDS = 3600.0


class HelpPhase(StrEnum):
    """Where the cardholder's call stands (see the module doc)."""

    IDLE = "idle"
    SENDING = "sending"
    WAITING = "waiting"
    COMING = "coming"
    UNANSWERED = "unanswered"
    UNREACHABLE = "unreachable"


ACTIVE_PHASES = frozenset({HelpPhase.SENDING, HelpPhase.WAITING, HelpPhase.COMING,
                           HelpPhase.UNANSWERED})


@dataclass(frozen=True)
class HelpStatus:
    """What the screen shows: the phase, the step called from, when it was pressed."""

    phase: HelpPhase = HelpPhase.IDLE
    step: str = ""
    asked_at: dt.datetime | None = None


class HelpTicketView(Protocol):
    """A call as the centre answers it (``kiosk.central.schemas_help.HelpTicket``):
    ``state`` is ``waiting`` or ``acknowledged``."""

    @property
    def state(self) -> str: ...


class HelpCentralPort(Protocol):
    """What the staff call needs of the central client (kiosk/central/client.py)."""

    def help_request(self, outlet: str, step: str, request_id: str,
                     at: dt.datetime | None = None) -> HelpTicketView: ...

    def help_status(self, request_id: str) -> HelpTicketView: ...


Listener = Callable[[HelpStatus], None]


class StaffCall:
    """One terminal's staff calls (see the module doc)."""

    def __init__(self, settings: Settings, central: HelpCentralPort, dispatch: Dispatcher,
                 *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.outlet = settings.kiosk.outlet
        self.poll_seconds = float(settings.access.help_poll_seconds)
        self.answer_seconds = float(settings.access.help_answer_seconds)
        self.central = central
        self.dispatch = dispatch
        self._clock, self._monotonic = clock, monotonic
        self.status = HelpStatus()
        self._listeners: list[Listener] = []
        self._generation = 0  # +1 per call and per session end: older threads stay quiet
        self._latest = 0  # +1 per call: only the latest call is followed
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.calls = 0  # calls sent (tests, bench)

    # ---- observation ----------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """Hear every status (on the dispatcher's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop hearing."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ---- intents --------------------------------------------------------------------

    def call(self, step: str) -> HelpStatus:
        """Call staff from screen ``step``. A call of this session still open is not
        sent twice: its status is published again (the screen says it again)."""
        if self.status.phase in ACTIVE_PHASES:
            self._publish(self.status)
            return self.status
        with self._lock:
            self._generation += 1
            self._latest += 1
            generation, seq = self._generation, self._latest
        asked = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        status = HelpStatus(HelpPhase.SENDING, step, asked)
        self._publish(status)
        request_id = uuid.uuid4().hex
        threading.Thread(target=self._follow, name="staff-call", daemon=True,
                         args=(generation, seq, request_id, status)).start()
        return status

    def end_session(self) -> None:
        """The session ended: show nothing of this call to the next person (the call
        stays open at the centre; see the module doc)."""
        with self._lock:
            self._generation += 1
        self.status = HelpStatus()

    def stop(self) -> None:
        """The app stops: end every thread at its next wait."""
        self._stop.set()

    # ---- the call's thread ----------------------------------------------------------

    def _follow(self, generation: int, seq: int, request_id: str,
                status: HelpStatus) -> None:
        self.calls += 1
        try:
            ticket = self.central.help_request(self.outlet, status.step, request_id,
                                               status.asked_at)
        except Exception as exc:  # offline, timeout, refused: nobody was called
            log.warning("staff call not sent", extra={"fields": {
                "step": status.step, "error": getattr(exc, "kind", type(exc).__name__)}})
            metrics.help_call("unreachable")
            self._set(generation, HelpStatus(HelpPhase.UNREACHABLE, status.step,
                                             status.asked_at))
            return
        log.info("staff called", extra={"fields": {"step": status.step}})
        metrics.help_call("sent")
        metrics.help_waiting_since(status.asked_at.timestamp() if status.asked_at else 0)
        started = self._monotonic()
        phase, shown = HelpPhase.WAITING, None
        while True:
            if _answered(ticket):
                log.info("staff call answered", extra={"fields": {
                    "seconds": round(self._monotonic() - started, 1)}})
                metrics.help_call("acknowledged")
                metrics.help_waiting_since(0)
                self._set(generation, HelpStatus(HelpPhase.COMING, status.step,
                                                 status.asked_at))
                return
            waited = self._monotonic() - started
            if phase is HelpPhase.WAITING and waited >= self.answer_seconds:
                phase = HelpPhase.UNANSWERED
                log.warning("staff call unanswered", extra={"fields": {
                    "seconds": round(waited)}})
            if phase is not shown:
                shown = phase
                self._set(generation, HelpStatus(phase, status.step, status.asked_at))
            if self._latest != seq:
                log.info("staff call no longer followed: a newer one was made")
                return
            if waited >= MAX_FOLLOW_SECONDS or self._stop.wait(self.poll_seconds):
                metrics.help_waiting_since(0)
                return
            try:
                ticket = self.central.help_status(request_id)
            except Exception as exc:  # keep asking: the centre has the call already
                log.warning("staff call status unknown", extra={"fields": {
                    "error": getattr(exc, "kind", type(exc).__name__)}})

    def _set(self, generation: int, status: HelpStatus) -> None:
        def publish() -> None:
            with self._lock:
                current = generation == self._generation
            if current:
                self._publish(status)
        self.dispatch(publish)

    def _publish(self, status: HelpStatus) -> None:
        self.status = status
        for listener in list(self._listeners):
            listener(status)


def _answered(ticket: HelpTicketView) -> bool:
    return str(ticket.state) == "acknowledged"
