"""The e-SSC part of the ``/v1`` contract: identify by the electronic social security
card's QR code, and pre-lose a card on that identity.

The electronic social security card (电子社保卡) is shown as a dynamic QR code in the
12333 app, bank and wallet apps. A code is **one-time and short-lived** (about 60 s,
:data:`CODE_TTL_SECONDS`): the service marks it used at the first verification, so a
verification is never retried (a lost answer spends the code; the person refreshes it).

``POST /v1/essc/verify {code}`` answers an :class:`EsscIdentity`: the opaque
``person_ref``, a **masked** name and phone, the person's cards, and a ``grant`` — an
opaque token, bound to the terminal that verified and to the person, valid
:data:`GRANT_TTL_SECONDS`, that stands for the identity in ``POST /v1/essc/pre_losses``
(the kiosk never learns the ID number this way). Or a typed refusal
(:class:`EsscRefusal`): ``expired`` (410), ``already_used`` (409), ``not_an_essc`` (422:
not a code the service issued, e.g. a payment or web QR code), ``revoked`` (403: the
e-SSC was revoked or suspended).

The grant's scope is **pre-loss only** (reads need no grant: status and replacement
progress go by card number). It can NOT cancel a pre-loss: cancelling needs the found
card, its PIN and the resident ID card. Stopping a card must be easy and restarting it
hard — a phone with an unlocked app plus a found (or stolen) card with an observed PIN
must not be enough to re-open a card its holder stopped (docs/essc.md).

The kiosk never stores a code and logs it only as a 12-hex-digit SHA-256 prefix.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from kiosk.central.schemas import (
    PROBLEM_TYPE_PREFIX,
    CardNumberStr,
    CardSummary,
    PreLossResult,
    Problem,
    Text,
    _Model,
    _Response,
)

CODE_TTL_SECONDS = 60
GRANT_TTL_SECONDS = 600
CODE_PATTERN = r"^[\x20-\x7e]{8,512}$"  # what a scanner can deliver (printable ASCII)


class EsscPath(StrEnum):
    """The e-SSC operations (POST, signed, like every ``/v1`` operation)."""

    VERIFY = "/v1/essc/verify"
    PRE_LOSS = "/v1/essc/pre_losses"


class EsscRefusal(StrEnum):
    """Why a scanned code identifies nobody (problem ``code``; the words are the
    refusal's i18n key ``central.refused.<code>``)."""

    EXPIRED = "expired"
    ALREADY_USED = "already_used"
    NOT_AN_ESSC = "not_an_essc"
    REVOKED = "revoked"
    GRANT_INVALID = "grant_invalid"


REFUSAL_STATUS: dict[EsscRefusal, int] = {
    EsscRefusal.EXPIRED: 410, EsscRefusal.ALREADY_USED: 409, EsscRefusal.NOT_AN_ESSC: 422,
    EsscRefusal.REVOKED: 403, EsscRefusal.GRANT_INVALID: 403,
}
REFUSAL_TITLES: dict[EsscRefusal, str] = {
    EsscRefusal.EXPIRED: "e-SSC code expired",
    EsscRefusal.ALREADY_USED: "e-SSC code already used",
    EsscRefusal.NOT_AN_ESSC: "Not an electronic social security card code",
    EsscRefusal.REVOKED: "Electronic social security card revoked",
    EsscRefusal.GRANT_INVALID: "Identity grant unknown, expired or from another terminal",
}


def essc_problem(refusal: EsscRefusal, detail: str = "") -> Problem:
    """The problem document for a refusal (status from :data:`REFUSAL_STATUS`)."""
    return Problem(type=PROBLEM_TYPE_PREFIX + refusal.value, title=REFUSAL_TITLES[refusal],
                   status=REFUSAL_STATUS[refusal], detail=detail, code=refusal.value)


class EsscVerifyRequest(_Model):
    """The scanned text, as the scanner delivered it (never stored by the kiosk)."""

    code: str = Field(pattern=CODE_PATTERN, description="the QR code's text, 8 to 512 "
                                                        "printable ASCII characters")


class EsscIdentity(_Response):
    """Who the code identifies. ``name`` is masked (`王**`): the screen greets, it does
    not need the full name."""

    person_ref: Text
    name: Text = Field(description="masked name (family name and one character)")
    phone_masked: Text
    cards: list[CardSummary] = Field(max_length=50)
    grant: str = Field(min_length=16, max_length=128,
                       description="opaque; stands for this identity in "
                                   "/v1/essc/pre_losses from this terminal only")
    grant_expires_in: int = Field(ge=0, le=86_400)
    grant_scope: list[Literal["pre_loss"]] = Field(default_factory=lambda: ["pre_loss"],
                                                  max_length=4)


class EsscPreLossRequest(_Model):
    """Pre-lose one of the identified person's cards (``Idempotency-Key`` required)."""

    card_number: CardNumberStr
    grant: str = Field(min_length=16, max_length=128)
    channel: Literal["kiosk"] = "kiosk"
    terminal_id: str = Field(min_length=1, max_length=64)


ESSC_OPERATIONS: dict[EsscPath, tuple[type[_Model], type[_Response]]] = {
    EsscPath.VERIFY: (EsscVerifyRequest, EsscIdentity),
    EsscPath.PRE_LOSS: (EsscPreLossRequest, PreLossResult),
}

VERIFY_DESCRIPTION = (
    "Verify the text of a scanned electronic social security card QR code. Codes are "
    f"issued by the e-SSC platform, one-time and valid about {CODE_TTL_SECONDS} s: the "
    "first verification spends the code, so this operation is **never retried** (a lost "
    "answer means the person refreshes the code in the app). Reveals: an opaque "
    "`person_ref`, a **masked** name and phone, each card's number, state, bank function, "
    "issue date and whether it has a replacement, and a `grant` for "
    f"`{EsscPath.PRE_LOSS.value}` from this terminal, valid {GRANT_TTL_SECONDS} s. Never the "
    "ID number, full name, address or full phone. Refusals: `expired` (410), "
    "`already_used` (409), `not_an_essc` (422; also any code the platform did not "
    "issue), `revoked` (403). **The e-SSC does not replace the ID card for cancelling a "
    "pre-loss**: the grant's only scope is `pre_loss`; cancelling needs the found card, its "
    "PIN and the resident ID card (stopping a card is easy, re-opening it is not).")

PRE_LOSS_DESCRIPTION = (
    "Pre-lose one card of the person an e-SSC verification identified, with its `grant` "
    "in place of the ID number (`Idempotency-Key` required; a repeat gets the stored "
    "answer). Refusals as for `/v1/pre_losses`, and `grant_invalid` (403: unknown, expired, "
    "or issued to another terminal) or `not_found` (404: not this person's card). Reveals "
    "what `/v1/pre_losses` reveals.")
