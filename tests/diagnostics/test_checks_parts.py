"""Checks against the real parts: a private pcscd with virtual cards (running, with a card,
stopped) and the sandbox central service over HTTP (up, down, wrong key, faults, clock)."""

from __future__ import annotations

import dataclasses
import secrets as _random
import socket
import time

import pytest

from kiosk.central.client import CentralClient
from kiosk.cli.diagnose import diagnostics_context
from kiosk.secrets import Secrets
from kiosk.services.diagnostics import CheckStatus, DiagnosticsContext, run_check, run_checks
from kiosk.services.diagnostics.cardtest import card_test_check
from kiosk.services.diagnostics.checks import (
    check_central,
    check_clock,
    check_id_reader,
    check_readers,
)
from tests.fixtures.pcsc import ID_READER, SSC_READER
from tests.fixtures.polling import until

# -- readers ------------------------------------------------------------------------------


@pytest.mark.pcsc
def test_readers_listed_with_card_present_and_atr(pcsc_settings, virtual_slots,
                                                   wait_card_state):
    virtual_slots.insert("normal", "ssc")
    wait_card_state(SSC_READER, True)
    result = check_readers(diagnostics_context(pcsc_settings))
    assert result.status is CheckStatus.OK, result
    by_name = {r["reader"]: r for r in result.details["readers"]}
    assert set(by_name) >= {SSC_READER, ID_READER}
    assert by_name[SSC_READER]["card_present"] is True
    assert len(by_name[SSC_READER]["atr"]) >= 8
    assert by_name[ID_READER]["card_present"] is False
    assert result.details["cards_present"] == 1


@pytest.mark.pcsc
def test_configured_reader_missing_fails(pcsc_settings, pcscd_alive):
    settings = dataclasses.replace(pcsc_settings, cards=dataclasses.replace(
        pcsc_settings.cards, ssc_reader="ACS ACR39U", id_pcsc_reader="Synjones"))
    ctx = diagnostics_context(settings)
    assert check_readers(ctx).summary_key == "diagnostics.readers.ssc_missing"
    assert check_id_reader(ctx).summary_key == "diagnostics.id_reader.missing"


@pytest.mark.pcsc
def test_pcscd_stopped_fails_and_recovers(pcsc_settings, pcscd_alive):
    ctx = diagnostics_context(pcsc_settings)
    assert check_readers(ctx).status is CheckStatus.OK
    pcscd_alive.stop()
    down = check_readers(ctx)
    assert down.status is CheckStatus.FAIL
    assert down.summary_key == "diagnostics.readers.service_down"
    assert check_id_reader(ctx).summary_key == "diagnostics.id_reader.pcsc_down"
    pcscd_alive.start()
    assert check_readers(ctx).status is CheckStatus.OK  # a new context recovers


@pytest.mark.pcsc
def test_test_read_shows_only_the_type_never_a_number(pcsc_settings, virtual_slots,
                                                      wait_card_state):
    virtual_slots.insert("x_check", "ssc")
    virtual_slots.insert("x_check", "id")
    wait_card_state(SSC_READER, True)
    wait_card_state(ID_READER, True)
    ssc = run_check(diagnostics_context(pcsc_settings), card_test_check(SSC_READER))
    assert (ssc.card_type, ssc.error) == ("ssc", None)
    idc = run_check(diagnostics_context(pcsc_settings), card_test_check(ID_READER))
    assert (idc.card_type, idc.error) == ("id_card", None)
    for read in (ssc, idc):   # not even a masked part: diagnostics show no one's data
        shown = repr(read) + " ".join(str(v) for v in vars(read).values())
        assert "027" not in shown and "882X" not in shown and "110105" not in shown
    virtual_slots.remove("ssc")
    wait_card_state(SSC_READER, False)
    empty = run_check(diagnostics_context(pcsc_settings), card_test_check(SSC_READER))
    assert empty.card_type == "unknown" and empty.error in ("no_card", "card_removed",
                                                            "comm_failed")


# -- central service ----------------------------------------------------------------------


def _ctx(settings, secrets, **client_kw) -> DiagnosticsContext:
    ctx = diagnostics_context(settings, secrets=secrets)
    ctx.central = CentralClient(settings, secrets, **client_kw)
    return ctx


def test_central_up(central_settings, central_secrets, sandbox):
    ctx = _ctx(central_settings, central_secrets)
    result = check_central(ctx)
    assert result.status is CheckStatus.OK, result
    d = result.details
    assert d["signature"] == "accepted" and d["tls"] is False
    assert 0 < d["latency_ms"] < 2000
    assert abs(d["skew_seconds"]) < 5
    assert d["last_heartbeat"]
    assert check_clock(ctx).summary_key == "diagnostics.clock.ok"


