"""Demo mode: the real stack with virtual parts, all on this machine.

Starts a private ``pcscd`` with the vpcd driver (``<data_dir>/pcscd``), the virtual card
slots (driven with ``kiosk card insert PERSONA`` from another terminal) and the sandbox
central service on the loopback address of ``central.base_url``. The kiosk then talks
to them exactly as to real readers and a real service.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kiosk.cli.common import CliError
from kiosk.config import Settings
from kiosk.logs import get_logger

log = get_logger("kiosk.demo")


@dataclass
class DemoServices:
    """What demo mode started; :meth:`stop` ends all of it, in reverse order."""

    parts: list[Any] = field(default_factory=list)
    sandbox_url: str = ""
    vpcd_port: int = 0

    def stop(self) -> None:
        for part in reversed(self.parts):
            with contextlib.suppress(Exception):
                part.stop()
        self.parts.clear()


def point_at_demo_pcscd(settings: Settings) -> bool:
    """Use the running demo's private pcscd, unless PC/SC is already pointed somewhere.
    True when the environment was changed."""
    import os

    from kiosk.devices.virtual.pcscd import SOCKET_ENV

    sock = settings.data_dir / "pcscd" / "run" / "pcscd.comm"
    if os.environ.get(SOCKET_ENV) or not sock.exists():
        return False
    os.environ[SOCKET_ENV] = str(sock)
    return True


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
    from kiosk.devices.virtual.pcscd import PcscdError, PrivatePcscd
    from kiosk.devices.virtual.slots import start_virtual_slots

    services = DemoServices()
    try:
        if sandbox:
            from kiosk.central.sandbox.server import start_sandbox_thread

            host, port = sandbox_address(settings)
            try:
                handle = start_sandbox_thread(settings, port=port, host=host)
            except OSError as exc:
                raise CliError(f"demo: cannot serve the sandbox on {host}:{port} "
                               f"({exc.strerror}); is another kiosk demo running?") from None
            services.parts.append(handle)
            services.sandbox_url = handle.url
            from kiosk.central.sandbox.fleet_access import write_admin_access

            write_admin_access(settings.data_dir, handle.admin_url, handle.admin_token)
        if pcsc:
            daemon = PrivatePcscd(settings.data_dir / "pcscd")
            try:
                daemon.start()
            except PcscdError as exc:
                raise CliError(f"demo: {exc}") from None
            daemon.use()
            services.parts.append(daemon)
            services.vpcd_port = daemon.vpcd_port
            services.parts.append(start_virtual_slots(settings, daemon.vpcd_port))
    except BaseException:
        services.stop()
        raise
    log.info("demo services up", extra={"fields": {"sandbox": services.sandbox_url,
                                                   "vpcd_port": services.vpcd_port}})
    return services
