"""Headphone jack detection: is a plug in the terminal's headphone socket?

Two signals Linux gives, tried in this order by ``access.headphone_jack = "auto"``:

- **ALSA jack control** (``iface=CARD,name='Headphone Jack'``, HDA and most USB codecs):
  read with ``amixer cget``, then followed with ``amixer events`` (a blocking stream: no
  polling, no CPU while nothing happens).
- **evdev switch** ``SW_HEADPHONE_INSERT`` (SoC codecs, some laptops' "Headphone" input
  device): ``EVIOCGSW`` for the state at start, then ``struct input_event`` records read
  from the device as they come. Reading needs the ``input`` group.

Where neither exists the hardware gives no jack signal: :func:`find_jack_source` answers
None and diagnostics says so (the terminal must then be bought with jack detection, see
docs/accessibility.md). A test drives the evdev path with a FIFO that speaks the same
``input_event`` records (the fake jack source); ``amixer`` is a configurable command.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Settings
from kiosk.devices.events import JackState
from kiosk.logs import get_logger
from kiosk.system.priority import background_thread

log = get_logger("kiosk.devices.jack")

EV_SW = 0x05
SW_HEADPHONE_INSERT = 0x02
SW_MAX = 0x10
# struct input_event on 64-bit Linux: struct timeval (2 x long), __u16 type, __u16 code,
# __s32 value.
INPUT_EVENT = struct.Struct("llHHi")
_IOC_READ = 2


def _ioc(direction: int, kind: int, number: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (kind << 8) | number


def eviocgsw(length: int) -> int:
    """``EVIOCGSW(len)``: the switches' state bits."""
    return _ioc(_IOC_READ, ord("E"), 0x1B, length)


def eviocgbit(ev: int, length: int) -> int:
    """``EVIOCGBIT(ev, len)``: which codes of event type ``ev`` a device has."""
    return _ioc(_IOC_READ, ord("E"), 0x20 + ev, length)


Listener = Callable[[JackState], None]


