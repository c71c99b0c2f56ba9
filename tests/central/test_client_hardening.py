"""The client against servers that redirect, dribble, flood or lie — real HTTP servers on
127.0.0.1 (tests/central/hostile.py), and the real sandbox behind a tampering proxy."""

from __future__ import annotations

import json
import os
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.central import transport
from kiosk.central.client import new_idempotency_key
from kiosk.central.errors import (
    CentralBadResponse,
    CentralRefused,
    CentralTimeout,
    CentralUnauthenticated,
)
from kiosk.config import load_settings
from kiosk.devices.virtual.cards import id_card_data, ssc_card_data
from kiosk.domain.masking import mask_card_number
from kiosk.personas import persona
from tests.central.hostile import HostileServer
from tests.fixtures.cli import run_kiosk
from tests.fixtures.polling import until

CARD = persona("normal")["ssc"]["card_number"]
ID = persona("normal")["id"]["id_number"]
SSC, ID_CARD = ssc_card_data("normal"), id_card_data("normal")
MASKED = mask_card_number(CARD)
A_HANDLE = "h" * 60  # the shape of a handle (these servers never see a real one)


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    made: list[HostileServer] = []
    yield made
    for server in made:
        server.stop()


def _server(made: list[HostileServer], **kw) -> HostileServer:
    server = HostileServer(**kw).start()
    made.append(server)
    return server


# ---- redirects ----------------------------------------------------------------------------

def test_a_redirect_is_a_bad_response_and_the_other_host_receives_nothing(
        hostile, make_central_client):
    other = _server(hostile, mode="record")
    redirecting = _server(hostile, mode="redirect", target=other.url)
    client = make_central_client(base_url=redirecting.url)
    with pytest.raises(CentralBadResponse):
        client.lookup_by_id_card(ID_CARD)
    with pytest.raises(CentralBadResponse):
        client.submit_pre_loss(A_HANDLE, new_idempotency_key())
    assert len(redirecting.seen) == 2
    assert other.seen == []  # not the body, not the X-Kiosk-* headers, nothing


def _watchdog_done_with(deadline: float) -> bool:
    """Whether the transport's deadline watchdog holds no call due at or before
    ``deadline`` (it pops each when due: aborted if still running, dropped if done)."""
    with transport._WATCHDOG._cv:
        return all(due > deadline for due, _, _ in transport._WATCHDOG._heap)


# ---- size cap -----------------------------------------------------------------------------

def test_a_200_mb_answer_fails_cleanly_with_small_memory(hostile, make_central_client):
    huge = _server(hostile, mode="huge")
    client = make_central_client(base_url=huge.url, retries=0)
    tracemalloc.start()
    try:
        with pytest.raises(CentralBadResponse) as err:
            client.card_status(ssc=SSC)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "larger than" in str(err.value)
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"  # the cap is 256 KiB
    assert huge.finished.wait(10)  # the server saw the connection close
    assert huge.sent_bytes < huge.huge_bytes  # the client stopped reading early


def test_a_declared_oversize_answer_is_refused_unread(hostile, make_central_client):
    huge = _server(hostile, mode="huge")
    client = make_central_client(base_url=huge.url, retries=0, max_reply_bytes=1024)
    with pytest.raises(CentralBadResponse):
        client.card_status(ssc=SSC)


# ---- overall deadline and cancel ------------------------------------------------------------

def test_a_dribbling_server_cannot_hold_a_call_past_its_deadline(hostile, make_central_client):
    """Headers, then one byte every 0.2 s: each read succeeds, so only an overall
    deadline ends it — across the retries too."""
    slow = _server(hostile, mode="dribble", dribble_every=0.2)
    client = make_central_client(base_url=slow.url, read_timeout=1.0, retries=2,
                                 deadline_seconds=1.5)
    with pytest.raises(CentralTimeout) as err:
        client.card_status(ssc=SSC)
    # Each read succeeds and the server would go on for a minute: only the deadline can
    # have ended it (how close to 1.5 s is `kiosk bench central`'s figure).
    assert err.value.maybe_applied
    assert slow.sent_bytes < slow.max_seconds / slow.dribble_every
    assert len(slow.seen) == 1  # the deadline covers retries: none was started late


def test_a_server_sending_its_headers_slowly_is_a_timeout(hostile, make_central_client):
    """The status line, then the headers a byte at a time: the deadline cuts them off.
    What was read is a truncated answer, so the call timed out (it may have been
    applied); it is not an answer that failed its signature check."""
    slow = _server(hostile, mode="slow_headers", dribble_every=0.2)
    client = make_central_client(base_url=slow.url, read_timeout=1.0, retries=0,
                                 deadline_seconds=1.5)
    with pytest.raises(CentralTimeout) as err:
        client.submit_pre_loss(A_HANDLE, new_idempotency_key())
    assert err.value.maybe_applied and not err.value.authenticated
    assert 0 < slow.sent_bytes < 200  # cut off inside the headers


