"""The core card system is one interface: a province's own adapter plugs in there.

A test adapter (a dictionary, nothing of the simulated core's rules or tables) is put
behind the real ``/v1`` app and gate over HTTP, and the kiosk's real client is answered
from it: lookup, status, a pre-loss with its idempotency key (the adapter sees the key;
a repeat is answered by the register without calling it again), the SMS code round
(the register holds the challenge; the adapter only names the phone and sends), and a
refusal mapped to the contract's problem code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.errors import CentralNotFound, CentralRefused
from kiosk.central.sandbox.app import create_app
from kiosk.central.sandbox.db import SqliteDatabase
from kiosk.central.sandbox.fleet_store import FleetStore
from kiosk.central.sandbox.gate import Gate
from kiosk.central.sandbox.ports import Contact, StaticKeys
from kiosk.central.sandbox.register import SQLITE_SCHEMA
from kiosk.central.sandbox.rules import RegionalRules
from kiosk.central.sandbox.server import _listen
from kiosk.central.sandbox.store import ServiceBackend
from kiosk.central.sandbox.store_util import ApiProblem, EsscRefused
from kiosk.central.schemas import ProblemCode
from kiosk.centre.server import uvicorn_server
from kiosk.domain.models import IdCardData
from kiosk.secrets import Secrets
from tests.fixtures.polling import until
from tests.fixtures.sandbox import central_test_settings

ID = "110105194912310021"
CARD = "TEST00001"
CHIP = "110105D156000005" + "AB" * 8
# The person's ID card, as the terminal's reader gives it.
ID_CARD = IdCardData(name="张三丰", gender="male", ethnicity="01", birth_date=dt.date(1949, 12, 31),
                     address="北京", id_number=ID, authority="北京市公安局",
                     valid_from=dt.date(2010, 1, 1), valid_to=None)


class DictCore:
    """A province's core, as small as an adapter can be (see the module doc)."""

    def __init__(self) -> None:
        self.state = "active"
        self.keys_seen: list[str | None] = []
        self.sent: list[tuple[str, str]] = []

    def _person(self) -> dict[str, Any]:
        return {"person_ref": "ref-1", "name": "张三丰", "phone_masked": "139****0000",
                "cards": [{"card_number": CARD, "state": self.state, "bank_function": False,
                           "issued": "2022-02-02", "has_replacement": False}]}

    def lookup(self, id_number: str | None = None,
               card_number: str | None = None) -> dict[str, Any]:
        if id_number not in (ID, None) or card_number not in (CARD, None):
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such person")
        return self._person()

    def person_cards(self, person_ref: str) -> dict[str, Any]:
        return self._person()

    def id_card_genuine(self, id_number: str, valid_from: dt.date,
                        valid_to: dt.date | None, authority: str) -> bool:
        return id_number == ID and valid_from == ID_CARD.valid_from

    def card_chip_genuine(self, card_number: str, chip_id: str) -> bool:
        return card_number == CARD and chip_id == CHIP

    def card_status(self, card_number: str) -> dict[str, Any]:
        if card_number != CARD:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such card")
        return {"card_number": CARD, "state": self.state, "history": [],
                "replacement": None, "lapses_on": None}

    def replacement_progress(self, card_number: str | None = None,
                             id_number: str | None = None) -> dict[str, Any]:
        raise ApiProblem(ProblemCode.NO_REPLACEMENT, 404, "none")

    def pre_loss(self, card_number: str, id_number: str | None, terminal_id: str,
                 channel: str = "kiosk", idempotency_key: str | None = None, *,
                 person_ref: str | None = None) -> dict[str, Any]:
        self.keys_seen.append(idempotency_key)
        if self.state != "active":
            raise ApiProblem(ProblemCode.ALREADY_PRE_LOST, 409, "already")
        self.state = "pre_lost"
        return {"reference": "CORE-0001", "card_number": card_number,
                "settlement_stopped_at": "2026-12-07T01:00:00+00:00",
                "lapses_on": "2026-12-17", "hotline": "12333"}

    def cancel_pre_loss(self, card_number: str, id_number: str,
                        idempotency_key: str | None = None) -> dict[str, Any]:
        raise ApiProblem(ProblemCode.NOT_ALLOWED, 409, "at the counter")

    def contact(self, id_number: str) -> Contact:
        if id_number != ID:
            raise ApiProblem(ProblemCode.NOT_FOUND, 404, "no such person")
        return Contact("ref-1", "13900000000")

    def send_code(self, contact: Contact, code: str) -> None:
        self.sent.append((contact.phone, code))

    def essc_identify(self, code: str, terminal_id: str) -> str:
        raise EsscRefused("not_an_essc", "no e-SSC platform here")


@pytest.fixture
def adapter_service(tmp_path: Path, central_secrets: Secrets
                    ) -> Iterator[tuple[DictCore, CentralClient]]:
    core = DictCore()
    db = SqliteDatabase(tmp_path / "register.db")
    db.script(SQLITE_SCHEMA)
    settings = central_test_settings(tmp_path)
    keys = StaticKeys({settings.kiosk.terminal_id: central_secrets.terminal_key})
    backend = ServiceBackend(db, FleetStore.sqlite(tmp_path / "fleet.db"), RegionalRules(),
                             keys, core=core)
    gate = Gate(create_app(backend, 300.0), None, backend, 300.0, "unused")
    sock = _listen("127.0.0.1", 0)
    server = uvicorn_server(gate, log_level="warning", access_log=False)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    until(lambda: server.started, timeout=20, what="the adapter's service started")
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = dataclasses.replace(settings, central=dataclasses.replace(
        settings.central, base_url=url))
    client = CentralClient(settings, central_secrets)
    yield core, client
    client.close()
    server.should_exit = True
    thread.join(10)
    db.close()


def test_a_province_adapter_answers_the_kiosk_client(adapter_service):
    core, client = adapter_service
    person = client.lookup_by_id_card(ID_CARD)
    assert person.name == "张**"  # the route masks what the core gave in full
    assert CARD not in person.model_dump_json()  # handles, never the card number
    handle = person.cards[0].handle
    assert client.card_status(handle).state == "active"
    with pytest.raises(CentralNotFound):
        client.card_status(ssc={"card_number": "NOSUCH01", "chip_id": CHIP})
    key = new_idempotency_key()
    first = client.submit_pre_loss(handle, key)
    again = client.submit_pre_loss(handle, key)
    assert first.reference == again.reference == "CORE-0001"
    assert core.keys_seen == [key]  # the repeat was answered by the register
    with pytest.raises(CentralRefused) as refused:
        client.submit_pre_loss(handle, new_idempotency_key())
    assert refused.value.code == "already_pre_lost"
    challenge = client.request_code(ID)
    (phone, code), = core.sent
    assert phone == "13900000000" and challenge.phone_masked == "139****0000"
    confirmed = client.confirm_code(challenge.challenge_id, code)
    assert confirmed.may_pre_lose and confirmed.person_ref != "ref-1"  # this answer's own
