"""A journey's worth of failures, logged with persona data inside the exceptions: the
log file names the error types, never a persona's name, number, phone or address.

Patterns cannot recognise a Chinese name, so the guarantee is structural: exception
messages and the server's free-text ``detail`` are not written at all
(:func:`kiosk.logs.error_fields`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

from kiosk.central import schemas as s
from kiosk.central.client import CentralClient
from kiosk.central.errors import (
    CentralBadResponse,
    CentralNotFound,
    CentralRefused,
    OutboxError,
)
from kiosk.devices.pcsc.errors import CardError, CardErrorKind
from kiosk.devices.virtual.cards import ssc_card_data
from kiosk.logs import error_fields, get_logger, setup_logging
from kiosk.personas import load_personas
from kiosk.secrets import Secrets
from tests.fixtures.sandbox import central_test_settings

PERSONAL = ("name", "id_number", "card_number", "address", "phone", "pin")


def secrets_of(persona: dict) -> list[str]:
    out = []
    for table in ("id", "ssc", "central"):
        for key in PERSONAL:
            value = persona.get(table, {}).get(key)
            if isinstance(value, str) and len(value) >= 2:
                out.append(value)
    return out


def failures(p: dict) -> list[BaseException]:
    """Exceptions as the layers raise them, carrying what a careless message might."""
    ident = p.get("id", {})
    name, number = ident.get("name", "某某"), ident.get("id_number", "110105199001011234")
    card = p.get("ssc", {}).get("card_number", "X00000001")
    phone = p.get("central", {}).get("phone", "13900000000")
    return [
        ValueError(f"bad card for {name} {number}"),
        KeyError(name),
        RuntimeError(f"{name} lives at {ident.get('address', '')}, phone {phone}"),
        CardError(CardErrorKind.unsupported_card, f"holder {name}"),
        CentralRefused("card_not_active", f"card {card} of {name} is not active", 409),
        CentralNotFound(f"no person {name} {number}"),
        CentralBadResponse(f"echoed {name}"),
        OutboxError("full", f"could not store {name} {number}"),
        FileNotFoundError(2, "No such file or directory", f"/var/{name}.json"),
    ]


def raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - we want the traceback attached
        return caught


@pytest.fixture
def log_file(tmp_path: Path):
    path = setup_logging(tmp_path / "log")
    yield path
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()


def read(path: Path) -> str:
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_no_persona_data_in_the_log_after_failures(log_file, tmp_path, monkeypatch):
    from kivy.base import ExceptionManager

    from kiosk.ui.crash_guard import RecoverToErrorScreen  # not ui.app: it makes the window

    log = get_logger("kiosk.test.journey")
    settings = central_test_settings(tmp_path / "data")
    client = CentralClient(settings, Secrets(b"k" * 32, "pbkdf2_sha256$1$00$00"),
                           sleep=lambda _s: None)
    guard = RecoverToErrorScreen(SimpleNamespace(recover=lambda: None))
    personas = load_personas()
    for p in personas.values():
        for exc in failures(p):
            exc = raised(exc)
            log.exception("step failed")                        # inside an except block
            log.error("step failed", exc_info=exc)              # explicit exc_info
            log.warning("step failed", extra={"fields": error_fields(exc)})
            guard.recent.clear()
            assert guard.handle_exception(exc) == ExceptionManager.PASS  # the crash guard
        # The central client's warning on a refusal whose detail repeats the request.
        refusal = failures(p)[4]
        monkeypatch.setattr(client, "_once", lambda *a, _e=refusal, **k: (_ for _ in ()).throw(_e))
        with pytest.raises(CentralRefused):
            client.card_status(ssc=ssc_card_data("x_check"))
    client.close()
    text = read(log_file)
    for p in personas.values():
        for secret in secrets_of(p):
            assert secret not in text, f"{secret!r} leaked into the log"
    lines = [json.loads(line) for line in text.splitlines()]
    crash = [x for x in lines if x["event"] == "unexpected error in the UI"]
    assert crash and crash[0]["fields"]["error"] == "ValueError"
    assert crash[0]["fields"]["where"].startswith("tests/test_log_privacy.py:")
    central = [x for x in lines if x["event"] == "central call failed"]
    assert central and central[0]["fields"]["problem"] == "card_not_active"
    assert central[0]["fields"]["status"] == 409 and "detail" not in central[0]["fields"]


def test_error_fields_keep_the_codes(log_file):
    refused = raised(CentralRefused("card_not_active", "张晓燕", 409))
    assert error_fields(refused)["error_code"] == "card_not_active"
    card = raised(CardError(CardErrorKind.pin_wrong, "张晓燕", tries_left=2))
    assert error_fields(card)["error_code"] == "pin_wrong"
    os_error = raised(PermissionError(13, "Permission denied", "/x/张晓燕"))
    assert error_fields(os_error) == {"error": "PermissionError", "error_code": "EACCES",
                                      "where": error_fields(os_error)["where"]}
    # A foreign exception's ``code`` is not trusted (it could be anything).
    foreign = raised(type("Foreign", (Exception,), {"code": "X00000027"})())
    assert "error_code" not in error_fields(foreign)
    assert s  # schemas imported: the client module's problem codes exist
