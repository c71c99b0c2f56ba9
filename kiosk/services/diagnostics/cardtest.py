"""The technician's test read: proves a reader and card work, shows only the card type
and a masked number. The data read is dropped at once; nothing is logged but the type."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kiosk.domain.masking import mask_card_number, mask_id_number
from kiosk.logs import get_logger

log = get_logger("kiosk.services.diagnostics.cardtest")


@dataclass(frozen=True)
class TestRead:
    """Outcome of a test read: ``card_type`` is ``ssc``, ``id_card`` or ``unknown``;
    ``error`` is a :class:`~kiosk.devices.pcsc.CardErrorKind` value on failure."""

    __test__ = False  # not a pytest class, despite the name

    reader: str
    card_type: str
    masked_number: str = ""
    duration_ms: float = 0.0
    error: str | None = None


def test_read(reader: str) -> TestRead:
    """Read the card in ``reader``: social security card first, then the ID text card."""
    from kiosk.devices.idcard.pcsc_profile import read_id_text
    from kiosk.devices.pcsc import CardError, CardErrorKind, PcscContext
    from kiosk.devices.ssc import read_ssc

    started = time.perf_counter()
    ctx = PcscContext()

    def done(card_type: str, masked: str = "", error: str | None = None) -> TestRead:
        ms = (time.perf_counter() - started) * 1000
        log.info("test read", extra={"fields": {"card_type": card_type, "error": error,
                                                "ms": round(ms, 1)}})
        return TestRead(reader, card_type, masked, ms, error)

    # Each kind of card in turn; "not this kind" moves on, any other failure is the answer.
    kinds = (("ssc", read_ssc, lambda d: mask_card_number(d.card_number)),
             ("id_card", read_id_text, lambda d: mask_id_number(d.id_number)))
    try:
        with ctx.connect(reader) as session:
            for card_type, read, masked in kinds:
                try:
                    data = read(session.transmit)
                except CardError as exc:
                    if exc.kind is not CardErrorKind.unsupported_card:
                        raise
                    continue
                return done(card_type, masked(data))
            return done("unknown", error=str(CardErrorKind.unsupported_card))
    except CardError as exc:
        return done("unknown", error=str(exc.kind))
    finally:
        ctx.release()
