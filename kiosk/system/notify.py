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

Under ``kiosk.service`` the app does not talk to systemd directly: the session runner
(the main PID) binds its own socket for the app and relays the messages
(:class:`NotifyRelay`, ``NotifyAccess=main``), only the four kinds the app may send. (It
began as a work-around: with ``PAMName=``, since removed, the app sat in a logind session
scope and systemd dropped what it sent itself.)
"""

from __future__ import annotations

import os
import select
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.logs import error_fields, get_logger

if TYPE_CHECKING:  # Kivy is imported once it is configured (attach_to_app)
    from kivy.app import App

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


# What the app may say; anything else (MAINPID=, FDSTORE=, …) is dropped.
RELAYED = ("READY=", "WATCHDOG=", "STOPPING=", "STATUS=")


class NotifyRelay:
    """A datagram socket at ``path`` whose ``READY/WATCHDOG/STOPPING/STATUS`` lines are
    sent on through ``upstream`` from this process (see the module docstring)."""

    def __init__(self, upstream: Notifier, path: Path) -> None:
        self.upstream, self.path = upstream, path
        path.unlink(missing_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.bind(str(path))
        self._closed = threading.Event()
        self.ready = threading.Event()   # READY=1 came through (the runner clears it)
        self._thread = threading.Thread(target=self._run, name="notify-relay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            # A bounded wait; close() ends the loop once nothing is left (STOPPING=1, sent
            # just before the app exits, still goes through).
            if not select.select([self.sock], [], [], 0.5)[0]:
                if self._closed.is_set():
                    return
                continue
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            lines = [line for line in data.decode("utf-8", "replace").splitlines()
                     if line.startswith(RELAYED)]
            if lines:
                if "READY=1" in lines:
                    self.ready.set()
                self.upstream.send(*lines)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(2.0)
        self.sock.close()
        self.path.unlink(missing_ok=True)


def attach_to_app(app: App, notifier: Notifier | None = None) -> Notifier:
    """READY=1 after the app's first frame, WATCHDOG=1 from its Clock, STOPPING=1 on stop.
    Call before ``app.run()``."""
    from kivy.clock import Clock  # lazy: Kivy must be configured before it loads
    from kivy.core.window import Window

    notifier = notifier or Notifier()
    if not notifier.enabled:
        return notifier

    def ping(_dt: float) -> None:
        notifier.send("WATCHDOG=1")

    def first_frame(*_: object) -> None:
        Window.unbind(on_flip=first_frame)
        notifier.send("READY=1", "STATUS=start screen shown")
        if notifier.watchdog_seconds:
            ping(0)
            Clock.schedule_interval(ping, notifier.watchdog_seconds)

    def started(*_: object) -> None:
        Window.bind(on_flip=first_frame)

    app.bind(on_start=started, on_stop=lambda *_: notifier.send("STOPPING=1"))
    log.info("sd_notify on", extra={"fields": {"watchdog_s": notifier.watchdog_seconds}})
    return notifier
