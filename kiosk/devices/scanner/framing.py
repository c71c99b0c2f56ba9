"""From a byte stream to scanned codes: framing, bounds, debounce.

A 2D scanner sends a code's characters and then a suffix (CR, LF or CR LF by default
on most scanners); some are set up without one. So a code ends at a terminator, or
when no byte has come for ``gap`` seconds (the inter-character timeout: a scanner sends
a whole code in a few milliseconds, a pause means it is done). Bytes arriving in
several reads are joined.

What comes out is hostile until checked: a code must be :data:`MIN_CHARS` to
:data:`MAX_CHARS` printable ASCII characters; anything else is a
``ScannerError(bad_code)`` (a damaged read, a scanner in the wrong mode, a barcode that
is not a QR code) — never a crash. A frame that grows past the maximum is dropped up
to its terminator and refused once.

The same code scanned again within ``debounce`` seconds (a phone held over the window
is read several times) is dropped. Only a hash of the last code is kept for that: the
kiosk never stores a code (:class:`ScannedCode` masks itself and logs by hash prefix).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from kiosk.devices.scanner.errors import ScannerError, ScannerErrorKind

MIN_CHARS = 8  # e-SSC codes are far longer; anything this short is a misread
MAX_CHARS = 512  # a QR code's text beyond this is not an identity code
TERMINATORS = b"\r\n"
DEFAULT_GAP_S = 0.15
DEFAULT_DEBOUNCE_S = 3.0


def code_digest(text: str) -> str:
    """The hash prefix a code may be logged or compared by (12 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]


@dataclass(frozen=True)
class ScannedCode:
    """One scanned code. ``text`` goes to the central service and nowhere else: ``repr``
    and ``str`` show only the length and the hash prefix."""

    text: str = field(repr=False)
    at: float = 0.0

    @property
    def digest(self) -> str:
        return code_digest(self.text)

    def __len__(self) -> int:
        return len(self.text)

    def __str__(self) -> str:
        return f"code({len(self.text)} chars, #{self.digest})"

    __repr__ = __str__


def check_code(raw: bytes) -> str:
    """The text of one frame if it is a plausible code; else ``ScannerError(bad_code)``
    saying why (length or charset, never the content)."""
    if not MIN_CHARS <= len(raw) <= MAX_CHARS:
        raise ScannerError(ScannerErrorKind.bad_code, f"length {len(raw)}")
    if any(b < 0x20 or b > 0x7E for b in raw):
        raise ScannerError(ScannerErrorKind.bad_code, "characters outside printable ASCII")
    return raw.decode("ascii")


class CodeFramer:
    """Turns reads into codes and refusals. Not thread-safe: one reader thread feeds it.

    ``feed(data, now)`` and ``tick(now)`` return a list of :class:`ScannedCode` or
    :class:`ScannerError`; ``deadline()`` says when ``tick`` must be called next (the
    end of the inter-character gap), or None when nothing is pending."""

    def __init__(self, gap: float = DEFAULT_GAP_S, debounce: float = DEFAULT_DEBOUNCE_S) -> None:
        self.gap, self.debounce = gap, debounce
        self._buf = bytearray()
        self._overflow = False
        self._last_byte = 0.0
        self._last_hash: bytes | None = None
        self._last_at = float("-inf")
        self.duplicates = 0

    def feed(self, data: bytes, now: float) -> list[ScannedCode | ScannerError]:
        out: list[ScannedCode | ScannerError] = []
        for b in data:
            if b in TERMINATORS:
                self._end(now, out)
                continue
            if self._overflow:
                continue
            self._buf.append(b)
            if len(self._buf) > MAX_CHARS:
                self._buf.clear()
                self._overflow = True
                out.append(ScannerError(ScannerErrorKind.bad_code,
                                        f"longer than {MAX_CHARS} characters"))
        if data:
            self._last_byte = now
        return out

    def tick(self, now: float) -> list[ScannedCode | ScannerError]:
        """End a frame whose sender has been silent for ``gap`` seconds."""
        out: list[ScannedCode | ScannerError] = []
        if (self._buf or self._overflow) and now >= self._last_byte + self.gap:
            self._end(now, out)
        return out

    def deadline(self) -> float | None:
        return self._last_byte + self.gap if (self._buf or self._overflow) else None

    def reset(self) -> None:
        """Forget a half-received frame (the scanner went away)."""
        self._buf.clear()
        self._overflow = False

    def _end(self, now: float, out: list[ScannedCode | ScannerError]) -> None:
        raw, overflow = bytes(self._buf), self._overflow
        self._buf.clear()
        self._overflow = False
        if overflow or not raw:
            return  # an overflow was refused already; a lone CR/LF (CR LF suffix) is nothing
        try:
            text = check_code(raw)
        except ScannerError as exc:
            out.append(exc)
            return
        h = hashlib.sha256(raw).digest()
        if (self._last_hash is not None and hmac.compare_digest(h, self._last_hash)
                and now - self._last_at < self.debounce):
            self.duplicates += 1
            self._last_at = now  # held over the window: keep it quiet while it stays
            return
        self._last_hash, self._last_at = h, now
        out.append(ScannedCode(text, now))
