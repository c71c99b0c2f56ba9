"""Every way a journey can fail, as named data with i18n keys and next-step advice.

A :class:`Failure` is what the failure screen renders: ``journeys.failure.<kind>.title``,
``.body`` and ``.advice`` (advice says what to do next, with the hotline). Errors from
the layers below are translated in one place, :func:`failure_from_error`, by the error's
``kind`` alone (``CardError.kind``, ``CentralError.kind``, ``OutboxError.kind``), never by
its class or class name, so fakes and real errors map alike. The three tables' keys are
disjoint, and a test derives every kind from the lower layers' own tables, so a new kind
without a failure (and words in both languages) fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.config import ConfigError
from kiosk.storage import StorageError


class FailureKind(StrEnum):
    """Every way a journey can fail; each has a screen (title, body, advice)."""

    CARD_UNREADABLE = "card_unreadable"
    WRONG_CARD = "wrong_card"
    NOT_SSC = "not_ssc"  # a chip card of another kind (a bank card) in the SSC slot
    ID_EXPIRED = "id_expired"
    CARD_PULLED = "card_pulled"
    CARD_RESET = "card_reset"  # the card was reset mid-read: nothing read, start again
    NO_READER = "no_reader"
    CARD_WAIT = "card_wait"  # no card was presented within the wait limit
    READER_SERVICE = "reader_service"
    PIN_BLOCKED = "pin_blocked"
    PERSON_NOT_FOUND = "person_not_found"
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    ID_MISMATCH = "id_mismatch"
    NOT_PRE_LOST = "not_pre_lost"
    NO_CARD = "no_card"
    INTERNAL = "internal"
    UNAUTHENTICATED = "unauthenticated"
    # The centre revoked this terminal's key: the controller shows out of service instead.
    TERMINAL_REVOKED = "terminal_revoked"
    # A confirmed request the outbox could not store, sent anyway, with no answer we can
    # use: it may or may not have arrived, and no copy is kept.
    NOT_SAVED = "not_saved"


# All failure kinds; tests check each has title/body/advice in both languages.
FAILURE_KINDS = tuple(FailureKind)
F = FailureKind

# Card layer: CardError.kind → failure kind. A wrong PIN is said on the PIN step; it
# reaches a failure screen only if that step is gone (no tries left: pin_blocked).
CARD_KINDS: dict[str, FailureKind] = {
    "service_down": F.READER_SERVICE,
    "no_reader": F.NO_READER,
    "no_card": F.NO_CARD,
    "card_removed": F.CARD_PULLED,
    "card_reset": F.CARD_RESET,
    "comm_failed": F.CARD_UNREADABLE,
    "not_ssc": F.NOT_SSC,
    "unsupported_card": F.WRONG_CARD,
    "pin_blocked": F.PIN_BLOCKED,
    "pin_wrong": F.CARD_UNREADABLE,
}

# The card layer's refusal of a PIN that is not 6 digits, before any APDU
# (``devices.ssc.PinFormatError.kind``): no failure, the PIN step says it in its own words.
PIN_FORMAT = "pin_format"

# Central layer: CentralError.kind → failure kind.
CENTRAL_KINDS: dict[str, FailureKind] = {
    "offline": F.OFFLINE,
    "timeout": F.TIMEOUT,
    "refused": F.REFUSED,
    "not_found": F.PERSON_NOT_FOUND,
    "server_error": F.SERVER_ERROR,
    "bad_response": F.BAD_RESPONSE,
    "unauthenticated": F.UNAUTHENTICATED,
    "revoked": F.TERMINAL_REVOKED,
    "error": F.SERVER_ERROR,
}

# The local outbox: OutboxError.kind → failure kind. Nothing was queued, so the person
# hears what "offline" says: nothing was done, call the hotline.
OUTBOX_KINDS: dict[str, FailureKind] = {
    "full": F.OFFLINE,
    "read_only": F.OFFLINE,
    "unavailable": F.OFFLINE,
    "corrupt": F.OFFLINE,
}

# The receipt printer: PrinterError.kind (its status). A receipt that cannot be printed
# never fails a journey (the screen says so); these name it in metrics and diagnostics.
PRINTER_KINDS = frozenset({"offline", "out_of_paper", "not_configured"})
# A printer's error says so (``part``): its ``offline`` is also a central kind.
PRINTER_PART = "printer"

# A path the kiosk needs (kiosk.storage.StorageError) failed: the kiosk's own fault.
STORAGE_FAILURE = F.INTERNAL

# Failures where trying the same step again may help.
RETRYABLE = frozenset({F.CARD_UNREADABLE, F.CARD_PULLED, F.CARD_RESET, F.OFFLINE, F.TIMEOUT,
                       F.SERVER_ERROR, F.BAD_RESPONSE, F.NO_CARD, F.READER_SERVICE,
                       F.NO_READER, F.CARD_WAIT, F.INTERNAL, F.NOT_SAVED})
# Failures while waiting for a card, whose advice names the other ways in: the keypad
# where the journey allows it (``params["keypad"]``), else the counter and the hotline.
OTHER_WAYS = frozenset({F.NO_READER, F.READER_SERVICE, F.CARD_WAIT})


@dataclass(frozen=True)
class Failure:
    """A failure screen: kind, values for the message placeholders, whether to offer retry."""

    kind: FailureKind
    params: dict[str, object] = field(default_factory=dict)
    retry: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FailureKind(self.kind))  # a str is parsed

    @property
    def title_key(self) -> str:
        return f"journeys.failure.{self.kind}.title"

    @property
    def body_key(self) -> str:
        """For ``refused``, the body names the reason code the service gave."""
        if self.kind is FailureKind.REFUSED:
            return f"journeys.refused.{self.params.get('code', 'other')}"
        return f"journeys.failure.{self.kind}.body"

    @property
    def advice_key(self) -> str:
        if self.kind in OTHER_WAYS and not self.params.get("keypad"):
            return f"journeys.failure.{self.kind}.advice_no_keypad"
        if self.kind is FailureKind.PERSON_NOT_FOUND and self.params.get("read_from_card"):
            return f"journeys.failure.{self.kind}.advice_card"  # nothing was typed
        return f"journeys.failure.{self.kind}.advice"

    @property
    def offers_keypad(self) -> bool:
        """Whether the screen offers typing the ID number instead of the card."""
        return self.kind in OTHER_WAYS and bool(self.params.get("keypad"))


def error_kind(exc: BaseException) -> FailureKind:
    """The failure kind for an exception from the card, central or outbox layer, by its
    ``kind``; anything else is ``internal``."""
    if isinstance(exc, StorageError):
        return STORAGE_FAILURE
    kind = getattr(exc, "kind", None)
    if not isinstance(kind, str):
        return F.INTERNAL
    kind = str(kind)  # a StrEnum member (CardErrorKind) is its value
    for table in (CARD_KINDS, CENTRAL_KINDS, OUTBOX_KINDS):
        if kind in table:
            return table[kind]
    return F.INTERNAL


def card_error_kind(exc: BaseException) -> str | None:
    """The card layer's ``kind`` of ``exc`` (a ``CardError``'s, by its kind), or None
    when ``exc`` is not a card error."""
    kind = getattr(exc, "kind", None)
    return str(kind) if isinstance(kind, str) and str(kind) in CARD_KINDS else None


def printer_error_kind(exc: BaseException) -> str | None:
    """The printer's ``kind`` of ``exc`` (a ``PrinterError``'s), or None when ``exc`` is
    not a printer error."""
    if getattr(exc, "part", None) != PRINTER_PART:
        return None
    kind = getattr(exc, "kind", None)
    return str(kind) if isinstance(kind, str) and kind in PRINTER_KINDS else None


class FailedPart(StrEnum):
    """Which part of the terminal an error comes from, for the technician's words
    (``diagnostics.ui.error.<part>``): never a Python class name or message."""

    CARD = "card"
    CENTRAL = "central"
    PRINTER = "printer"
    OUTBOX = "outbox"
    CONFIG = "config"
    STORAGE = "storage"
    GENERIC = "generic"


def failed_part(exc: BaseException) -> FailedPart:
    """The part ``exc`` comes from: a lower layer's error by its ``kind`` (the same
    tables as :func:`error_kind`), the kiosk's own configuration and storage errors by
    their type, an operating-system error as storage; anything else is generic."""
    if isinstance(exc, ConfigError):
        return FailedPart.CONFIG
    if isinstance(exc, StorageError):
        return FailedPart.STORAGE
    if printer_error_kind(exc) is not None:
        return FailedPart.PRINTER
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str):
        for table, part in ((CARD_KINDS, FailedPart.CARD), (CENTRAL_KINDS, FailedPart.CENTRAL),
                            (OUTBOX_KINDS, FailedPart.OUTBOX)):
            if str(kind) in table:
                return part
    if isinstance(exc, OSError):
        return FailedPart.STORAGE
    return FailedPart.GENERIC


# Reason codes the service gives for a refusal that we have words for.
KNOWN_REFUSALS = frozenset({
    "replacement_exists", "already_pre_lost", "already_lost", "already_cancelled",
    "not_active", "not_pre_lost", "not_allowed", "code_wrong", "code_expired",
    "too_many_attempts", "identity_mismatch", "duplicate", "deceased", "code_blocked",
    "no_replacement",
})


def failure_from_error(exc: BaseException, hotline: str) -> Failure:
    """Map an exception to a :class:`Failure` (one place for every lower-layer error)."""
    kind = error_kind(exc)
    params: dict[str, object] = {"hotline": hotline}
    if kind is F.REFUSED:
        code = str(getattr(exc, "code", "") or "")
        params["code"] = code if code in KNOWN_REFUSALS else "other"
    if str(getattr(exc, "kind", "")) == "pin_wrong" and getattr(exc, "tries_left", None) == 0:
        kind = F.PIN_BLOCKED
    return Failure(kind=kind, params=params, retry=kind in RETRYABLE)


def card_failure(error: BaseException | None, hotline: str) -> Failure:
    """A card that could not be read while a step waits for one: always worth presenting
    again (retry), and never "person not found" (no one was looked up yet)."""
    failure = failure_from_error(error, hotline) if error is not None \
        else Failure(F.CARD_UNREADABLE, {"hotline": hotline})
    kind = F.CARD_UNREADABLE if failure.kind is F.PERSON_NOT_FOUND else failure.kind
    return Failure(kind, failure.params, True)
