"""A confirmed pre-loss is never dropped: not by a clock that jumps, not by a forged
answer, not by restarts. Real parts: the SQLite outbox on disk, the real sandbox over
HTTP, and servers on 127.0.0.1 that forge what someone who is not the service can say
(tests/central/hostile.py). After every ordeal the item is delivered exactly once when
the service is reachable again (the sandbox's pre-loss list shows one)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk import metrics
from kiosk.central.client import CentralClient, new_idempotency_key
from kiosk.central.errors import OutboxError
from kiosk.central.outbox import Outbox
from kiosk.central.outbox_sender import OutboxSender
from kiosk.devices.virtual.cards import id_card_data
from tests.central.hostile import HostileServer
from tests.fixtures.polling import until

H73 = 73 * 3600.0
FORGED_HANDLE = "A" * 64  # the shape of a handle the service never made


@pytest.fixture
def handle(central_client: CentralClient) -> str:
    """A handle for normal's card (a lookup by their ID card): what a journey queues."""
    return central_client.lookup_by_id_card(id_card_data("normal")).cards[0].handle


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    made: list[HostileServer] = []
    yield made
    for server in made:
        server.stop()


def _server(made: list[HostileServer], **kw: Any) -> HostileServer:
    server = HostileServer(**kw).start()
    made.append(server)
    return server


def _recorded(sandbox: Any, key: str) -> list[dict[str, Any]]:
    return [p for p in sandbox.admin("GET", "/pre_losses") if p["idempotency_key"] == key]


def _client(central_settings: Any, secrets: Any, **kw: Any) -> CentralClient:
    clock = kw.pop("clock", time.time)
    settings = dataclasses.replace(central_settings, central=dataclasses.replace(
        central_settings.central, retries=0, **kw))
    return CentralClient(settings, secrets, clock=clock)


def _queue(box: Outbox, client: CentralClient, handle: str) -> str:
    """A confirmed pre-loss, stored the way the journey stores it (write-ahead)."""
    key = new_idempotency_key()
    OutboxSender(box, client).write_ahead(client.pre_loss_request(handle), key)
    box.release(box.item(key).id, "direct:" + key)  # the cardholder's attempt never ran
    box.make_due()
    return key


def _deliver_for_real(box: Outbox, central_client: CentralClient, sandbox: Any,
                      key: str) -> None:
    box.make_due()
    box.unhold()
    assert OutboxSender(box, central_client).deliver_once() == 1
    assert box.status_of(key) == "delivered" and box.stats().undeliverable == 0
    assert len(_recorded(sandbox, key)) == 1
    assert OutboxSender(box, central_client).deliver_once() == 0  # nothing left, no repeat
    assert len(_recorded(sandbox, key)) == 1


# ---- durability -------------------------------------------------------------------------

def test_the_outbox_commits_are_fsynced(tmp_path, central_client, handle) -> None:
    box = Outbox(tmp_path / "o.db")
    assert box.durability() == {"journal_mode": "wal", "synchronous": 2}  # 2 = FULL
    key = _queue(box, central_client, handle)
    box.close()
    again = Outbox(tmp_path / "o.db", terminal_key=central_client.terminal_key)
    assert again.durability()["synchronous"] == 2  # per connection: set on every open
    assert again.status_of(key) == "pending"
    assert again.item(key).payload["body"]["handle"] == handle


# ---- the clock --------------------------------------------------------------------------

@pytest.mark.parametrize("jump", [H73, -H73])
def test_a_73_hour_clock_jump_drops_nothing(tmp_path, sandbox, central_settings,
                                           central_secrets, central_client, jump,
                                           handle) -> None:
    """The terminal's clock jumps 73 h (bad RTC, spoofed NTP): the real sandbox refuses
    its timestamps (clock_skew). Nothing expires, however long the refusals last on the
    wall clock; fixed, the item goes through once."""
    wall = [time.time() + jump]
    box = Outbox(tmp_path / "o.db", clock=lambda: wall[0])
    skewed = _client(central_settings, central_secrets, clock=lambda: wall[0],
                     outbox_terminal_expiry_hours=72.0)
    key = _queue(box, skewed, handle)
    sender = OutboxSender(box, skewed)
    for _ in range(5):
        wall[0] += 24 * 3600  # days pass on the wall clock between tries
        box.make_due()
        sender.deliver_once()
    stats = box.stats()
    assert box.status_of(key) == "pending" and stats.rejected_total == 0
    assert stats.last_error == "clock_skew"
    assert stats.undeliverable == 0  # the monotonic clock says seconds, not days
    assert _recorded(sandbox, key) == []
    _deliver_for_real(box, central_client, sandbox, key)


