"""``kiosk demo outage on|off`` against a running demo's sandbox (the demo's own start,
in this process; the command as a user runs it): the terminal's signed calls fail as
offline while it is on, and go through again once it is off."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralOffline
from kiosk.config import load_settings
from kiosk.demo import start_demo_services
from kiosk.devices.virtual.cards import ssc_card_data
from kiosk.secrets import load_secrets
from tests.fixtures.cli import clean_env, one_line_error, run_kiosk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_outage_on_then_off(tmp_path: Path) -> None:
    env = clean_env(KIOSK__KIOSK__DEMO="true", KIOSK__KIOSK__DATA_DIR=str(tmp_path / "data"),
                    KIOSK__CENTRAL__BASE_URL=f"http://127.0.0.1:{free_port()}",
                    KIOSK__CENTRAL__RETRIES="0")
    settings = load_settings(environ={k: v for k, v in env.items() if k.startswith("KIOSK__")})
    demo = start_demo_services(settings, pcsc=False)
    client = CentralClient(settings, load_secrets(settings))
    card = ssc_card_data("normal")  # the card as the reader reads it (its chip's facts)
    try:
        client.lookup_by_ssc(card)   # the demo answers
        on = run_kiosk(["demo", "outage", "on"], env)
        assert on.returncode == 0 and "outage on" in on.stdout, on.stderr
        with pytest.raises(CentralOffline):
            client.lookup_by_ssc(card)
        off = run_kiosk(["demo", "outage", "off"], env)
        assert off.returncode == 0 and "outage off" in off.stdout, off.stderr
        client.lookup_by_ssc(card)
    finally:
        client.close()
        demo.stop()


def test_without_a_running_demo_it_says_so_in_one_line(tmp_path: Path) -> None:
    env = clean_env(KIOSK__KIOSK__DATA_DIR=str(tmp_path / "data"))
    line = one_line_error(run_kiosk(["demo", "outage", "on"], env))
    assert "no running demo found" in line and "./kiosk.sh run" in line
