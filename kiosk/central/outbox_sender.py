"""Delivery of the durable outbox (:mod:`kiosk.central.outbox`) to the central service.

Every confirmed state change goes through here, the first attempt included:
:meth:`OutboxSender.write_ahead` stores it (fsync'd) before the first byte is sent and
claims it for the caller, :meth:`OutboxSender.deliver_now` is that direct attempt (the
cardholder waits for it), and one background thread sends whatever is still queued, in
order, each under its idempotency key, until the service answers. A ``kill -9`` at any
instant leaves the request either delivered or queued; the claim keeps the direct attempt
and the thread off the same item at once, and the idempotency key makes a resend after a
crash harmless (the service answers it with the stored result).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal, Protocol

from kiosk import metrics
from kiosk.central.errors import (
    CentralError,
    CentralNotFound,
    CentralRefused,
    OutboxError,
)
from kiosk.central.outbound import OutboundRequest
from kiosk.central.outbox import (
    DEFAULT_TERMINAL_EXPIRY_SECONDS,
    KIND_CANCEL_PRE_LOSS,
    KIND_ESSC_PRE_LOSS,
    KIND_PRE_LOSS,
    Outbox,
    OutboxItem,
)
from kiosk.logs import error_fields, get_logger
from kiosk.system.priority import background_thread

# The outbox's logger: its lines (queued, delivered, refused, held) read as one story.
log = get_logger("kiosk.central.outbox")

# Signed refusals that settle a queued item: what it asked for already holds (the card
# is stopped one way or another), so there is nothing left to deliver. Any other signed
# refusal of a queued item holds it for a person; an unsigned answer settles nothing.
_STOPPED = frozenset({"already_pre_lost", "already_lost", "already_cancelled"})
SETTLED_CODES: dict[str, frozenset[str]] = {
    KIND_PRE_LOSS: _STOPPED, KIND_ESSC_PRE_LOSS: _STOPPED,
    KIND_CANCEL_PRE_LOSS: frozenset(),
}
# Signed refusals that only say "not now": back off and send again.
TRANSIENT_CODES = frozenset({"rate_limited", "unavailable"})
SENDER = "sender"  # the background thread's claim owner

Verdict = Literal["delivered", "retry", "settled", "held"]


class RequestSender(Protocol):
    """What the sender needs of the client (``CentralClient.send_request``): send a
    stored request and return the service's answer, or raise a ``CentralError``."""

    def send_request(self, request: OutboundRequest, idempotency_key: str) -> object: ...


