"""The technician's test read: proves a reader and card work, shows only the card type
and how long it took: no part of any number (diagnostics show no one's data, not even
masked). It goes through the card hub (the one PC/SC client of the app); the data read
(validated by the card's profile) is dropped at once, nothing is logged but the type."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.ports import CardReaderPort
from kiosk.services.failures import card_error_kind

log = get_logger("kiosk.services.diagnostics.cardtest")
UNSUPPORTED_CARD = "unsupported_card"  # CardErrorKind.unsupported_card: neither card


@dataclass(frozen=True)
class TestRead:
    """Outcome of a test read: ``card_type`` is ``ssc``, ``id_card`` or ``unknown``;
    ``error`` is the card error's kind (``kiosk.devices.pcsc.errors.CardErrorKind``) on
    failure."""

    __test__ = False  # not a pytest class, despite the name

    reader: str
    card_type: str
    duration_ms: float = 0.0
    error: str | None = None


def test_read(hub: CardReaderPort, reader: str) -> TestRead:
    """Read the card in ``reader`` through ``hub`` (social security card first, then the
    ID text card) and keep only its type. Never raises a card error (by its kind)."""
    started = time.perf_counter()
    card_type, error = "unknown", None
    try:
        data = hub.read_card(reader)
    except Exception as exc:
        error = card_error_kind(exc)
        if error is None:  # not the card layer's: a bug, said as such by the caller
            raise
    else:
        if isinstance(data, SscCardData):
            card_type = "ssc"
        elif isinstance(data, IdCardData):
            card_type = "id_card"
        else:
            error = UNSUPPORTED_CARD
    ms = (time.perf_counter() - started) * 1000
    log.info("test read", extra={"fields": {"card_type": card_type, "error": error,
                                            "ms": round(ms, 1)}})
    return TestRead(reader, card_type, ms, error)


def card_test_check(reader: str) -> Callable[[DiagnosticsContext], TestRead]:
    """The test read of ``reader`` as a check for
    :func:`~kiosk.services.diagnostics.runner.run_check` (through the context's hub)."""
    def check(ctx: DiagnosticsContext) -> TestRead:
        return test_read(ctx.get_card_reader(), reader)

    return check


test_read.__test__ = False  # type: ignore[attr-defined]  # not a pytest test either