def test_a_queued_item_outlives_a_73_hour_outage_and_a_forged_401(
        tmp_path, hostile, sandbox, central_settings, central_secrets,
        central_client, handle) -> None:
    """As reported: queued, 73 h without the service, then one unsigned 401
    clock_skew. It stays."""
    wall = [time.time()]
    box = Outbox(tmp_path / "o.db", clock=lambda: wall[0])
    forger = _server(hostile, mode="forge_reply", forged=(401, "clock_skew"))
    key = _queue(box, central_client, handle)
    wall[0] += H73
    box.make_due()
    OutboxSender(box, _client(central_settings, central_secrets,
                              base_url=forger.url)).deliver_once()
    assert len(forger.seen) == 1 and box.status_of(key) == "pending"
    _deliver_for_real(box, central_client, sandbox, key)


# ---- forged answers ---------------------------------------------------------------------

@pytest.mark.parametrize(("forged", "signed"), [
    ((401, "clock_skew"), False),        # the reported forged 401
    ((401, "bad_signature"), False),
    ((401, "clock_skew"), True),         # "signed", with a key that is not the terminal's
    ((409, "already_pre_lost"), True),   # a refusal that would settle it, if it were true
    ((404, "not_found"), False),
    ((422, "validation_error"), True),   # a refusal that would hold it, if it were true
])
def test_forged_answers_can_neither_expire_nor_delete_an_item(
        tmp_path, hostile, sandbox, central_settings, central_secrets, central_client,
        forged, signed, handle) -> None:
    """Only the service's signature over this request's nonce counts. 100 forged answers,
    and refusals lasting past the alert threshold on the monotonic clock: the item is
    still there with its data (an alert at most), and goes through once afterwards."""
    forger = _server(hostile, mode="forge_reply", forged=forged,
                     forge_key=b"f" * 32 if signed else None)
    box = Outbox(tmp_path / "o.db")
    key = _queue(box, central_client, handle)
    mono = [0.0]
    sender = OutboxSender(box, _client(central_settings, central_secrets, base_url=forger.url,
                                       outbox_terminal_expiry_hours=1.0),
                          monotonic=lambda: mono[0])
    for _ in range(100):
        mono[0] += 60.0
        box.make_due()
        sender.deliver_once()
    assert len(forger.seen) == 100
    stats = box.stats()
    assert box.status_of(key) == "pending" and stats.rejected_total == 0
    assert box.item(key).payload["body"]["handle"] == handle  # the data is all there
    if forged[0] == 401:  # a terminal problem, even unproven: refused for 100 min > 1 h
        assert stats.alert == f"stuck_{forged[1]}" and stats.undeliverable == 1
    else:
        assert stats.last_error == "unauthenticated" and stats.undeliverable == 0
    _deliver_for_real(box, central_client, sandbox, key)


# ---- restarts ---------------------------------------------------------------------------

def test_a_thousand_restarts_keep_the_item_and_deliver_it_once(
        tmp_path, hostile, sandbox, central_settings, central_secrets,
        central_client, handle) -> None:
    """1,000 restarts of the outbox and its sender on the same SQLite file, each one
    refused by a forged 401; the refusals are counted across them all."""
    path = tmp_path / "outbox.sqlite3"
    key = _queue(Outbox(path), central_client, handle)
    forger = _server(hostile, mode="forge_reply", forged=(401, "clock_skew"))
    client = _client(central_settings, central_secrets, base_url=forger.url)
    for _ in range(1000):
        box = Outbox(path)  # a fresh process: nothing in memory, only the file
        box.make_due()  # skip the back-off it stored: every start tries once
        OutboxSender(box, client).deliver_once()  # hands the client's key over
        box.close()
    client.close()
    assert len(forger.seen) == 1000
    box = Outbox(path, terminal_key=central_client.terminal_key)
    (item,) = box.undelivered()
    assert item.idempotency_key == key and item.refusals == 1000 and item.attempts == 1000
    _deliver_for_real(box, central_client, sandbox, key)


