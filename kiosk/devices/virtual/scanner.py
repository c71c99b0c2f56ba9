"""A virtual 2D scanner on a pseudo-terminal, for the demo and the tests.

It behaves like a USB-CDC scanner: :meth:`VirtualScanner.scan` sends a code and a CR
suffix, in one write or in pieces (partial reads); :meth:`~VirtualScanner.unplug` closes
the pty master (the reading side sees the tty hang up, as when a USB cable is pulled)
and :meth:`~VirtualScanner.replug` makes a new pty behind the same stable link
(``link``, as a udev ``/dev/serial/by-id`` link would be). Point
``cards.qr_scanner_port`` at the link (``"virtual"`` = ``<data_dir>/virtual-scanner``).

A control socket (``<data_dir>/virtual-scanner.sock``, JSON lines) lets ``kiosk card
scan`` drive it from another terminal: ``{"cmd": "scan", "persona": "normal",
"expired": false, "reuse": false}`` asks ``issue`` (in the demo: the sandbox's admin
side) for a code and scans it; ``{"cmd": "scan", "text": "..."}`` scans any text
(a foreign QR code); ``unplug``/``replug``/``status``. Replies never contain the code.
"""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kiosk.config import Settings
from kiosk.devices.scanner import VIRTUAL_PORT, virtual_scanner_path
from kiosk.devices.scanner.framing import code_digest
from kiosk.devices.virtual.control import ControlServer, Message
from kiosk.logs import get_logger

log = get_logger("kiosk.devices.virtual.scanner")

SOCKET_NAME = "virtual-scanner.sock"
# (persona, expired, reuse) -> a code issued for that persona's e-SSC.
Issuer = Callable[[str, bool, bool], str]


class VirtualScanner:
    """A scanner on a pty behind the stable link ``link``."""

    def __init__(self, link: Path, issue: Issuer | None = None) -> None:
        self.link = Path(link)
        self.issue = issue
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self.scans = 0
        self._control = ControlServer(self.handle, "virtual-scanner")
        self.replug()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    # -- the device --------------------------------------------------------------------
    def replug(self) -> None:
        """Plug in (again): a new pty, the link pointed at it."""
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(os.ttyname(slave))
            tmp.replace(self.link)  # atomic: a reader never sees no link while plugged
            self._master, self._slave = master, slave

    def unplug(self) -> None:
        """Pull the cable: the pty hangs up and the link goes."""
        with self._lock:
            master, slave, self._master, self._slave = self._master, self._slave, None, None
            self.link.unlink(missing_ok=True)
        for fd in (master, slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def write(self, data: bytes) -> None:
        """Raw bytes as the scanner would send them (tests: garbage, no suffix)."""
        with self._lock:
            if self._master is None:
                raise OSError("virtual scanner unplugged")
            os.write(self._master, data)

    def scan(self, text: str | bytes, *, pieces: int = 1, pause: float = 0.0,
             suffix: bytes = b"\r") -> None:
        """Send a code and its suffix, split in ``pieces`` writes ``pause`` s apart."""
        data = (text.encode("utf-8") if isinstance(text, str) else text) + suffix
        step = max(1, -(-len(data) // max(1, pieces)))
        for i in range(0, len(data), step):
            if i and pause:
                time.sleep(pause)
            self.write(data[i:i + step])
        self.scans += 1

    # -- control socket ----------------------------------------------------------------
    def handle(self, req: Message) -> Message:
        """One control request → reply (also used by tests). Never echoes a code."""
        cmd = req.get("cmd")
        try:
            if cmd == "scan":
                text = req.get("text")
                if text is None:
                    if self.issue is None:
                        return {"ok": False, "error": "no code issuer (is the sandbox up?)"}
                    text = self.issue(str(req.get("persona", "")), bool(req.get("expired")),
                                      bool(req.get("reuse")))
                text = str(text)
                self.scan(text)
                log.info("virtual scan", extra={"fields": {"chars": len(text),
                                                           "code_hash": code_digest(text)}})
                return {"ok": True, "chars": len(text), "code_hash": code_digest(text),
                        **self.status()}
            if cmd == "unplug":
                self.unplug()
            elif cmd == "replug":
                self.replug()
            elif cmd != "status":
                return {"ok": False, "error": f"unknown command {cmd!r}"}
        except (KeyError, ValueError, OSError) as exc:
            return {"ok": False, "error": str(exc).strip("'\"")}
        except Exception as exc:  # noqa: BLE001 - the issuer's failure, told once
            return {"ok": False, "error": f"could not issue a code: {exc}"}
        return {"ok": True, **self.status()}

    def status(self) -> Message:
        return {"plugged": self.plugged, "port": str(self.link), "scans": self.scans}

    def serve(self, path: Path) -> None:
        """Serve the control protocol on a Unix socket at ``path`` (0600)."""
        self._control.serve(path)

    @property
    def socket_path(self) -> Path | None:
        return self._control.socket_path

    def stop(self) -> None:
        self._control.stop()
        self.unplug()


def scanner_socket_path(data_dir: Path) -> Path:
    return data_dir / SOCKET_NAME


class SandboxAdmin(Protocol):
    """The sandbox's admin side, as the issuer calls it (``SandboxHandle.admin``)."""

    def admin(self, method: str, path: str, *, json: object = None) -> object: ...


def sandbox_issuer(sandbox: SandboxAdmin) -> Issuer:
    """An issuer asking the sandbox's admin side (a ``SandboxHandle``) for a code:
    ``expired`` = already past its lifetime, ``reuse`` = already used elsewhere."""

    def issue(persona: str, expired: bool, reuse: bool) -> str:
        try:
            reply = sandbox.admin("POST", "/essc/codes", json={
                "persona": persona, "expired": expired, "used": reuse})
            if not isinstance(reply, dict):
                raise TypeError("the reply is not an object")  # told below, as any failure
            return str(reply["code"])
        except Exception as exc:  # noqa: BLE001 - requests' HTTPError etc., told in one line
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status == 404:
                raise ValueError(f"persona {persona!r} has no e-SSC") from None
            raise ValueError(f"the sandbox did not issue a code ({type(exc).__name__})"
                             ) from None

    return issue


def start_virtual_scanner(settings: Settings,
                          sandbox: SandboxAdmin | None = None) -> VirtualScanner | None:
    """The demo's scanner, when ``cards.qr_scanner_port = "virtual"``: a pty behind
    ``<data_dir>/virtual-scanner``, its control socket served; codes from ``sandbox``."""

    cards = settings.cards
    if cards.qr_scanner != "serial" or cards.qr_scanner_port != VIRTUAL_PORT:
        return None  # a real scanner is configured, or none
    scanner = VirtualScanner(virtual_scanner_path(settings),
                             sandbox_issuer(sandbox) if sandbox is not None else None)
    scanner.serve(scanner_socket_path(settings.data_dir))
    return scanner
