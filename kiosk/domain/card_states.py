"""Card states and the rules between them (docs/domain.md, "States the kiosk shows").

The central service is the authority; the kiosk and the sandbox apply the same rules,
so both import them from here.
"""

from __future__ import annotations

from enum import StrEnum


class CardState(StrEnum):
    """The life of one social security card."""

    ACTIVE = "active"
    PRE_LOST = "pre_lost"
    LOST = "lost"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FROZEN = "frozen"


class ReplacementStage(StrEnum):
    """The life of a replacement application."""

    APPLIED = "applied"
    IN_PRODUCTION = "in_production"
    READY_FOR_PICKUP = "ready_for_pickup"
    MAILED = "mailed"
    COLLECTED = "collected"


STAGE_ORDER = (
    ReplacementStage.APPLIED,
    ReplacementStage.IN_PRODUCTION,
    ReplacementStage.READY_FOR_PICKUP,
    ReplacementStage.MAILED,
    ReplacementStage.COLLECTED,
)

# Which card-state changes are allowed, and by which action.
TRANSITIONS: dict[tuple[CardState, str], CardState] = {
    (CardState.ACTIVE, "pre_loss"): CardState.PRE_LOST,
    (CardState.PRE_LOST, "cancel_pre_loss"): CardState.ACTIVE,
    (CardState.PRE_LOST, "lapse"): CardState.ACTIVE,
    (CardState.PRE_LOST, "official_loss"): CardState.LOST,
    (CardState.ACTIVE, "official_loss"): CardState.LOST,
    (CardState.LOST, "replacement_collected"): CardState.CANCELLED,
    (CardState.ACTIVE, "freeze"): CardState.FROZEN,
    (CardState.ACTIVE, "expire"): CardState.EXPIRED,
}


class RuleViolation(Exception):
    """An action not allowed in the card's state. ``code`` is stable (API and i18n)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def next_state(state: CardState, action: str, has_replacement: bool = False) -> CardState:
    """The state after ``action``, or :class:`RuleViolation` with a stable code."""
    if action == "cancel_pre_loss" and has_replacement:
        raise RuleViolation("replacement_exists")
    if action == "pre_loss" and state != CardState.ACTIVE:
        raise RuleViolation(f"already_{state.value}" if state in (
            CardState.PRE_LOST, CardState.LOST, CardState.CANCELLED) else "not_active")
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise RuleViolation("not_allowed") from None


def pre_loss_allowed(state: CardState) -> bool:
    """Only an active card can be pre-lost at the kiosk."""
    return state == CardState.ACTIVE


def can_cancel_pre_loss(state: CardState, has_replacement: bool) -> bool:
    """A pre-loss may be cancelled only while no replacement has been applied for."""
    return state == CardState.PRE_LOST and not has_replacement


def next_stage(stage: ReplacementStage, mailed: bool) -> ReplacementStage | None:
    """The stage after ``stage`` (pickup or mail route), or None when collected."""
    if stage == ReplacementStage.APPLIED:
        return ReplacementStage.IN_PRODUCTION
    if stage == ReplacementStage.IN_PRODUCTION:
        return ReplacementStage.MAILED if mailed else ReplacementStage.READY_FOR_PICKUP
    if stage in (ReplacementStage.READY_FOR_PICKUP, ReplacementStage.MAILED):
        return ReplacementStage.COLLECTED
    return None
