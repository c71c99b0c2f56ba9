"""The one error type the card layer raises, and the one table of PC/SC codes.

::

    CardError(Exception)          .kind: CardErrorKind, .tries_left, .raw_code
      kind ∈ service_down | no_reader | no_card | card_removed | card_reset
             | comm_failed | not_ssc | unsupported_card | pin_wrong | pin_blocked

Every PC/SC return code pyscard knows is mapped in :data:`PCSC_CODE_KINDS` (a test walks
all ``SCARD_E_* / SCARD_W_* / SCARD_F_* / SCARD_P_*`` constants), so nothing reaches the
services layer as a bare integer. The screen text is the i18n key :attr:`CardError.i18n_key`
(``cards.error.<kind>`` in ``kiosk/i18n/<lang>/cards.toml``); ``str()`` is for logs and the
CLI and never carries personal data.
"""

from __future__ import annotations

from enum import StrEnum


class CardErrorKind(StrEnum):
    """The few situations the kiosk acts on differently."""

    service_down = "service_down"  # pcscd not running / restarting
    no_reader = "no_reader"  # no reader connected (or the configured one is missing)
    no_card = "no_card"  # reader present, nothing inserted
    card_removed = "card_removed"  # card pulled out during the operation
    # The card was reset during the operation (another program, or the reader): the
    # connection is made again, but what the card had been told (a selected file, a
    # verified PIN) is gone, so the operation must start over; it is never replayed.
    card_reset = "card_reset"
    comm_failed = "comm_failed"  # reader or card did not answer properly; retry may help
    # A chip card of another kind: no social security application (a bank card), or its
    # files are not in the social security card's layout (ISO 7816-4 ``6981``).
    not_ssc = "not_ssc"
    unsupported_card = "unsupported_card"  # not a card we can read, or its data is not valid
    pin_wrong = "pin_wrong"  # PIN rejected; tries_left says how many remain
    pin_blocked = "pin_blocked"  # PIN blocked: must be unblocked at a counter


class CardError(Exception):
    """A card or reader failure in the kiosk's vocabulary.

    ``raw_code`` keeps the PC/SC return code or ISO status word it came from (for
    technicians and logs); ``detail`` is a short technical note, never personal data.
    """

    def __init__(self, kind: CardErrorKind | str, detail: str = "", *,
                 tries_left: int | None = None, raw_code: int | None = None) -> None:
        self.kind = CardErrorKind(kind)
        self.detail = detail
        self.tries_left = tries_left
        self.raw_code = raw_code
        parts = [self.kind.value]
        if detail:
            parts.append(detail)
        if raw_code is not None:
            parts.append(f"code 0x{raw_code:08X}" if raw_code > 0xFFFF else f"SW {raw_code:04X}")
        if tries_left is not None:
            parts.append(f"{tries_left} tries left")
        super().__init__(": ".join(parts[:2]) + "".join(f" ({p})" for p in parts[2:]))

    @property
    def i18n_key(self) -> str:
        """Key of the plain-words message for the screen."""
        return f"cards.error.{self.kind}"

    def __reduce__(self):  # keep pickling (multiprocessing, logging queues) working
        return (_rebuild, (self.kind.value, self.detail, self.tries_left, self.raw_code))


def _rebuild(kind: str, detail: str, tries_left: int | None, raw_code: int | None) -> CardError:
    return CardError(kind, detail, tries_left=tries_left, raw_code=raw_code)


