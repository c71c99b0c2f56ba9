"""The control socket of the virtual devices: JSON lines over a 0600 Unix socket.

The virtual card slots and the virtual QR scanner are driven from another terminal
(``kiosk card ...``) through one small server: a client connects, sends one JSON object
on one line, and reads one JSON object on one line back. The server answers everything,
a malformed or oversized line included, with ``{"ok": false, "error": "..."}``, and goes
on serving; the handler never sees anything but a dict.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from pydantic import JsonValue

from kiosk.logs import get_logger

log = get_logger("kiosk.devices.virtual.control")

Message = dict[str, JsonValue]  # one request or reply: a JSON object
Handler = Callable[[Message], Message]

MAX_LINE = 4096  # a request is a few short fields; anything longer is not one
CONN_TIMEOUT = 10.0  # a client that connects and says nothing holds the server this long


class ControlServer:
    """Serves ``handle`` on a Unix socket (mode 0600), one request per connection."""

    def __init__(self, handle: Handler, name: str, *, max_line: int = MAX_LINE,
                 timeout: float = CONN_TIMEOUT) -> None:
        self.handle = handle
        self.name = name
        self.max_line = max_line
        self.timeout = timeout
        self.socket_path: Path | None = None
        self._server: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def serve(self, path: Path, *, exclusive: bool = False) -> None:
        """Listen at ``path``. A stale socket file is replaced; with ``exclusive`` a live
        one (another process serving) is a RuntimeError instead."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive and _answers(path):
            raise RuntimeError(f"{self.name} already served at {path}")
        path.unlink(missing_ok=True)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(str(path))
        os.chmod(path, 0o600)
        srv.listen(4)
        self._server, self.socket_path = srv, path
        self._thread = threading.Thread(target=self._accept, name=self.name, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        srv = self._server
        while srv is not None:
            try:
                conn, _ = srv.accept()
            except OSError:
                return  # stop() shut the socket
            with conn:
                conn.settimeout(self.timeout)
                try:
                    reply = self._answer(conn)
                except OSError as exc:  # said nothing in time, or went away
                    reply = {"ok": False, "error": f"bad request: {type(exc).__name__}"}
                try:
                    conn.sendall(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                except OSError:
                    pass

    def _answer(self, conn: socket.socket) -> Message:
        line = conn.makefile("rb").readline(self.max_line + 1)
        if len(line) > self.max_line:
            return {"ok": False, "error": "bad request: too long"}
        try:
            req: object = json.loads(line or b"{}")
        except ValueError as exc:
            return {"ok": False, "error": f"bad request: {type(exc).__name__}"}
        if not isinstance(req, dict):
            return {"ok": False, "error": "bad request: not a JSON object"}
        try:
            return self.handle(req)
        except Exception as exc:  # noqa: BLE001 - one bad request must not stop the server
            log.warning("control request failed",
                        extra={"fields": {"server": self.name, "error": type(exc).__name__}})
            return {"ok": False, "error": f"failed: {type(exc).__name__}"}

    def stop(self) -> None:
        """Stop serving and remove the socket file."""
        srv, self._server = self._server, None
        if srv is not None:
            try:
                srv.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() does not
            except OSError:
                pass
            srv.close()
        if self._thread is not None:
            self._thread.join(2)
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)


def _answers(path: Path) -> bool:
    """True when a server is listening at ``path`` (a socket file left by a crashed
    run refuses the connection)."""
    if not path.exists():
        return False
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def send_control(path: Path, request: Message, timeout: float = 5.0) -> Message:
    """Client side: send ``request``, return the reply. OSError if nothing serves
    ``path``; ValueError if the reply is not a JSON object."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(json.dumps(request).encode() + b"\n")
        data = s.makefile("rb").readline(65536)
    reply: object = json.loads(data)
    if not isinstance(reply, dict):  # the server answers objects only
        raise ValueError(f"the reply is not a JSON object: {type(reply).__name__}")
    return reply
