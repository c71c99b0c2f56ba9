"""Our small layer over pyscard's low-level ``smartcard.scard`` API.

:class:`PcscContext` owns one PC/SC context and re-establishes it after the service
went away (pcsc-lite: once pcscd died, the old context fails forever while
``SCardIsValidContext`` still says it is valid; only a new context recovers).
:class:`CardSession` is one connection to a card, with ``transmit(apdu) -> (data, sw)``,
the callable the card profiles are written against.

pcsc-lite serialises calls on one context, and a blocked ``SCardGetStatusChange`` holds
it: the watcher and the card readers therefore each own their own :class:`PcscContext`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from smartcard import scard

from kiosk.devices.pcsc.errors import CardError, CardErrorKind, error_for_code
from kiosk.logs import get_logger

log = get_logger("kiosk.devices.pcsc")

SCARD_S_SUCCESS = 0
PNP_READER = "\\\\?PnP?\\Notification"
_NO_READERS = 0x8010002E
_RESET_CARD = 0x80100068  # SCARD_W_RESET_CARD
_PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
REMOVAL_GRACE_MS = 600  # only spent on a failed exchange, to tell "removed" from "failed"


def _u32(code: int) -> int:
    return code & 0xFFFFFFFF


@dataclass(frozen=True)
class ReaderState:
    """What ``SCardGetStatusChange`` said about one reader."""

    name: str
    event_state: int
    atr: bytes

    @property
    def present(self) -> bool:
        return bool(self.event_state & scard.SCARD_STATE_PRESENT) and not bool(
            self.event_state & scard.SCARD_STATE_MUTE)


class PcscContext:
    """Owner of one ``SCARDCONTEXT``; every call maps failures to :class:`CardError`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ctx: int | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def establish(self) -> int:
        """The current context, establishing one if needed (raises service_down)."""
        with self._lock:
            if self._ctx is None:
                hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
                if _u32(hr) != SCARD_S_SUCCESS:
                    raise error_for_code(hr, "establish context")
                self._ctx = ctx
            return self._ctx

    def release(self) -> None:
        """Drop the context (after a service failure a new one must be made)."""
        with self._lock:
            ctx, self._ctx = self._ctx, None
        if ctx is not None:
            try:
                scard.SCardReleaseContext(ctx)
            except Exception:  # noqa: BLE001 - a dead context may refuse; nothing to do
                pass

    def cancel(self) -> None:
        """Wake a blocked ``SCardGetStatusChange`` on this context (thread-safe)."""
        ctx = self._ctx
        if ctx is not None:
            try:
                scard.SCardCancel(ctx)
            except Exception:  # noqa: BLE001
                pass

    def _check(self, hr: int, what: str) -> None:
        hr = _u32(hr)
        if hr == SCARD_S_SUCCESS:
            return
        err = error_for_code(hr, what)
        if err.kind is CardErrorKind.service_down:
            self.release()
        raise err

    # -- calls -------------------------------------------------------------------------
    def list_readers(self) -> list[str]:
        """Reader names; an empty list when none is connected."""
        ctx = self.establish()
        hr, readers = scard.SCardListReaders(ctx, [])
        if _u32(hr) == _NO_READERS:
            return []
        self._check(hr, "list readers")
        return list(readers)

    def get_status_change(self, timeout_ms: int,
                          states: list[tuple[str, int]]) -> list[ReaderState] | None:
        """Block until a state differs from ``states`` (or timeout → None)."""
        ctx = self.establish()
        hr, result = scard.SCardGetStatusChange(ctx, timeout_ms, states)
        if _u32(hr) == 0x8010000A:  # SCARD_E_TIMEOUT
            return None
        self._check(hr, "get status change")
        return [ReaderState(name, ev, bytes(atr)) for name, ev, atr in result]

    def reader_state(self, reader: str) -> ReaderState:
        """The current state of one reader, without blocking."""
        got = self.get_status_change(0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if not got:
            raise CardError(CardErrorKind.comm_failed, "no reader state")
        return got[0]

    def wait_present(self, reader: str, timeout_s: float) -> ReaderState:
        """Wait until a card is present in ``reader`` (raises no_card on timeout)."""
        state = self.reader_state(reader)
        if state.present:
            return state
        current = state.event_state & ~scard.SCARD_STATE_CHANGED
        got = self.get_status_change(int(timeout_s * 1000), [(reader, current)])
        while got:
            st = got[0]
            if st.present:
                return st
            if st.event_state & scard.SCARD_STATE_UNKNOWN:
                raise CardError(CardErrorKind.no_reader, "reader gone")
            current = st.event_state & ~scard.SCARD_STATE_CHANGED
            got = self.get_status_change(int(timeout_s * 1000), [(reader, current)])
        raise CardError(CardErrorKind.no_card, "no card inserted")

    def connect(self, reader: str) -> CardSession:
        """Connect to the card in ``reader`` (exclusive: the kiosk is the only user)."""
        ctx = self.establish()
        share = scard.SCARD_SHARE_EXCLUSIVE
        hr, hcard, protocol = scard.SCardConnect(ctx, reader, share, _PROTOCOLS)
        if _u32(hr) == 0x8010000B:  # sharing violation: someone else has it; share then
            share = scard.SCARD_SHARE_SHARED
            hr, hcard, protocol = scard.SCardConnect(ctx, reader, share, _PROTOCOLS)
        self._check(hr, "connect")
        return CardSession(self, reader, hcard, protocol, share)


class CardSession:
    """A connected card. ``transmit`` is what profiles use; counts APDUs for the bench.

    A card reset under the session (``SCARD_W_RESET_CARD``: another program or the
    reader reset it) is handled as OpenSC does: the session reconnects, leaving the card
    as it is, and the exchange fails with ``card_reset``; the command is not sent again,
    since what it relied on (a selected file, a verified PIN) went with the reset. The
    caller starts its operation over, or says so.
    """

    def __init__(self, owner: PcscContext, reader: str, hcard: int, protocol: int,
                 share: int = scard.SCARD_SHARE_EXCLUSIVE) -> None:
        self.owner = owner
        self.reader = reader
        self._hcard: int | None = hcard
        self._protocol = protocol
        self._share = share
        self.apdu_count = 0
        self.resets = 0  # card resets seen (and reconnected after)

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        """Send one C-APDU; return (data, status word). Raises :class:`CardError`."""
        if self._hcard is None:
            raise CardError(CardErrorKind.comm_failed, "session closed")
        self.apdu_count += 1
        hr, resp = scard.SCardTransmit(self._hcard, self._protocol, list(apdu))
        if _u32(hr) != SCARD_S_SUCCESS:
            raise self._explain(hr)
        if len(resp) < 2:
            # vpcd (and some readers) answer "success, no bytes" when the card vanished.
            raise self._removed_or(CardError(CardErrorKind.comm_failed, "short response"))
        return bytes(resp[:-2]), (resp[-2] << 8) | resp[-1]

    def _explain(self, hr: int) -> CardError:
        """On an unclear transmit failure, ask whether the card is still there
        (OpenSC's rule): say "removed" rather than "failed" when it is gone."""
        err = error_for_code(hr, "transmit")
        log.info("transmit failed", extra={"fields": {"reader": self.reader,
                                                       "raw_code": f"0x{_u32(hr):08X}"}})
        if err.kind is CardErrorKind.card_reset:
            return self._reconnect(err)
        if err.kind is CardErrorKind.service_down:
            self.owner.release()
            return err
        if err.kind is CardErrorKind.comm_failed:
            return self._removed_or(err)
        return err

    def _removed_or(self, err: CardError) -> CardError:
        """``card_removed`` if the card is gone (or goes within a moment: pcscd learns
        of a removal on its next poll of the reader), else ``err``."""
        try:
            state = self.owner.reader_state(self.reader)
            if state.present:
                current = state.event_state & ~scard.SCARD_STATE_CHANGED
                got = self.owner.get_status_change(REMOVAL_GRACE_MS, [(self.reader, current)])
                if got:
                    state = got[0]
        except CardError:
            return err
        if not state.present:
            return CardError(CardErrorKind.card_removed, err.detail, raw_code=err.raw_code)
        return err

    def _reconnect(self, reset: CardError) -> CardError:
        """After a card reset: connect again (``SCARD_LEAVE_CARD``: no second reset),
        so the session works for a fresh start; ``reset`` is what the caller gets, or
        why reconnecting failed (the card was taken out meanwhile)."""
        self.resets += 1
        if self._hcard is None:
            return reset
        hr, protocol = scard.SCardReconnect(self._hcard, self._share, _PROTOCOLS,
                                            scard.SCARD_LEAVE_CARD)
        if _u32(hr) != SCARD_S_SUCCESS:
            log.info("reconnect after a card reset failed", extra={"fields": {
                "reader": self.reader, "raw_code": f"0x{_u32(hr):08X}"}})
            return self._removed_or(error_for_code(hr, "reconnect after a card reset"))
        self._protocol = protocol
        log.info("card reset: reconnected", extra={"fields": {"reader": self.reader}})
        return reset

    @property
    def atr(self) -> bytes:
        if self._hcard is None:
            return b""
        hr, _reader, _state, _proto, atr = scard.SCardStatus(self._hcard)
        return bytes(atr) if _u32(hr) == SCARD_S_SUCCESS else b""

    def close(self, reset: bool = False) -> None:
        """Disconnect. ``reset``: the reader resets the card (``SCARD_RESET_CARD``), so
        no security state (a verified PIN) outlives this session."""
        hcard, self._hcard = self._hcard, None
        if hcard is not None:
            how = scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD
            try:
                scard.SCardDisconnect(hcard, how)
            except Exception:  # noqa: BLE001 - card or service already gone
                pass

    def __enter__(self) -> CardSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
