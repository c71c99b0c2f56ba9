"""Hostile HTTP servers on 127.0.0.1 for the client's hardening tests.

One :class:`HostileServer` answers every request the way its ``mode`` says:

- ``record``: records the request and answers 200 ``{}`` (the "other host" of a redirect);
- ``redirect``: 307 to ``target`` (same path);
- ``dribble``: a 200 header promising 1000 bytes, then one byte per ``dribble_every``;
- ``huge``: a 200 answer of ``huge_bytes`` bytes, no Content-Length, streamed;
- ``proxy``: forwards to ``target`` (the real sandbox) and answers what it answered;
- ``replay``: answers the reply ``proxy`` last forwarded, to whatever was asked;
- ``forge``: forwards, then changes the card's state in the body but keeps the signature;
- ``strip``: forwards, then drops the signature header.
- ``slow_headers``: the status line, then the header lines one byte per ``dribble_every``;
- ``forge_reply``: answers ``forged`` (status, problem code), unsigned, or signed with
  ``forge_key`` (a key that is not the terminal's) over this request's nonce: what
  someone who is not the service can say.

Every loop has a bound (``max_seconds``) and ends when the client goes away.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from kiosk.central.signing import H_NONCE, H_REPLY_SIGNATURE, reply_signature


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HostileServer:
    mode: str = "record"
    target: str = ""
    dribble_every: float = 0.5
    huge_bytes: int = 200 * 1024 * 1024
    max_seconds: float = 60.0
    seen: list[Seen] = field(default_factory=list)
    sent_bytes: int = 0
    headers_sent: int = 0  # answers whose header is out (dribble): the body comes next
    connected: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    last_reply: tuple[int, dict[str, str], bytes] | None = None
    url: str = ""
    forged: tuple[int, str] = (401, "clock_skew")
    forge_key: bytes | None = None

    def start(self) -> HostileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without TCP_NODELAY each
            # answer waits ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                owner.handle(self)

            do_GET = do_POST

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # ---- answers ----------------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        self.seen.append(Seen(h.command, h.path, dict(h.headers), body))
        self.connected.set()
        try:
            getattr(self, "_" + self.mode)(h, body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away: what the tests want
        finally:
            self.finished.set()

    def _answer(self, h: BaseHTTPRequestHandler, status: int, headers: dict[str, str],
                body: bytes) -> None:
        h.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "connection", "date", "server",
                                   "transfer-encoding"):
                h.send_header(key, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _record(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        self._answer(h, 200, {"Content-Type": "application/json"}, b"{}")

    def _redirect(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        self._answer(h, 307, {"Location": self.target + h.path}, b"")

    def _dribble(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.flush()
        self.headers_sent += 1
        ends = time.monotonic() + self.max_seconds
        while time.monotonic() < ends:
            h.wfile.write(b" ")
            h.wfile.flush()
            self.sent_bytes += 1
            time.sleep(self.dribble_every)

    def _slow_headers(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"X-Padding: " + b"x" * 200 + b"\r\nContent-Length: 2\r\n\r\n{}")
        h.wfile.write(head[:17])  # the status line, then a byte at a time
        h.wfile.flush()
        ends = time.monotonic() + self.max_seconds
        for i in range(17, len(head)):
            if time.monotonic() > ends:
                break
            time.sleep(self.dribble_every)
            h.wfile.write(head[i:i + 1])
            h.wfile.flush()
            self.sent_bytes += 1

    def _forge_reply(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        status, code = self.forged
        content = json.dumps({"type": "about:blank", "title": "forged", "status": status,
                              "code": code, "detail": ""}).encode()
        headers = {"Content-Type": "application/problem+json"}
        nonce = h.headers.get(H_NONCE, "")
        if self.forge_key is not None:
            headers[H_REPLY_SIGNATURE] = reply_signature(self.forge_key, nonce, status,
                                                         content)
        self._answer(h, status, headers, content)

    def _huge(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"[" + b"0," * 32767 + b"0"
        ends = time.monotonic() + self.max_seconds
        while self.sent_bytes < self.huge_bytes and time.monotonic() < ends:
            h.wfile.write(chunk)
            self.sent_bytes += len(chunk)

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict, bytes]:
        headers = {k: v for k, v in h.headers.items()
                   if k.lower().startswith("x-kiosk") or k.lower() in (
                       "content-type", "idempotency-key")}
        resp = requests.post(self.target + h.path, data=body, headers=headers, timeout=10,
                             allow_redirects=False)
        reply = (resp.status_code, dict(resp.headers), resp.content)
        self.last_reply = reply
        return reply

    def _proxy(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        self._answer(h, *self._forward(h, body))

    def _replay(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        assert self.last_reply is not None
        self._answer(h, *self.last_reply)

    def _forge(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        status, headers, content = self._forward(h, body)
        # Still a valid answer, only a different one: a frozen card instead of an active
        # one. Only the signature can tell.
        self._answer(h, status, headers, content.replace(b'"active"', b'"frozen"', 1)
                     if b'"active"' in content else content + b" ")

    def _strip(self, h: BaseHTTPRequestHandler, body: bytes) -> None:
        status, headers, content = self._forward(h, body)
        headers = {k: v for k, v in headers.items() if k.lower() != H_REPLY_SIGNATURE.lower()}
        self._answer(h, status, headers, content)
