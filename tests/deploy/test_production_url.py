"""The production start check reads the central address as an address: only a parsed
loopback address (or ``localhost``) may be plain HTTP, never a name that merely starts
with ``127.``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.production import ProductionError, check_central, is_loopback
from tests.deploy.helpers import production_env
from tests.deploy.test_production import one_line_refusal
from tests.fixtures.cli import run_kiosk


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("LOCALHOST", True),
    ("127.attacker.example", False), ("127.0.0.1.nip.io", False), ("127.", False),
    ("10.1.2.3", False), ("0x7f.0.0.1", False), ("2130706433", False),
    ("localhost.attacker.example", False), ("", False),
])
def test_loopback_is_a_parsed_address(host: str, loopback: bool):
    assert is_loopback(host) is loopback


def _with_url(url: str):
    settings = load_settings(environ={})
    return dataclasses.replace(settings, central=dataclasses.replace(settings.central,
                                                                     base_url=url))


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://[::1]:8765",
                                 "http://localhost:8765", "https://central.example.org"])
def test_loopback_or_https_passes(url: str):
    check_central(_with_url(url))


@pytest.mark.parametrize("url", ["http://127.attacker.example", "http://127.0.0.1.nip.io:80"])
def test_a_name_that_starts_with_127_is_refused(url: str):
    with pytest.raises(ProductionError, match="plain HTTP"):
        check_central(_with_url(url))


def test_kiosk_run_refuses_127_attacker_example(tmp_path: Path):
    env = production_env(tmp_path, KIOSK__CENTRAL__BASE_URL="http://127.attacker.example")
    one_line_refusal(run_kiosk(["run", "--headless"], env, timeout=60),
                     "plain HTTP", "127.attacker.example")
