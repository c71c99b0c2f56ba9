"""Signed terminal traffic without a kiosk: what the bench and the multi-worker tests send.

:class:`SignedHttp` speaks HTTP/1.1 over one kept-alive connection per thread
(``http.client``: a fraction of ``requests``' CPU per call, which matters when the load
generator shares two cores with the centre and PostgreSQL), signs each request exactly
as a terminal does (:func:`kiosk.central.signing.sign_request`) and checks the reply's
signature. :func:`heartbeat_body` makes a realistic fleet heartbeat: all parts, a few
warnings and failures at the rates a fleet shows, counts since the last beat, acks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import random
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import JsonValue

from kiosk.central.signing import H_REPLY_SIGNATURE, reply_is_authentic, sign_request


@dataclass(frozen=True)
class Terminal:
    """A simulated terminal: id, key, site."""

    terminal_id: str
    key: bytes
    site: str = "outlet"


@dataclass(frozen=True)
class Reply:
    """One answer: status, body, seconds taken, and whether its signature held."""

    status: int
    body: bytes
    seconds: float
    authentic: bool

    def json(self) -> JsonValue:
        """The body as JSON (ValueError when it is not JSON)."""
        parsed: JsonValue = json.loads(self.body)
        return parsed

    def json_object(self) -> dict[str, JsonValue]:
        """The body's JSON object; ``{}`` when it is JSON but no object (ValueError
        when it is not JSON)."""
        parsed = self.json()
        return parsed if isinstance(parsed, dict) else {}


class SignedHttp:
    """Signed POSTs to one base URL, one connection per calling thread."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
        return conn

    def drop(self) -> None:
        """Forget this thread's connection (after an error)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def post(self, terminal: Terminal, path: str, body: bytes,
             idempotency_key: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """Sign and send; raises ``OSError``/``http.client.HTTPException`` when the
        connection fails (the caller retries like a terminal would)."""
        started = time.perf_counter()
        for attempt in (1, 2):
            # Every attempt signed afresh, as the kiosk's client does: a request that did
            # reach a worker killed before it answered would be "replayed" if resent with
            # its nonce (given ``headers`` are sent as they are: a replay test's own).
            signed = headers or sign_request(terminal.key, terminal.terminal_id, "POST",
                                             path, body, idempotency_key=idempotency_key)
            sent = {"Content-Type": "application/json", **signed}
            if idempotency_key is not None:
                sent["Idempotency-Key"] = idempotency_key
            reused = getattr(self._local, "conn", None) is not None
            try:
                conn = self._conn()
                conn.request("POST", path, body=body, headers=sent)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException):
                self.drop()
                # A kept-alive connection the server closed meanwhile: send once more on
                # a new one, as HTTP clients do (the request never reached the service).
                if not (reused and attempt == 1):
                    raise
                started = time.perf_counter()
        took = time.perf_counter() - started
        nonce = signed.get("X-Kiosk-Nonce", "")
        ok = reply_is_authentic(terminal.key, nonce, resp.status, data,
                                resp.getheader(H_REPLY_SIGNATURE))
        if resp.getheader("connection", "").lower() == "close":
            self.drop()
        return Reply(resp.status, data, took, ok)


_PARTS = ("readers", "id_reader", "printer", "speech", "disk", "clock", "outbox",
          "technician")


def heartbeat_body(t: Terminal, rng: random.Random,
                   acks: Sequence[Mapping[str, object]] | None = None,
                   heartbeat_seconds: int = 60, version: str = "0.1.0",
                   failing: bool = False) -> bytes:
    """A realistic ``FleetHeartbeat`` (see the module doc)."""
    def light(p_warn: float, p_fail: float) -> str:
        x = rng.random()
        return "fail" if x < p_fail else "warn" if x < p_fail + p_warn else "ok"

    printer = "fail" if failing else light(0.02, 0.005)
    paper = "out" if printer == "fail" else "low" if printer == "warn" else "ok"
    depth = 0 if rng.random() < 0.97 else rng.randint(1, 4)
    started = {"pre_loss": rng.randint(0, 3), "status": rng.randint(0, 5),
               "guidance": rng.randint(0, 4)}
    body = {
        "terminal_id": t.terminal_id,
        "clock": dt.datetime.now(dt.UTC).isoformat(),
        "version": version,
        "config_hash": hashlib.sha256(t.terminal_id.encode()).hexdigest(),
        "config_version": 0, "config_rolled_back_from": None, "site": t.site,
        "uptime_seconds": round(rng.uniform(60, 864_000), 1),
        "heartbeat_seconds": heartbeat_seconds, "paused": False,
        "parts": {
            "readers": {"light": light(0.01, 0.002), "code": "ok", "count": 2},
            "id_reader": {"light": light(0.01, 0.002), "code": "ok"},
            "printer": {"light": printer, "code": "ok" if printer == "ok" else "paper",
                        "paper": paper},
            "speech": {"light": "ok", "code": "ok"},
            "disk": {"light": "ok", "code": "ok", "free_mb": rng.randint(2000, 60000)},
            "clock": {"light": "ok", "code": "ok", "skew_seconds": round(
                rng.uniform(-2, 2), 3)},
            "outbox": {"light": "ok" if depth == 0 else "warn",
                       "code": "ok" if depth == 0 else "waiting", "depth": depth,
                       "oldest_age_seconds": None if depth == 0 else rng.uniform(5, 600)},
            "technician": {"light": "ok", "code": "ok", "locked": False,
                           "locked_seconds": 0, "failures": 0, "lockouts": 0,
                           "alert": False},
        },
        "counts": {"period_seconds": heartbeat_seconds, "sessions_started": started,
                   "sessions_finished": started, "failures": {}},
        "acks": [dict(a) for a in acks or ()],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]
