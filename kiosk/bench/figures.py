"""Shapes of figures several benches share (printed, and written as JSON with --json)."""

from __future__ import annotations

from typing import NotRequired, TypeVar

from typing_extensions import TypedDict  # pydantic validates these on 3.11

T = TypeVar("T")
# A figure read back from a child's JSON: an int stays an int (a count prints as "12").
Number = int | float


class Spread(TypedDict):
    """Milliseconds over ``n`` runs: median, 95th percentile, least and most."""

    n: int
    median: float
    p95: float
    min: float
    max: float


class ScreenSpread(TypedDict):
    """Milliseconds until a screen was drawn, over ``n`` runs (a child process's figures)."""

    n: int
    median: float
    p95: float
    max: float


class EsscFigures(TypedDict):
    """e-SSC code scanned → event and → the person's cards (and on screen, when
    measured in a window)."""

    scanned_to_event_ms: Spread
    scanned_to_cards_ms: Spread
    target_ms: int
    scanned_to_cards_on_screen_ms: NotRequired[ScreenSpread]


class SoakVerdict(TypedDict):
    """RSS growth over a soak, the counts that did not stay flat, and whether it passed."""

    rss_growth_mb: float
    not_flat: list[str]
    ok: bool


def parse_child(line: str, shape: type[T]) -> T:
    """A child process's JSON line of figures, checked against ``shape`` (a TypedDict);
    RuntimeError naming the line when it does not fit."""
    from pydantic import TypeAdapter, ValidationError  # lazy: only benches with a child

    try:
        return TypeAdapter(shape).validate_json(line, strict=True)
    except ValidationError as exc:
        raise RuntimeError(f"bench child answered {line[:200]!r} ({exc})") from None