def test_a_restarted_sender_tries_at_once_whatever_back_off_was_stored(
        tmp_path, sandbox, central_client, handle) -> None:
    """The run before backed off for an hour (the service was down); the kiosk restarts
    once it is back: the first round sends it, it does not wait out the hour."""
    path = tmp_path / "o.db"
    box = Outbox(path)
    key = _queue(box, central_client, handle)
    box.mark_failed(box.item(key).id, "offline", retry_in=3600)
    box.close()
    again = Outbox(path)
    sender = OutboxSender(again, central_client, poll_interval=3600).start()
    try:
        until(lambda: again.status_of(key) == "delivered", 10, "the delivery after restart")
    finally:
        sender.stop()
        again.close()
    assert len(_recorded(sandbox, key)) == 1


def test_refused_time_adds_up_across_restarts_on_the_monotonic_clock(
        tmp_path, hostile, central_settings, central_secrets, central_client,
        handle) -> None:
    """Each run counts from its own first refusal (a monotonic clock starts again with
    the process) and adds to what the runs before counted: the alert comes after the
    threshold in total, whatever the wall clock says meanwhile."""
    path = tmp_path / "o.db"
    key = _queue(Outbox(path), central_client, handle)
    forger = _server(hostile, mode="forge_reply", forged=(401, "clock_skew"))
    client = _client(central_settings, central_secrets, base_url=forger.url,
                     outbox_terminal_expiry_hours=2.0)

    def run(*instants: float) -> Any:
        box = Outbox(path, clock=lambda: 0.0)  # a wall clock stuck in 1970: ignored
        mono = [0.0]
        sender = OutboxSender(box, client, monotonic=lambda: mono[0])
        for t in instants:
            mono[0] = t
            box.make_due()
            sender.deliver_once()
        stats, item = box.stats(), box.item(key)
        box.close()
        return stats, item

    stats, item = run(100.0, 100.0 + 3600)           # one hour refused
    assert item.refused_seconds == 3600 and stats.undeliverable == 0
    stats, item = run(5.0, 5.0 + 1800)               # restarted: half an hour more
    assert item.refused_seconds == 5400 and stats.undeliverable == 0
    stats, item = run(7.0, 7.0 + 1801)               # past two hours in total: alert
    assert item.refused_seconds == 7201 and stats.alert == "stuck_clock_skew"
    assert item.status == "pending"


# ---- signed refusals: settled, or held for a person -------------------------------------

def test_a_signed_refusal_that_cannot_be_fixed_by_retrying_holds_the_item(
        tmp_path, sandbox, central_client) -> None:
    """The service refuses it, signed, and not because it already holds: kept with its
    data, not retried, an alert; a technician's retry sends it again."""
    box = Outbox(tmp_path / "o.db")
    key = new_idempotency_key()
    sender = OutboxSender(box, central_client)
    sender.write_ahead(central_client.pre_loss_request(FORGED_HANDLE), key)
    box.release(box.item(key).id, "direct:" + key)
    box.make_due()
    before = metrics.OUTBOX_ALERTS.labels(code="held_handle_invalid")._value.get()
    assert sender.deliver_once() == 0
    stats = box.stats()
    assert box.status_of(key) == "held" and stats.held == 1 and stats.pending == 0
    assert stats.alert == "held_handle_invalid" and stats.undeliverable == 1
    assert metrics.OUTBOX_ALERTS.labels(code="held_handle_invalid")._value.get() == \
        before + 1
    assert metrics.OUTBOX_UNDELIVERABLE._value.get() == 1
    assert box.item(key).payload["body"]["handle"] == FORGED_HANDLE
    assert sender.deliver_once() == 0 and box.status_of(key) == "held"  # not retried alone
    sender.retry_now()
    assert box.status_of(key) == "pending"