class OutboxSender:
    """Write-ahead delivery of confirmed state changes through a ``CentralClient``.

    What each answer does to an item:

    - delivered (a signed 2xx): the payload is deleted, the reference kept;
    - a signed refusal whose code says it already holds (:data:`SETTLED_CODES`), or any
      signed refusal of the direct attempt (the cardholder is there to read it): settled,
      payload deleted;
    - any other signed refusal of a queued item: ``held`` (kept, alert, sealed export);
    - a terminal problem (bad signature, clock, from a 401 that is never signed): kept and
      retried with back-off; the monotonic seconds it has been refused are added up over
      every run, and past ``terminal_expiry_seconds`` the item raises an alert. It is
      never dropped: an unsigned answer can neither delete nor expire anything;
    - anything else (offline, timeout, 5xx, a garbled or unsigned answer): kept, back-off.

    Each delivery is one client call, so it has the client's overall deadline. When the
    client knows the terminal key (a ``CentralClient``) and the outbox was opened without
    one, the sender hands it over so that the queue is sealed.
    """

    def __init__(self, outbox: Outbox, client: RequestSender, *, base_delay: float = 1.0,
                 max_delay: float = 60.0, poll_interval: float = 5.0,
                 on_result: Callable[[OutboxItem, object], None] | None = None,
                 terminal_expiry_seconds: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.outbox, self.client = outbox, client
        # What a CentralClient also knows (a test's sender may not): read when present.
        key: object = getattr(client, "terminal_key", None)
        if isinstance(key, bytes) and not outbox.sealed:
            outbox.use_terminal_key(key)
        expiry: object = getattr(client, "outbox_terminal_expiry_seconds", None)
        self.terminal_expiry_seconds = terminal_expiry_seconds or (
            float(expiry) if isinstance(expiry, (int, float))
            else DEFAULT_TERMINAL_EXPIRY_SECONDS)
        self.base_delay, self.max_delay, self.poll_interval = base_delay, max_delay, \
            poll_interval
        # A claim outlasts the longest call (the client's deadline), so a claim that
        # lapses belongs to an attempt that will never finish (its worker never ran).
        deadline: object = getattr(client, "deadline_seconds", None)
        self.claim_seconds = (float(deadline) if isinstance(deadline, (int, float))
                              else 30.0) + 5.0
        self.on_result = on_result
        self._monotonic = monotonic
        # item id -> monotonic time of its latest terminal-problem refusal in this run.
        self._refused_at: dict[int, float] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failures = 0
        # What this sender last set the gauges to: set again only on a change, so a
        # gauge a reader just set from the same outbox is not churned every loop.
        self._gauges: tuple[int, int] | None = None
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        outbox.on_enqueue.append(self._wake.set)
        outbox.on_enqueue.append(self.update_gauges)

    def start(self) -> OutboxSender:
        """Start the thread. A start tries every pending item at once, whatever back-off
        the previous run stored: the kiosk may have restarted because the outage ended,
        and a crash loop is bounded by the service manager, not by waiting here."""
        try:
            self.outbox.make_due()
        except OutboxError as exc:
            log.error("outbox unusable", extra={"fields": {"kind": exc.kind}})
        self._thread.start()
        return self

    def retry_now(self) -> None:
        """Send everything now, held items too (e.g. the network came back, or a
        technician asked after fixing the cause)."""
        self._failures = 0
        self.outbox.unhold()
        self.outbox.make_due()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # ---- the journeys' side (kiosk.services.ports.OutboxPort) ----------------------

    def write_ahead(self, request: OutboundRequest, idempotency_key: str) -> bool:
        """Store ``request`` (a client ``OutboundRequest``: its kind and body, kept as
        they are) durably before anything is sent, and claim it for the caller's direct
        attempt. Returns True when the caller holds the claim (go on with
        :meth:`deliver_now`); False when this request is already queued and in the
        sender's hands (its outcome comes through ``on_result``). Raises
        :class:`~kiosk.central.errors.OutboxError` when it cannot be stored: then
        nothing is saved, and the caller must not say it is."""
        owner = _direct(idempotency_key)
        item_id = self.outbox.enqueue(request.kind, {"body": dict(request.body)},
                                      idempotency_key, claim_owner=owner,
                                      claim_seconds=self.claim_seconds,
                                      due_in=self.claim_seconds)
        log.info("outbox item stored", extra={"fields": {"id": item_id, "kind": request.kind}})
        return self.outbox.holds(item_id, owner)

    def deliver_now(self, idempotency_key: str) -> object:
        """The direct attempt at the item stored under this key, on the caller's thread
        (a journey's worker): the service's result, or the ``CentralError`` it ended with
        (:meth:`is_queued` then says whether the item is still queued for the sender).
        Raises ``OutboxError("in_flight")`` when the item is not there to send (the
        sender has it in hand, or it has ended)."""
        owner = _direct(idempotency_key)
        item = self.outbox.item(idempotency_key)
        if item is None or item.status != "pending" \
                or not self.outbox.claim(item.id, owner, self.claim_seconds):
            raise OutboxError("in_flight", "not available for a direct attempt")
        try:
            verdict, outcome = self._deliver(item, direct=True)
        finally:
            self.outbox.release(item.id, owner)
            self._wake.set()  # the sender takes it from here if it is still queued
        if isinstance(outcome, BaseException):  # not delivered: what ended the attempt
            raise outcome
        return outcome

    def is_queued(self, idempotency_key: str) -> bool:
        """Whether the request stored under this key is still in the outbox, undelivered
        (pending or held): what a screen may say about it."""
        return self.outbox.status_of(idempotency_key) in ("pending", "held")

    # ---- the background round -----------------------------------------------------

    def deliver_once(self) -> int:
        """One round over the due items; returns how many were acknowledged."""
        done = 0
        for item in self.outbox.pending(due_only=True):
            if self._stop.is_set():
                break
            if not self.outbox.claim(item.id, SENDER, self.claim_seconds):
                continue  # a direct attempt has it in hand
            try:
                verdict, _ = self._deliver(item, direct=False)
            finally:
                self.outbox.release(item.id, SENDER)
            if verdict == "delivered":
                done += 1
            elif verdict == "retry":
                break  # the service or the terminal has a problem: in order, later
        self.update_gauges()
        return done

    def update_gauges(self, *_: object) -> None:
        """Set the outbox metrics (depth, undeliverable items) from the outbox; a count
        that fails is logged, never raised."""
        try:
            stats = self.outbox.stats()
        except Exception as exc:  # the outbox's own error is reported by its user
            log.warning("outbox depth unknown", extra={"fields": {
                "error": type(exc).__name__}})
            return
        gauges = (stats.pending + stats.held, stats.undeliverable)
        if gauges == self._gauges:
            return
        self._gauges = gauges
        metrics.outbox_depth(gauges[0])
        metrics.outbox_undeliverable(gauges[1])

    # ---- one attempt ----------------------------------------------------------------

    def _deliver(self, item: OutboxItem, *, direct: bool) -> tuple[Verdict, object]:
        try:
            result = self._send(item)
        except CentralError as exc:
            return self._failed(item, exc, direct), exc
        except (KeyError, TypeError, ValueError) as exc:
            return "held", self._invalid(item, exc)
        reference: object = getattr(result, "reference", None)  # a receipt's, if any
        self.outbox.mark_delivered(item.id, reference if isinstance(reference, str) else None)
        self._refused_at.pop(item.id, None)
        self._failures = 0
        log.info("outbox item delivered", extra={"fields": {
            "id": item.id, "kind": item.kind, "attempts": item.attempts + 1,
            "direct": direct}})
        self._notify(item, result)
        self.update_gauges()
        return "delivered", result

    def _failed(self, item: OutboxItem, exc: CentralError, direct: bool) -> Verdict:
        code = getattr(exc, "code", None)
        if exc.local:
            # The client will not send this body (the contract changed since it was
            # queued, or it is damaged): nothing went out; keep it for the outlet.
            return self._hold_invalid(item, exc)
        if isinstance(exc, CentralRefused) and exc.terminal_problem:
            self._terminal_refusal(item, exc.code)
            return "retry"
        refusal = isinstance(exc, (CentralRefused, CentralNotFound)) and code is not None
        if refusal and exc.authenticated and code not in TRANSIENT_CODES:
            self._refused_at.pop(item.id, None)
            if direct or code in SETTLED_CODES.get(item.kind, frozenset()):
                self.outbox.mark_rejected(item.id, str(code))
                log.warning("outbox item refused", extra={"fields": {
                    "id": item.id, "kind": item.kind, "code": code, "direct": direct}})
                self._notify(item, exc)
                self.update_gauges()
                return "settled"
            self.outbox.mark_held(item.id, str(code))
            self._alerted(item, f"held_{code}")
            log.error("outbox item held", extra={"fields": {
                "id": item.id, "kind": item.kind, "code": code,
                "action": "the service refuses it: export it sealed for the outlet "
                          "(diagnostics, outbox) or retry once the cause is fixed"}})
            self._notify(item, exc)
            return "held"
        self._back_off(item, str(code or exc.kind), exc.retry_after,
                       direct=direct)
        return "retry"

    def _hold_invalid(self, item: OutboxItem, exc: BaseException) -> Verdict:
        self._invalid(item, exc)
        return "held"

    def _invalid(self, item: OutboxItem, exc: BaseException) -> CentralRefused:
        """A row no request can be made from: kept for the outlet (an alert), and out of
        the way of the items behind it."""
        self.outbox.mark_held(item.id, "invalid_item")
        self._alerted(item, "held_invalid_item")
        log.error("outbox item invalid", extra={"fields": {
            "id": item.id, "kind": item.kind, "error": type(exc).__name__}})
        refusal = CentralRefused("invalid_item", status=422)
        self._notify(item, refusal)
        return refusal

    def _terminal_refusal(self, item: OutboxItem, code: str) -> None:
        """Keep it, retry later, and count how long it has been refused: monotonic time
        from this run's first refusal, added to what earlier runs counted."""
        now = self._monotonic()
        previous = self._refused_at.get(item.id)
        self._refused_at[item.id] = now
        delay = self._next_delay()
        refusals, seconds = self.outbox.note_terminal_refusal(
            item.id, code, 0.0 if previous is None else now - previous, delay)
        log.info("outbox delivery refused for the terminal", extra={"fields": {
            "id": item.id, "code": code, "refusals": refusals,
            "refused_hours": round(seconds / 3600, 2), "retry_in": delay}})
        alert = f"stuck_{code}"
        if seconds >= self.terminal_expiry_seconds and item.alert != alert:
            self.outbox.set_alert(item.id, alert)
            self._alerted(item, alert)
            log.error("outbox item undeliverable", extra={"fields": {
                "id": item.id, "kind": item.kind, "code": code, "refusals": refusals,
                "refused_hours": round(seconds / 3600, 1),
                "action": "fix the terminal key or clock; the request is kept and retried, "
                          "and can be exported sealed for the outlet"}})

    def _alerted(self, item: OutboxItem, alert: str) -> None:
        metrics.outbox_alert(alert)
        self.update_gauges()

    def _send(self, item: OutboxItem) -> object:
        body = item.payload.get("body")
        if isinstance(body, dict):  # a request body as the client made it (opaque here)
            return self.client.send_request(OutboundRequest(item.kind, body),
                                            item.idempotency_key)
        # Rows from before the outbox kept request bodies (version 0.2 and older) name a
        # card and an ID number (or an e-SSC grant), which the contract no longer takes
        # (a pre-loss goes by a card handle): held for the outlet as invalid items.
        raise KeyError("body")

    def _next_delay(self) -> float:
        self._failures += 1
        return min(self.max_delay, self.base_delay * 2.0 ** (self._failures - 1))

    def _back_off(self, item: OutboxItem, error: str, hinted: float | None = None, *,
                  direct: bool = False) -> None:
        # The cardholder's attempt failing says little about the next one: the sender
        # tries again soon, then backs off as usual.
        delay = self.base_delay if direct else self._next_delay()
        if isinstance(hinted, (int, float)) and hinted > delay:
            delay = min(self.max_delay, float(hinted))
        self.outbox.mark_failed(item.id, error, delay)
        log.info("outbox delivery deferred", extra={"fields": {
            "id": item.id, "error": error, "retry_in": delay, "direct": direct}})

    def _notify(self, item: OutboxItem, outcome: object) -> None:
        if self.on_result is not None:
            try:
                self.on_result(item, outcome)
            except Exception as exc:  # a listener must not kill the sender
                log.error("outbox listener failed", extra={"fields": error_fields(exc)})

    def _run(self) -> None:
        background_thread()  # the UI first: kiosk/system/priority.py
        while not self._stop.is_set():
            try:
                self.deliver_once()
            except OutboxError as exc:
                log.error("outbox unusable", extra={"fields": {"kind": exc.kind}})
            except Exception as exc:  # keep the sender alive whatever happens
                log.error("outbox sender round failed", extra={"fields": error_fields(exc)})
            wait = self.poll_interval
            due = self._next_due()
            if due is not None:
                wait = max(0.05, min(wait, due))
            self._wake.wait(wait)
            self._wake.clear()

    def _next_due(self) -> float | None:
        try:
            return self.outbox.next_due_in()
        except OutboxError:
            return None


def _direct(idempotency_key: str) -> str:
    """The claim owner of the cardholder's own attempt at this request."""
    return "direct:" + idempotency_key

