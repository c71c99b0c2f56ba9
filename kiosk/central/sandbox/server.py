"""Running the sandbox: in a thread (tests, demo runner, bench) or in the foreground (CLI).

``start_sandbox_thread(settings, port=0, db_path=...)`` binds 127.0.0.1 itself (port 0 =
a free port chosen by the kernel, so parallel test sessions never collide), runs uvicorn
in a daemon thread and returns a :class:`SandboxHandle` once it accepts connections.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import uvicorn

from kiosk.central.sandbox.app import create_app
from kiosk.central.sandbox.faults import FaultInjector, Faults
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.store import SandboxStore
from kiosk.config import Settings
from kiosk.secrets import Secrets, load_secrets
from kiosk.storage import StorageError, ensure_dir, reason


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
    """The assembled service: store, fault switches and the ASGI app to serve."""

    store: SandboxStore
    faults: Faults
    asgi: Any


def build_sandbox(settings: Settings, db_path: Path | None = None,
                  secrets: Secrets | None = None) -> Sandbox:
    """Store seeded from the personas, regional rules from ``settings.region``, the
    terminal key from the secrets file both sides read in demo mode."""
    secrets = secrets or load_secrets(settings)
    db = db_path or default_db_path(settings)
    ensure_dir(db.parent, "the sandbox database directory")
    try:
        store = SandboxStore(db, RegionalRules.from_settings(settings))
    except (OSError, sqlite3.Error) as exc:
        raise StorageError("cannot open the sandbox database", db, reason(exc)) from None
    faults = Faults()
    app = create_app(store, {settings.kiosk.terminal_id: secrets.terminal_key},
                     float(settings.central.max_clock_skew_seconds), faults)
    return Sandbox(store, faults, FaultInjector(app, faults))


@dataclass
class SandboxHandle:
    """A running sandbox. ``url`` is its base URL; ``stop()`` shuts it down."""

    url: str
    port: int
    store: SandboxStore
    faults: Faults
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call an ``/admin`` endpoint (unsigned, loopback) and return its JSON."""
        kwargs.setdefault("verify", False)  # loopback admin, also on a TLS test sandbox
        resp = requests.request(method, f"{self.url}/admin{path}", timeout=10, **kwargs)
        resp.raise_for_status()
        return resp.json()

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


def start_sandbox_thread(settings: Settings, port: int = 0, db_path: Path | None = None,
                         secrets: Secrets | None = None, host: str = "127.0.0.1",
                         timeout: float = 10.0,
                         tls: tuple[Path, Path] | None = None) -> SandboxHandle:
    """Serve the sandbox from a daemon thread; returns once it accepts connections.

    ``tls=(certfile, keyfile)`` serves HTTPS (tests of the client's TLS verification).
    """
    sandbox = build_sandbox(settings, db_path, secrets)
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP; without it every keep-alive answer waits ~40 ms
    # for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    actual = sock.getsockname()[1]
    tls_args: dict[str, Any] = {}
    if tls is not None:
        tls_args = {"ssl_certfile": str(tls[0]), "ssl_keyfile": str(tls[1])}
    config = uvicorn.Config(sandbox.asgi, log_level="warning", access_log=False,
                            timeout_keep_alive=30, lifespan="off",
                            timeout_graceful_shutdown=1, **tls_args)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
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
    return SandboxHandle(f"{scheme}://{shown}:{actual}", actual, sandbox.store, sandbox.faults,
                         server, thread)


def serve_forever(settings: Settings, host: str, port: int, db_path: Path | None = None
                  ) -> None:
    """Run in the foreground until interrupted (the ``kiosk sandbox`` command)."""
    sandbox = build_sandbox(settings, db_path)
    uvicorn.run(sandbox.asgi, host=host, port=port, log_level="info", lifespan="off")
