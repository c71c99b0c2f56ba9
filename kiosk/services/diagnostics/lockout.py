"""The technician PIN lock-out: escalating, on a monotonic clock, kept across restarts.

Rules:

- ``max_attempts`` wrong PINs in a row lock entry. The first lock-out lasts
  ``base_seconds``; each further one before a right PIN doubles it, up to
  :data:`MAX_LOCK_SECONDS` (a day). A right PIN resets everything. With the defaults (3
  tries, 300 s) that is 3 guesses per 5 min, then 10, 20, 40 min … — about 30 guesses in
  the first day instead of ~860, and fewer every day after.
- ``alert_after`` wrong PINs since the last right one raise an alert: the metrics gauge
  ``kiosk_technician_pin_alert`` and :attr:`LockoutStatus.alert` (the status a fleet
  heartbeat reads, :func:`lockout_status`).

Time: only the monotonic clock counts; the wall clock can be set by anyone with a
keyboard and the right menu. A monotonic reading means nothing in another boot, so the
state file (0600, in the data directory) keeps the Linux boot id next to it::

    {"version": 2, "boot_id": "…", "locked_at": <monotonic>, "lock_seconds": 600,
     "remaining": 412, "failures": 7, "round_failures": 1, "lockouts": 2}

Same boot (the app restarted): the lock ends at ``locked_at + lock_seconds`` exactly.
Another boot (power cut, reboot): the time the machine was off cannot be known, so the
lock runs for the ``remaining`` seconds saved last, counted from now — a reboot can make a
lock-out longer, never shorter. ``remaining`` is saved on every change and every refused
try. A state file that exists but cannot be read fails closed: one ``base_seconds`` lock.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from kiosk import metrics
from kiosk.config import Settings
from kiosk.logs import get_logger

log = get_logger("kiosk.services.diagnostics.lockout")

LOCK_FILE = "technician-lockout.json"
MAX_LOCK_SECONDS = 86_400
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
STATE_VERSION = 2


def current_boot_id() -> str:
    """This boot's id ("" when the system does not say: then every start counts as a
    new boot, which only ever lengthens a lock-out)."""
    try:
        return BOOT_ID_FILE.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def alert_threshold(max_attempts: int) -> int:
    """Wrong PINs since the last right one that raise the alert: two full rounds (a
    technician who mistypes once a round is not an attack; a second lock-out is)."""
    return 2 * max_attempts


@dataclass(frozen=True)
class LockoutStatus:
    """Non-secret state of technician entry, for the metrics and a fleet heartbeat."""

    locked: bool
    locked_seconds: int
    failures: int  # wrong PINs since the last right one
    lockouts: int  # lock-outs since the last right one
    alert: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class PinLockout:
    """Counts wrong PINs and decides lock-outs; persisted in ``path`` (0600)."""

    def __init__(self, path: Path, *, max_attempts: int, base_seconds: int,
                 alert_after: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 boot_id: Callable[[], str] = current_boot_id,
                 max_seconds: int = MAX_LOCK_SECONDS) -> None:
        self.path = path
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds
        self.max_seconds = max(max_seconds, base_seconds)
        self.alert_after = alert_after or alert_threshold(max_attempts)
        self._clock, self._boot_id = clock, boot_id
        self._lock = threading.Lock()
        self.failures = 0
        self.round_failures = 0
        self.lockouts = 0
        self._locked_at = 0.0
        self._lock_seconds = 0
        self._load()

    # -- persistence ---------------------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return  # the usual case: never locked
        except OSError:
            raw = ""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                raise ValueError("unknown state")
            self.failures = max(0, int(data["failures"]))
            self.round_failures = max(0, int(data["round_failures"]))
            self.lockouts = max(0, int(data["lockouts"]))
            lock_seconds = min(max(0, int(data["lock_seconds"])), self.max_seconds)
            remaining = min(max(0.0, float(data["remaining"])), float(lock_seconds))
            now = self._clock()
            boot = self._boot_id()
            if boot and data.get("boot_id") == boot:
                # Same boot: the monotonic clock goes on; never more than the lock itself.
                end = float(data["locked_at"]) + lock_seconds
                remaining = min(max(0.0, end - now), float(lock_seconds))
            self._locked_at, self._lock_seconds = now - (lock_seconds - remaining), lock_seconds
        except (ValueError, TypeError, KeyError, OverflowError):
            log.warning("technician lock-out state unreadable: locking (fail closed)")
            self._locked_at, self._lock_seconds = self._clock(), self.base_seconds

    def _save(self) -> None:
        state = {"version": STATE_VERSION, "boot_id": self._boot_id(),
                 "locked_at": self._locked_at, "lock_seconds": self._lock_seconds,
                 "remaining": self._remaining_exact(), "failures": self.failures,
                 "round_failures": self.round_failures, "lockouts": self.lockouts}
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                os.fchmod(fh.fileno(), 0o600)  # an old tmp file may have had another mode
                fh.write(json.dumps(state))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not open the door: the memory copy holds
            log.warning("lock-out state not saved", extra={"fields": {"error": exc.strerror}})

    # -- queries ---------------------------------------------------------------------------
    def _remaining_exact(self) -> float:
        if not self._lock_seconds:
            return 0.0
        return max(0.0, self._locked_at + self._lock_seconds - self._clock())

    def remaining(self) -> int:
        """Seconds until a PIN may be tried again (0: not locked)."""
        with self._lock:
            return int(self._remaining_exact() + 0.999)

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_attempts - self.round_failures)

    def status(self) -> LockoutStatus:
        left = self.remaining()
        return LockoutStatus(left > 0, left, self.failures, self.lockouts,
                             self.failures >= self.alert_after)

    # -- changes ---------------------------------------------------------------------------
    def refused(self) -> int:
        """A try while locked: not checked, not counted; the remaining time is saved (so a
        reboot restarts from here). Returns the seconds left."""
        with self._lock:
            self._save()
        left = self.remaining()
        self._publish(failed=False)
        return left

    def success(self) -> None:
        """A right PIN: everything starts afresh."""
        with self._lock:
            self.failures = self.round_failures = self.lockouts = 0
            self._locked_at, self._lock_seconds = 0.0, 0
            self._save()
        self._publish(failed=False)

    def failure(self) -> int:
        """A wrong PIN. Returns the lock-out in seconds it started (0: none)."""
        started = 0
        with self._lock:
            self._expire()
            self.failures += 1
            self.round_failures += 1
            if self.round_failures >= self.max_attempts:
                self.lockouts += 1
                started = min(self.base_seconds * 2 ** min(self.lockouts - 1, 30),
                              self.max_seconds)
                self._locked_at, self._lock_seconds = self._clock(), started
                self.round_failures = 0
            self._save()
        if started:
            log.warning("technician PIN locked", extra={"fields": {
                "seconds": started, "lockouts": self.lockouts, "failures": self.failures}})
        self._publish(failed=True, lockout_started=bool(started))
        return started

    def _expire(self) -> None:
        """A lock-out that has run out gives a fresh round of attempts (the count of
        lock-outs stays: the next one is longer)."""
        if self._lock_seconds and self._remaining_exact() <= 0:
            self.round_failures, self._lock_seconds, self._locked_at = 0, 0, 0.0

    def _publish(self, *, failed: bool, lockout_started: bool = False) -> None:
        st = self.status()
        metrics.technician_pin(failed=failed, locked_seconds=st.locked_seconds,
                               alert=st.alert, lockout_started=lockout_started)


def lockout_for(settings: Settings, state_dir: Path | None = None, *,
                clock: Callable[[], float] = time.monotonic,
                boot_id: Callable[[], str] = current_boot_id) -> PinLockout:
    """The terminal's lock-out, from ``diagnostics.max_pin_attempts`` and
    ``diagnostics.lockout_seconds``; the state file lives in the data directory."""
    cfg = settings.diagnostics
    return PinLockout((state_dir or settings.data_dir) / LOCK_FILE,
                      max_attempts=cfg.max_pin_attempts, base_seconds=cfg.lockout_seconds,
                      clock=clock, boot_id=boot_id)


def lockout_status(settings: Settings) -> dict[str, object]:
    """The technician entry status as plain data (for a heartbeat): read from the state
    file, nothing written. ``{"locked", "locked_seconds", "failures", "lockouts",
    "alert"}``."""
    return lockout_for(settings).status().to_dict()
