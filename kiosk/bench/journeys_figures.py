"""The figures ``kiosk bench journeys`` reports: the shapes of its child's JSON line
(validated by :func:`kiosk.bench.figures.parse_child`), its printout and ``--json``."""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic validates these on 3.11

from kiosk.bench.figures import Number, SoakVerdict


class SwitchFigures(TypedDict):
    """Screen switches by touch: release → on screen, with the phases of the slow ones."""

    median: float
    p95: float
    n: int
    phases_median: dict[str, Number]
    slow: list[dict[str, Number]]


class CardFigures(TypedDict):
    """Card inserted → the person's cards on screen."""

    median: float
    p95: float
    n: int


class RssFigures(TypedDict):
    """The kiosk's resident memory over the soak."""

    before: Number
    after: Number
    growth: Number
    sessions: int
    samples: list[Number]
    session_ms: float
    every: int
    frame_cap_fps: float


class JourneysFigures(TypedDict, total=False):
    """The figures of ``kiosk bench journeys`` (the child's; ``load`` added by :func:`run`)."""

    pcscd: str
    kiosk_nice: int
    kiosk_nice_note: str
    switch_ms: SwitchFigures
    card_to_cards_ms: CardFigures
    rss_mb: RssFigures
    soak: list[dict[str, Number]]
    soak_verdict: SoakVerdict
    load: str
