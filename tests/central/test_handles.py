"""Nothing two calls can join, on the real sandbox over HTTP: lookups answer masked
numbers and handles (bound to the terminal, the lookup, the identification and the
time), never a full card number or name; an ID number alone leads to no name and no
pre-loss; a queued pre-loss stays deliverable after its handle's read lifetime; a
per-card rate limit, and an alert for a terminal asking about many people."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os

import pytest
import requests

from kiosk.central import schemas as s
from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.errors import CentralNotFound, CentralRefused
from kiosk.central.outbox import KIND_PRE_LOSS, Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.central.request_build import chip_facts, id_card_facts
from kiosk.central.sandbox.ports import StaticKeys
from kiosk.central.sandbox.watch import ALERT_PEOPLE
from kiosk.central.signing import sign_request
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.idnumber import check_char
from kiosk.personas import load_personas, persona
from kiosk.secrets import load_secrets

TERMINAL = "T-DEMO-0001"
CENTRAL_BACKENDS = ("sandbox", "centre")  # nothing joinable on either service
IDENTIFIED = sorted(k for k, p in load_personas().items() if "id" in p and "central" in p)
CARD_NUMBERS = sorted({c["card_number"] for p in load_personas().values()
                       for c in (p.get("central") or {}).get("cards", [])})
FULL_NAMES = sorted({p["id"]["name"] for p in load_personas().values() if "id" in p})


def _post(sandbox, key: bytes, path: str, doc: dict, terminal: str = TERMINAL,
          idempotency_key: str | None = None) -> requests.Response:
    raw = json.dumps(doc).encode()
    headers = {"Content-Type": "application/json",
               **sign_request(key, terminal, "POST", path, raw,
                              idempotency_key=idempotency_key)}
    return requests.post(sandbox.url + path, data=raw, headers=headers, timeout=5)


def _reveals_nothing(text: str) -> None:
    for number in CARD_NUMBERS:
        assert number not in text, number
    for name in FULL_NAMES:
        assert name not in text, name


def _pre_losses(sandbox) -> list[dict]:
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["channel"] == "kiosk"]


# ---- what a lookup reveals ------------------------------------------------------------------

@pytest.mark.parametrize("key", IDENTIFIED)
def test_a_signed_lookup_by_id_card_reveals_no_card_number_and_no_full_name(
        sandbox, central_secrets, key):
    facts = json.loads(s.IdCardFacts.model_validate(
        _facts(id_card_data(key))).model_dump_json())
    resp = _post(sandbox, central_secrets.terminal_key, s.Path.LOOKUP, {"id_card": facts})
    _reveals_nothing(resp.text)
    # (The kiosk refuses an expired ID card before it asks; asked anyway, the answer
    # reveals no more.)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["may_pre_lose"] and len(body["cards"]) == len(persona(key)["central"]["cards"])


def test_the_sms_and_essc_answers_reveal_no_card_number_or_full_name(sandbox, central_client):
    challenge = central_client.request_code(persona("many_cards")["id"]["id_number"])
    code = sandbox.admin("GET", "/verification/last")["code"]
    _reveals_nothing(central_client.confirm_code(challenge.challenge_id, code)
                     .model_dump_json())
    scanned = sandbox.admin("POST", "/essc/codes", json={"persona": "normal"})["code"]
    _reveals_nothing(central_client.verify_essc(scanned).model_dump_json())


def test_a_lookup_by_a_cards_chip_reveals_a_masked_name_and_handles_that_only_read(
        central_client):
    person = central_client.lookup_by_ssc(ssc_card_data("many_cards"))
    _reveals_nothing(person.model_dump_json())
    assert person.name == "赵**" and not person.may_pre_lose
    handle = person.cards[0].handle
    assert central_client.card_status(handle).state == person.cards[0].state  # it reads
    with pytest.raises(CentralRefused) as err:  # a found card proves nothing about whose
        central_client.submit_pre_loss(handle, new_idempotency_key())
    assert (err.value.code, err.value.status) == ("handle_invalid", 403)


# ---- nothing from an ID number alone --------------------------------------------------------

def _facts(card) -> dict:
    return {"id_number": card.id_number, "valid_from": card.valid_from.isoformat(),
            "valid_to": card.valid_to.isoformat() if card.valid_to else None,
            "authority": card.authority}


def test_no_chain_of_calls_from_an_id_number_alone_reaches_a_name_or_a_pre_loss(
        sandbox, central_secrets):
    """Every operation, with what someone holding only the ID number (and a terminal
    key) can send: the number itself, guesses for the rest, handles they could forge."""
    key = central_secrets.terminal_key
    number = persona("normal")["id"]["id_number"]
    card = persona("normal")["ssc"]["card_number"]
    guessed_id_card = {"id_number": number, "valid_from": "2016-03-01",
                       "valid_to": "2036-03-01", "authority": "北京市公安局朝阳分局"}
    guessed_chip = {"card_number": card, "chip_id": number[:6] + "D156000005" + "0" * 16}
    forged = "A" * 64
    tries = [
        (s.Path.LOOKUP, {"id_number": number}, 422),
        (s.Path.LOOKUP, {"card_number": card}, 422),
        (s.Path.LOOKUP, {"id_card": guessed_id_card}, 404),
        (s.Path.LOOKUP, {"card": guessed_chip}, 404),
        (s.Path.CARD_STATUS, {"card_number": card}, 422),
        (s.Path.CARD_STATUS, {"card": guessed_chip}, 404),
        (s.Path.CARD_STATUS, {"handle": forged}, 403),
        (s.Path.REPLACEMENT_PROGRESS, {"id_number": number}, 422),
        (s.Path.REPLACEMENT_PROGRESS, {"handle": forged}, 403),
        (s.Path.PRE_LOSS, {"card_number": card, "id_number": number,
                           "terminal_id": TERMINAL}, 422),
        (s.Path.PRE_LOSS, {"handle": forged, "terminal_id": TERMINAL}, 403),
        (s.Path.PRE_LOSS_CANCEL, {"card": guessed_chip, "id_card": guessed_id_card}, 404),
        (s.Path.VERIFY_CONFIRM, {"challenge_id": "c" * 24, "code": "123456"}, 404),
        ("/v1/essc/verify", {"code": number + "-0000000000"}, 422),
    ]
    for path, doc, status in tries:
        state_change = path in s.STATE_CHANGING_OPERATIONS
        resp = _post(sandbox, key, path, doc,
                     idempotency_key=new_idempotency_key() if state_change else None)
        assert resp.status_code == status, (path, doc, resp.status_code, resp.text)
        _reveals_nothing(resp.text)
    # The SMS request: a masked phone, and the code goes to the person's phone only.
    resp = _post(sandbox, key, s.Path.VERIFY_REQUEST, {"id_number": number})
    assert resp.status_code == 200 and set(resp.json()) == {
        "challenge_id", "phone_masked", "expires_in", "resend_after_seconds"}
    _reveals_nothing(resp.text)
    assert _pre_losses(sandbox) == []


def test_an_older_or_altered_id_card_is_not_the_persons(central_client):
    card = id_card_data("normal")
    for changed in (dataclasses.replace(card, valid_from=dt.date(2005, 3, 1)),
                    dataclasses.replace(card, valid_to=None),
                    dataclasses.replace(card, authority="北京市公安局东城分局")):
        with pytest.raises(CentralNotFound):
            central_client.lookup_by_id_card(changed)


# ---- handles: this terminal, this use, this time -------------------------------------------

@pytest.fixture
def other_terminal(sandbox, central_settings):
    """A second terminal the service knows, with its own key."""
    terminal = "T-OTHER-" + os.urandom(3).hex()
    settings = dataclasses.replace(central_settings, kiosk=dataclasses.replace(
        central_settings.kiosk, terminal_id=terminal))
    secrets = dataclasses.replace(load_secrets(central_settings), terminal_key=os.urandom(32))
    if isinstance(sandbox.gate.keys, StaticKeys):  # the sandbox
        sandbox.gate.keys[terminal] = secrets.terminal_key
    else:  # the centre: enrolled as an operator would (lazy: needs the .[centre] extra)
        from kiosk.centre.terminals import Terminals

        Terminals(sandbox.store.db, sandbox.store.master_key).add(
            terminal, "demo-outlet", "demo", "outlet", actor="tests", key=secrets.terminal_key)
    client = CentralClient(settings, secrets)
    yield client
    client.close()
    if isinstance(sandbox.gate.keys, StaticKeys):
        sandbox.gate.keys.pop(terminal, None)


def test_a_handle_is_this_terminals_only(central_client, other_terminal, sandbox):
    handle = central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
    for call in (lambda: other_terminal.card_status(handle),
                 lambda: other_terminal.submit_pre_loss(handle, new_idempotency_key())):
        with pytest.raises(CentralRefused) as err:
            call()
        assert err.value.code == "handle_invalid"
    tampered = handle[:-2] + ("AA" if handle[-2:] != "AA" else "BB")
    with pytest.raises(CentralRefused) as err:
        central_client.card_status(tampered)
    assert err.value.code == "handle_invalid"
    assert _pre_losses(sandbox) == []
    assert central_client.card_status(handle).state == "active"


def test_handles_differ_at_every_lookup(central_client):
    handles = {central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
               for _ in range(5)}
    assert len(handles) == 5


def test_a_handle_reads_for_minutes_and_pre_loses_for_days(central_client, sandbox):
    handle = central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
    sandbox.admin("POST", "/clock", json={"offset_days": (s.HANDLE_TTL_SECONDS + 60) / 86400})
    with pytest.raises(CentralRefused) as err:
        central_client.card_status(handle)
    assert (err.value.code, err.value.status) == ("handle_expired", 410)
    result = central_client.submit_pre_loss(handle, new_idempotency_key())
    assert result.reference and len(_pre_losses(sandbox)) == 1
    other = central_client.lookup_by_id_card(id_card_data("x_check")).cards[0].handle
    sandbox.admin("POST", "/clock", json={
        "offset_days": (s.HANDLE_TTL_SECONDS + 60 + s.PRE_LOSS_HANDLE_SECONDS) / 86400})
    with pytest.raises(CentralRefused) as err:
        central_client.submit_pre_loss(other, new_idempotency_key())
    assert err.value.code == "handle_expired"


def test_a_queued_pre_loss_is_delivered_after_its_handles_read_lifetime(
        tmp_path, central_client, sandbox):
    """The network was down for hours: the outbox delivers the handle it queued."""
    handle = central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
    box = Outbox(tmp_path / "o.db")
    key = new_idempotency_key()
    box.enqueue(KIND_PRE_LOSS, {"body": dict(central_client.pre_loss_request(handle).body)},
                key)
    sandbox.admin("POST", "/clock", json={"offset_days": 2 / 24})  # two hours later
    with pytest.raises(CentralRefused):  # far past the read lifetime
        central_client.card_status(handle)
    assert OutboxSender(box, central_client).deliver_once() == 1
    (recorded,) = _pre_losses(sandbox)
    assert recorded["idempotency_key"] == key
    assert recorded["card_number"] == persona("normal")["ssc"]["card_number"]


def test_an_essc_handle_pre_loses(central_client, sandbox):
    scanned = sandbox.admin("POST", "/essc/codes", json={"persona": "normal"})["code"]
    who = central_client.verify_essc(scanned)
    assert who.may_pre_lose and who.name == "王**"
    central_client.submit_pre_loss(who.cards[0].handle, new_idempotency_key())
    assert len(_pre_losses(sandbox)) == 1


def test_the_tracking_number_only_to_who_proved_who_they_are(central_client, sandbox):
    card = persona("normal")["ssc"]["card_number"]
    sandbox.admin("POST", "/replacements/apply", json={"card_number": card, "mailed": True})
    for _ in range(2):  # applied → in production → mailed
        sandbox.admin("POST", "/replacements/advance", json={"card_number": card})
    full = sandbox.store.replacement_progress(card_number=card)["tracking_number"]
    handle = central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle
    assert central_client.replacement_progress(handle).tracking_number == full
    by_chip = central_client.replacement_progress(ssc=ssc_card_data("normal"))
    assert by_chip.tracking_number == "*" * (len(full) - 4) + full[-4:]
    chip_handle = central_client.lookup_by_ssc(ssc_card_data("normal")).cards[0].handle
    status = central_client.card_status(chip_handle)
    assert status.replacement is not None and full not in status.model_dump_json()


# ---- rate limit per card, and the alert for many people --------------------------------------

def test_rate_limit_per_card_number(central_client):
    ssc = ssc_card_data("normal")
    refused = None
    for _ in range(40):
        try:
            central_client.card_status(ssc=ssc)
        except CentralRefused as exc:
            refused = exc
            break
    assert refused is not None and refused.code == "rate_limited" and refused.status == 429
    # Another card is not affected.
    assert central_client.card_status(ssc=ssc_card_data("x_check")).state == "active"


def test_a_cancel_past_the_card_limit_is_429_with_retry_after(sandbox, central_client,
                                                              central_secrets):
    """A state change refused inside its idempotent run (here the per-card limit) is
    answered as the refusal it is, with its Retry-After, and answered the same again
    under the same key."""
    ssc = ssc_card_data("normal")
    with pytest.raises(CentralRefused):
        for _ in range(40):
            central_client.card_status(ssc=ssc)
    doc = {"card": chip_facts(ssc), "id_card": id_card_facts(id_card_data("normal"))}
    key = new_idempotency_key()
    for _ in range(2):
        resp = _post(sandbox, central_secrets.terminal_key, s.Path.PRE_LOSS_CANCEL, doc,
                     idempotency_key=key)
        assert resp.status_code == 429, resp.text
        assert resp.json()["code"] == "rate_limited"
        assert int(resp.headers["Retry-After"]) >= 1


def _valid_id(n: int) -> str:
    body = f"11010519800101{n:03d}"
    return body + check_char(body)


def _alert(sandbox, terminal: str) -> tuple[float, float]:
    text = requests.get(sandbox.admin_url + "/admin/metrics", timeout=5, headers={
        "Authorization": f"Bearer {sandbox.admin_token}"}).text
    values = {}
    for line in text.splitlines():
        if line.startswith("central_terminal_") and f'terminal_id="{terminal}"' in line:
            values[line.split("{")[0]] = float(line.rsplit(" ", 1)[1])
    return (values.get("central_terminal_distinct_people", 0.0),
            values.get("central_terminal_lookup_alert", 0.0))


def test_a_terminal_asking_about_many_people_raises_the_alert(sandbox, central_client):
    central_client.lookup_by_id_card(id_card_data("normal"))
    central_client.lookup_by_id_card(id_card_data("normal"))  # the same person again
    assert _alert(sandbox, TERMINAL) == (1.0, 0.0)
    # Walking ID numbers through the SMS request (most are nobody: 404).
    for n in range(ALERT_PEOPLE + 5):
        try:
            central_client.request_code(_valid_id(n))
        except (CentralNotFound, CentralRefused):
            pass
    people, alert = _alert(sandbox, TERMINAL)
    assert people >= ALERT_PEOPLE and alert == 1.0
