"""Demo mode: the real stack with virtual parts, all on this machine.

Starts a private ``pcscd`` with the vpcd driver (``<data_dir>/pcscd``), the virtual card
slots (driven with ``kiosk card insert PERSONA`` from another terminal) and the sandbox
central service on the loopback address of ``central.base_url``, and the virtual QR
scanner (``kiosk card scan PERSONA``) when ``cards.qr_scanner_port = "virtual"``. The
kiosk then talks to them exactly as to real readers and a real service.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from kiosk.config import Settings
from kiosk.devices.virtual.pcscd import SOCKET_ENV, PcscdError, PrivatePcscd
from kiosk.errors import CliError
from kiosk.logs import error_fields, get_logger

if TYPE_CHECKING:  # the sandbox is imported only when the demo serves it (FastAPI is heavy)
    from kiosk.central.sandbox.server import SandboxHandle

log = get_logger("kiosk.demo")
SUPERVISE_EVERY_S = 0.5   # how often the demo looks at its pcscd


class PcscdSupervisor:
    """Restarts the demo's private pcscd when it dies (a kill -9, a crash): production
    has systemd's socket activation for that, the demo has this thread. The daemon is
    started from this long-lived thread (it is bound to its starter's life)."""

    def __init__(self, daemon: PrivatePcscd) -> None:
        self.daemon = daemon
        self.restarts = 0
        self._stop = threading.Event()
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-pcscd", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start the daemon (in the supervising thread) and wait for it."""
        self._thread.start()
        if not self._started.wait(timeout):
            raise CliError("demo: pcscd did not start in time")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            self.daemon.start()
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        while not self._stop.wait(SUPERVISE_EVERY_S):
            if self.daemon.running:
                continue
            log.warning("demo pcscd died: restarting")
            try:
                self.daemon.start()
                self.restarts += 1
            except Exception as exc:  # try again next round
                log.error("demo pcscd restart failed", extra={"fields": error_fields(exc)})

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.daemon.stop()


class Stoppable(Protocol):
    """One of the demo's running parts."""

    def stop(self) -> None:
        """End it and free what it holds."""


@dataclass
class DemoServices:
    """What demo mode started; :meth:`stop` ends all of it, in reverse order."""

    parts: list[Stoppable] = field(default_factory=list)
    sandbox_url: str = ""
    vpcd_port: int = 0
    pcscd: PrivatePcscd | None = None            # the private pcscd (demo with PC/SC)
    supervisor: PcscdSupervisor | None = None    # its supervisor

    def stop(self) -> None:
        for part in reversed(self.parts):
            with contextlib.suppress(Exception):
                part.stop()
        self.parts.clear()


def point_at_demo_pcscd(settings: Settings) -> bool:
    """Use a running demo's private pcscd (its socket under the data dir), unless PC/SC is
    already pointed somewhere.
    True when the environment was changed."""
    sock = settings.data_dir / "pcscd" / "run" / "pcscd.comm"
    if os.environ.get(SOCKET_ENV) or not sock.exists():
        return False
    os.environ[SOCKET_ENV] = str(sock)
    return True


def demo_running(settings: Settings) -> bool:
    """True when a demo's private pcscd answers on this data dir's socket."""
    sock = settings.data_dir / "pcscd" / "run" / "pcscd.comm"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(str(sock))
        except OSError:
            return False
    return True


def join_running_demo(settings: Settings) -> Settings:
    """Settings of a command started next to a running demo: demo mode (its secrets)
    and its pcscd; unchanged when no demo runs here."""
    if not (settings.kiosk.demo or demo_running(settings)):
        return settings
    point_at_demo_pcscd(settings)
    return replace(settings, kiosk=replace(settings.kiosk, demo=True))


def sandbox_address(settings: Settings) -> tuple[str, int]:
    """Host and port the demo sandbox listens on: those of ``central.base_url``, which
    must be a loopback address in demo mode (the demo never serves other hosts)."""
    url = urlsplit(settings.central.base_url)
    host = url.hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise CliError(f"demo mode needs central.base_url on 127.0.0.1, got {host!r}", 2)
    return ("127.0.0.1" if host == "localhost" else host), url.port or 80


def start_demo_services(settings: Settings, *, pcsc: bool = True,
                        sandbox: bool = True) -> DemoServices:
    """Start the private pcscd, the virtual card slots and the sandbox for the demo."""
    # lazy: the virtual cards cost ~35 ms, which every `kiosk` command would pay (cli.common)
    from kiosk.devices.virtual.slots import start_virtual_slots

    services = DemoServices()
    handle: SandboxHandle | None = None
    try:
        if sandbox:
            # lazy: FastAPI and uvicorn are heavy, and only the sandbox needs them
            from kiosk.central.sandbox.server import start_sandbox_thread

            host, port = sandbox_address(settings)
            try:
                handle = start_sandbox_thread(settings, port=port, host=host)
            except OSError as exc:
                raise CliError(f"demo: cannot serve the sandbox on {host}:{port} "
                               f"({exc.strerror}); is another kiosk demo running?") from None
            services.parts.append(handle)
            services.sandbox_url = handle.url
            # lazy: with the sandbox (no kiosk.central.sandbox module without one)
            from kiosk.central.sandbox.fleet_access import write_admin_access

            write_admin_access(settings.data_dir, handle.admin_url, handle.admin_token)
        if pcsc:
            # A private network namespace: vpcd listens on all interfaces of it, and it
            # has only loopback (docs/pcsc.md: why not vpcd's reverse mode).
            daemon = PrivatePcscd(settings.data_dir / "pcscd", private_net=True)
            supervisor = PcscdSupervisor(daemon)
            try:
                supervisor.start()
            except PcscdError as exc:
                raise CliError(f"demo: {exc}") from None
            daemon.use()
            services.parts.append(supervisor)
            services.pcscd = daemon
            services.supervisor = supervisor
            services.vpcd_port = daemon.vpcd_port
            services.parts.append(start_virtual_slots(settings, daemon.vpcd_port,
                                                      netns=daemon.netns_path))
        from kiosk.devices.virtual.scanner import start_virtual_scanner  # lazy: as the slots

        scanner = start_virtual_scanner(settings, handle)
        if scanner is not None:  # `kiosk card scan PERSONA` (cards.qr_scanner_port = virtual)
            services.parts.append(scanner)
    except BaseException:
        services.stop()
        raise
    log.info("demo services up", extra={"fields": {"sandbox": services.sandbox_url,
                                                   "vpcd_port": services.vpcd_port}})
    return services
