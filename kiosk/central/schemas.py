"""The central card service API, version 1: one source of truth for client and sandbox.

Personal data never travels in a URL: every operation is a POST with a JSON body, even
lookups (which are nevertheless safe to repeat; see :data:`IDEMPOTENT_OPERATIONS`).
Errors are RFC 9457 ``application/problem+json`` documents (:class:`Problem`) whose
``code`` is one of the stable :class:`ProblemCode` values.

The OpenAPI document generated from these models is committed as
``kiosk/central/openapi.json`` (regenerate: ``python -m kiosk.central.sandbox.openapi``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kiosk.domain.card_states import CardState, ReplacementStage
from kiosk.domain.masking import mask_card_number, mask_id_number, mask_name

API_VERSION = "v1"
API_PREFIX = "/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:kiosk:central:problem:"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENT_REPLAY_HEADER = "Idempotent-Replayed"
# A card handle serves reads (status, progress) this long after its lookup: a session.
HANDLE_TTL_SECONDS = 600
# A pre-loss takes a handle this long after its lookup, so that one confirmed and queued
# while the network was down is still delivered days later (docs/security.md).
PRE_LOSS_HANDLE_SECONDS = 7 * 86_400


class Path(StrEnum):
    """Every operation's path (all POST)."""

    LOOKUP = "/v1/persons/lookup"
    VERIFY_REQUEST = "/v1/verification/request"
    VERIFY_CONFIRM = "/v1/verification/confirm"
    CARD_STATUS = "/v1/cards/status"
    PRE_LOSS = "/v1/pre_losses"
    PRE_LOSS_CANCEL = "/v1/pre_losses/cancel"
    REPLACEMENT_PROGRESS = "/v1/replacements/progress"
    HEARTBEAT = "/v1/terminals/heartbeat"


# Operations that may be repeated without changing anything beyond the first call:
# lookups are POST only to keep personal data out of URLs, but they read nothing but
# state; pre-loss and cancel carry an Idempotency-Key, so a repeat gets the stored answer.
# Verification request (sends an SMS) and confirm (spends a try) are NOT idempotent,
# and a heartbeat is simply sent again later.
IDEMPOTENT_OPERATIONS = frozenset({
    Path.LOOKUP, Path.CARD_STATUS, Path.REPLACEMENT_PROGRESS, Path.PRE_LOSS, Path.PRE_LOSS_CANCEL,
})
# Operations that change state and therefore must carry an Idempotency-Key header.
STATE_CHANGING_OPERATIONS = frozenset({Path.PRE_LOSS, Path.PRE_LOSS_CANCEL})


class ProblemCode(StrEnum):
    """Stable problem codes (API contract and i18n keys ``central.refused.<code>``)."""

    NOT_FOUND = "not_found"
    NO_REPLACEMENT = "no_replacement"
    ALREADY_PRE_LOST = "already_pre_lost"
    ALREADY_LOST = "already_lost"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_ACTIVE = "not_active"
    REPLACEMENT_EXISTS = "replacement_exists"
    NOT_ALLOWED = "not_allowed"
    CODE_WRONG = "code_wrong"
    CODE_BLOCKED = "code_blocked"
    CODE_EXPIRED = "code_expired"
    BAD_SIGNATURE = "bad_signature"
    REPLAYED = "replayed"
    CLOCK_SKEW = "clock_skew"
    VALIDATION_ERROR = "validation_error"
    IDEMPOTENCY_KEY_MISSING = "idempotency_key_missing"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    RESEND_TOO_SOON = "resend_too_soon"
    HANDLE_INVALID = "handle_invalid"
    HANDLE_EXPIRED = "handle_expired"
    # The centre revoked this terminal's key (stolen, retired): a 403 SIGNED with that key,
    # so only a holder of the key learns it; never accepted unsigned. About the terminal,
    # not the request: the outbox keeps what it queued (errors.CentralRevoked).
    TERMINAL_REVOKED = "terminal_revoked"


