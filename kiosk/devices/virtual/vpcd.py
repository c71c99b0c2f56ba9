"""Virtual cards on the vpcd socket protocol (vsmartcard's ``vpcd`` reader driver).

The card is the TCP *client*: connecting to the reader's port = inserting the card,
closing the socket = removing it. Messages both ways are a 2-byte big-endian length then
the payload. From vpcd, a 1-byte payload is a control message (0 power off, 1 power on,
2 reset, 4 "send your ATR"); anything longer is a C-APDU, answered with an R-APDU.

Latency: ``TCP_NODELAY`` and ``TCP_QUICKACK`` re-armed after every ``recv`` (Linux
clears QUICKACK by itself), else each APDU stalls ~40 ms on delayed ACKs.
When pcscd restarts, vpcd's listening socket goes with it: an inserted card reconnects
with a short back-off until it is removed.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from collections.abc import Callable
from typing import Protocol

from kiosk.logs import get_logger

log = get_logger("kiosk.devices.virtual")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4


class VirtualCard(Protocol):
    """What a virtual card implements."""

    atr: bytes

    def reset(self) -> None:
        """Power-on / reset: back to the initial selection state."""

    def process(self, apdu: bytes) -> bytes | None:
        """Answer one C-APDU with an R-APDU (data + SW), or None to be pulled out."""


def _quickack(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except (OSError, AttributeError):  # not Linux: nothing to re-arm
        pass


class VpcdSlot:
    """One vpcd reader slot on ``host:port`` that a :class:`VirtualCard` can sit in."""

    def __init__(self, port: int, host: str = "127.0.0.1", name: str = "slot",
                 netns: Callable[[], str | None] | None = None) -> None:
        self.host, self.port, self.name = host, port, name
        self.netns = netns  # the reader's network namespace (a private pcscd), if any
        self._card: VirtualCard | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._gen = 0  # bumps on every insert/remove so an old thread knows to quit
        self.connected = threading.Event()

    @property
    def card(self) -> VirtualCard | None:
        return self._card

    def insert(self, card: VirtualCard) -> None:
        """Put ``card`` in the slot (replacing any card there)."""
        self.remove()
        with self._lock:
            self._gen += 1
            self._card = card
            gen = self._gen
            self.connected.clear()
            self._thread = threading.Thread(target=self._run, args=(gen, card),
                                            name=f"vpcd-{self.name}", daemon=True)
            self._thread.start()

    def remove(self) -> None:
        """Take the card out (close the socket; vpcd reports the card absent)."""
        with self._lock:
            self._gen += 1
            self._card = None
            sock, self._sock = self._sock, None
            thread, self._thread = self._thread, None
        self.connected.clear()
        if sock is not None:
            _close(sock)
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)

    def _connect(self, gen: int) -> socket.socket | None:
        delay = 0.02
        stop = threading.Event()
        while gen == self._gen:
            try:
                ns = self.netns() if self.netns is not None else None
                sock = (connect_in_netns(ns, self.host, self.port) if ns
                        else socket.create_connection((self.host, self.port), timeout=1.0))
            except OSError:
                # vpcd not listening (pcscd down or restarting): retry until removed.
                stop.wait(delay)
                delay = min(delay * 2, 0.5)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _quickack(sock)
            with self._lock:
                if gen != self._gen:
                    _close(sock)
                    return None
                self._sock = sock
            self.connected.set()
            return sock
        return None

    def _run(self, gen: int, card: VirtualCard) -> None:
        while gen == self._gen:
            sock = self._connect(gen)
            if sock is None:
                return
            try:
                pulled = self._serve(sock, card)
            except OSError:
                pulled = False
            self.connected.clear()
            _close(sock)
            with self._lock:
                if self._sock is sock:
                    self._sock = None
                if pulled and gen == self._gen:
                    # The card pulled itself out (pulled_mid_read persona).
                    self._card = None
                    self._gen += 1
                    return

    def _serve(self, sock: socket.socket, card: VirtualCard) -> bool:
        """Answer vpcd until the socket closes. True when the card pulled itself out."""
        while True:
            head = _recv_exact(sock, 2)
            if head is None:
                return False
            msg = _recv_exact(sock, int.from_bytes(head, "big"))
            if msg is None:
                return False
            if len(msg) == 1:
                ctrl = msg[0]
                if ctrl in (CTRL_ON, CTRL_RESET):
                    card.reset()
                elif ctrl == CTRL_ATR:
                    _send(sock, card.atr)
                continue
            answer = card.process(msg)
            if answer is None:
                return True
            _send(sock, answer)


CLONE_NEWNET = 0x40000000


def connect_in_netns(ns_path: str, host: str, port: int, timeout: float = 1.0
                     ) -> socket.socket:
    """A TCP connection made inside the network namespace ``ns_path``.

    ``setns`` moves only the calling thread, so a short-lived thread enters the namespace
    and makes the socket; the socket stays in that namespace whoever uses it."""
    result: list[socket.socket | BaseException] = []

    def work() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(ns_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    err = ctypes.get_errno()
                    raise OSError(err, os.strerror(err), ns_path)
            finally:
                os.close(fd)
            result.append(socket.create_connection((host, port), timeout=timeout))
        except BaseException as exc:  # handed to the caller's thread
            result.append(exc)

    t = threading.Thread(target=work, name="vpcd-netns", daemon=True)
    t.start()
    t.join(timeout + 2.0)
    if not result:
        raise TimeoutError(f"no connection in {ns_path} within {timeout} s")
    if isinstance(result[0], BaseException):
        if isinstance(result[0], OSError):
            raise result[0]
        raise OSError(str(result[0]))
    return result[0]


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        _quickack(sock)  # Linux drops QUICKACK after a while: re-arm after every recv
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