def test_central_down(central_settings, central_secrets):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = dataclasses.replace(central_settings, central=dataclasses.replace(
        central_settings.central, base_url=f"http://127.0.0.1:{port}", retries=0))
    result = check_central(_ctx(settings, central_secrets))
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.central.offline"
    assert result.details["last_heartbeat"] is None


def test_central_rejects_a_wrong_key(central_settings, sandbox):
    wrong = Secrets(terminal_key=_random.token_bytes(32), technician_pin_hash="x")
    result = check_central(_ctx(central_settings, wrong))
    assert result.status is CheckStatus.FAIL
    assert result.summary_key == "diagnostics.central.signature_rejected"
    assert result.details["signature"] == "rejected"


def test_central_server_errors_and_garbage(central_settings, central_secrets, sandbox):
    settings = dataclasses.replace(central_settings, central=dataclasses.replace(
        central_settings.central, retries=0))
    sandbox.faults.set(fail_next=1)
    assert check_central(_ctx(settings, central_secrets)).summary_key \
        == "diagnostics.central.server_error"
    sandbox.faults.set(garbage_next=1)
    assert check_central(_ctx(settings, central_secrets)).summary_key \
        == "diagnostics.central.bad_response"


def test_central_timeout(central_settings, central_secrets, sandbox):
    settings = dataclasses.replace(central_settings, central=dataclasses.replace(
        central_settings.central, retries=0, read_timeout=0.3))
    sandbox.faults.set(latency_ms=1500)
    result = check_central(_ctx(settings, central_secrets))
    # Ended by the 0.3 s read timeout: had it waited out the latency it would say "ok".
    assert result.summary_key == "diagnostics.central.timeout"


def test_terminal_clock_far_off_is_refused(central_settings, central_secrets, sandbox):
    limit = central_settings.central.max_clock_skew_seconds
    ctx = _ctx(central_settings, central_secrets, clock=lambda: time.time() - 2 * limit)
    assert check_central(ctx).summary_key == "diagnostics.central.clock_refused"
    clock = check_clock(ctx)
    assert clock.status is CheckStatus.FAIL and clock.summary_key == "diagnostics.clock.refused"


def test_whole_run_against_the_sandbox_passes(central_settings, central_secrets, sandbox):
    ctx = _ctx(central_settings, central_secrets)
    report = run_checks(ctx, ["central", "outbox", "disk", "clock", "config"])
    assert report.status is CheckStatus.OK, [r for r in report.results
                                             if r.status is not CheckStatus.OK]
    # How fast the whole run is: kiosk bench diagnostics.


@pytest.mark.pcsc
def test_readers_from_the_running_card_hub(pcsc_settings, virtual_slots, wait_card_state):
    from kiosk.devices.card_hub import CardHub

    hub = CardHub(pcsc_settings, lambda _event: None)
    hub.start()
    try:
        virtual_slots.insert("normal", "ssc")
        wait_card_state(SSC_READER, True)
        until(lambda: any(r["card_present"] for r in hub.snapshot()["readers"]), 5,
              "the hub seeing the card")
        result = check_readers(diagnostics_context(pcsc_settings, card_hub=hub))
        assert result.status is CheckStatus.OK, result
        by_name = {r["reader"]: r for r in result.details["readers"]}
        assert by_name[SSC_READER]["card_present"] and by_name[SSC_READER]["atr"]
    finally:
        hub.stop()


@pytest.mark.pcsc
def test_test_read_of_a_card_of_neither_kind_is_unknown(pcsc_settings, virtual_slots,
                                                        wait_card_state):
    virtual_slots.insert("foreign", "ssc")
    wait_card_state(SSC_READER, True)
    foreign = run_check(diagnostics_context(pcsc_settings), card_test_check(SSC_READER))
    assert (foreign.card_type, foreign.error) == ("unknown", "unsupported_card")


def test_checks_side_by_side_make_one_outbox(central_settings, central_secrets):
    """The checks run at the same time (the central check reads the outbox's depth for its
    heartbeat while the outbox check reads its counts): a part made on demand is made
    once, the real outbox on disk opened by one of them, not by both at once."""
    import threading

    from kiosk.composition.outbox import open_outbox

    made: list[object] = []

    def make_outbox():
        outbox = open_outbox(central_settings)
        made.append(outbox)
        return outbox

    ctx = diagnostics_context(central_settings, secrets=central_secrets)
    ctx.makers = dataclasses.replace(ctx.makers, outbox=make_outbox)
    start = threading.Barrier(8)
    got: list[object] = []

    def reader() -> None:
        start.wait(timeout=10)
        got.append(ctx.get_outbox())

    threads = [threading.Thread(target=reader) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(made) == 1 and len(got) == 8 and all(o is made[0] for o in got)
        assert ctx.get_outbox().stats().pending == 0  # and it is the one on disk, usable
    finally:
        ctx.close()