def test_diagnose_says_the_signature_is_unknown_after_a_forged_401(
        hostile, central_settings, tmp_path):
    """A 401 is never signed: whoever answers one (here a forger) proves nothing about
    our signature, so diagnose must not say "accepted"."""
    forger = _server(hostile, mode="forge_reply", forged=(401, "clock_skew"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "KIOSK__KIOSK__DATA_DIR": str(tmp_path), "KIOSK__KIOSK__LOG_DIR": str(tmp_path),
           "KIOSK__SECURITY__SECRETS_FILE": central_settings.security.secrets_file,
           "KIOSK__CENTRAL__BASE_URL": forger.url}
    proc = run_kiosk(["diagnose", "--part", "central", "--json"], env, timeout=60)
    (check,) = json.loads(proc.stdout)["checks"]
    assert check["details"]["signature"] == "unknown", check
    assert check["details"]["error"] == "clock_skew" and check["status"] == "fail"
    text = run_kiosk(["diagnose", "--part", "central", "--lang", "en"], env, timeout=60)
    assert "accepted" not in text.stdout and "Traceback" not in text.stderr


def test_ten_cancelled_calls_against_a_dribbling_server_leave_the_client_usable(
        hostile, make_central_client, sandbox):
    # Threads other tests of this process left behind are not this client's: count from here.
    before = threading.active_count()
    server = _server(hostile, mode="dribble", dribble_every=0.2, target=sandbox.url)
    client = make_central_client(base_url=server.url, deadline_seconds=30)
    for _ in range(10):
        answered = server.headers_sent
        outcome: list[BaseException] = []

        def call(into: list[BaseException] = outcome) -> None:
            try:
                client.card_status(ssc=SSC)
            except BaseException as exc:  # noqa: BLE001 - the test inspects it
                into.append(exc)

        worker = threading.Thread(target=call)
        worker.start()
        until(lambda n=answered: server.headers_sent > n, 5, "the header in, the body "
              "dribbling")
        client.cancel()
        worker.join(2)
        assert not worker.is_alive(), "cancel did not free the worker"
        assert isinstance(outcome[0], CentralTimeout) and "cancelled" in str(outcome[0])
    server.mode = "proxy"  # now the real sandbox answers through it
    status = client.card_status(ssc=SSC)
    assert status.card_number_masked == MASKED
    # The server and the client's pool add about 6; ten stuck calls would add 10 more.
    until(lambda: threading.active_count() < before + 10, 5, "the cancelled calls' threads gone")


def test_cancel_does_not_affect_later_calls(central_client):
    central_client.cancel()  # nothing in flight: a no-op
    assert central_client.card_status(ssc=SSC).card_number_masked == MASKED


def test_diagnose_central_ends_within_the_deadline_against_a_dribbling_server(
        hostile, central_settings, tmp_path):
    slow = _server(hostile, mode="dribble", dribble_every=1.0)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
           "KIOSK__KIOSK__DATA_DIR": str(tmp_path), "KIOSK__KIOSK__LOG_DIR": str(tmp_path),
           "KIOSK__SECURITY__SECRETS_FILE": central_settings.security.secrets_file,
           "KIOSK__CENTRAL__BASE_URL": slow.url, "KIOSK__CENTRAL__DEADLINE_SECONDS": "3"}
    # The server would dribble for a minute: only the 3 s deadline ends the check, and
    # says so (how soon is `kiosk bench central`'s figure).
    proc = run_kiosk(["diagnose", "--part", "central", "--lang", "en"], env, timeout=60)
    assert proc.returncode != 0, proc.stdout
    assert "did not answer in time" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr


def test_the_default_deadline_is_well_under_30_seconds():
    settings = load_settings(environ={})
    assert settings.central.deadline_seconds <= 20


# ---- authenticated replies --------------------------------------------------------------

@pytest.mark.parametrize("mode", ["strip", "forge"])
def test_unsigned_or_forged_replies_are_refused(mode, hostile, make_central_client, sandbox):
    proxy = _server(hostile, mode=mode, target=sandbox.url)
    client = make_central_client(base_url=proxy.url)
    with pytest.raises(CentralUnauthenticated) as err:
        client.card_status(ssc=SSC)
    assert err.value.kind == "unauthenticated"
    assert len(proxy.seen) == 1  # not retried: a liar will not improve


def test_a_replayed_reply_is_refused(hostile, make_central_client, sandbox):
    """A genuine signed answer, recorded and served to a later request."""
    proxy = _server(hostile, mode="proxy", target=sandbox.url)
    client = make_central_client(base_url=proxy.url)
    assert client.card_status(ssc=SSC).card_number_masked == MASKED
    proxy.mode = "replay"
    with pytest.raises(CentralUnauthenticated):
        client.card_status(ssc=SSC)


def test_an_impersonating_server_is_refused(hostile, make_central_client):
    fake = _server(hostile, mode="record")  # answers 200 {} with no signature
    client = make_central_client(base_url=fake.url)
    with pytest.raises(CentralUnauthenticated):
        client.heartbeat(outbox_depth=0)


def test_an_unsigned_401_is_accepted_only_as_a_terminal_problem(
        make_central_client, central_secrets):
    """The service never signs 401s; the client still tells a bad key from a lie."""
    from kiosk.secrets import Secrets

    client = make_central_client(secrets=Secrets(b"x" * 32, central_secrets.technician_pin_hash))
    with pytest.raises(CentralRefused) as err:
        client.card_status(ssc=SSC)
    assert err.value.code == "bad_signature" and err.value.terminal_problem


def test_a_finished_calls_deadline_does_not_touch_the_kept_alive_connection(
        make_central_client, sandbox):
    """The pooled connection outlives the call; its old deadline must not shut it."""
    client = make_central_client(deadline_seconds=0.5)
    assert client.card_status(ssc=SSC).card_number_masked == MASKED
    first_deadline = time.monotonic() + 0.5  # at or after the first call's own
    # The first call's deadline passes while its connection idles: the deadline watchdog
    # has dealt with every flight due by then.
    until(lambda: _watchdog_done_with(first_deadline), 5, "the first call's deadline")
    assert client.card_status(ssc=SSC).card_number_masked == MASKED
    assert client.card_status(ssc=SSC).card_number_masked == MASKED
