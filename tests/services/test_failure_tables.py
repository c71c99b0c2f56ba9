"""Every error kind the lower layers can raise has a failure screen with words in both
languages. The kinds are taken from the lower layers' own tables and classes, so a new
kind there without a mapping (or without words) fails here."""

from __future__ import annotations

import inspect
import re

import pytest

from kiosk.central import errors as central_errors
from kiosk.central import outbox as outbox_module
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.i18n import LANGUAGES, catalog
from kiosk.services.failures import (
    CARD_KINDS,
    CENTRAL_KINDS,
    FAILURE_KINDS,
    OUTBOX_KINDS,
    Failure,
    failure_from_error,
)
from kiosk.storage import StorageError

HOTLINE = "12333"


def central_kinds() -> set[str]:
    """``kind`` of CentralError and every subclass defined in kiosk.central.errors."""
    return {cls.kind for _, cls in inspect.getmembers(central_errors, inspect.isclass)
            if issubclass(cls, central_errors.CentralError)}


def outbox_kinds() -> set[str]:
    """Every kind the outbox module raises an OutboxError with (read from its source)."""
    source = inspect.getsource(outbox_module)
    kinds = set(re.findall(r'OutboxError\(\s*"(\w+)"', source))
    kinds |= set(re.findall(r'\bkind = "(\w+)"', source))
    return kinds


def central_error(kind: str) -> central_errors.CentralError:
    cls = next(c for _, c in inspect.getmembers(central_errors, inspect.isclass)
               if issubclass(c, central_errors.CentralError) and c.kind == kind)
    if cls is central_errors.CentralRefused:
        return cls("replacement_exists", "")
    return cls("test")


def lower_layer_errors() -> list[BaseException]:
    errs: list[BaseException] = [CardError(kind) for kind in CardErrorKind]
    errs += [central_error(kind) for kind in sorted(central_kinds())]
    errs += [central_errors.OutboxError(kind) for kind in sorted(outbox_kinds())]
    errs.append(StorageError("the data directory", "/nowhere", "Permission denied"))
    return errs


def test_the_tables_cover_every_kind_of_the_lower_layers() -> None:
    assert set(CardErrorKind) <= set(CARD_KINDS), set(CardErrorKind) - set(CARD_KINDS)
    assert central_kinds() <= set(CENTRAL_KINDS), central_kinds() - set(CENTRAL_KINDS)
    assert outbox_kinds() and outbox_kinds() <= set(OUTBOX_KINDS), \
        outbox_kinds() - set(OUTBOX_KINDS)


def test_the_tables_do_not_overlap() -> None:
    # A kind is looked up in each table in turn: the same word in two would be ambiguous.
    assert not set(CARD_KINDS) & set(CENTRAL_KINDS)
    assert not set(CARD_KINDS) & set(OUTBOX_KINDS)
    assert not set(CENTRAL_KINDS) & set(OUTBOX_KINDS)


@pytest.mark.parametrize("exc", lower_layer_errors(), ids=lambda e: f"{type(e).__name__}"
                         f"-{getattr(e, 'kind', '')}")
def test_every_error_has_a_failure_screen_in_both_languages(exc: BaseException) -> None:
    failure = failure_from_error(exc, HOTLINE)
    assert failure.kind in FAILURE_KINDS, (exc, failure.kind)
    assert failure.params["hotline"] == HOTLINE
    for language in LANGUAGES:
        cat = catalog(language)
        for key in (failure.title_key, failure.body_key, failure.advice_key):
            assert cat.get(key), (language, key)


def test_mapping_is_by_kind_not_by_class_name() -> None:
    class CentralOffline(Exception):  # same name as the real one, no kind: not offline
        pass

    assert failure_from_error(CentralOffline(), HOTLINE).kind == "internal"

    class Odd(Exception):
        kind = "timeout"

    assert failure_from_error(Odd(), HOTLINE).kind == "timeout"


def test_failure_keys_follow_the_kind() -> None:
    f = Failure("offline")
    assert (f.title_key, f.body_key, f.advice_key) == (
        "journeys.failure.offline.title", "journeys.failure.offline.body",
        "journeys.failure.offline.advice")
