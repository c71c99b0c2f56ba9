"""The failure map's readers of a lower layer's error, by its ``kind``: the card layer's
kind (the technician's test read and readers check), the printer's (the receipt and the
printer page), and the part of the terminal an error comes from (the technician's words).
Built from the real exception classes of each layer, never by name or message. Fast:
``kiosk bench mutate`` runs these against every change to services/failures.py."""

from __future__ import annotations

import errno

import pytest

from kiosk.central.errors import (
    CentralBadResponse,
    CentralOffline,
    CentralRevoked,
    CentralTimeout,
    OutboxError,
)
from kiosk.config import ConfigError
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.printer.base import PrinterNotConfigured, PrinterOffline, PrinterOutOfPaper
from kiosk.devices.ssc import PinFormatError
from kiosk.i18n import LANGUAGES, catalog
from kiosk.services.failures import (
    PIN_FORMAT,
    FailedPart,
    card_error_kind,
    failed_part,
    printer_error_kind,
)
from kiosk.storage import StorageError


class _Kinded(Exception):
    """An error of no layer that carries a ``kind`` anyway."""

    def __init__(self, kind: object) -> None:
        super().__init__("x")
        self.kind = kind


@pytest.mark.parametrize("kind", list(CardErrorKind))
def test_a_card_error_gives_its_kind(kind: CardErrorKind):
    assert card_error_kind(CardError(kind, "detail")) == kind.value


@pytest.mark.parametrize("exc", [ValueError("no_card"), PrinterOffline(), OutboxError("full"),
                                 _Kinded(7), _Kinded(None), CentralOffline()],
                         ids=["no kind", "printer", "outbox", "number", "none", "central"])
def test_anything_else_is_no_card_error(exc: BaseException):
    assert card_error_kind(exc) is None


@pytest.mark.parametrize(("exc", "kind"), [(PrinterOffline(), "offline"),
                                           (PrinterOutOfPaper(), "out_of_paper"),
                                           (PrinterNotConfigured(), "not_configured")])
def test_a_printer_error_gives_its_kind(exc: BaseException, kind: str):
    assert printer_error_kind(exc) == kind


@pytest.mark.parametrize("exc", [CardError("no_card"), CentralTimeout(), CentralOffline(),
                                 OutboxError("full"), _Kinded(3), _Kinded("offline"),
                                 RuntimeError("offline")],
                         ids=["card", "central", "central_offline", "outbox", "number",
                              "kind_of_no_part", "message"])
def test_anything_else_is_no_printer_error(exc: BaseException):
    assert printer_error_kind(exc) is None


@pytest.mark.parametrize(("exc", "part"), [
    (ConfigError("kiosk.toml", "central.base_url", "not a URL"), FailedPart.CONFIG),
    (StorageError("data directory", "/var/lib/kiosk", "Permission denied"),
     FailedPart.STORAGE),
    (CardError("no_reader"), FailedPart.CARD),
    (CardError(CardErrorKind("not_ssc")), FailedPart.CARD),
    (CentralOffline(), FailedPart.CENTRAL),
    (CentralBadResponse(), FailedPart.CENTRAL),
    (CentralRevoked(), FailedPart.CENTRAL),
    (OutboxError("corrupt"), FailedPart.OUTBOX),
    (PrinterOffline(), FailedPart.PRINTER),
    (PrinterOutOfPaper(), FailedPart.PRINTER),
    (PrinterNotConfigured(), FailedPart.PRINTER),
    (OSError(errno.ENOSPC, "No space left on device"), FailedPart.STORAGE),
    (PermissionError(errno.EACCES, "Permission denied"), FailedPart.STORAGE),
    (ValueError("card"), FailedPart.GENERIC),
    (_Kinded("something_new"), FailedPart.GENERIC),
    (_Kinded(5), FailedPart.GENERIC),
], ids=lambda v: v.value if isinstance(v, FailedPart) else type(v).__name__)
def test_an_error_names_the_part_it_comes_from(exc: BaseException, part: FailedPart):
    assert failed_part(exc) is part


def test_each_part_has_the_technicians_words_in_every_language():
    assert [p.value for p in FailedPart] == [
        "card", "central", "printer", "outbox", "config", "storage", "generic"]
    for language in LANGUAGES:
        words = catalog(language)
        for part in FailedPart:
            assert words.get(f"diagnostics.ui.error.{part.value}"), (language, part)


def test_the_pin_format_refusal_is_known_by_the_card_layers_kind():
    assert PIN_FORMAT == PinFormatError("12345").kind == "pin_format"
