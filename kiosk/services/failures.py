"""Every way a journey can fail, as named data with i18n keys and next-step advice.

A :class:`Failure` is what the failure screen renders: ``journeys.failure.<kind>.title``,
``.body`` and ``.advice`` (advice says what to do next, with the hotline). Errors from
the layers below are translated in one place, :func:`failure_from_error`, by the error's
``kind`` (card layer) or class name (central layer), so fakes and real errors map alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# All failure kinds; tests check each has title/body/advice in both languages.
FAILURE_KINDS = (
    "card_unreadable", "wrong_card", "id_expired", "card_pulled", "no_reader",
    "reader_service", "pin_blocked", "person_not_found", "offline", "timeout",
    "refused", "server_error", "bad_response", "id_mismatch", "not_pre_lost",
    "no_card", "internal", "unauthenticated",
)

# Card layer: CardError.kind → failure kind. pin_wrong is handled inline on the PIN step.
CARD_KINDS = {
    "service_down": "reader_service",
    "no_reader": "no_reader",
    "no_card": "no_card",
    "card_removed": "card_pulled",
    "comm_failed": "card_unreadable",
    "unsupported_card": "wrong_card",
    "pin_blocked": "pin_blocked",
    "pin_wrong": "pin_wrong",
}

# Central layer: exception class name → failure kind (most specific first in the MRO).
CENTRAL_CLASSES = {
    "CentralOffline": "offline",
    "CentralTimeout": "timeout",
    "CentralRefused": "refused",
    "CentralNotFound": "person_not_found",
    "CentralServerError": "server_error",
    "CentralBadResponse": "bad_response",
    "CentralUnauthenticated": "unauthenticated",
    "CentralError": "server_error",
}

# Failures where trying the same step again may help.
RETRYABLE = frozenset({"card_unreadable", "card_pulled", "offline", "timeout",
                       "server_error", "bad_response", "no_card", "reader_service",
                       "no_reader", "internal"})


@dataclass(frozen=True)
class Failure:
    """A failure screen: kind, values for the message placeholders, whether to offer retry."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    retry: bool = False

    @property
    def title_key(self) -> str:
        return f"journeys.failure.{self.kind}.title"

    @property
    def body_key(self) -> str:
        """For ``refused``, the body names the reason code the service gave."""
        if self.kind == "refused":
            return f"journeys.refused.{self.params.get('code', 'other')}"
        return f"journeys.failure.{self.kind}.body"

    @property
    def advice_key(self) -> str:
        return f"journeys.failure.{self.kind}.advice"


def error_kind(exc: BaseException) -> str:
    """The failure kind for an exception from the card or central layer."""
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str) and kind in CARD_KINDS:
        return CARD_KINDS[kind]
    for cls in type(exc).__mro__:
        if cls.__name__ in CENTRAL_CLASSES:
            return CENTRAL_CLASSES[cls.__name__]
    return "internal"


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
    params: dict[str, Any] = {"hotline": hotline}
    if kind == "refused":
        code = str(getattr(exc, "code", "") or "other")
        params["code"] = code if code in KNOWN_REFUSALS else "other"
    if kind == "pin_wrong":  # only reaches a failure screen if the PIN step is gone
        kind = "pin_blocked" if getattr(exc, "tries_left", 1) == 0 else "card_unreadable"
    return Failure(kind=kind, params=params, retry=kind in RETRYABLE)
