"""Delivery of the durable outbox (:mod:`kiosk.central.outbox`) to the central service.

One background thread sends the queued items in order, each under its idempotency key,
until the service answers; see :class:`OutboxSender` for what each answer does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kiosk import metrics
from kiosk.central.errors import CentralError, CentralNotFound, CentralRefused, OutboxError
from kiosk.central.outbox import (
    DEFAULT_TERMINAL_EXPIRY_SECONDS,
    KIND_CANCEL_PRE_LOSS,
    KIND_PRE_LOSS,
    Outbox,
    OutboxItem,
)
from kiosk.logs import error_fields, get_logger
from kiosk.system.priority import background_thread

# The outbox's logger: its lines (queued, delivered, refused, expired) read as one story.
log = get_logger("kiosk.central.outbox")


class OutboxSender:
    """Background thread delivering the outbox through a ``CentralClient``.

    Items go in order, one at a time. A network or server failure stops the round and
    backs off (exponential, capped); a refusal about the item (4xx with a rule code)
    marks it rejected; a refusal about the terminal (bad signature, clock) keeps it and
    backs off, since fixing the terminal makes it deliverable — until
    ``terminal_expiry_seconds`` after it was queued (then ``expired_<code>``, alerted).

    Each delivery is one client call, so it has the client's overall deadline. When the
    client knows the terminal key (a ``CentralClient``) and the outbox was opened without
    one, the sender hands it over so that the queue is sealed.
    """

    def __init__(self, outbox: Outbox, client: Any, *, base_delay: float = 1.0,
                 max_delay: float = 60.0, poll_interval: float = 5.0,
                 on_result: Callable[[OutboxItem, Any], None] | None = None,
                 terminal_expiry_seconds: float | None = None) -> None:
        self.outbox, self.client = outbox, client
        key = getattr(client, "terminal_key", None)
        if isinstance(key, bytes) and not outbox.sealed:
            outbox.use_terminal_key(key)
        self.terminal_expiry_seconds = terminal_expiry_seconds or getattr(
            client, "outbox_terminal_expiry_seconds", DEFAULT_TERMINAL_EXPIRY_SECONDS)
        self.base_delay, self.max_delay, self.poll_interval = base_delay, max_delay, \
            poll_interval
        self.on_result = on_result
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._failures = 0
        self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
        outbox.on_enqueue.append(self._wake.set)

    def start(self) -> OutboxSender:
        self._thread.start()
        return self

    def retry_now(self) -> None:
        """Send everything pending now (e.g. the network came back, or a technician asked)."""
        self._failures = 0
        self.outbox.make_due()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def deliver_once(self) -> int:
        """One round over the due items; returns how many were acknowledged."""
        done = 0
        for item in self.outbox.pending(due_only=True):
            if self._stop.is_set():
                break
            try:
                result = self._send(item)
            except (CentralRefused, CentralNotFound) as exc:
                if isinstance(exc, CentralRefused) and exc.terminal_problem:
                    if self._expired(item, exc.code):
                        continue
                    self._back_off(item, exc.code)
                    break
                self.outbox.mark_rejected(item.id, exc.code)
                log.warning("outbox item refused", extra={"fields": {
                    "id": item.id, "kind": item.kind, "code": exc.code}})
                self._notify(item, exc)
                continue
            except CentralError as exc:
                self._back_off(item, exc.kind)
                break
            except (KeyError, TypeError, ValueError) as exc:
                # A malformed item would block the queue for ever: set it aside.
                self.outbox.mark_rejected(item.id, "invalid_item")
                log.error("outbox item invalid", extra={"fields": {
                    "id": item.id, "kind": item.kind, "error": type(exc).__name__}})
                continue
            self.outbox.mark_delivered(item.id, getattr(result, "reference", None))
            self._failures = 0
            done += 1
            log.info("outbox item delivered", extra={"fields": {
                "id": item.id, "kind": item.kind, "attempts": item.attempts + 1}})
            self._notify(item, result)
        return done

    def _expired(self, item: OutboxItem, code: str) -> bool:
        age = self.outbox.now() - item.created_at
        if age <= self.terminal_expiry_seconds:
            return False
        self.outbox.mark_rejected(item.id, f"expired_{code}")
        metrics.outbox_expired(code)
        log.error("outbox item expired", extra={"fields": {
            "id": item.id, "kind": item.kind, "code": code, "age_hours": round(age / 3600, 1),
            "action": "fix the terminal key or clock; the request was NOT delivered"}})
        self._notify(item, CentralRefused(f"expired_{code}", status=401))
        return True

    def _send(self, item: OutboxItem) -> Any:
        p = item.payload
        if item.kind == KIND_PRE_LOSS and "grant" in p:  # identified by the e-SSC
            return self.client.submit_pre_loss_essc(p["card_number"], p["grant"],
                                                    item.idempotency_key)
        if item.kind == KIND_PRE_LOSS:
            return self.client.submit_pre_loss(p["card_number"], p["id_number"],
                                              item.idempotency_key)
        if item.kind == KIND_CANCEL_PRE_LOSS:
            return self.client.cancel_pre_loss(p["card_number"], p["id_number"],
                                              item.idempotency_key)
        raise ValueError(f"unknown outbox kind {item.kind!r}")  # pragma: no cover

    def _back_off(self, item: OutboxItem, error: str) -> None:
        self._failures += 1
        delay = min(self.max_delay, self.base_delay * 2 ** (self._failures - 1))
        self.outbox.mark_failed(item.id, error, delay)
        log.info("outbox delivery deferred", extra={"fields": {
            "id": item.id, "error": error, "retry_in": delay}})

    def _notify(self, item: OutboxItem, outcome: Any) -> None:
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
