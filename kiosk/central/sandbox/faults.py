"""Fault modes for client tests, injected in front of the ``/v1`` API (never ``/admin``).

- ``latency_ms``: every answer is held this long AFTER the operation ran and committed —
  the hardest case for exactly-once (applied, but the terminal times out).
- ``hold_request_ms``: every request is held this long BEFORE it runs (received in full,
  not yet applied); it runs afterwards even if the terminal has gone, as a real service
  would. Clearing the faults releases a held request at once (a test that ends does not
  leave one to be applied during the next). With ``latency_ms`` the two spread one call
  over a known timeline (kill -9 tests: sent, then applied, then answered).
- ``fail_next``: the next N calls get a 503 problem without running.
- ``drop_next``: the next N connections are closed without any answer (not run).
- ``garbage_next``: the next N calls run, then their answer is replaced by garbage.
- ``outage``: while 1, every connection is closed without an answer, as when the
  central service cannot be reached (``kiosk demo outage on|off``).

This wraps the ASGI app outermost, so ``send`` is still uvicorn's own bound method and
its transport can be closed to drop the connection like a failing middlebox would.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict, dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.central.schemas import API_PREFIX, PROBLEM_CONTENT_TYPE, ProblemCode, problem

GARBAGE = b"\x00\x9f<html>502 Bad Gateway{\"oops\""


@dataclass
class FaultSettings:
    latency_ms: int = 0
    hold_request_ms: int = 0
    fail_next: int = 0
    fail_status: int = 503
    drop_next: int = 0
    garbage_next: int = 0
    outage: int = 0


class Faults:
    """Thread-safe fault switches, set through the admin API."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._s = FaultSettings()
        self.cleared = 0  # counts clear(): held requests go on when it changes

    def set(self, **changes: float | None) -> FaultSettings:
        with self._lock:
            for key, value in changes.items():
                if value is not None:
                    if not hasattr(self._s, key):
                        raise ValueError(f"unknown fault {key}")
                    setattr(self._s, key, int(value))
            return FaultSettings(**asdict(self._s))

    def clear(self) -> None:
        with self._lock:
            self._s = FaultSettings()
            self.cleared += 1

    def snapshot(self) -> FaultSettings:
        with self._lock:
            return FaultSettings(**asdict(self._s))

    def take(self) -> tuple[str | None, int, int]:
        """The fault for one call: (kind or None, latency ms, fail status)."""
        with self._lock:
            s = self._s
            if s.outage:
                return "drop_next", s.latency_ms, s.fail_status
            for kind in ("drop_next", "fail_next", "garbage_next"):
                if getattr(s, kind) > 0:
                    setattr(s, kind, getattr(s, kind) - 1)
                    return kind, s.latency_ms, s.fail_status
            return None, s.latency_ms, s.fail_status


class FaultInjector:
    """ASGI wrapper applying :class:`Faults` to ``/v1`` requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app, self.faults = app, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        kind, latency_ms, fail_status = self.faults.take()
        hold_ms = self.faults.snapshot().hold_request_ms
        if hold_ms and kind is None:
            await self._hold(hold_ms / 1000)
        if kind == "drop_next":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                transport.close()
                return
            # Fallback: start an answer and abort it; the client sees a cut connection.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1000")]})
            raise ConnectionAbortedError("fault: dropped")
        if kind == "fail_next":
            body = problem(ProblemCode.UNAVAILABLE, fail_status,
                           "fault injected").model_dump_json().encode()
            await send({"type": "http.response.start", "status": fail_status,
                        "headers": [(b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def delayed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if latency_ms:
                    await asyncio.sleep(latency_ms / 1000)
                if kind == "garbage_next":
                    message = {**message, "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(GARBAGE)).encode())]}
            elif message["type"] == "http.response.body" and kind == "garbage_next":
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": GARBAGE}
            await send(message)

        await self.app(scope, receive, delayed_send)

    async def _hold(self, seconds: float) -> None:
        """Wait ``seconds``, or until the faults are cleared."""
        loop = asyncio.get_running_loop()
        ends, cleared = loop.time() + seconds, self.faults.cleared
        while self.faults.cleared == cleared and (left := ends - loop.time()) > 0:
            await asyncio.sleep(min(0.02, left))
