"""``kiosk card`` and ``kiosk read-card`` as a user runs them (subprocesses), against the
private pcscd: success, masking, and a one-line error with its exit code per failure."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.fixtures.cli import run_kiosk
from tests.fixtures.pcsc import ID_READER, SSC_READER

pytestmark = pytest.mark.pcsc


def kiosk(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return run_kiosk(args, dict(os.environ, KIOSK__KIOSK__LANGUAGE="en"), timeout=timeout)


def test_card_commands_drive_the_slots(virtual_slots, wait_card_state) -> None:
    sock = str(virtual_slots.socket_path)
    r = kiosk("card", "--socket", sock, "insert", "normal")
    assert r.returncode == 0, r.stderr
    assert "ssc: normal" in r.stdout
    r = kiosk("card", "--socket", sock, "insert", "pre_lost")  # no SSC → goes to the id slot
    assert r.returncode == 0 and "id: pre_lost" in r.stdout
    wait_card_state(SSC_READER, True)
    wait_card_state(ID_READER, True)
    r = kiosk("card", "--socket", sock, "list")
    assert "pulled" in r.stdout and "inserted: ssc: normal  id: pre_lost" in r.stdout
    r = kiosk("card", "--socket", sock, "insert", "nobody")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "unknown persona" in r.stderr
    r = kiosk("card", "--socket", sock, "insert", "garbage", "--slot", "id")
    assert r.returncode == 1 and "no ID card" in r.stderr
    r = kiosk("card", "--socket", sock, "remove")
    assert r.returncode == 0 and "ssc: -  id: -" in r.stdout


def test_card_without_daemon(tmp_path) -> None:
    r = kiosk("card", "--socket", str(tmp_path / "none.sock"), "remove")
    assert r.returncode == 1 and "no virtual card slots running" in r.stderr
    assert r.stderr.count("\n") == 1


def test_read_card_masked_and_revealed(virtual_slots, wait_card_state) -> None:
    virtual_slots.insert("x_check", "ssc")
    virtual_slots.insert("x_check", "id")
    wait_card_state(SSC_READER, True)
    wait_card_state(ID_READER, True)
    r = kiosk("read-card", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    by_slot = {item["slot"]: item for item in out}
    assert by_slot["ssc"]["data"]["ssn"] == "110105********882X"
    assert by_slot["ssc"]["data"]["name"] == "张**"
    assert by_slot["ssc"]["apdus"] == 15
    assert by_slot["id"]["data"]["id_number"] == "110105********882X"
    assert "张晓燕" not in r.stdout
    r = kiosk("read-card", "--reveal", "--slot", "ssc")
    assert r.returncode == 0 and "张晓燕" in r.stdout and "X00000027" in r.stdout


@pytest.mark.parametrize(("persona", "code", "word"), [
    ("garbage", 8, "unsupported_card"), ("foreign", 8, "not_ssc"),
    ("transparent_files", 8, "not_ssc"), ("short_records", 0, ""),
    ("pulled", 6, "card_removed"),
])
def test_read_card_bad_cards(virtual_slots, wait_card_state, persona, code, word) -> None:
    virtual_slots.insert(persona, "ssc")
    wait_card_state(SSC_READER, True)
    r = kiosk("read-card", "--slot", "ssc")
    assert r.returncode == code, r.stderr
    if code:
        assert r.stderr.count("\n") == 1 and word in r.stderr and "Traceback" not in r.stderr


def test_read_card_no_card_waits_then_fails(virtual_slots) -> None:
    r = kiosk("read-card", "--timeout", "0.5")
    assert r.returncode == 5 and "No card was detected" in r.stderr


def test_read_card_with_pcscd_down(pcscd_alive) -> None:
    pcscd_alive.stop()
    r = kiosk("read-card")
    assert r.returncode == 3 and "service_down" in r.stderr and r.stderr.count("\n") == 1


def test_read_card_no_reader(pcscd_alive) -> None:
    pcscd_alive.restart(with_vpcd=False)
    try:
        r = kiosk("read-card")
        assert r.returncode == 4 and "no_reader" in r.stderr
    finally:
        pcscd_alive.restart(with_vpcd=True)
