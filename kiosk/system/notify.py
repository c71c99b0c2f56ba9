"""systemd's notify protocol (``Type=notify``, ``WatchdogSec=``), without libsystemd.

A message is one datagram of ``KEY=value`` lines to the AF_UNIX socket named by
``NOTIFY_SOCKET`` (a leading ``@`` means Linux's abstract namespace). The kiosk sends:

- ``READY=1`` once the first frame is on screen (not when the process starts: systemd
  must not call the kiosk up while the screen is still black);
- ``WATCHDOG=1`` from a Kivy ``Clock`` callback at half of ``WATCHDOG_USEC``: the pings
  come from the UI thread's main loop, so a frozen UI thread stops them and systemd
  kills and restarts the kiosk;
- ``STOPPING=1`` when the app stops.

Without ``NOTIFY_SOCKET`` (a developer's shell, tests) every call does nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

from kiosk.logs import error_fields, get_logger

log = get_logger("kiosk.system.notify")


def socket_address(name: str) -> str:
    """The address to send to: ``@x`` is the abstract name ``\\0x``."""
    return "\0" + name[1:] if name.startswith("@") else name


class Notifier:
    """Sends notify messages to the service manager, if there is one."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET", "")
        self.watchdog_seconds = self._watchdog(env)

    @staticmethod
    def _watchdog(env: Mapping[str, str]) -> float:
        """Seconds between pings (half the watchdog period), 0 = no watchdog. A
        ``WATCHDOG_PID`` naming another process means the watchdog is not ours."""
        pid = env.get("WATCHDOG_PID", "")
        if pid and pid != str(os.getpid()):
            return 0.0
        try:
            usec = int(env.get("WATCHDOG_USEC", "0"))
        except ValueError:
            return 0.0
        return usec / 2 / 1_000_000 if usec > 0 else 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *lines: str) -> bool:
        """Send one message; False (logged once per failure) if it could not be sent."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.sendto("\n".join(lines).encode(), socket_address(self.address))
        except OSError as exc:
            log.warning("sd_notify failed", extra={"fields": error_fields(exc)})
            return False
        return True


def attach_to_app(app: Any, notifier: Notifier | None = None) -> Notifier:
    """READY=1 after the app's first frame, WATCHDOG=1 from its Clock, STOPPING=1 on stop.
    Call before ``app.run()``."""
    from kivy.clock import Clock  # lazy: Kivy must be configured before it loads
    from kivy.core.window import Window

    notifier = notifier or Notifier()
    if not notifier.enabled:
        return notifier

    def ping(_dt: float) -> None:
        notifier.send("WATCHDOG=1")

    def first_frame(*_: Any) -> None:
        Window.unbind(on_flip=first_frame)
        notifier.send("READY=1", "STATUS=start screen shown")
        if notifier.watchdog_seconds:
            ping(0)
            Clock.schedule_interval(ping, notifier.watchdog_seconds)

    def started(*_: Any) -> None:
        Window.bind(on_flip=first_frame)

    app.bind(on_start=started, on_stop=lambda *_: notifier.send("STOPPING=1"))
    log.info("sd_notify on", extra={"fields": {"watchdog_s": notifier.watchdog_seconds}})
    return notifier
