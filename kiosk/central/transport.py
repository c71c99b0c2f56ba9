"""HTTP plumbing that a slow or lying server cannot use to hold a worker.

``requests`` bounds each socket operation, not a call: a server that sends one byte a
second restarts the read timeout with every byte. Here every call has a :class:`Flight`
that knows the connection it is using; a watchdog thread at the call's deadline, or
:meth:`Flight.abort` from another thread (a cardholder's "cancel"), shuts that socket
down, which wakes the blocked read at once. The connection is then discarded, never
returned to the pool, so nothing half-read is ever reused.

Reply bodies are read in chunks up to a byte cap; anything longer is refused without
reading the rest.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kiosk.central.errors import CentralBadResponse

CHUNK = 16 * 1024
_current = threading.local()


class Flight:
    """One call in flight (all its attempts): its deadline and its current connection."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline  # time.monotonic()
        self.aborted = False
        self.cancelled = False
        self.done = False
        self._conn: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def attach(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conn = conn
            if self.aborted:
                _shutdown(conn)

    def detach(self) -> None:
        """The attempt is over; its connection may go back to the pool and serve another
        call, which an abort must then not touch."""
        with self._lock:
            self._conn = None

    def abort(self, cancelled: bool = False) -> None:
        """End the call now: shut its socket down (wakes a blocked read)."""
        with self._lock:
            if self.done:
                return
            self.aborted = True
            self.cancelled = self.cancelled or cancelled
            self._stop.set()
            if self._conn is not None:
                _shutdown(self._conn)

    def wait(self, seconds: float) -> None:
        """Sleep between attempts, waking at once when aborted."""
        self._stop.wait(max(0.0, seconds))

    def __enter__(self) -> Flight:
        _WATCHDOG.watch(self)
        _current.flight = self
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.done = True
            self._conn = None
        _current.flight = None
        _WATCHDOG.landed(self)


class _Watchdog:
    """One thread for every call's deadline (a timer thread per call costs ~0.5 ms)."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._heap: list[tuple[float, int, Flight]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, flight: Flight) -> None:
        with self._cv:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="central-deadlines",
                                                daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (flight.deadline, next(self._seq), flight))
            if self._heap[0][2] is flight:
                self._cv.notify()

    def landed(self, flight: Flight) -> None:
        """``flight`` is done: if it was the next deadline, look again (the thread ends
        when nothing is left in flight)."""
        with self._cv:
            if self._heap and self._heap[0][2] is flight:
                self._cv.notify()

    def _run(self) -> None:
        with self._cv:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:  # nothing in flight: the thread ends (the next call
                    self._thread = None  # starts another), so a stopped kiosk holds none
                    return
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cv.wait(delay)
                    continue
                heapq.heappop(self._heap)[2].abort()


_WATCHDOG = _Watchdog()


def _shutdown(conn: HTTPConnection) -> None:
    sock = getattr(conn, "sock", None)
    if sock is not None:
        # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would drop its
        # SSL object under the reading thread's feet.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _attach(conn: HTTPConnection) -> None:
    flight = getattr(_current, "flight", None)
    if flight is not None:
        flight.attach(conn)


class _TrackedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _attach(self)

    def putrequest(self, method: str, url: str, skip_host: bool = False,
                   skip_accept_encoding: bool = False) -> None:
        # Every request starts here, before a byte is sent: a kept-alive connection
        # does not connect again, so it reports to this call's flight here.
        _attach(self)
        super().putrequest(method, url, skip_host, skip_accept_encoding)


class _TrackedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _attach(self)

    def putrequest(self, method: str, url: str, skip_host: bool = False,
                   skip_accept_encoding: bool = False) -> None:
        _attach(self)
        super().putrequest(method, url, skip_host, skip_accept_encoding)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class AbortableAdapter(HTTPAdapter):
    """An adapter whose connections report to the current :class:`Flight`."""

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False,
                         **pool_kwargs: object) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def read_capped(resp: requests.Response, limit: int) -> bytes:
    """The whole body, or :class:`CentralBadResponse` past ``limit`` bytes (the rest is
    never read; the caller closes the response, which drops the connection)."""
    encoding = resp.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Asked for identity: a compressed answer could inflate far past the cap.
        raise CentralBadResponse(f"answer encoded as {encoding[:20]!r}")
    declared = resp.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise CentralBadResponse(f"answer larger than {limit} bytes")
    parts: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise CentralBadResponse(f"answer larger than {limit} bytes")
            parts.append(chunk)
    except ValueError as exc:
        # http.client parses chunk sizes with int(): a hostile "-2" escapes as ValueError.
        raise CentralBadResponse("malformed chunked body") from exc
    return b"".join(parts)
