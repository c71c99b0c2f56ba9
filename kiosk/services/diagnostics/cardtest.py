"""The technician's test read: proves a reader and card work, shows only the card type
and how long it took: no part of any number (diagnostics show no one's data, not even
masked). It goes through the card hub (the one PC/SC client of the app); the data read
(validated by the card's profile) is dropped at once, nothing is logged but the type."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.domain.models import IdCardData, SscCardData
from kiosk.logs import get_logger
from kiosk.services.diagnostics.context import DiagnosticsContext
from kiosk.services.diagnostics.ports import CardReaderPort

log = get_logger("kiosk.services.diagnostics.cardtest")


@dataclass(frozen=True)
class TestRead:
    """Outcome of a test read: ``card_type`` is ``ssc``, ``id_card`` or ``unknown``;
    ``error`` is a :class:`~kiosk.devices.pcsc.errors.CardErrorKind` value on failure."""

    __test__ = False  # not a pytest class, despite the name

    reader: str
    card_type: str
    duration_ms: float = 0.0
    error: str | None = None


def test_read(hub: CardReaderPort, reader: str) -> TestRead:
    """Read the card in ``reader`` through ``hub`` (social security card first, then the
    ID text card) and keep only its type. Never raises a CardError."""
    started = time.perf_counter()
    card_type, error = "unknown", None
    try:
        data = hub.read_card(reader)
    except CardError as exc:
        error = str(exc.kind)
    else:
        if isinstance(data, SscCardData):
            card_type = "ssc"
        elif isinstance(data, IdCardData):
            card_type = "id_card"
        else:
            error = str(CardErrorKind.unsupported_card)
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
