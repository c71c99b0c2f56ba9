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
from typing import Any

from kiosk.storage import StorageError

# All failure kinds; tests check each has title/body/advice in both languages.
FAILURE_KINDS = (
    "card_unreadable", "wrong_card", "id_expired", "card_pulled", "no_reader",
    "reader_service", "pin_blocked", "person_not_found", "offline", "timeout",
    "refused", "server_error", "bad_response", "id_mismatch", "not_prelost",
    "no_card", "internal",
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

# Central layer: CentralError.kind → failure kind.
CENTRAL_KINDS = {
    "offline": "offline",
    "timeout": "timeout",
    "refused": "refused",
    "not_found": "person_not_found",
    "server_error": "server_error",
    "bad_response": "bad_response",
    "error": "server_error",
}

# The local outbox: OutboxError.kind → failure kind. Nothing was queued, so the person
# hears what "offline" says: nothing was done, call the hotline.
OUTBOX_KINDS = {
    "full": "offline",
    "read_only": "offline",
    "unavailable": "offline",
    "corrupt": "offline",
}

# A path the kiosk needs (kiosk.storage.StorageError) failed: the kiosk's own fault.
STORAGE_FAILURE = "internal"

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
    """The failure kind for an exception from the card, central or outbox layer, by its
    ``kind``; anything else is ``internal``."""
    if isinstance(exc, StorageError):
        return STORAGE_FAILURE
    kind = getattr(exc, "kind", None)
    if not isinstance(kind, str):
        return "internal"
    kind = str(kind)  # a StrEnum member (CardErrorKind) is its value
    for table in (CARD_KINDS, CENTRAL_KINDS, OUTBOX_KINDS):
        if kind in table:
            return table[kind]
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