def test_a_queued_body_the_client_will_not_send_is_held_not_retried_for_ever(
        tmp_path, hostile, central_settings, central_secrets) -> None:
    """A body queued under an older contract (or damaged) that the client now refuses to
    send: nothing goes out, and it is held with an alert for the outlet, instead of
    sitting pending for ever with no one told."""
    record = _server(hostile, mode="record")
    client = _client(central_settings, central_secrets, base_url=record.url)
    box = Outbox(tmp_path / "o.db")
    # Queued before card handles: a card number and an ID number, which the contract
    # no longer takes.
    box.enqueue("pre_loss", {"body": {"card_number": "X00000019",
                                      "id_number": "110105198503071230",
                                      "channel": "kiosk", "terminal_id": "T-1"}},
                "old-shape-1")
    # An e-SSC pre-loss under its grant: a kind the client no longer sends at all.
    box.enqueue("essc_pre_loss", {"body": {"card_number": "X00000019", "grant": "g" * 43,
                                           "channel": "kiosk", "terminal_id": "T-1"}},
                "old-essc-1")
    box.enqueue("pre_loss", {"body": {"handle": FORGED_HANDLE, "channel": "kiosk",
                                      "terminal_id": "T-1"}}, "fine-shape-1")
    OutboxSender(box, client).deliver_once()
    assert box.status_of("old-shape-1") == "held" and box.status_of("old-essc-1") == "held"
    assert box.stats().alert == "held_invalid_item"
    # Only the good one went out (the one behind is not blocked), with its own key.
    (sent,) = record.seen
    assert sent.headers["Idempotency-Key"] == "fine-shape-1"
    assert box.item("old-shape-1").payload["body"]["card_number"] == "X00000019"
    assert box.item("old-essc-1").payload["body"]["grant"] == "g" * 43  # kept for the outlet


def test_a_refusal_of_the_cardholders_own_attempt_settles_it(tmp_path, sandbox,
                                                              central_client) -> None:
    """The cardholder is there to read it: the screen says so, nothing stays queued."""
    box = Outbox(tmp_path / "o.db")
    sender = OutboxSender(box, central_client)
    key = new_idempotency_key()
    pre_lost = central_client.lookup_by_id_card(id_card_data("pre_lost")).cards[0]
    request = central_client.pre_loss_request(pre_lost.handle)
    assert sender.write_ahead(request, key) is True
    with pytest.raises(Exception) as err:
        sender.deliver_now(key)
    assert getattr(err.value, "code", None) == "already_pre_lost"
    assert not sender.is_queued(key) and box.status_of(key) == "rejected"


# ---- the direct attempt and the sender never send it twice ------------------------------

def test_the_direct_attempt_and_a_busy_sender_send_it_once(
        tmp_path, hostile, sandbox, central_settings, central_secrets, handle) -> None:
    """Write-ahead wakes the sender at once; the claim keeps it off the item while the
    cardholder's own attempt is in flight (the service holds it 0.5 s)."""
    proxy = _server(hostile, mode="proxy", target=sandbox.url)
    client = _client(central_settings, central_secrets, base_url=proxy.url)
    box = Outbox(tmp_path / "o.db")
    sender = OutboxSender(box, client, base_delay=0.01, max_delay=0.02,
                          poll_interval=0.01).start()
    try:
        sandbox.admin("POST", "/faults", json={"hold_request_ms": 500})
        key = new_idempotency_key()
        assert sender.write_ahead(client.pre_loss_request(handle), key) is True
        result = sender.deliver_now(key)
        assert result.reference == _recorded(sandbox, key)[0]["reference"]
        until(lambda: box.stats().pending == 0, 5, "the outbox to be empty")
    finally:
        sender.stop()
    posts = [s for s in proxy.seen if s.path.endswith("/v1/pre_losses")]
    assert len(posts) == 1  # one request on the wire, not one per deliverer
    assert len(_recorded(sandbox, key)) == 1 and box.status_of(key) == "delivered"


def test_a_lapsed_claim_lets_the_sender_deliver_it(tmp_path, sandbox, central_client,
                                                   handle) -> None:
    """If the cardholder's attempt never starts (its worker never ran), the claim lapses
    and the sender delivers it; the direct attempt then finds nothing to send."""
    mono, wall = [0.0], [time.time()]
    box = Outbox(tmp_path / "o.db", monotonic=lambda: mono[0], clock=lambda: wall[0])
    sender = OutboxSender(box, central_client)
    key = new_idempotency_key()
    assert sender.write_ahead(central_client.pre_loss_request(handle), key) is True
    assert sender.deliver_once() == 0  # claimed for the direct attempt: left alone
    assert box.next_due_in() == sender.claim_seconds  # not polled meanwhile either
    mono[0] += sender.claim_seconds + 1
    wall[0] += sender.claim_seconds + 1
    assert sender.deliver_once() == 1
    with pytest.raises(OutboxError):
        sender.deliver_now(key)
    assert not sender.is_queued(key) and len(_recorded(sandbox, key)) == 1
