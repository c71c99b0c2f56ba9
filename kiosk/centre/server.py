"""Running the centre: N worker processes on one port, or one in a thread (tests).

``serve`` binds the public address once with ``SO_REUSEPORT`` to fix the port (port 0
becomes a free one) and keeps that socket bound but not listening: a socket that does
not listen is not in the port's reuseport group and is given no connections; it only
holds the port while workers come and go. Then it starts N workers
(``python -m kiosk.centre.worker``), each binding its own listening socket on the same
host and port with ``SO_REUSEPORT``: the kernel hands each new connection to one of the
listening sockets by a hash of its addresses, so connections are spread across the
workers. (One socket shared by all workers does not spread them: asyncio accepts a
burst of connections per wake-up, so whichever worker wakes first takes a load
balancer's whole pool of kept-alive connections, and N workers serve on one core.)
The operators' admin socket is small traffic and stays one socket, bound and listening
in the parent and inherited by every worker.

Each worker holds its own database pool and janitor. A worker that dies is started
again; SIGTERM stops them all. Workers share nothing but PostgreSQL: killing one (even
with SIGKILL) loses only the requests it was answering and the connections still waiting
in its own accept queue (the kernel resets those), which the terminals retry with the
same idempotency keys; the other workers' queues are untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

import requests
import uvicorn
from pydantic import JsonValue
from starlette.types import ASGIApp

from kiosk.central.sandbox.faults import Faults
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.server import _listen
from kiosk.centre.backend import CentreBackend
from kiosk.centre.janitor import Janitor
from kiosk.centre.rollouts import Rollouts
from kiosk.centre.service import Centre, CentreConfig, CentreGate, build_centre
from kiosk.logs import get_logger

log = get_logger("kiosk.centre.server")
CONFIG_ENV = "KIOSK_CENTRE_WORKER"
QUICK_DEATH_SECONDS = 10.0
MAX_QUICK_DEATHS = 5
BACKLOG = 64  # each worker's own accept queue (the sandbox's _listen uses the same)


def config_to_env(config: CentreConfig) -> str:
    """A worker's configuration, passed in its environment (no secrets in it: the
    master key is a file path; the database URL names no password when the cluster
    uses peer or certificate authentication)."""
    data: dict[str, object] = asdict(config)
    data["master_key_file"] = str(config.master_key_file)
    data["data_dir"] = str(config.data_dir)
    data["rules"] = asdict(config.rules)
    return json.dumps(data)


def config_from_env(text: str) -> CentreConfig:
    """The inverse of :func:`config_to_env`."""
    data: object = json.loads(text)
    if not isinstance(data, dict):  # config_to_env writes an object
        raise ValueError(f"{CONFIG_ENV} holds no worker configuration")
    data["master_key_file"] = Path(data["master_key_file"])
    data["data_dir"] = Path(data["data_dir"])
    data["rules"] = RegionalRules(**data["rules"])
    return CentreConfig(**data)


def uvicorn_server(app: ASGIApp, *, log_level: str, access_log: bool) -> uvicorn.Server:
    """uvicorn as the sandbox runs it: no proxy headers, no server header."""
    return uvicorn.Server(uvicorn.Config(app, lifespan="off", proxy_headers=False,
                                         server_header=False, timeout_graceful_shutdown=2,
                                         timeout_keep_alive=75, log_level=log_level,
                                         access_log=access_log))


@dataclass
class CentreHandle:
    """A centre served from a thread (tests): the sandbox handle's shape."""

    url: str
    port: int
    store: CentreBackend
    faults: Faults
    admin_url: str
    admin_token: str = field(repr=False)
    gate: CentreGate = field(repr=False)
    centre: Centre = field(repr=False)
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _janitor: Janitor = field(repr=False)

    def admin(self, method: str, path: str, *, json: object = None,
              params: Mapping[str, str | int] | None = None) -> JsonValue:
        """Call an ``/admin`` endpoint with the harness operator's token (its JSON: the
        harness's own replies, which a caller narrows to what it asked for)."""
        resp = requests.request(method, f"{self.admin_url}/admin{path}", timeout=20,
                                headers={"Authorization": f"Bearer {self.admin_token}"},
                                json=json, params=params)
        resp.raise_for_status()
        reply: JsonValue = resp.json()
        return reply

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and close the pool."""
        self._janitor.stop()
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout)
        with contextlib.suppress(Exception):
            self.store.db.close()


def start_centre_thread(config: CentreConfig, admin_token: str, port: int = 0,
                        timeout: float = 20.0) -> CentreHandle:
    """Serve one worker from a daemon thread; returns once it accepts connections."""
    centre = build_centre(config)
    sock, admin_sock = _listen("127.0.0.1", port), _listen("127.0.0.1", 0)
    centre.asgi.admin_ports.add(admin_sock.getsockname()[1])
    server = uvicorn_server(centre.asgi, log_level="warning", access_log=False)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock, admin_sock]},
                              name="centre", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the centre did not start")
        time.sleep(0.01)
    janitor = Janitor(centre.backend.db, Rollouts(centre.backend.db, centre.backend.fleet,
                                                  centre.operators),
                      config.max_skew, config.retention_days, every=1.0).start()
    actual = sock.getsockname()[1]
    return CentreHandle(f"http://127.0.0.1:{actual}", actual, centre.backend, centre.faults,
                        f"http://127.0.0.1:{admin_sock.getsockname()[1]}", admin_token,
                        centre.asgi, centre, server, thread, janitor)


def reuseport_socket(host: str, port: int, *, listen: bool) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT`` (so every worker can bind
    the same port), listening or not. See the module's doc."""
    # proto=IPPROTO_TCP, as in the sandbox's _listen: asyncio sets TCP_NODELAY on
    # accepted connections only when the listening socket says TCP.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                         socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        if listen:
            sock.listen(BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def serve(config: CentreConfig, host: str, port: int, admin_host: str, admin_port: int,
          workers: int, ready: Callable[[], object] | None = None) -> int:
    """Bind, start ``workers`` processes, keep them running until SIGTERM/SIGINT."""
    # Bound, never listening: it holds the port (and fixes port 0) for the workers.
    sock = reuseport_socket(host, port, listen=False)
    admin_sock = _listen(admin_host, admin_port)
    fds = (admin_sock.fileno(),)
    env = {**os.environ, CONFIG_ENV: config_to_env(config)}
    cmd = [sys.executable, "-m", "kiosk.centre.worker", host, str(sock.getsockname()[1]),
           str(fds[0]), str(admin_sock.getsockname()[1])]
    stopping = threading.Event()
    procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(slot: int) -> None:
        procs[slot] = subprocess.Popen(cmd, env=env, pass_fds=fds)
        log.info("worker started", extra={"fields": {"slot": slot, "pid": procs[slot].pid}})

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for slot in range(workers):
        start(slot)
    print(f"kiosk-centre: {workers} workers on http://{host}:{sock.getsockname()[1]} "
          f"(operators on http://{admin_host}:{admin_sock.getsockname()[1]}); pids "
          f"{' '.join(str(p.pid) for p in procs.values())}", flush=True)
    if ready is not None:
        ready()
    started_at = {slot: time.monotonic() for slot in procs}
    quick_deaths = 0
    while not stopping.wait(0.5):
        for slot, proc in list(procs.items()):
            if proc.poll() is not None:
                log.warning("worker ended; starting it again", extra={"fields": {
                    "slot": slot, "pid": proc.pid, "code": proc.returncode}})
                # A worker that cannot even start (database gone, bad adapter) would
                # be restarted for ever: give up after a run of quick deaths.
                quick = time.monotonic() - started_at[slot] < QUICK_DEATH_SECONDS
                quick_deaths = quick_deaths + 1 if quick else 0
                if quick_deaths >= MAX_QUICK_DEATHS:
                    print("kiosk-centre: workers end as soon as they start; giving up "
                          "(see the log)", file=sys.stderr, flush=True)
                    stopping.set()
                    break
                start(slot)
                started_at[slot] = time.monotonic()
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    sock.close()
    admin_sock.close()
    return 1 if quick_deaths >= MAX_QUICK_DEATHS else 0
