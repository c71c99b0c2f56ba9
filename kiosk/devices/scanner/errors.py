"""The scanner's typed errors, in the same vocabulary as the card readers'
(:class:`kiosk.devices.pcsc.errors.CardError`): a ``.kind`` the services act on, a
technical ``detail`` for logs that never carries a scanned code, an i18n key.

::

    ScannerError(Exception)   .kind: ScannerErrorKind
      kind ∈ no_scanner | scanner_lost | busy | bad_code
"""

from __future__ import annotations

from enum import StrEnum


class ScannerErrorKind(StrEnum):
    """The few situations the kiosk acts on differently."""

    no_scanner = "no_scanner"  # the configured port/device cannot be opened (unplugged)
    scanner_lost = "scanner_lost"  # it went away while open (unplugged, USB reset)
    busy = "busy"  # another program holds it (serial lock, evdev grab refused)
    bad_code = "bad_code"  # what was scanned is not a plausible code (length, charset)


class ScannerError(Exception):
    """A scanner failure. ``detail`` is technical and never contains what was scanned."""

    def __init__(self, kind: ScannerErrorKind | str, detail: str = "") -> None:
        self.kind = ScannerErrorKind(kind)
        self.detail = detail
        super().__init__(f"{self.kind.value}: {detail}" if detail else self.kind.value)

    @property
    def i18n_key(self) -> str:
        """Key of the plain-words message for the screen."""
        return f"cards.scanner_error.{self.kind}"

    def __reduce__(self):  # keep pickling (logging queues) working
        return (ScannerError, (self.kind.value, self.detail))