K = CardErrorKind
# PC/SC return codes (pcsc-lite / WinSCard) → kind. Codes are unsigned 32-bit.
PCSC_CODE_KINDS: dict[int, CardErrorKind] = {
    # The resource manager is gone or going.
    0x8010001D: K.service_down,  # SCARD_E_NO_SERVICE
    0x8010001E: K.service_down,  # SCARD_E_SERVICE_STOPPED
    0x80100013: K.service_down,  # SCARD_F_COMM_ERROR (what a blocked call gets when pcscd dies)
    0x80100018: K.service_down,  # SCARD_P_SHUTDOWN
    0x80100012: K.service_down,  # SCARD_E_SYSTEM_CANCELLED
    0x8010002B: K.service_down,  # SCARD_E_UNKNOWN_RES_MNG
    0x80100031: K.service_down,  # SCARD_E_SERVER_TOO_BUSY
    # Readers.
    0x8010002E: K.no_reader,  # SCARD_E_NO_READERS_AVAILABLE
    0x80100009: K.no_reader,  # SCARD_E_UNKNOWN_READER
    0x80100017: K.no_reader,  # SCARD_E_READER_UNAVAILABLE
    0x8010001A: K.no_reader,  # SCARD_E_READER_UNSUPPORTED
    0x8010001B: K.no_reader,  # SCARD_E_DUPLICATE_READER
    0x80100010: K.no_reader,  # SCARD_E_NOT_READY
    # Cards.
    0x8010000C: K.no_card,  # SCARD_E_NO_SMARTCARD
    0x80100069: K.card_removed,  # SCARD_W_REMOVED_CARD
    0x80100068: K.card_reset,  # SCARD_W_RESET_CARD (another program or the reader reset it)
    0x80100065: K.unsupported_card,  # SCARD_W_UNSUPPORTED_CARD
    0x8010001C: K.unsupported_card,  # SCARD_E_CARD_UNSUPPORTED
    0x8010000F: K.unsupported_card,  # SCARD_E_PROTO_MISMATCH
    0x80100015: K.unsupported_card,  # SCARD_E_INVALID_ATR
    0x8010000D: K.unsupported_card,  # SCARD_E_UNKNOWN_CARD
    0x80100020: K.unsupported_card,  # SCARD_E_ICC_INSTALLATION
    0x80100021: K.unsupported_card,  # SCARD_E_ICC_CREATEORDER
    0x80100023: K.unsupported_card,  # SCARD_E_DIR_NOT_FOUND
    0x80100024: K.unsupported_card,  # SCARD_E_FILE_NOT_FOUND
    0x80100025: K.unsupported_card,  # SCARD_E_NO_DIR
    0x80100026: K.unsupported_card,  # SCARD_E_NO_FILE
    0x80100029: K.unsupported_card,  # SCARD_E_BAD_SEEK
    0x80100028: K.unsupported_card,  # SCARD_E_WRITE_TOO_MANY
    0x8010002C: K.unsupported_card,  # SCARD_E_NO_SUCH_CERTIFICATE
    0x8010002D: K.unsupported_card,  # SCARD_E_CERTIFICATE_UNAVAILABLE
    0x80100030: K.unsupported_card,  # SCARD_E_NO_KEY_CONTAINER
    0x8010006D: K.unsupported_card,  # SCARD_W_EOF
    # PIN.
    0x8010006B: K.pin_wrong,  # SCARD_W_WRONG_CHV
    0x8010002A: K.pin_wrong,  # SCARD_E_INVALID_CHV
    0x8010006C: K.pin_blocked,  # SCARD_W_CHV_BLOCKED
    # Talking to the card or reader went wrong; taking the card out and retrying may help.
    0x80100001: K.comm_failed,  # SCARD_F_INTERNAL_ERROR
    0x80100002: K.comm_failed,  # SCARD_E_CANCELLED
    0x80100003: K.comm_failed,  # SCARD_E_INVALID_HANDLE
    0x80100004: K.comm_failed,  # SCARD_E_INVALID_PARAMETER
    0x80100005: K.comm_failed,  # SCARD_E_INVALID_TARGET
    0x80100006: K.comm_failed,  # SCARD_E_NO_MEMORY
    0x80100007: K.comm_failed,  # SCARD_F_WAITED_TOO_LONG
    0x80100008: K.comm_failed,  # SCARD_E_INSUFFICIENT_BUFFER
    0x8010000A: K.comm_failed,  # SCARD_E_TIMEOUT
    0x8010000B: K.comm_failed,  # SCARD_E_SHARING_VIOLATION (another program holds the card)
    0x8010000E: K.comm_failed,  # SCARD_E_CANT_DISPOSE
    0x80100011: K.comm_failed,  # SCARD_E_INVALID_VALUE
    0x80100014: K.comm_failed,  # SCARD_F_UNKNOWN_ERROR
    0x80100016: K.comm_failed,  # SCARD_E_NOT_TRANSACTED
    0x80100019: K.comm_failed,  # SCARD_E_PCI_TOO_SMALL
    0x8010001F: K.comm_failed,  # SCARD_E_UNEXPECTED / SCARD_E_UNSUPPORTED_FEATURE
    0x80100027: K.comm_failed,  # SCARD_E_NO_ACCESS
    0x8010002F: K.comm_failed,  # SCARD_E_COMM_DATA_LOST
    0x80100066: K.comm_failed,  # SCARD_W_UNRESPONSIVE_CARD (often inserted the wrong way)
    0x80100067: K.comm_failed,  # SCARD_W_UNPOWERED_CARD
    0x8010006A: K.comm_failed,  # SCARD_W_SECURITY_VIOLATION
    0x8010006E: K.comm_failed,  # SCARD_W_CANCELLED_BY_USER
    0x8010006F: K.comm_failed,  # SCARD_W_CARD_NOT_AUTHENTICATED
}


def kind_for_code(code: int) -> CardErrorKind:
    """The kind for a PC/SC return code; unknown codes count as ``comm_failed``."""
    return PCSC_CODE_KINDS.get(code & 0xFFFFFFFF, K.comm_failed)


def error_for_code(code: int, detail: str = "") -> CardError:
    """A :class:`CardError` for a failed PC/SC call, keeping the raw code."""
    code &= 0xFFFFFFFF
    return CardError(kind_for_code(code), detail, raw_code=code)


# ISO/IEC 7816-4 status words with a meaning of their own here.
SW_END_OF_RECORD = 0x6282      # warning: end of record reached before Ne bytes (data valid)
SW_VERIFY_FAILED = 0x6300      # warning: verification failed, no retry counter given
SW_WRONG_STRUCTURE = 0x6981    # command incompatible with the file's structure


def error_for_status_word(sw: int, detail: str = "") -> CardError:
    """A :class:`CardError` for an ISO 7816 status word that is not success.

    ``6300`` is a wrong PIN only after VERIFY (tries left unknown): the SSC profile says
    so itself; here it stays ``comm_failed`` like any other unexplained warning."""
    if sw & 0xFFF0 == 0x63C0:
        left = sw & 0x0F
        if left == 0:
            return CardError(K.pin_blocked, detail, tries_left=0, raw_code=sw)
        return CardError(K.pin_wrong, detail, tries_left=left, raw_code=sw)
    if sw in (0x6983, 0x6984):  # authentication method blocked / reference data invalidated
        return CardError(K.pin_blocked, detail, tries_left=0, raw_code=sw)
    # No such application, file or command, or a file of another structure: a card of
    # another kind or layout (the SSC profile says ``not_ssc``); presenting it again
    # would not help.
    if sw in (0x6A82, 0x6A81, 0x6A86, 0x6D00, 0x6E00, 0x6A83, 0x6B00, SW_WRONG_STRUCTURE):
        return CardError(K.unsupported_card, detail, raw_code=sw)
    return CardError(K.comm_failed, detail, raw_code=sw)
