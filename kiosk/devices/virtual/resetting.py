"""A card reset under the kiosk, on the real pcscd: the ``SCARD_W_RESET_CARD`` path.

On a terminal a card is reset under the kiosk's connection by another program that holds
it shared (a vendor's middleware or tool) or by the reader itself. pcscd then answers the
kiosk's next call on that card with ``SCARD_W_RESET_CARD``, and keeps doing so until the
kiosk reconnects. Both halves are real here, pcscd and vpcd:

- :class:`ResettingCard` wraps a virtual card: it logs what it is sent (APDUs, resets:
  so a test can see that nothing was replayed after a reset) and can hold the reader at
  APDU number ``at`` until :attr:`~ResettingCard.gate` is set;
- :class:`OtherProgram` is that other PC/SC client: it connects shared (the kiosk, which
  asks for the card exclusively, then shares it too) and resets the card with
  ``SCardReconnect(..., SCARD_RESET_CARD)``; :meth:`OtherProgram.reset_during` does so
  while the kiosk is held inside an exchange, so the reset lands mid-read.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from smartcard import scard

from kiosk.devices.pcsc.errors import error_for_code
from kiosk.devices.virtual.vpcd import VirtualCard

_PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1


class ResettingCard:
    """A virtual card (any :class:`VirtualCard`) that logs and can be held."""

    def __init__(self, card: VirtualCard, at: int | None = None) -> None:
        self.card = card
        self.atr = card.atr
        self.at = at
        self.apdus = 0
        self.log: list[str] = []  # "reset", or the hex of each C-APDU answered
        self.reached = threading.Event()  # APDU ``at`` arrived (and is held)
        self.gate = threading.Event()  # set: APDU ``at`` is answered

    def reset(self) -> None:
        """Power-on or reset from the reader: the card forgets its state."""
        self.log.append("reset")
        self.card.reset()

    def process(self, apdu: bytes) -> bytes | None:
        self.apdus += 1
        if self.apdus == self.at and not self.gate.is_set():
            self.reached.set()
            self.gate.wait(10)
        self.log.append(apdu.hex())
        return self.card.process(apdu)

    def after_last_reset(self) -> list[str]:
        """The APDUs the card was sent since it was last reset."""
        last = max((i for i, e in enumerate(self.log) if e == "reset"), default=-1)
        return self.log[last + 1:]


class OtherProgram:
    """Another PC/SC client holding the card in ``reader`` shared (its own context)."""

    def __init__(self, reader: str) -> None:
        self.reader = reader
        hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != scard.SCARD_S_SUCCESS:
            raise error_for_code(hr, "other program: establish context")
        hr, self._card, _protocol = scard.SCardConnect(
            ctx, reader, scard.SCARD_SHARE_SHARED, _PROTOCOLS)
        if hr != scard.SCARD_S_SUCCESS:
            scard.SCardReleaseContext(ctx)
            raise error_for_code(hr, "other program: connect")
        self._ctx: int | None = ctx

    def reset_card(self) -> None:
        """Reset the card (pcscd tells every other handle on it: SCARD_W_RESET_CARD)."""
        hr, _protocol = scard.SCardReconnect(self._card, scard.SCARD_SHARE_SHARED,
                                             _PROTOCOLS, scard.SCARD_RESET_CARD)
        if hr != scard.SCARD_S_SUCCESS:
            raise error_for_code(hr, "other program: reset")

    def reset_during(self, card: ResettingCard, timeout: float = 10.0) -> None:
        """With the kiosk held at ``card``'s APDU ``at``: ask pcscd for the reset, and
        once that request waits for the reader (the kiosk's exchange holds it), let the
        held APDU go. The reset then comes before the kiosk's next exchange."""
        if not card.reached.wait(timeout):
            raise TimeoutError(f"the card was not held at APDU {card.at}")
        failed: list[BaseException] = []

        def reset() -> None:
            try:
                self.reset_card()
            except BaseException as exc:  # handed to the caller
                failed.append(exc)

        worker = threading.Thread(target=reset, name="other-program-reset", daemon=True)
        worker.start()
        _wait_blocked_on_pcscd(worker, timeout)
        card.gate.set()
        worker.join(timeout)
        if failed:
            raise failed[0]
        if worker.is_alive():
            raise TimeoutError("the other program's reset did not finish")

    def close(self) -> None:
        """Let the card go (as it is) and end the context; a second call does nothing."""
        if self._ctx is None:
            return
        ctx, self._ctx = self._ctx, None
        scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(ctx)


def _wait_blocked_on_pcscd(thread: threading.Thread, timeout: float) -> None:
    """Until ``thread`` waits in ``poll`` for pcscd's answer (its request is sent), read
    from the kernel's view of the thread; where that is not readable, go on at once."""
    wchan = Path(f"/proc/self/task/{thread.native_id}/wchan")
    pause = threading.Event()  # never set: a bounded pause between two looks
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and thread.is_alive():
        try:
            if "poll" in wchan.read_text():
                return
        except OSError:
            return
        pause.wait(0.005)
