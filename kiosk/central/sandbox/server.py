"""Running the sandbox: in a thread (tests, demo runner, bench) or in the foreground (CLI).

``start_sandbox_thread(settings, port=0, db_path=...)`` binds 127.0.0.1 itself (port 0 =
a free port chosen by the kernel, so parallel test sessions never collide), runs uvicorn
in a daemon thread and returns a :class:`SandboxHandle` once it accepts connections.

The admin API gets its own socket, always on 127.0.0.1, and a random token (held by the
handle; written 0600 to ``<data_dir>/sandbox-admin.token`` by ``kiosk sandbox``). uvicorn
never trusts proxy headers: the client address is the socket's.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets as pysecrets
import socket
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests
import uvicorn
from pydantic import JsonValue

from kiosk.central.sandbox.app import create_app
from kiosk.central.sandbox.faults import FaultInjector, Faults
from kiosk.central.sandbox.fleet_access import write_admin_access
from kiosk.central.sandbox.gate import Gate
from kiosk.central.sandbox.harness_routes import create_admin_app
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import SandboxStore
from kiosk.config import Settings
from kiosk.secrets import Secrets, load_secrets
from kiosk.storage import StorageError, ensure_dir, private_umask, reason


def default_db_path(settings: Settings) -> Path:
    return settings.data_dir / "sandbox.db"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Sandbox:
    """The assembled service: store, fault switches, the ASGI app to serve (public and
    admin ports, told apart by :class:`Gate`) and the admin token."""

    store: SandboxStore
    faults: Faults
    asgi: Gate
    admin_token: str


def build_sandbox(settings: Settings, db_path: Path | None = None,
                  secrets: Secrets | None = None) -> Sandbox:
    """Store seeded from the personas, regional rules from ``settings.region``, the
    terminal key from the secrets file both sides read in demo mode."""
    secrets = secrets or load_secrets(settings)
    db = db_path or default_db_path(settings)
    ensure_dir(db.parent, "the sandbox database directory", mode=0o700)
    keys = {settings.kiosk.terminal_id: secrets.terminal_key}
    try:
        store = SandboxStore(db, RegionalRules.from_settings(settings), keys)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError("cannot open the sandbox database", db, reason(exc)) from None
    faults = Faults()
    max_skew = float(settings.central.max_clock_skew_seconds)
    app = create_app(store, max_skew)
    token = pysecrets.token_urlsafe(24)
    gate = Gate(FaultInjector(app, faults), create_admin_app(store, faults), store,
                max_skew, token)
    return Sandbox(store, faults, gate, token)


@dataclass
class SandboxHandle:
    """A running sandbox. ``url`` is its base URL; ``stop()`` shuts it down."""

    url: str
    port: int
    store: SandboxStore
    faults: Faults
    admin_url: str
    admin_token: str = field(repr=False)
    gate: Gate = field(repr=False)
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def admin(self, method: str, path: str, *, json: object = None,
              params: Mapping[str, str | int] | None = None) -> JsonValue:
        """Call an ``/admin`` endpoint (admin port, token) and return its JSON (the
        harness's own replies: a caller narrows them to what it asked for)."""
        resp = requests.request(method, f"{self.admin_url}/admin{path}", timeout=10,
                                headers={"Authorization": f"Bearer {self.admin_token}"},
                                json=json, params=params,
                                verify=False)  # loopback admin, also on a TLS test sandbox
        resp.raise_for_status()
        reply: JsonValue = resp.json()
        return reply

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._server.force_exit = True  # don't wait for answers held by a latency fault
        self._thread.join(timeout)
        with contextlib.suppress(Exception):
            self.store.close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP; without it every keep-alive answer waits ~40 ms
    # for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock


def _server(sandbox: Sandbox, tls: tuple[Path, Path] | None, *, log_level: str,
            access_log: bool = True, timeout_keep_alive: int = 5) -> uvicorn.Server:
    # asyncio and h11 even where uvloop and httptools are installed (the centre's
    # extra brings them): the sandbox's fault injector and timings were built on these.
    config = uvicorn.Config(sandbox.asgi, lifespan="off", proxy_headers=False,
                            server_header=False, timeout_graceful_shutdown=1,
                            loop="asyncio", http="h11", log_level=log_level,
                            access_log=access_log, timeout_keep_alive=timeout_keep_alive,
                            ssl_certfile=str(tls[0]) if tls else None,
                            ssl_keyfile=str(tls[1]) if tls else None)
    return uvicorn.Server(config)


def start_sandbox_thread(settings: Settings, port: int = 0, db_path: Path | None = None,
                         secrets: Secrets | None = None, host: str = "127.0.0.1",
                         timeout: float = 10.0,
                         tls: tuple[Path, Path] | None = None) -> SandboxHandle:
    """Serve the sandbox from a daemon thread; returns once it accepts connections.

    ``tls=(certfile, keyfile)`` serves HTTPS (tests of the client's TLS verification).
    """
    sandbox = build_sandbox(settings, db_path, secrets)
    sock = _listen(host, port)
    admin_sock = _listen("127.0.0.1", 0)
    actual = sock.getsockname()[1]
    sandbox.asgi.admin_ports.add(admin_sock.getsockname()[1])
    server = _server(sandbox, tls, log_level="warning", access_log=False,
                     timeout_keep_alive=30)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock, admin_sock]},
                              name=f"sandbox:{actual}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("sandbox did not start")
        time.sleep(0.01)
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if tls is not None else "http"
    admin_url = f"{scheme}://127.0.0.1:{admin_sock.getsockname()[1]}"
    return SandboxHandle(f"{scheme}://{shown}:{actual}", actual, sandbox.store, sandbox.faults,
                         admin_url, sandbox.admin_token, sandbox.asgi, server, thread)


def serve_forever(settings: Settings, host: str, port: int, db_path: Path | None = None,
                  admin_port: int = 0, tls: tuple[Path, Path] | None = None,
                  token_file: Path | None = None) -> None:
    """Run in the foreground until interrupted (the ``kiosk sandbox`` command). The
    admin token is written to ``token_file`` (0600) for the demo and the tests."""
    sandbox = build_sandbox(settings, db_path)
    sock = _listen(host, port)
    admin_sock = _listen("127.0.0.1", admin_port)
    sandbox.asgi.admin_ports.add(admin_sock.getsockname()[1])
    # The token file and the admin access file live there: make it (0700) if missing.
    ensure_dir(settings.data_dir, "the data directory", mode=0o700)
    if token_file is not None:
        with private_umask():
            token_file.write_text(sandbox.admin_token + "\n", encoding="utf-8")
        token_file.chmod(0o600)
    write_admin_access(settings.data_dir, f"{'https' if tls else 'http'}://127.0.0.1:"
                       f"{admin_sock.getsockname()[1]}", sandbox.admin_token)
    print(f"admin API on http://127.0.0.1:{admin_sock.getsockname()[1]} "
          f"(token in {token_file})", flush=True)
    _server(sandbox, tls, log_level="info").run(sockets=[sock, admin_sock])