def _bit(buf: bytes, n: int) -> bool:
    return bool(buf[n // 8] & (1 << (n % 8))) if n // 8 < len(buf) else False


class EvdevJack:
    """``SW_HEADPHONE_INSERT`` of an evdev device (or a FIFO speaking its records)."""

    kind = "evdev"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def where(self) -> str:
        return str(self.path)

    def initial(self, fd: int) -> JackState:
        """The switch state now (``EVIOCGSW``); UNKNOWN when the fd cannot say (a FIFO)."""
        buf = bytearray(SW_MAX // 8 + 1)
        try:
            fcntl.ioctl(fd, eviocgsw(len(buf)), buf, True)
        except OSError:
            return JackState.UNKNOWN
        return JackState.PLUGGED if _bit(bytes(buf), SW_HEADPHONE_INSERT) else \
            JackState.UNPLUGGED

    def follow(self, emit: Listener, stop: threading.Event) -> None:
        """Emit the state at start and at every switch event, until ``stop`` or EOF."""
        fd = os.open(self.path, os.O_RDONLY)
        try:
            emit(self.initial(fd))
            pending = b""
            while not stop.is_set():
                chunk = os.read(fd, INPUT_EVENT.size * 16)
                if not chunk:
                    return  # the device went away (or the fake writer closed)
                pending += chunk
                while len(pending) >= INPUT_EVENT.size:
                    record, pending = pending[:INPUT_EVENT.size], pending[INPUT_EVENT.size:]
                    _s, _us, ev_type, code, value = INPUT_EVENT.unpack(record)
                    if ev_type == EV_SW and code == SW_HEADPHONE_INSERT:
                        emit(JackState.PLUGGED if value else JackState.UNPLUGGED)
        finally:
            os.close(fd)


def has_headphone_switch(path: Path) -> bool:
    """Whether an evdev device reports ``SW_HEADPHONE_INSERT`` (False if unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        buf = bytearray(SW_MAX // 8 + 1)
        fcntl.ioctl(fd, eviocgbit(EV_SW, len(buf)), buf, True)
        return _bit(bytes(buf), SW_HEADPHONE_INSERT)
    except OSError:
        return False
    finally:
        os.close(fd)


_CONTROL = re.compile(r"numid=(\d+),iface=CARD,name='([^']*Headphone[^']*Jack[^']*)'")
_VALUE = re.compile(r":\s*values=(on|off)")


class AlsaJack:
    """An ALSA jack control, through ``amixer`` (alsa-utils)."""

    kind = "alsa"

    def __init__(self, card: str, control: str, amixer: str = "amixer") -> None:
        self.card, self.control, self.amixer = card, control, amixer

    @property
    def where(self) -> str:
        return f"card {self.card}: {self.control}"

    def read(self) -> JackState:
        """The control's value now."""
        try:
            out = subprocess.run([self.amixer, "-c", self.card, "cget",
                                  f"iface=CARD,name={self.control}"], capture_output=True,
                                 text=True, timeout=5, check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return JackState.UNKNOWN
        found = _VALUE.search(out)
        if found is None:
            return JackState.UNKNOWN
        return JackState.PLUGGED if found.group(1) == "on" else JackState.UNPLUGGED

    def follow(self, emit: Listener, stop: threading.Event) -> None:
        """Emit the state now and after every control event of the card."""
        emit(self.read())
        proc = subprocess.Popen([self.amixer, "-c", self.card, "events"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if stop.is_set():
                    return
                if self.control in line or "iface=CARD" in line:
                    emit(self.read())
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    @classmethod
    def find(cls, card: str = "", amixer: str = "amixer") -> AlsaJack | None:
        """The first card's headphone jack control (only ``card`` when given)."""
        if not shutil.which(amixer):
            return None
        cards = [card] if card else _alsa_cards()
        for c in cards:
            try:
                out = subprocess.run([amixer, "-c", c, "controls"], capture_output=True,
                                     text=True, timeout=5, check=False).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            found = _CONTROL.search(out)
            if found:
                return cls(c, found.group(2), amixer)
        return None


def _alsa_cards(root: Path = Path("/proc/asound")) -> list[str]:
    try:
        return sorted(p.name[4:] for p in root.iterdir()
                      if p.name.startswith("card") and p.name[4:].isdigit())
    except OSError:
        return []


JackSource = AlsaJack | EvdevJack


def find_jack_source(settings: Settings, input_dir: Path = Path("/dev/input")
                     ) -> JackSource | None:
    """The configured (or found) source of the jack signal; None when the hardware gives
    none, or ``access.headphone_jack = "none"``."""
    kind, device = settings.access.headphone_jack, settings.access.headphone_device
    if kind == "none":
        return None
    if kind in ("auto", "alsa"):
        alsa = AlsaJack.find(device if kind == "alsa" else "")
        if alsa is not None or kind == "alsa":
            return alsa
    if kind == "evdev" and device:
        return EvdevJack(device)
    try:
        candidates = sorted(input_dir.glob("event*"))
    except OSError:
        candidates = []
    for path in candidates:
        if has_headphone_switch(path):
            return EvdevJack(path)
    return None


class JackWatcher:
    """Follows one source on a daemon thread and calls ``on_change`` with each new state
    (on that thread: hop to the UI thread yourself). A source that ends or fails leaves
    the state UNKNOWN; the watcher retries it every ``retry_seconds``."""

    def __init__(self, source: JackSource, on_change: Listener,
                 retry_seconds: float = 5.0) -> None:
        self.source = source
        self.on_change = on_change
        self.retry_seconds = retry_seconds
        self.state = JackState.UNKNOWN
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start following (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="jack", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop at the next event (the thread is a daemon: a blocked read ends with us)."""
        self._stop.set()
        self._thread = None

    def _emit(self, state: JackState) -> None:
        if state != self.state:
            self.state = state
            log.info("headphones", extra={"fields": {"state": state.value,
                                                      "source": self.source.kind}})
            try:
                self.on_change(state)
            except Exception as exc:  # the listener's bug must not end the watch
                log.error("jack listener failed", extra={"fields": {
                    "error": type(exc).__name__}})

    def _run(self) -> None:
        background_thread()
        while not self._stop.is_set():
            try:
                self.source.follow(self._emit, self._stop)
            except OSError as exc:
                log.warning("jack source failed", extra={"fields": {
                    "source": self.source.kind, "error": type(exc).__name__}})
            self._emit(JackState.UNKNOWN)
            self._stop.wait(self.retry_seconds)


def probe_jack(settings: Settings, live: JackWatcher | None = None) -> dict[str, str]:
    """What diagnostics says about headphone detection: ``kind`` (alsa, evdev, or
    ``none`` when the hardware gives no jack signal or it is switched off), ``where``,
    ``state`` (plugged, unplugged, unknown) and the ``setting``. ``live`` = the app's
    watcher (its state now); without one the source is read once."""
    setting = settings.access.headphone_jack
    source = live.source if live is not None else find_jack_source(settings)
    if source is None:
        return {"kind": "none", "where": "", "state": JackState.UNKNOWN.value,
                "setting": setting}
    if live is not None:
        state = live.state
    elif isinstance(source, AlsaJack):
        state = source.read()
    else:
        try:
            fd = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            state = JackState.UNKNOWN
        else:
            try:
                state = source.initial(fd)
            finally:
                os.close(fd)
    return {"kind": source.kind, "where": source.where, "state": state.value,
            "setting": setting}
