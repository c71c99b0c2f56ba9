"""The pre-loss receipt: a pure model and its rendering to lines in either language.

No I/O here. A receipt never holds a full card or ID number or a name: the card number
is masked on the way in (:meth:`PreLossReceipt.create`) and the constructor refuses a
value that still looks unmasked. The QR code carries the reference only, so a lost
receipt reveals nothing about its holder.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from kiosk.domain.clock import DEFAULT_TIMEZONE, format_time
from kiosk.domain.masking import mask_card_number
from kiosk.i18n import translate

RECEIPT_WIDTH = 32  # characters of a 58 mm roll in font A; CJK characters count double


class ReceiptStatus(StrEnum):
    """Whether the central service acknowledged the pre-loss or it waits in the outbox."""

    CONFIRMED = "confirmed"
    PENDING = "pending"


@dataclass(frozen=True)
class PreLossReceipt:
    """What a pre-loss receipt says. Build it with :meth:`create` from a full card number."""

    reference: str
    masked_card_number: str
    created_at: dt.datetime
    lapse_date: dt.date
    hotline: str
    status: ReceiptStatus
    terminal_id: str = ""
    lapse_estimate: bool = False  # the lapse date was counted on the kiosk: "about …"
    timezone: str = DEFAULT_TIMEZONE  # the region's zone: times print in it

    def __post_init__(self) -> None:
        shown = sum(ch != "*" for ch in self.masked_card_number)
        if self.masked_card_number and "*" not in self.masked_card_number:
            raise ValueError("masked_card_number must be masked (use PreLossReceipt.create)")
        if shown > 4:  # a masked card number shows its last 4 characters at most
            raise ValueError("masked_card_number shows too many characters")
        if not self.reference or len(self.reference) > 64:
            raise ValueError("reference must be 1 to 64 characters")
        object.__setattr__(self, "status", ReceiptStatus(self.status))

    @classmethod
    def create(cls, *, reference: str, card_number: str, created_at: dt.datetime,
               lapse_date: dt.date, hotline: str, status: ReceiptStatus | str,
               terminal_id: str = "") -> PreLossReceipt:
        """A receipt from the full card number, which is masked here and not kept."""
        return cls(reference=reference, masked_card_number=mask_card_number(card_number),
                   created_at=created_at, lapse_date=lapse_date, hotline=hotline,
                   status=ReceiptStatus(status), terminal_id=terminal_id)

    @property
    def qr_payload(self) -> str:
        """What the QR code encodes: the reference, nothing personal."""
        return self.reference


@dataclass(frozen=True)
class RenderedReceipt:
    """A receipt as printable text: a title, body lines, next steps, the QR payload."""

    title: str
    lines: tuple[str, ...]
    next_steps: tuple[str, ...]
    footer: str
    qr_payload: str

    def all_text(self) -> str:
        """Everything printed as text, for tests and on-screen previews."""
        return "\n".join((self.title, *self.lines, *self.next_steps, self.footer))


def _fmt_time(value: dt.datetime, tz: str = DEFAULT_TIMEZONE) -> str:
    return format_time(value, tz)


def render_receipt(receipt: PreLossReceipt, language: str) -> RenderedReceipt:
    """The receipt's lines in ``language`` (``zh_CN`` or ``en``), from the receipts catalog."""

    def t(key: str, **values: object) -> str:
        return translate(f"receipts.{key}", language, **values)

    lapse = receipt.lapse_date.isoformat()
    if receipt.lapse_estimate:
        lapse = t("about_date", date=lapse)
    lines = [
        t("reference", reference=receipt.reference),
        t("card", card=receipt.masked_card_number),
        t("time", time=_fmt_time(receipt.created_at, receipt.timezone)),
        t(f"status.{receipt.status.value}"),
        t("lapse", date=lapse),
    ]
    if receipt.terminal_id:
        lines.append(t("terminal", terminal=receipt.terminal_id))
    steps = tuple(
        t(f"next.{receipt.status.value}.{i}", date=lapse,
          hotline=receipt.hotline)
        for i in (1, 2, 3)
    )
    return RenderedReceipt(
        title=t("title"), lines=tuple(lines), next_steps=(t("next.heading"), *steps),
        footer=t("footer", hotline=receipt.hotline), qr_payload=receipt.qr_payload)


def render_test_page(language: str, terminal_id: str, now: dt.datetime,
                     version: str, tz: str = DEFAULT_TIMEZONE) -> RenderedReceipt:
    """The printer test page: terminal, time, version and a character sample; no person."""

    def t(key: str, **values: object) -> str:
        return translate(f"receipts.test_page.{key}", language, **values)

    lines = (t("terminal", terminal=terminal_id), t("time", time=_fmt_time(now, tz)),
             t("version", version=version), t("sample"), "0123456789 ABCDEF abcdef",
             "-" * RECEIPT_WIDTH)
    return RenderedReceipt(title=t("title"), lines=lines, next_steps=(), footer=t("footer"),
                           qr_payload=f"TEST-{terminal_id}")


def display_width(text: str) -> int:
    """Columns a string takes on a receipt: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap_line(text: str, width: int = RECEIPT_WIDTH) -> list[str]:
    """Wrap one line to ``width`` columns, at spaces for Latin text, anywhere for CJK.

    Nothing is dropped: every character but the spaces a line is broken at is on a line,
    in order; a newline in the text starts a new line, as it does on the printer."""
    if width < 2:
        raise ValueError(f"a receipt line must fit one CJK character (2 columns), not {width}")
    if "\n" in text:
        return [part for line in text.split("\n") for part in wrap_line(line, width)]
    out: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if display_width(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = ""
        for ch in word:  # a word longer than the line (or CJK text): break by character
            if display_width(current + ch) > width:
                out.append(current)
                current = ""
            current += ch
    if current or not out:
        out.append(current)
    return out
