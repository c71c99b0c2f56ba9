"""Technician entry, Kivy-free: the hidden gesture, the PIN with lock-out, idle exit.

1. :class:`CornerHold` watches touches on the attract screen: a press held for
   ``HOLD_SECONDS`` (3 s) inside the top-right corner (a square of ``CORNER_FRACTION``
   of the shorter side) opens the PIN pad. Moving out of the corner cancels.
2. :class:`TechnicianAccess` checks the PIN against the stored hash (never the PIN),
   allows ``diagnostics.max_pin_attempts`` wrong tries, then locks entry for
   ``diagnostics.lockout_seconds``, doubling with each further lock-out until a right
   PIN (:mod:`.lockout`: monotonic clock, kept across restarts and reboots, an alert in
   the metrics after repeated failures, a status for the fleet heartbeat).
   Or, where ``diagnostics.technician_card_atrs`` lists technician cards, such a card
   on a reader while the attract screen shows (:func:`card_opens_pin`). The card only
   replaces the gesture: the PIN is still required (two factors; an ATR is easy to copy).
3. While inside, every touch calls :meth:`TechnicianAccess.touch`; after
   ``diagnostics.idle_seconds`` without one, :meth:`idle_expired` says to leave. Leaving
   returns the kiosk to the attract screen (the UI's job).

Times come from an injectable monotonic clock (tests); the wall clock is never used.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kiosk.config import Settings
from kiosk.logs import get_logger
from kiosk.secrets import verify_pin
from kiosk.services.diagnostics.lockout import (
    LOCK_FILE,
    LockoutStatus,
    current_boot_id,
    lockout_for,
)

log = get_logger("kiosk.services.diagnostics.access")

HOLD_SECONDS = 3.0
CORNER_FRACTION = 0.12
__all__ = ["LOCK_FILE", "CornerHold", "PinOutcome", "PinResult", "TechnicianAccess",
           "card_opens_pin"]


class CornerHold:
    """Detects a long press in the top-right corner. Coordinates are window pixels
    with y growing upwards (Kivy's convention)."""

    def __init__(self, hold_seconds: float = HOLD_SECONDS,
                 fraction: float = CORNER_FRACTION) -> None:
        self.hold_seconds = hold_seconds
        self.fraction = fraction
        self._since: float | None = None
        self._fired = False

    def in_corner(self, x: float, y: float, width: float, height: float) -> bool:
        side = min(width, height) * self.fraction
        return x >= width - side and y >= height - side

    def down(self, x: float, y: float, width: float, height: float, now: float) -> None:
        """A finger went down."""
        self._fired = False
        self._since = now if self.in_corner(x, y, width, height) else None

    def move(self, x: float, y: float, width: float, height: float) -> None:
        """The finger moved: leaving the corner cancels the hold."""
        if self._since is not None and not self.in_corner(x, y, width, height):
            self._since = None

    def up(self) -> None:
        """The finger lifted."""
        self._since = None

    def poll(self, now: float) -> bool:
        """True once when the hold has lasted long enough (call from a timer)."""
        if self._since is not None and not self._fired and now - self._since >= self.hold_seconds:
            self._fired = True
            self._since = None
            return True
        return False


def card_opens_pin(*, screen: str, overlay_open: bool, journey: str, inside: bool) -> bool:
    """Whether a technician card just presented opens the PIN pad: only on the attract
    screen with nothing over it, no cardholder journey under way, and no technician
    already inside. Anywhere else the card does nothing (it is never read either)."""
    return screen == "attract" and not overlay_open and journey in ("", "none") \
        and not inside


class PinOutcome(StrEnum):
    GRANTED = "granted"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class PinResult:
    outcome: PinOutcome
    attempts_left: int
    locked_seconds: int = 0  # seconds until entry is possible again (when locked)


class TechnicianAccess:
    """PIN check with escalating, persisted lock-outs; idle timeout inside."""

    def __init__(self, settings: Settings, pin_hash: str, *,
                 clock: Callable[[], float] = time.monotonic,
                 boot_id: Callable[[], str] = current_boot_id,
                 state_dir: Path | None = None) -> None:
        self.idle_seconds = settings.diagnostics.idle_seconds
        self._hash = pin_hash
        self._clock = clock
        self.lockout = lockout_for(settings, state_dir, clock=clock, boot_id=boot_id)
        self._active = False
        self._last_touch = 0.0

    # -- entry ---------------------------------------------------------------------------
    @property
    def max_attempts(self) -> int:
        return self.lockout.max_attempts

    def locked_seconds(self) -> int:
        """Seconds until a PIN may be tried again (0: not locked)."""
        return self.lockout.remaining()

    @property
    def attempts_left(self) -> int:
        return self.lockout.attempts_left

    def status(self) -> LockoutStatus:
        """Lock-out and alert state, no secrets (metrics, fleet heartbeat)."""
        return self.lockout.status()

    def verify(self, pin: str) -> PinResult:
        """Check a PIN. Locked: refused without checking. The PIN is never logged."""
        if self.lockout.remaining():
            return PinResult(PinOutcome.LOCKED, 0, self.lockout.refused())
        if verify_pin(pin, self._hash):
            self.lockout.success()
            self._active = True
            self._last_touch = self._clock()
            log.info("technician entered")
            return PinResult(PinOutcome.GRANTED, self.max_attempts)
        locked = self.lockout.failure()
        if locked:
            return PinResult(PinOutcome.LOCKED, 0, locked)
        log.info("technician PIN wrong", extra={"fields": {"left": self.attempts_left}})
        return PinResult(PinOutcome.WRONG, self.attempts_left)

    # -- inside ----------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._active

    def touch(self) -> None:
        """Any technician activity: restarts the idle timer."""
        self._last_touch = self._clock()

    def idle_left(self) -> float:
        """Seconds until the idle timeout (0 when not inside)."""
        if not self._active:
            return 0.0
        return max(0.0, self.idle_seconds - (self._clock() - self._last_touch))

    def idle_expired(self) -> bool:
        """True when inside and idle for ``idle_seconds``: the UI must :meth:`leave`."""
        return self._active and self.idle_left() <= 0

    def leave(self) -> None:
        """Leave diagnostics (button or timeout)."""
        if self._active:
            log.info("technician left")
        self._active = False