# Codes that say the terminal itself is misconfigured (key, clock), not the request. They
# come in an unsigned 401 (the service may not know the terminal); the client accepts an
# unsigned answer only with one of these.
TERMINAL_PROBLEM_CODES = frozenset({
    ProblemCode.BAD_SIGNATURE, ProblemCode.REPLAYED, ProblemCode.CLOCK_SKEW,
})

PROBLEM_TITLES: dict[ProblemCode, str] = {
    ProblemCode.NOT_FOUND: "Not found",
    ProblemCode.NO_REPLACEMENT: "No replacement application",
    ProblemCode.ALREADY_PRE_LOST: "Card already pre-lost",
    ProblemCode.ALREADY_LOST: "Card already reported lost",
    ProblemCode.ALREADY_CANCELLED: "Card already cancelled",
    ProblemCode.NOT_ACTIVE: "Card not active",
    ProblemCode.REPLACEMENT_EXISTS: "A replacement has been applied for",
    ProblemCode.NOT_ALLOWED: "Not allowed in the card's state",
    ProblemCode.CODE_WRONG: "Verification code wrong",
    ProblemCode.CODE_BLOCKED: "Verification blocked",
    ProblemCode.CODE_EXPIRED: "Verification code expired",
    ProblemCode.BAD_SIGNATURE: "Request signature invalid",
    ProblemCode.REPLAYED: "Request replayed",
    ProblemCode.CLOCK_SKEW: "Terminal clock out of range",
    ProblemCode.VALIDATION_ERROR: "Request not valid",
    ProblemCode.IDEMPOTENCY_KEY_MISSING: "Idempotency-Key header missing",
    ProblemCode.IDEMPOTENCY_CONFLICT: "Idempotency key reused with a different request",
    ProblemCode.SERVER_ERROR: "Server error",
    ProblemCode.UNAVAILABLE: "Service unavailable",
    ProblemCode.TOO_LARGE: "Request body too large",
    ProblemCode.RATE_LIMITED: "Too many requests",
    ProblemCode.RESEND_TOO_SOON: "A code was sent moments ago",
    ProblemCode.HANDLE_INVALID: "Card handle unknown, from another terminal or not for this",
    ProblemCode.HANDLE_EXPIRED: "Card handle expired: identify again",
    ProblemCode.TERMINAL_REVOKED: "This terminal's key has been revoked",
}

T = TypeVar("T")

_PERSONAL_FIELDS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "card_number": mask_card_number,
    "name": mask_name,
    "code": lambda v: "******",
    "tracking_number": lambda v: "***",
    "handle": lambda v: "***",
    "chip_id": lambda v: "***",
    "authority": lambda v: "***",
}


def _encodable(value: T) -> T:
    """Refuse text that is not valid Unicode (a lone surrogate from JSON ``"\\ud800"``):
    it would pass as ``str`` and fail later, in the database or a log, as a 500."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text is not valid Unicode") from None
    elif isinstance(value, (list, tuple)):
        for item in value:
            _encodable(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _encodable(key)
            _encodable(item)
    return value


class Unicode(BaseModel):
    """Base of every model read from outside (requests, admin bodies): text fields must
    be valid Unicode (see :func:`_encodable`)."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: object) -> object:
        return _encodable(data)


