"""The e-SSC part of the ``/v1`` contract: identify by the electronic social security
card's QR code.

The electronic social security card (电子社保卡) is shown as a dynamic QR code in the
12333 app, bank and wallet apps. A code is **one-time and short-lived** (about 60 s,
:data:`CODE_TTL_SECONDS`): the service marks it used at the first verification, so a
verification is never retried (a lost answer spends the code; the person refreshes it).

``POST /v1/essc/verify {code}`` answers an :class:`EsscIdentity`, the same shape as any
lookup: an opaque ``person_ref``, a **masked** name and phone, the person's cards as
masked numbers and **handles** (sealed for this terminal; the kiosk never learns the ID
number or a card number this way), ``may_pre_lose`` true: a handle from an e-SSC
pre-loses its card in ``POST /v1/pre_losses`` like one from an ID card. Or a typed
refusal (:class:`EsscRefusal`): ``expired`` (410), ``already_used`` (409),
``not_an_essc`` (422: not a code the service issued, e.g. a payment or web QR code),
``revoked`` (403: the e-SSC was revoked or suspended).

A handle can NOT cancel a pre-loss: cancelling needs the found card, its PIN and the
resident ID card. Stopping a card must be easy and restarting it hard — a phone with an
unlocked app plus a found (or stolen) card with an observed PIN must not be enough to
re-open a card its holder stopped (docs/essc.md).

The kiosk never stores a code and logs it only as a 12-hex-digit SHA-256 prefix.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from kiosk.central.schemas import (
    PROBLEM_TYPE_PREFIX,
    PersonCards,
    Problem,
    _Model,
    _Response,
)

CODE_TTL_SECONDS = 60
CODE_PATTERN = r"^[\x20-\x7e]{8,512}$"  # what a scanner can deliver (printable ASCII)


class EsscPath(StrEnum):
    """The e-SSC operations (POST, signed, like every ``/v1`` operation)."""

    VERIFY = "/v1/essc/verify"


class EsscRefusal(StrEnum):
    """Why a scanned code identifies nobody (problem ``code``; the words are the
    refusal's i18n key ``central.refused.<code>``)."""

    EXPIRED = "expired"
    ALREADY_USED = "already_used"
    NOT_AN_ESSC = "not_an_essc"
    REVOKED = "revoked"


REFUSAL_STATUS: dict[EsscRefusal, int] = {
    EsscRefusal.EXPIRED: 410, EsscRefusal.ALREADY_USED: 409, EsscRefusal.NOT_AN_ESSC: 422,
    EsscRefusal.REVOKED: 403,
}
REFUSAL_TITLES: dict[EsscRefusal, str] = {
    EsscRefusal.EXPIRED: "e-SSC code expired",
    EsscRefusal.ALREADY_USED: "e-SSC code already used",
    EsscRefusal.NOT_AN_ESSC: "Not an electronic social security card code",
    EsscRefusal.REVOKED: "Electronic social security card revoked",
}


def essc_problem(refusal: EsscRefusal, detail: str = "") -> Problem:
    """The problem document for a refusal (status from :data:`REFUSAL_STATUS`)."""
    return Problem(type=PROBLEM_TYPE_PREFIX + refusal.value, title=REFUSAL_TITLES[refusal],
                   status=REFUSAL_STATUS[refusal], detail=detail, code=refusal.value)


class EsscVerifyRequest(_Model):
    """The scanned text, as the scanner delivered it (never stored by the kiosk)."""

    code: str = Field(pattern=CODE_PATTERN, description="the QR code's text, 8 to 512 "
                                                        "printable ASCII characters")


class EsscIdentity(PersonCards):
    """Who the code identifies: the shape of any lookup (masked name, masked card
    numbers, handles that may pre-lose)."""


ESSC_OPERATIONS: dict[EsscPath, tuple[type[_Model], type[_Response]]] = {
    EsscPath.VERIFY: (EsscVerifyRequest, EsscIdentity),
}

VERIFY_DESCRIPTION = (
    "Verify the text of a scanned electronic social security card QR code. Codes are "
    f"issued by the e-SSC platform, one-time and valid about {CODE_TTL_SECONDS} s: the "
    "first verification spends the code, so this operation is **never retried** (a lost "
    "answer means the person refreshes the code in the app). Reveals what a lookup "
    "reveals: an opaque `person_ref` for this answer only, a **masked** name and phone, "
    "each card's masked number, state, bank function, issue date, whether it has a "
    "replacement and a **handle** for this terminal (`may_pre_lose`: true). Never the ID "
    "number, a card number, the full name, address or full phone. Refusals: `expired` "
    "(410), `already_used` (409), `not_an_essc` (422; also any code the platform did not "
    "issue), `revoked` (403). **The e-SSC does not replace the ID card for cancelling a "
    "pre-loss**: no handle cancels; cancelling needs the found card, its PIN and the "
    "resident ID card (stopping a card is easy, re-opening it is not).")