class _Model(Unicode):
    """Base: unknown fields refused on requests; ``repr`` masks personal fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    def __repr_args__(self) -> Iterator[tuple[str | None, object]]:
        for name, value in super().__repr_args__():
            mask = _PERSONAL_FIELDS.get(name or "")
            yield name, (mask(value) if mask and isinstance(value, str) else value)


class _Response(_Model):
    # Responses tolerate fields added by a newer service (forward compatibility).
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)


# Constrained text types (shape only; the service decides what exists).
IdNumberStr = Annotated[str, Field(pattern=r"^\d{17}[\dX]$",
                                   description="resident identity number (GB 11643-1999)")]
CardNumberStr = Annotated[str, Field(pattern=r"^[A-Z0-9]{6,20}$",
                                     description="social security card number")]
HandleStr = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{40,128}$",
                                 description="an opaque card handle from a lookup (see "
                                             "`CardSummary.handle`)")]
ChipIdStr = Annotated[str, Field(pattern=r"^[0-9A-F]{32}$",
                                 description="the card identification code read from the "
                                             "social security card's chip (EF05 record "
                                             "01, 16 bytes as 32 hex digits); not printed "
                                             "on the card")]


# ---- requests -------------------------------------------------------------------------

class IdCardFacts(_Model):
    """Facts read from a resident ID card's chip by the terminal's certified reader. A
    typed ID number has none of them: the validity dates and the issuing authority are
    what the centre checks (against the identity record) before it answers."""

    id_number: IdNumberStr
    valid_from: dt.date
    valid_to: dt.date | None = Field(default=None, description="null: 长期 (no expiry)")
    authority: str = Field(min_length=2, max_length=32, description="签发机关, as read")


class SscChipFacts(_Model):
    """Facts read from a social security card's chip: its number and its identification
    code, which the card management system recorded when the card was made."""

    card_number: CardNumberStr
    chip_id: ChipIdStr


def _one_of(model: BaseModel, *names: str) -> None:
    if sum(getattr(model, n) is not None for n in names) != 1:
        raise ValueError("give exactly one of " + ", ".join(names))


class LookupRequest(_Model):
    """Find a person by their ID card (chip facts) or by a social security card (chip
    facts); exactly one. A bare ID or card number is not a way in."""

    id_card: IdCardFacts | None = None
    card: SscChipFacts | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LookupRequest:
        _one_of(self, "id_card", "card")
        return self


class VerificationRequest(_Model):
    id_number: IdNumberStr


class VerificationConfirm(_Model):
    challenge_id: str = Field(min_length=8, max_length=64)
    code: str = Field(pattern=r"^\d{6}$")


class CardStatusRequest(_Model):
    """A card by a handle from a lookup, or by its chip (exactly one)."""

    handle: HandleStr | None = None
    card: SscChipFacts | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CardStatusRequest:
        _one_of(self, "handle", "card")
        return self


class PreLossRequest(_Model):
    """Pre-lose the card a handle stands for (a handle from an identification that may
    pre-lose: an ID card, an SMS code, an e-SSC; not a card's chip alone)."""

    handle: HandleStr
    channel: Literal["kiosk"] = "kiosk"
    terminal_id: str = Field(min_length=1, max_length=64)


class CancelPreLossRequest(_Model):
    """Cancel a pre-loss: the found card in the reader (its chip; its PIN was verified on
    the card) and the holder's ID card (its chip). No handle can do this."""

    card: SscChipFacts
    id_card: IdCardFacts


class ReplacementProgressRequest(_Model):
    """By a handle (the person's latest replacement, or the one of that card) or by a
    card's chip, old or new (exactly one)."""

    handle: HandleStr | None = None
    card: SscChipFacts | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReplacementProgressRequest:
        _one_of(self, "handle", "card")
        return self


class HeartbeatRequest(_Model):
    terminal_id: str = Field(min_length=1, max_length=64)
    clock: dt.datetime = Field(description="the terminal's clock (UTC, ISO 8601)")
    version: str = Field(max_length=40)
    outbox_depth: int = Field(ge=0, le=10_000_000)


# ---- responses ------------------------------------------------------------------------
# Every text and list in an answer has a length limit: an answer is hostile until parsed.

Text = Annotated[str, Field(max_length=64)]
LongText = Annotated[str, Field(max_length=500)]

class CardSummary(_Response):
    """One of the person's cards as a terminal may see it: never its number."""

    handle: str = Field(max_length=128, description="opaque; stands for this card in "
                         "/v1/cards/status, /v1/replacements/progress and (when the "
                         "identification allows it) /v1/pre_losses, from this terminal "
                         "only, for `PersonCards.handles_expire_in` seconds (a pre-loss "
                         "takes it for days: a queued pre-loss stays deliverable)")
    card_number_masked: Text = Field(description="for display only: all but the last "
                                                 "4 characters hidden, length kept")
    state: CardState
    bank_function: bool
    issued: dt.date
    has_replacement: bool


class PersonCards(_Response):
    """A person's cards. Nothing in it can be joined with another answer: the name is
    masked, ``person_ref`` names this answer only, the cards are masked numbers and
    handles (sealed for this terminal, different every time)."""

    person_ref: Text = Field(description="opaque, this answer only (never the same twice)")
    name: Text = Field(description="masked (`王**`): a screen greets, it needs no full name")
    phone_masked: Text
    cards: list[CardSummary] = Field(max_length=50)
    handles_expire_in: int = Field(default=0, ge=0, le=86_400,
                                   description="seconds the handles serve for reads")
    may_pre_lose: bool = Field(default=False, description="whether these handles may "
                               "pre-lose (identified by an ID card, an SMS code or an "
                               "e-SSC; not by a card's chip alone)")


class VerificationChallenge(_Response):
    challenge_id: Text
    phone_masked: Text
    expires_in: int = Field(ge=0, le=86_400, description="seconds the code stays valid")
    resend_after_seconds: int = Field(default=0, ge=0, le=86_400,
                                      description="seconds before another code may be "
                                                  "requested for this person")


class StateEvent(_Response):
    state: CardState
    at: dt.datetime
    channel: Text = Field(description="kiosk, hotline, counter, system")


class StageEvent(_Response):
    stage: ReplacementStage
    at: dt.datetime


class Replacement(_Response):
    """A replacement card application and where it is."""

    card_number_masked: Text = Field(description="the new card's number, masked")
    replaces_masked: Text | None = Field(default=None,
                                         description="the old card's number, masked")
    stage: ReplacementStage
    applied_on: dt.date
    expected_on: dt.date = Field(description="applied_on + 15 (35 with bank function) "
                                             "working days, from the regional rules")
    outlet: LongText | None = None
    ready_since: dt.datetime | None = None
    mailed: bool = False
    tracking_number: Text | None = None
    history: list[StageEvent] = Field(default_factory=list, max_length=100)


class CardStatus(_Response):
    card_number_masked: Text
    state: CardState
    history: list[StateEvent] = Field(max_length=100)
    replacement: Replacement | None = None
    lapses_on: dt.date | None = Field(default=None,
                                      description="for a pre-lost card: when it lapses")


class PreLossResult(_Response):
    reference: Text
    card_number_masked: Text
    settlement_stopped_at: dt.datetime
    lapses_on: dt.date = Field(description="the pre-loss lapses by itself on this date "
                                           "unless the official loss follows")
    hotline: Text


class CancelResult(_Response):
    reference: Text
    card_number_masked: Text
    state: CardState
    cancelled_at: dt.datetime


class HeartbeatResult(_Response):
    """A heartbeat whose signed timestamp is beyond the skew limit is refused with
    ``clock_skew`` like any call; ``accepted`` is false when the ``clock`` field is."""

    server_time: dt.datetime
    accepted: bool = Field(description="false when the terminal clock is out of range")


class Problem(_Response):
    """RFC 9457 problem details, with a stable ``code``."""

    type: LongText = "about:blank"
    title: LongText
    status: int = Field(ge=100, le=599)
    detail: LongText = ""
    code: Text
    tries_left: int | None = Field(default=None, ge=0, le=100)


def problem(code: ProblemCode, status: int, detail: str = "",
            tries_left: int | None = None) -> Problem:
    """A :class:`Problem` for ``code`` with the standard type URI and title."""
    return Problem(type=PROBLEM_TYPE_PREFIX + code.value, title=PROBLEM_TITLES[code],
                   status=status, detail=detail, code=code.value, tries_left=tries_left)


# Request and response model of each operation (used by the client and the sandbox).
OPERATIONS: dict[Path, tuple[type[_Model], type[_Response]]] = {
    Path.LOOKUP: (LookupRequest, PersonCards),
    Path.VERIFY_REQUEST: (VerificationRequest, VerificationChallenge),
    Path.VERIFY_CONFIRM: (VerificationConfirm, PersonCards),
    Path.CARD_STATUS: (CardStatusRequest, CardStatus),
    Path.PRE_LOSS: (PreLossRequest, PreLossResult),
    Path.PRE_LOSS_CANCEL: (CancelPreLossRequest, CancelResult),
    Path.REPLACEMENT_PROGRESS: (ReplacementProgressRequest, Replacement),
    Path.HEARTBEAT: (HeartbeatRequest, HeartbeatResult),
}
